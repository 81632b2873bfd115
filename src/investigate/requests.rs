//! Requests: observations of one POST merged, helper-library re-sends marked.
//!
//! The app's record of a call and the egress proxy's access-log line of the
//! same POST are one request. They are merged when they carry the same SID
//! (or Twilio request id), or when nothing contradicts it (recipient, body,
//! status) and their times agree within [`MERGE_TOLERANCE`] after allowing
//! for which moment each line marks (start or end) and the duration. Pairs
//! are merged closest first, one to one: two observations from the same
//! observer kind and the same source are never one request.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    Attempt, CodePath, ContextRecord, Evidence, Failure, Ids, Observer, SourceCoverage, TimeAnchor,
    TwilioRecord,
};

use super::Inputs;

const SEC: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;

/// Two observations further apart than this (beyond their precision and
/// duration) are not one POST. Proxy and app usually share a clock within a
/// second; two seconds also absorbs a slow log write.
pub(crate) const MERGE_TOLERANCE: i64 = 2 * SEC;

/// Two observations that share a request or trace id are one POST at a
/// larger distance than [`MERGE_TOLERANCE`]: the id says so, and only a
/// clock we could not correct keeps them apart.
pub(crate) const SHARED_ID_TOLERANCE: i64 = 30 * SEC;

/// Offsets below this are latency, not clock skew, and are not applied
/// before merging.
const MIN_SKEW: i64 = SEC;

/// How soon after a 5xx a helper library's own re-send follows (twilio-java
/// waits 100 ms), with room for the request's own duration and logging.
pub(crate) const RESEND_GAP: i64 = 1500 * MS;

/// One outbound POST.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    /// Indices into `Prepared::attempts`.
    pub obs: Vec<usize>,
    /// Estimated start and end on the logging host's clock.
    pub start: i64,
    pub end: i64,
    /// Timestamp precision slack of the observation timed by.
    pub slack: i64,
    pub precision: crate::model::Precision,
    /// Whose clock `start` is on.
    pub clock: String,
    pub recipient: Option<String>,
    pub body: Option<String>,
    pub sid: Option<String>,
    pub status: Option<u16>,
    pub failure: Option<Failure>,
    pub duration_ms: Option<f64>,
    pub host: Option<String>,
    pub client_addr: Option<String>,
    pub code_path: CodePath,
    pub ids: Ids,
    pub user_agent: Option<String>,
    pub library: Option<String>,
    pub observers: Vec<Observer>,
    pub evidence: Vec<Evidence>,
    /// This request is a helper library's re-send of that earlier request.
    pub resend_of: Option<usize>,
}

impl Req {
    /// 4xx other than 499: Twilio refused it and created nothing.
    pub fn rejected(&self) -> bool {
        matches!(self.status, Some(s) if (400..500).contains(&s) && s != 499)
    }

    /// 2xx.
    pub fn succeeded(&self) -> bool {
        matches!(self.status, Some(s) if (200..300).contains(&s))
    }

    /// A failure the caller could not interpret: Twilio may or may not have
    /// created the message (timeout, 499, 000, connection reset, 5xx).
    pub fn ambiguous_failure(&self) -> bool {
        if self.succeeded() {
            return false;
        }
        matches!(
            self.failure,
            Some(Failure::Timeout(_)) | Some(Failure::Connection(_))
        ) || matches!(self.status, Some(s) if s == 0 || s == 499 || (500..600).contains(&s))
    }

    /// Only an egress proxy saw it.
    pub fn proxy_only(&self) -> bool {
        !self.observers.contains(&Observer::App)
    }

    /// The app-log code path in words, when known.
    pub fn app_code_path(&self) -> Option<String> {
        self.code_path.display()
    }

    /// The failure in words.
    pub fn failure_words(&self) -> String {
        let dur = self
            .duration_ms
            .map(|d| format!(" after {}", crate::time::human_duration((d * 1e6) as i64)))
            .unwrap_or_default();
        match (&self.failure, self.status) {
            (Some(Failure::Timeout(d)), _) => format!("timed out{dur} ({d})"),
            (Some(Failure::Connection(d)), _) => format!("lost its connection{dur} ({d})"),
            (_, Some(499)) => format!("was abandoned by the client{dur} (status 499)"),
            (_, Some(0)) => format!("got no response{dur} (status 000)"),
            (_, Some(s)) if (500..600).contains(&s) => format!("got HTTP {s}{dur}"),
            (Some(Failure::Error(d)), _) => format!("failed{dur} ({d})"),
            (None, Some(s)) => format!("got HTTP {s}{dur}"),
            (None, None) => "has no logged outcome".to_string(),
        }
    }
}

/// The inputs, sorted, with the requests built.
pub(crate) struct Prepared<'a> {
    pub inputs: &'a Inputs,
    pub attempts: Vec<&'a Attempt>,
    pub context: Vec<&'a ContextRecord>,
    /// Outbound records with a time, sorted by (time, sid).
    pub records: Vec<&'a TwilioRecord>,
    /// Outbound records without any time (cannot be placed).
    pub timeless: Vec<&'a TwilioRecord>,
    /// Records dropped because an earlier one had the same SID.
    pub repeated_sids: usize,
    pub coverage: Vec<&'a SourceCoverage>,
    /// Requests sorted by (start, evidence).
    pub reqs: Vec<Req>,
    /// Clock corrections (Twilio minus host, nanoseconds) learned from the
    /// observations that carry a SID, applied before merging so that an app
    /// whose clock is seconds off still pairs with the proxy's line of the
    /// same POST. Only offsets of a second or more are kept.
    pub pre_offsets: BTreeMap<String, i64>,
}

/// Is a record outbound (direction `outbound…` or unknown)?
pub(crate) fn is_outbound(r: &TwilioRecord) -> bool {
    r.direction.as_deref().is_none_or(|d| {
        let d = d.trim();
        d.is_empty()
            || d.get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("outbound"))
    })
}

/// How long before `date_sent` a record may have been created (queueing).
pub(crate) const DATE_SENT_LAG: i64 = 60 * SEC;

/// The interval in which Twilio created the record, on Twilio's clock:
/// `date_created` is truncated to whole seconds; `date_sent` comes after
/// creation (usually within seconds, after queueing up to a minute).
pub(crate) fn record_interval(r: &TwilioRecord) -> Option<(i64, i64)> {
    match r.best_time()? {
        (s, true) => Some((
            s.nanos,
            s.nanos.saturating_add(s.precision.nanos().max(1) - 1),
        )),
        (s, false) => Some((
            s.nanos.saturating_sub(DATE_SENT_LAG),
            s.nanos.saturating_add(s.precision.nanos().max(1) - 1),
        )),
    }
}

/// A sortable time for a record.
pub(crate) fn record_time(r: &TwilioRecord) -> Option<i64> {
    r.best_time().map(|(s, _)| s.nanos)
}

/// The order of attempts: by reference, no copies (the input is usually
/// sorted already, so this is about one comparison per attempt).
fn attempt_order(a: &Attempt, b: &Attempt) -> std::cmp::Ordering {
    (a.time.nanos, &a.evidence, &a.source, a.observer, &a.url).cmp(&(
        b.time.nanos,
        &b.evidence,
        &b.source,
        b.observer,
        &b.url,
    ))
}

fn duration_nanos(a: &Attempt) -> i64 {
    match a.duration_ms {
        Some(d) if (0.0..86_400_000.0).contains(&d) => (d * 1e6) as i64,
        _ => 0,
    }
}

/// Estimated (start, end) of an attempt on its logger's clock.
fn interval(a: &Attempt) -> (i64, i64) {
    let t = a.time.nanos;
    let d = duration_nanos(a);
    match a.time_anchor {
        TimeAnchor::RequestEnd => (t.saturating_sub(d), t),
        TimeAnchor::RequestStart | TimeAnchor::LogRecord => (t, t.saturating_add(d)),
    }
}

fn slack(a: &Attempt) -> i64 {
    a.time.precision.nanos()
}

fn same<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    }
}

/// Two bodies can be the same message: equal after trimming, or one holds
/// the other (a trial account's "Sent from your Twilio trial account - "
/// prefix, a logger that cut the body short). Unknown bodies are compatible.
pub(crate) fn bodies_compatible(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => {
            let (x, y) = (x.trim(), y.trim());
            x == y || (!x.is_empty() && !y.is_empty() && (x.contains(y) || y.contains(x)))
        }
        _ => true,
    }
}

/// Distance between two intervals widened by their slack (0 when they meet).
pub(crate) fn interval_gap(a: (i64, i64), b: (i64, i64)) -> i64 {
    if a.1 < b.0 {
        b.0 - a.1
    } else if b.1 < a.0 {
        a.0 - b.1
    } else {
        0
    }
}

/// Cost of treating two observations as one POST; `None` when they cannot be.
/// `off_a`/`off_b` correct each observation's clock (see
/// [`Prepared::pre_offsets`]).
fn merge_cost(a: &Attempt, b: &Attempt, off_a: i64, off_b: i64) -> Option<(u8, u8, i64)> {
    if same(&a.sid, &b.sid) == Some(false) {
        return None;
    }
    let rq = same(&a.ids.twilio_request_id, &b.ids.twilio_request_id);
    if rq == Some(false) {
        return None;
    }
    let shift = |(s, e): (i64, i64), o: i64| (s.saturating_add(o), e.saturating_add(o));
    let (ia, ib) = (shift(interval(a), off_a), shift(interval(b), off_b));
    let gap = interval_gap(
        (ia.0 - slack(a), ia.1 + slack(a)),
        (ib.0 - slack(b), ib.1 + slack(b)),
    );
    if same(&a.sid, &b.sid) == Some(true) || rq == Some(true) {
        return Some((0, 0, gap));
    }
    if same(&a.recipient, &b.recipient) == Some(false)
        || !bodies_compatible(a.body.as_deref(), b.body.as_deref())
        || same(&a.status, &b.status) == Some(false)
        || same(&a.account_sid, &b.account_sid) == Some(false)
    {
        return None;
    }
    let shared = same(&a.ids.request_id, &b.ids.request_id) == Some(true)
        || same(&a.ids.trace_id, &b.ids.trace_id) == Some(true);
    if gap
        > if shared {
            SHARED_ID_TOLERANCE
        } else {
            MERGE_TOLERANCE
        }
    {
        return None;
    }
    Some((1, u8::from(!shared), gap))
}

struct Clusters {
    parent: Vec<usize>,
}

impl Clusters {
    fn find(&mut self, mut i: usize) -> usize {
        while let Some(&p) = self.parent.get(i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    }
}

impl<'a> Prepared<'a> {
    pub fn new(inputs: &'a Inputs) -> Prepared<'a> {
        let mut attempts: Vec<&Attempt> = inputs.attempts.iter().collect();
        attempts.sort_by(|a, b| attempt_order(a, b));
        let mut context: Vec<&ContextRecord> = inputs.context.iter().collect();
        context.sort_by(|a, b| {
            (a.time.nanos, &a.evidence, &a.summary).cmp(&(b.time.nanos, &b.evidence, &b.summary))
        });
        let mut records = Vec::new();
        let mut timeless = Vec::new();
        for r in inputs.twilio.iter().filter(|r| is_outbound(r)) {
            if record_time(r).is_some() {
                records.push(r);
            } else {
                timeless.push(r);
            }
        }
        records.sort_by(|a, b| {
            (record_time(a), &a.sid, &a.evidence).cmp(&(record_time(b), &b.sid, &b.evidence))
        });
        // One record per SID (the readers merge them; be safe anyway).
        let before = records.len() + timeless.len();
        let mut seen: crate::FastSet<&str> = crate::FastSet::default();
        seen.reserve(records.len() + timeless.len());
        records.retain(|r| seen.insert(&*r.sid));
        timeless.retain(|r| seen.insert(&*r.sid));
        let repeated_sids = before - records.len() - timeless.len();
        timeless.sort_by(|a, b| a.sid.cmp(&b.sid));
        let mut coverage: Vec<&SourceCoverage> = inputs.coverage.iter().collect();
        coverage.sort_by(|a, b| (&a.source, &a.host).cmp(&(&b.source, &b.host)));
        let mut p = Prepared {
            inputs,
            attempts,
            context,
            records,
            timeless,
            repeated_sids,
            coverage,
            reqs: Vec::new(),
            pre_offsets: BTreeMap::new(),
        };
        p.pre_offsets = p.learn_pre_offsets();
        p.reqs = p.build_requests();
        mark_resends(&mut p.reqs);
        p
    }

    fn clock_of(&self, a: &Attempt) -> String {
        match a.observer {
            Observer::App => a.host.as_deref().unwrap_or(&a.source).to_string(),
            Observer::EgressProxy => self
                .coverage
                .iter()
                .find(|c| *c.source == *a.source)
                .and_then(|c| c.host.clone())
                .unwrap_or_else(|| a.source.to_string()),
        }
    }

    fn learn_pre_offsets(&self) -> BTreeMap<String, i64> {
        // Only the records a request names by SID count here.
        let named: crate::FastSet<&str> = self
            .attempts
            .iter()
            .filter_map(|a| a.sid.as_deref())
            .collect();
        let created: crate::FastMap<&str, i64> = self
            .records
            .iter()
            .filter(|r| named.contains(&*r.sid))
            .filter_map(|r| match r.best_time()? {
                (s, true) => Some((&*r.sid, s.nanos + s.precision.nanos() / 2)),
                _ => None,
            })
            .collect();
        let mut diffs: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for a in &self.attempts {
            let Some(c) = a.sid.as_deref().and_then(|s| created.get(s)) else {
                continue;
            };
            let (s, e) = interval(a);
            let mid = s / 2 + e / 2;
            diffs.entry(self.clock_of(a)).or_default().push(c - mid);
        }
        diffs
            .into_iter()
            .filter_map(|(clock, mut v)| {
                v.sort_unstable();
                let m = *v.get(v.len() / 2)?;
                (m.abs() >= MIN_SKEW).then_some((clock, m))
            })
            .collect()
    }

    fn pre_offset(&self, a: &Attempt) -> i64 {
        self.pre_offsets
            .get(&self.clock_of(a))
            .copied()
            .unwrap_or(0)
    }

    fn cost(&self, a: &Attempt, b: &Attempt) -> Option<(u8, u8, i64)> {
        merge_cost(a, b, self.pre_offset(a), self.pre_offset(b))
    }

    /// Candidate pairs of observations that may be one POST: those whose
    /// widened intervals come within the tolerance (a sweep over the
    /// intervals sorted by start, so not every pair is compared), plus those
    /// sharing a SID or a Twilio request id at any distance.
    fn candidate_pairs(&self) -> BTreeSet<(usize, usize)> {
        let widened: Vec<(i64, i64)> = self
            .attempts
            .iter()
            .map(|a| {
                let (s, e) = interval(a);
                let o = self.pre_offset(a);
                (
                    s.saturating_add(o).saturating_sub(slack(a)),
                    e.saturating_add(o).saturating_add(slack(a)),
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..widened.len()).collect();
        order.sort_by_key(|&i| (widened.get(i).map_or(0, |w| w.0), i));
        let mut out = BTreeSet::new();
        for (k, &i) in order.iter().enumerate() {
            let Some(&(_, hi)) = widened.get(i) else {
                continue;
            };
            for &j in order.iter().skip(k + 1) {
                let Some(&(lo_j, _)) = widened.get(j) else {
                    continue;
                };
                if lo_j > hi.saturating_add(MERGE_TOLERANCE) {
                    break;
                }
                out.insert((i.min(j), i.max(j)));
            }
        }
        let mut by_id: BTreeMap<(u8, &str), Vec<usize>> = BTreeMap::new();
        for (i, a) in self.attempts.iter().enumerate() {
            if let Some(s) = a.sid.as_deref() {
                by_id.entry((0, s)).or_default().push(i);
            }
            if let Some(s) = a.ids.twilio_request_id.as_deref() {
                by_id.entry((1, s)).or_default().push(i);
            }
            if let Some(s) = a.ids.request_id.as_deref() {
                by_id.entry((2, s)).or_default().push(i);
            }
            if let Some(s) = a.ids.trace_id.as_deref() {
                by_id.entry((3, s)).or_default().push(i);
            }
        }
        for group in by_id.values() {
            for (k, &i) in group.iter().enumerate() {
                for &j in group.iter().skip(k + 1) {
                    out.insert((i.min(j), i.max(j)));
                }
            }
        }
        out
    }

    fn build_requests(&self) -> Vec<Req> {
        let n = self.attempts.len();
        let mut pairs = Vec::new();
        for (i, j) in self.candidate_pairs() {
            let (Some(a), Some(b)) = (self.attempts.get(i), self.attempts.get(j)) else {
                continue;
            };
            if a.observer == b.observer && a.source == b.source {
                continue;
            }
            if let Some(c) = self.cost(a, b) {
                pairs.push((c, i, j));
            }
        }
        pairs.sort();
        let mut cl = Clusters {
            parent: (0..n).collect(),
        };
        let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        for (_, i, j) in pairs {
            let (ri, rj) = (cl.find(i), cl.find(j));
            if ri == rj {
                continue;
            }
            let (mi, mj) = (
                members.get(ri).cloned().unwrap_or_default(),
                members.get(rj).cloned().unwrap_or_default(),
            );
            let ok = mi.iter().all(|&x| {
                mj.iter()
                    .all(|&y| match (self.attempts.get(x), self.attempts.get(y)) {
                        (Some(a), Some(b)) => {
                            !(a.observer == b.observer && a.source == b.source)
                                && self.cost(a, b).is_some()
                        }
                        _ => false,
                    })
            });
            if !ok {
                continue;
            }
            let (keep, gone) = (ri.min(rj), ri.max(rj));
            if let Some(p) = cl.parent.get_mut(gone) {
                *p = keep;
            }
            let moved = std::mem::take(members.get_mut(gone).unwrap_or(&mut Vec::new()));
            if let Some(m) = members.get_mut(keep) {
                m.extend(moved);
                m.sort_unstable();
            }
        }
        let mut reqs: Vec<Req> = members
            .into_iter()
            .filter(|m| !m.is_empty())
            .filter_map(|m| self.make_req(m))
            .collect();
        reqs.sort_by(|a, b| (a.start, &a.evidence).cmp(&(b.start, &b.evidence)));
        reqs
    }

    fn make_req(&self, obs: Vec<usize>) -> Option<Req> {
        let mut parts: Vec<&Attempt> = obs
            .iter()
            .filter_map(|&i| self.attempts.get(i).copied())
            .collect();
        // App first (it knows the code path), then by evidence.
        parts.sort_by(|a, b| {
            (b.observer == Observer::App, &a.evidence)
                .cmp(&(a.observer == Observer::App, &b.evidence))
        });
        let first = *parts.first()?;
        // Time from an observation whose clock needed no correction, then
        // the finest; on ties an access-log line (which marks the start or
        // end of the POST itself) over an app record (written somewhere
        // around the call).
        let timer = parts
            .iter()
            .min_by_key(|a| {
                (
                    self.pre_offset(a) != 0,
                    a.time.precision.nanos(),
                    a.time_anchor == TimeAnchor::LogRecord,
                    a.evidence.clone(),
                )
            })
            .copied()
            .unwrap_or(first);
        let (start, end) = interval(timer);
        fn pick<'b, T: Clone + 'b>(
            parts: &[&'b Attempt],
            f: impl Fn(&'b Attempt) -> &'b Option<T>,
        ) -> Option<T> {
            parts.iter().find_map(|a| f(a).clone())
        }
        let mut ids = Ids::default();
        for a in &parts {
            ids.fill_from(&a.ids);
        }
        let code_path = parts
            .iter()
            .find(|a| !a.code_path.is_empty())
            .map(|a| a.code_path.clone())
            .unwrap_or_default();
        let observers: BTreeSet<Observer> = parts.iter().map(|a| a.observer).collect();
        let evidence: BTreeSet<Evidence> = parts
            .iter()
            .flat_map(|a| a.evidence.iter().cloned())
            .collect();
        let status = parts
            .iter()
            .find(|a| a.observer == Observer::App && a.status.is_some())
            .and_then(|a| a.status)
            .or_else(|| pick(&parts, |a| &a.status));
        let host = parts
            .iter()
            .find(|a| a.observer == Observer::App)
            .and_then(|a| a.host.clone())
            .or_else(|| pick(&parts, |a| &a.client_addr))
            .or_else(|| pick(&parts, |a| &a.host))
            .map(|s| s.to_string());
        Some(Req {
            obs,
            start,
            end,
            slack: timer.time.precision.nanos(),
            precision: timer.time.precision,
            clock: self.clock_of(timer),
            recipient: pick(&parts, |a| &a.recipient),
            body: pick(&parts, |a| &a.body).map(|s| s.to_string()),
            sid: pick(&parts, |a| &a.sid),
            status,
            failure: pick(&parts, |a| &a.failure),
            duration_ms: parts
                .iter()
                .find_map(|a| a.duration_ms.filter(|d| d.is_finite())),
            host,
            client_addr: pick(&parts, |a| &a.client_addr).map(|s| s.to_string()),
            code_path,
            ids,
            user_agent: pick(&parts, |a| &a.user_agent).map(|s| s.to_string()),
            library: pick(&parts, |a| &a.library).map(|s| s.to_string()),
            observers: observers.into_iter().collect(),
            evidence: evidence.into_iter().collect(),
            resend_of: None,
        })
    }
}

fn is_java(r: &Req) -> bool {
    let has = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|v| v.to_ascii_lowercase().contains("twilio-java"))
    };
    has(&r.library) || has(&r.user_agent)
}

/// Mark twilio-java's own re-sends: a POST that got a 5xx is re-sent by the
/// library ~100 ms later inside the same call, so the app logs one call
/// while the proxy sees two POSTs. The later request is marked as a re-send
/// of the earlier; the earlier inherits recipient and body (same call).
fn mark_resends(reqs: &mut [Req]) {
    let n = reqs.len();
    for j in 0..n {
        let Some(later) = reqs.get(j).cloned() else {
            continue;
        };
        if !is_java(&later) {
            continue;
        }
        let found = (0..j).rev().find(|&i| {
            reqs.get(i).is_some_and(|e| {
                is_java(e)
                    && matches!(e.status, Some(s) if (500..600).contains(&s))
                    && ((e.host.is_some() && e.host == later.host)
                        || (e.client_addr.is_some() && e.client_addr == later.client_addr))
                    && same(&e.recipient, &later.recipient) != Some(false)
                    && bodies_compatible(e.body.as_deref(), later.body.as_deref())
                    && later.start >= e.start
                    && later.start - e.end <= RESEND_GAP + e.slack.max(later.slack)
            })
        });
        if let Some(i) = found {
            if let Some(r) = reqs.get_mut(j) {
                r.resend_of = Some(i);
            }
            if let Some(e) = reqs.get_mut(i) {
                if e.recipient.is_none() {
                    e.recipient.clone_from(&later.recipient);
                }
                if e.body.is_none() {
                    e.body.clone_from(&later.body);
                }
                // Same call, same code path and context.
                if e.code_path.is_empty() {
                    e.code_path.clone_from(&later.code_path);
                }
                e.ids.fill_from(&later.ids);
            }
        }
    }
}

/// The nearest inbound request that shares a request or trace id with `r`.
pub(crate) fn inbound_for<'a>(ctx: &[&'a ContextRecord], r: &Req) -> Option<&'a ContextRecord> {
    ctx.iter()
        .filter(|c| c.kind == crate::model::ContextKind::InboundRequest)
        .filter(|c| {
            same(&c.ids.request_id, &r.ids.request_id) == Some(true)
                || same(&c.ids.trace_id, &r.ids.trace_id) == Some(true)
        })
        .min_by_key(|c| ((c.time.nanos - r.start).abs(), c.evidence.clone()))
        .copied()
}
