//! Finding incidents.
//!
//! With Twilio records: outbound records are grouped per recipient and body
//! (a record without a body joins the body group nearest in time), then
//! chained in time: a record within `window` of the previous one belongs to
//! the same cluster. In a scan a cluster of two or more records is an
//! incident; with `--to` every cluster of that recipient is; with `--sid`
//! the clusters holding those SIDs are.
//!
//! Without Twilio records, the same is done with the requests that
//! succeeded or whose outcome is unknown (timeouts, 499, 000, no status):
//! refused requests (4xx) and 5xx answers are left out of the count.
//!
//! Each incident then gets the requests joined with its records, and the
//! unjoined requests to the same recipient (and body) from its time span
//! widened by a sixth of the window on each side, so failed tries show.

use std::collections::{BTreeMap, BTreeSet};

use super::join::Joined;
use super::requests::{bodies_compatible, record_time, Prepared, Req};
use super::Options;

/// A found incident, before its verdict.
#[derive(Debug, Clone)]
pub(crate) struct Seed {
    pub recipient: String,
    /// Indices into `Prepared::records`, time order.
    pub records: Vec<usize>,
    /// Indices into `Prepared::reqs`, time order.
    pub reqs: Vec<usize>,
}

/// How incidents were looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Scan,
    Complaint,
    Sids,
}

impl Mode {
    pub fn of(opts: &Options) -> Mode {
        if opts.to.is_some() {
            Mode::Complaint
        } else if !opts.sids.is_empty() {
            Mode::Sids
        } else {
            Mode::Scan
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Mode::Scan => "scan",
            Mode::Complaint => "complaint",
            Mode::Sids => "sids",
        }
    }
}

/// Normalise a number as given on the command line for comparison.
pub(crate) fn norm_number(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '(' && *c != ')')
        .collect()
}

fn in_range(t: i64, opts: &Options) -> bool {
    opts.since.is_none_or(|s| s <= t) && opts.until.is_none_or(|u| t <= u)
}

/// Chain `items` (time, index), sorted, into clusters by `window`.
fn chain(items: &[(i64, usize)], window: i64) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut last: Option<i64> = None;
    for &(t, i) in items {
        match (last, out.last_mut()) {
            (Some(l), Some(cur)) if t.saturating_sub(l) <= window => cur.push(i),
            _ => out.push(vec![i]),
        }
        last = Some(t);
    }
    out
}

/// A request's start on Twilio's clock.
pub(crate) fn req_time(j: &Joined, q: &Req) -> i64 {
    q.start + j.offset(&q.clock)
}

/// Is the request one that (may have) sent a message, for logs-only mode?
pub(crate) fn maybe_sent(q: &Req) -> bool {
    q.succeeded() || (!q.rejected() && !matches!(q.status, Some(s) if (500..600).contains(&s)))
}

pub(crate) fn find(p: &Prepared, j: &Joined, opts: &Options) -> Vec<Seed> {
    let mode = Mode::of(opts);
    let want_to = opts.to.as_deref().map(norm_number);
    let mut seeds = if p.inputs.twilio_given {
        record_seeds(p, opts, mode, want_to.as_deref())
    } else {
        Vec::new()
    };
    if !p.inputs.twilio_given || (mode == Mode::Complaint && seeds.is_empty()) {
        seeds = request_seeds(p, j, opts, mode, want_to.as_deref());
    }
    attach(p, j, opts, &mut seeds);
    seeds.sort_by_cached_key(|s| (seed_start(p, j, s), s.recipient.clone()));
    seeds
}

fn seed_start(p: &Prepared, j: &Joined, s: &Seed) -> i64 {
    let a = s
        .records
        .iter()
        .filter_map(|&i| p.records.get(i).and_then(|r| record_time(r)));
    let b = s
        .reqs
        .iter()
        .filter_map(|&i| p.reqs.get(i).map(|q| req_time(j, q)));
    a.chain(b).min().unwrap_or(i64::MAX)
}

fn record_seeds(p: &Prepared, opts: &Options, mode: Mode, want_to: Option<&str>) -> Vec<Seed> {
    let wanted: BTreeSet<&str> = opts.sids.iter().map(String::as_str).collect();
    // Number the recipients densely (one hash lookup per record), then work
    // on (recipient number, record index) pairs: a million records need no
    // per-recipient allocation, and only recipients that can hold an
    // incident are sorted by their text.
    let mut number: crate::FastMap<&str, u32> = crate::FastMap::default();
    let mut names: Vec<&str> = Vec::new();
    let mut items: Vec<(u32, usize)> = Vec::with_capacity(p.records.len());
    for (i, r) in p.records.iter().enumerate() {
        let Some(t) = record_time(r) else { continue };
        if !in_range(t, opts) {
            continue;
        }
        if let Some(w) = want_to {
            if norm_number(&r.to) != w {
                continue;
            }
        }
        let next = names.len() as u32;
        let n = *number.entry(&*r.to).or_insert_with(|| {
            names.push(&r.to);
            next
        });
        items.push((n, i));
    }
    drop(number);
    // Which recipients to look at: in a scan, those with two records or
    // more (a lone record is never an incident); for --sid, those holding
    // a wanted SID; for --to, all that are left.
    let mut keep = vec![0u32; names.len()];
    for &(n, i) in &items {
        let Some(k) = keep.get_mut(n as usize) else {
            continue;
        };
        match mode {
            Mode::Scan | Mode::Complaint => *k += 1,
            Mode::Sids => {
                if p.records.get(i).is_some_and(|r| wanted.contains(&*r.sid)) {
                    *k = 2;
                }
            }
        }
    }
    let least = if mode == Mode::Complaint { 1 } else { 2 };
    items.retain(|&(n, _)| keep.get(n as usize).is_some_and(|&k| k >= least));
    // Recipient text order, then record (time) order within each.
    items.sort_unstable_by(|a, b| {
        let na = names.get(a.0 as usize).copied().unwrap_or_default();
        let nb = names.get(b.0 as usize).copied().unwrap_or_default();
        na.cmp(nb).then(a.1.cmp(&b.1))
    });
    let mut seeds = Vec::new();
    for group in items.chunk_by(|a, b| a.0 == b.0) {
        let Some(to) = group.first().and_then(|g| names.get(g.0 as usize)).copied() else {
            continue;
        };
        let idx: Vec<usize> = group.iter().map(|&(_, i)| i).collect();
        let mut groups: BTreeMap<Option<&str>, Vec<(i64, usize)>> = BTreeMap::new();
        let bodied: Vec<(i64, &str)> = idx
            .iter()
            .filter_map(|&i| {
                let r = p.records.get(i)?;
                Some((record_time(r)?, r.body.as_deref()?))
            })
            .collect();
        for &i in &idx {
            let Some(r) = p.records.get(i) else { continue };
            let Some(t) = record_time(r) else { continue };
            let key = match r.body.as_deref() {
                Some(b) => Some(b),
                None => bodied
                    .iter()
                    .min_by_key(|(bt, b)| ((bt - t).abs(), *b))
                    .map(|(_, b)| *b),
            };
            groups.entry(key).or_default().push((t, i));
        }
        for (_, mut items) in groups {
            items.sort();
            for cluster in chain(&items, opts.window) {
                let keep = match mode {
                    Mode::Scan => cluster.len() >= 2,
                    Mode::Complaint => {
                        wanted.is_empty()
                            || cluster.iter().any(|&i| {
                                p.records.get(i).is_some_and(|r| wanted.contains(&*r.sid))
                            })
                    }
                    Mode::Sids => cluster
                        .iter()
                        .any(|&i| p.records.get(i).is_some_and(|r| wanted.contains(&*r.sid))),
                };
                if keep {
                    seeds.push(Seed {
                        recipient: to.to_string(),
                        records: cluster,
                        reqs: Vec::new(),
                    });
                }
            }
        }
    }
    seeds
}

fn request_seeds(
    p: &Prepared,
    j: &Joined,
    opts: &Options,
    mode: Mode,
    want_to: Option<&str>,
) -> Vec<Seed> {
    type Key<'k> = (&'k str, Option<&'k str>);
    let mut groups: BTreeMap<Key, Vec<(i64, usize)>> = BTreeMap::new();
    for (i, q) in p.reqs.iter().enumerate() {
        let Some(to) = q.recipient.as_deref() else {
            continue;
        };
        let t = req_time(j, q);
        if !maybe_sent(q) || !in_range(t, opts) {
            continue;
        }
        if p.inputs.twilio_given && j.of_req.get(i).is_some_and(|m| m.is_some()) {
            continue;
        }
        if let Some(w) = want_to {
            if norm_number(to) != w {
                continue;
            }
        } else if mode == Mode::Sids {
            continue;
        }
        groups
            .entry((to, q.body.as_deref()))
            .or_default()
            .push((t, i));
    }
    let min = if mode == Mode::Scan { 2 } else { 1 };
    let mut seeds = Vec::new();
    for ((to, _), mut items) in groups {
        items.sort();
        for cluster in chain(&items, opts.window) {
            if cluster.len() >= min {
                seeds.push(Seed {
                    recipient: to.to_string(),
                    records: Vec::new(),
                    reqs: cluster,
                });
            }
        }
    }
    seeds
}

fn attach(p: &Prepared, j: &Joined, opts: &Options, seeds: &mut [Seed]) {
    let mut used: BTreeSet<usize> = seeds.iter().flat_map(|s| s.reqs.iter().copied()).collect();
    // Requests joined with the incident's records.
    for s in seeds.iter_mut() {
        for &ri in &s.records {
            if let Some(Some(qi)) = j.of_rec.get(ri) {
                if used.insert(*qi) {
                    s.reqs.push(*qi);
                }
            }
        }
    }
    let margin = opts.window / 6;
    // Requests joined with no record, per recipient.
    let mut by_to: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (qi, q) in p.reqs.iter().enumerate() {
        if j.of_req.get(qi).is_some_and(|m| m.is_some()) {
            continue;
        }
        if let Some(to) = q.recipient.as_deref() {
            by_to.entry(norm_number(to)).or_default().push(qi);
        }
    }
    for s in seeds.iter_mut() {
        let times: Vec<i64> = s
            .records
            .iter()
            .filter_map(|&i| p.records.get(i).and_then(|r| record_time(r)))
            .chain(
                s.reqs
                    .iter()
                    .filter_map(|&i| p.reqs.get(i).map(|q| req_time(j, q))),
            )
            .collect();
        let (Some(lo), Some(hi)) = (times.iter().min().copied(), times.iter().max().copied())
        else {
            continue;
        };
        let body: Option<String> = s
            .records
            .iter()
            .filter_map(|&i| {
                p.records
                    .get(i)
                    .and_then(|r| r.body.as_deref().map(str::to_string))
            })
            .chain(
                s.reqs
                    .iter()
                    .filter_map(|&i| p.reqs.get(i).and_then(|q| q.body.clone())),
            )
            .next();
        let to = norm_number(&s.recipient);
        for &qi in by_to.get(&to).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(q) = p.reqs.get(qi) else { continue };
            if used.contains(&qi) || !bodies_compatible(q.body.as_deref(), body.as_deref()) {
                continue;
            }
            let t = req_time(j, q);
            if t >= lo.saturating_sub(margin) && t <= hi.saturating_add(margin) {
                used.insert(qi);
                s.reqs.push(qi);
            }
        }
        s.reqs
            .sort_by_key(|&i| p.reqs.get(i).map(|q| (q.start, q.evidence.clone())));
    }
}
