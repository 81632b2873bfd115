//! Joining requests with Twilio records.
//!
//! By SID first. Then each host's clock offset is learned from the
//! SID-confirmed pairs (median of `date_created` + 0.5 s − request start:
//! `date_created` is truncated to whole seconds), and the remaining requests
//! are joined by recipient (and body, when both are known) and time, one
//! request to one record: candidate pairs are sorted by their distance and
//! taken greedily. A request Twilio refused (4xx other than 499) is never
//! joined by time: it created nothing.

use std::collections::BTreeMap;

use super::incidents::norm_number;
use super::report::{Confidence, MatchBy};
use super::requests::{
    bodies_compatible, interval_gap, record_interval, record_time, Prepared, DATE_SENT_LAG,
};

const SEC: i64 = 1_000_000_000;

/// Farthest a request may be from a record (after the clock offset) to be
/// joined by recipient and time.
pub(crate) const JOIN_TOLERANCE: i64 = 10 * SEC;
/// The same for a request whose recipient is unknown (egress proxy only):
/// time alone is weak, so it must be close.
pub(crate) const JOIN_TOLERANCE_NO_RECIPIENT: i64 = 2 * SEC;

/// One join.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub record: usize,
    pub by: MatchBy,
    pub confidence: Confidence,
    /// Record time minus request start, raw clocks, in ms.
    pub offset_ms: Option<i64>,
    /// Clock offset applied, in ms.
    pub clock_offset_ms: i64,
}

/// A learned clock offset.
#[derive(Debug, Clone)]
pub(crate) struct Offset {
    pub nanos: i64,
    pub pairs: usize,
}

/// The joins.
#[derive(Debug, Clone, Default)]
pub(crate) struct Joined {
    /// Per request (index into `Prepared::reqs`).
    pub of_req: Vec<Option<Match>>,
    /// Per record (index into `Prepared::records`): the request.
    pub of_rec: Vec<Option<usize>>,
    /// Clock offsets per clock key.
    pub offsets: BTreeMap<String, Offset>,
}

impl Joined {
    pub fn offset(&self, clock: &str) -> i64 {
        self.offsets.get(clock).map_or(0, |o| o.nanos)
    }
}

fn median(v: &mut [i64]) -> Option<i64> {
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let lo = *v.get((n - 1) / 2)?;
    let hi = *v.get(n / 2)?;
    Some(lo + (hi - lo) / 2)
}

pub(crate) fn join(p: &Prepared) -> Joined {
    let mut j = Joined {
        of_req: vec![None; p.reqs.len()],
        of_rec: vec![None; p.records.len()],
        offsets: BTreeMap::new(),
    };
    // Only looked up: a hash map, not a million-key sort.
    let by_sid: crate::FastMap<&str, usize> = p
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| (&*r.sid, i))
        .collect();
    // 1. By SID.
    let mut samples: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (qi, q) in p.reqs.iter().enumerate() {
        let Some(sid) = q.sid.as_deref() else {
            continue;
        };
        let Some(&ri) = by_sid.get(sid) else { continue };
        if j.of_rec.get(ri).is_some_and(|m| m.is_some()) {
            continue;
        }
        let rec = p.records.get(ri);
        let created = rec.and_then(|r| r.date_created);
        let raw = rec
            .and_then(|r| r.best_time())
            .map(|(s, _)| (s.nanos - q.start) / 1_000_000);
        if let Some(c) = created {
            samples
                .entry(q.clock.clone())
                .or_default()
                .push(c.nanos + c.precision.nanos() / 2 - q.start);
        }
        if let Some(slot) = j.of_rec.get_mut(ri) {
            *slot = Some(qi);
        }
        if let Some(slot) = j.of_req.get_mut(qi) {
            *slot = Some(Match {
                record: ri,
                by: MatchBy::Sid,
                confidence: Confidence::Exact,
                offset_ms: raw,
                clock_offset_ms: 0,
            });
        }
    }
    for (clock, mut v) in samples {
        let pairs = v.len();
        if let Some(m) = median(&mut v) {
            j.offsets.insert(clock, Offset { nanos: m, pairs });
        }
    }
    // 2. By recipient and time.
    let mut cands = Vec::new();
    for (qi, q) in p.reqs.iter().enumerate() {
        if j.of_req.get(qi).is_some_and(|m| m.is_some()) || q.rejected() || q.sid.is_some() {
            continue;
        }
        let off = j.offset(&q.clock);
        let qi_iv = (
            q.start.saturating_add(off).saturating_sub(q.slack),
            q.end.saturating_add(off).saturating_add(q.slack),
        );
        let tol = if q.recipient.is_some() {
            JOIN_TOLERANCE
        } else {
            JOIN_TOLERANCE_NO_RECIPIENT
        };
        // Records are sorted by time: look only where one can be close.
        let lo = qi_iv.0.saturating_sub(tol + SEC);
        let hi = qi_iv.1.saturating_add(tol + DATE_SENT_LAG);
        let first = p
            .records
            .partition_point(|r| record_time(r).is_none_or(|t| t < lo));
        for (ri, r) in p.records.iter().enumerate().skip(first) {
            if record_time(r).is_some_and(|t| t > hi) {
                break;
            }
            if j.of_rec.get(ri).is_some_and(|m| m.is_some()) {
                continue;
            }
            let to_ok = q
                .recipient
                .as_deref()
                .is_none_or(|to| norm_number(to) == norm_number(&r.to));
            if !to_ok || !bodies_compatible(q.body.as_deref(), r.body.as_deref()) {
                continue;
            }
            let Some(riv) = record_interval(r) else {
                continue;
            };
            let gap = interval_gap(qi_iv, riv);
            if gap <= tol {
                cands.push((gap, q.start, r.sid.clone(), qi, ri));
            }
        }
    }
    cands.sort();
    for (gap, _, _, qi, ri) in cands {
        if j.of_req.get(qi).is_some_and(|m| m.is_some())
            || j.of_rec.get(ri).is_some_and(|m| m.is_some())
        {
            continue;
        }
        let Some(q) = p.reqs.get(qi) else { continue };
        let confidence = if q.recipient.is_none() {
            Confidence::Low
        } else if gap <= SEC {
            Confidence::High
        } else if gap <= 3 * SEC {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        let raw = p
            .records
            .get(ri)
            .and_then(|r| r.best_time())
            .map(|(s, _)| (s.nanos - q.start) / 1_000_000);
        if let Some(slot) = j.of_rec.get_mut(ri) {
            *slot = Some(qi);
        }
        if let Some(slot) = j.of_req.get_mut(qi) {
            *slot = Some(Match {
                record: ri,
                by: MatchBy::RecipientTime,
                confidence,
                offset_ms: raw,
                clock_offset_ms: j.offsets.get(&q.clock).map_or(0, |o| o.nanos / 1_000_000),
            });
        }
    }
    j
}
