//! Verdicts, causes and the sentences that explain them.
//!
//! Verdict, with Twilio records (records `n`, records joined with a
//! request `k`):
//! - every record has its request: one record → `single_request`, several →
//!   `multiple_requests`;
//! - some record has none: when every log source that could have sent it
//!   (coverage with `observes_posts`) covers its time without a gap →
//!   `twilio_side`, otherwise `inconclusive`, naming the source and the gap.
//!
//! Without Twilio records the requests that succeeded or whose outcome is
//! unknown are counted instead, and the answer is never a proof.
//!
//! The cause of each extra request (every request that made a record after
//! the first one did) is chosen in this order, most specific evidence first,
//! so that the causes stay distinguishable:
//! 1. `retry`: a helper library's own re-send after a 5xx, or an earlier
//!    request of the incident ended in a failure the caller could not
//!    interpret (timeout, 499, 000, connection reset, 5xx). A failure
//!    explains a second call better than any context does.
//! 2. `duplicate_job`: both share a job id and ran in separate runs
//!    (different hosts, or a record of that job starting again between them).
//! 3. `duplicate_inbound`: each was triggered by its own inbound request to
//!    the same route from the same client, or by a webhook delivered twice
//!    (same idempotency token).
//! 4. `multiple_code_paths`: their code paths or inbound routes differ.
//! 5. `repeated_call`: same code path within one context (same request,
//!    trace or job run) without a failure in between.
//!
//! Otherwise the cause is `null` and the explanation says what is missing.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{ContextKind, ContextRecord, Evidence, Observer, SourceCoverage};

use super::incidents::{maybe_sent, req_time, Mode, Seed};
use super::join::Joined;
use super::redact::Sanitizer;
use super::report::*;
use super::requests::{record_time, Prepared, Req};
use super::Options;

const SEC: i64 = 1_000_000_000;
/// A source covers a moment when it has lines on both sides of it (within
/// this margin) and no gap around it.
const COVER_MARGIN: i64 = 2 * SEC;

fn fmt_time(t: i64, p: crate::model::Precision) -> String {
    crate::time::format_rfc3339(t, p)
}

fn fmt_ms(t: i64) -> String {
    crate::time::format_rfc3339(t, crate::model::Precision::Millis)
}

/// "app.log line 14".
pub(crate) fn ev_words(e: &Evidence) -> String {
    format!("{} line {}", e.file, e.line)
}

fn evs_words(es: &[Evidence]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut by_file: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in es {
        by_file.entry(&*e.file).or_default().push(e.line);
    }
    for (f, lines) in by_file {
        let l: Vec<String> = lines.iter().map(u64::to_string).collect();
        if l.len() == 1 {
            out.push(format!("{f} line {}", l.join("")));
        } else {
            out.push(format!("{f} lines {}", l.join(", ")));
        }
    }
    out.join(", ")
}

fn gap_words(n: i64) -> String {
    if n < 1_000_000 {
        // Within the logs' precision: do not pretend to know it was 0 ms.
        return "moments".to_string();
    }
    crate::time::human_duration(n)
}

fn signed_ms(ms: i64) -> String {
    if ms == 0 {
        return "+0 ms".to_string();
    }
    let s = crate::time::human_duration(ms.saturating_mul(1_000_000));
    if ms >= 0 {
        format!("+{s}")
    } else {
        s
    }
}

/// The code path of a request in words.
fn code_path_words(q: &Req) -> String {
    if let Some(cp) = q.app_code_path() {
        return cp;
    }
    if q.proxy_only() {
        let from = q
            .client_addr
            .clone()
            .or_else(|| q.host.clone())
            .unwrap_or_else(|| "an unknown client".to_string());
        return format!("unknown (seen only by the egress proxy; sent from {from})");
    }
    "unknown (the app log names no function, caller or logger)".to_string()
}

fn code_path_label(q: &Req, inbound: Option<&ContextRecord>) -> String {
    match inbound {
        Some(c) => format!("{} via {}", code_path_words(q), c.summary),
        None => code_path_words(q),
    }
}

struct Local<'a> {
    reqs: Vec<&'a Req>,
    global: Vec<usize>,
    inbound: Vec<Option<&'a ContextRecord>>,
    times: Vec<i64>,
    ends: Vec<i64>,
}

impl Local<'_> {
    fn pos_of(&self, g: usize) -> Option<usize> {
        self.global.iter().position(|&x| x == g)
    }
}

fn shares_context(a: &Req, b: &Req) -> Option<&'static str> {
    let same =
        |x: &Option<String>, y: &Option<String>| matches!((x, y), (Some(p), Some(q)) if p == q);
    if same(&a.ids.request_id, &b.ids.request_id) {
        Some("request")
    } else if same(&a.ids.trace_id, &b.ids.trace_id) {
        Some("trace")
    } else if same(&a.ids.job_id, &b.ids.job_id) {
        Some("job run")
    } else {
        None
    }
}

/// The cause of extra request `x` (local position), given the positions of
/// earlier requests that made records.
fn cause_of(p: &Prepared, l: &Local, x: usize, prev: &[usize]) -> (Option<Cause>, String) {
    let Some(q) = l.reqs.get(x).copied() else {
        return (None, String::new());
    };
    let num = |i: usize| i + 1;
    let tx = l.times.get(x).copied().unwrap_or(0);
    // 1. retry: library re-send.
    if let Some(pi) = q.resend_of.and_then(|g| l.pos_of(g)) {
        if let Some(e) = l.reqs.get(pi) {
            let lib = q
                .library
                .clone()
                .or_else(|| q.user_agent.clone())
                .unwrap_or_default();
            let gap = tx - l.ends.get(pi).copied().unwrap_or(tx);
            return (
                Some(Cause::Retry),
                format!(
                    "request #{} is a library re-send: {lib} re-sent the POST {} after request #{} {} ({}); the library retries a POST on any 5xx inside one call, so the app logged one call while the egress proxy saw two POSTs",
                    num(x),
                    gap_words(gap),
                    num(pi),
                    e.failure_words(),
                    evs_words(&e.evidence)
                ),
            );
        }
    }
    // 1. retry: an earlier failure the caller could not interpret.
    let related = |e: &Req| match (e.app_code_path(), q.app_code_path()) {
        (Some(a), Some(b)) => a == b || shares_context(e, q).is_some(),
        _ => true,
    };
    let failed_before = |i: &usize| {
        l.reqs
            .get(*i)
            .is_some_and(|e| e.ambiguous_failure() && related(e))
    };
    // Prefer a failed request that did make a record: that is the one the
    // retry duplicated.
    let failed = prev
        .iter()
        .rev()
        .copied()
        .find(failed_before)
        .or_else(|| (0..x).rev().find(failed_before));
    if let Some(pi) = failed {
        if let Some(e) = l.reqs.get(pi) {
            let gap = tx - l.ends.get(pi).copied().unwrap_or(tx);
            let from = match (e.app_code_path(), q.app_code_path()) {
                (Some(a), Some(b)) if a == b => format!("from the same code path ({a})"),
                _ => format!("from {}", code_path_words(q)),
            };
            let tail = if p.inputs.twilio_given && prev.contains(&pi) {
                format!(
                    ", while Twilio had in fact created a message for request #{}",
                    num(pi)
                )
            } else {
                String::new()
            };
            return (
                Some(Cause::Retry),
                format!(
                    "request #{} {} ({}); request #{} was sent {} later {from}: a retry after a failure whose outcome the caller could not know{tail}",
                    num(pi),
                    e.failure_words(),
                    evs_words(&e.evidence),
                    num(x),
                    gap_words(gap)
                ),
            );
        }
    }
    // 2. duplicate_job.
    if let Some(job) = q.ids.job_id.as_deref() {
        for &pi in prev.iter().rev() {
            let Some(e) = l.reqs.get(pi) else { continue };
            if e.ids.job_id.as_deref() != Some(job) {
                continue;
            }
            let te = l.times.get(pi).copied().unwrap_or(0);
            let restart = p.context.iter().find(|c| {
                c.kind == ContextKind::AppRecord
                    && c.ids.job_id.as_deref() == Some(job)
                    && c.time.nanos > e.start
                    && c.time.nanos <= q.start
            });
            let reason = if e.host.is_some() && q.host.is_some() && e.host != q.host {
                Some(format!(
                    "on two hosts ({} and {})",
                    e.host.as_deref().unwrap_or(""),
                    q.host.as_deref().unwrap_or("")
                ))
            } else {
                restart.map(|c| {
                    format!(
                        "the job started again ({}: {})",
                        ev_words(&c.evidence),
                        c.summary
                    )
                })
            };
            if let Some(reason) = reason {
                return (
                    Some(Cause::DuplicateJob),
                    format!(
                        "requests #{} and #{} were both made by job {job}, {} apart, in two separate runs ({reason}): the job was processed twice, e.g. a queue redelivered it after its visibility timeout",
                        num(pi),
                        num(x),
                        gap_words(tx - te)
                    ),
                );
            }
        }
    }
    // 3. duplicate_inbound.
    if let Some(ix) = l.inbound.get(x).copied().flatten() {
        for &pi in prev.iter().rev() {
            let Some(ip) = l.inbound.get(pi).copied().flatten() else {
                continue;
            };
            if ip.evidence == ix.evidence || ip.summary != ix.summary {
                continue;
            }
            let token = matches!((&ip.idempotency_token, &ix.idempotency_token), (Some(a), Some(b)) if a == b);
            let client = matches!((&ip.client_addr, &ix.client_addr), (Some(a), Some(b)) if a == b);
            if token {
                return (
                    Some(Cause::DuplicateInbound),
                    format!(
                        "the webhook {} was delivered twice with the same idempotency token ({} and {}, {} apart); requests #{} and #{} each answered one delivery",
                        ix.summary,
                        ev_words(&ip.evidence),
                        ev_words(&ix.evidence),
                        gap_words(ix.time.nanos - ip.time.nanos),
                        num(pi),
                        num(x)
                    ),
                );
            }
            if client {
                return (
                    Some(Cause::DuplicateInbound),
                    format!(
                        "two inbound requests {} from client {} ({} and {}, {} apart) each sent once (requests #{} and #{}): the same request arrived twice (a double click or double submit, a page loaded twice)",
                        ix.summary,
                        ix.client_addr.as_deref().unwrap_or(""),
                        ev_words(&ip.evidence),
                        ev_words(&ix.evidence),
                        gap_words(ix.time.nanos - ip.time.nanos),
                        num(pi),
                        num(x)
                    ),
                );
            }
        }
    }
    // 4. multiple_code_paths.
    if let Some(&pi) = prev.last() {
        if let Some(e) = l.reqs.get(pi) {
            let (ce, cq) = (e.app_code_path(), q.app_code_path());
            let (ie, iq) = (
                l.inbound.get(pi).copied().flatten(),
                l.inbound.get(x).copied().flatten(),
            );
            let paths_differ = matches!((&ce, &cq), (Some(a), Some(b)) if a != b);
            let routes_differ = matches!((ie, iq), (Some(a), Some(b)) if a.summary != b.summary);
            if paths_differ || routes_differ {
                return (
                    Some(Cause::MultipleCodePaths),
                    format!(
                        "request #{} came from {} and request #{} from {}: two code paths each sent the message",
                        num(pi),
                        code_path_label(e, ie),
                        num(x),
                        code_path_label(q, iq)
                    ),
                );
            }
            // 5. repeated_call.
            if let (Some(a), Some(b)) = (&ce, &cq) {
                if a == b {
                    if let Some(ctx) = shares_context(e, q) {
                        return (
                            Some(Cause::RepeatedCall),
                            format!(
                                "requests #{} and #{} were both made by {a} within one {ctx}, {} apart, with no failure in between: the same code path sent twice (a loop, or a list holding the recipient twice)",
                                num(pi),
                                num(x),
                                gap_words(tx - l.times.get(pi).copied().unwrap_or(tx))
                            ),
                        );
                    }
                    return (
                        None,
                        format!(
                            "requests #{} and #{} came from the same code path ({a}) but share no request, trace or job id, and no failure or inbound request explains the second: the logs do not tell why it ran twice",
                            num(pi),
                            num(x)
                        ),
                    );
                }
            }
            let unknown = if q.proxy_only() { x } else { pi };
            return (
                None,
                format!(
                    "the code path of request #{} is unknown ({}), so the logs cannot tell why it was sent again",
                    num(unknown),
                    code_path_words(l.reqs.get(unknown).copied().unwrap_or(q))
                ),
            );
        }
    }
    (None, "no earlier request to compare with".to_string())
}

/// How one source covers the given moments (Twilio clock).
fn coverage_note(c: &SourceCoverage, j: &Joined, times: &[i64]) -> CoverageNote {
    let clock = c.host.clone().unwrap_or_else(|| c.source.clone());
    let off = j.offset(&clock);
    let mut note = CoverageNote {
        source: c.source.clone(),
        host: c.host.clone(),
        covers: true,
        note: String::new(),
        evidence: Vec::new(),
    };
    let (Some(first), Some(last)) = (c.first, c.last) else {
        note.covers = false;
        note.note = format!("{} has no dated lines", c.source);
        return note;
    };
    for &tt in times {
        let t = tt - off;
        if t < first - COVER_MARGIN {
            note.covers = false;
            note.note = format!(
                "{} starts at {}, after {}: it does not cover that time",
                c.source,
                fmt_ms(first),
                fmt_ms(tt)
            );
            return note;
        }
        if t > last + COVER_MARGIN {
            note.covers = false;
            note.note = format!(
                "{} ends at {}, before {}: it does not cover that time",
                c.source,
                fmt_ms(last),
                fmt_ms(tt)
            );
            return note;
        }
        if let Some(g) = c
            .gaps
            .iter()
            .find(|g| g.from < t + COVER_MARGIN && t - COVER_MARGIN < g.to)
        {
            note.covers = false;
            note.note = format!(
                "{} has no lines from {} ({}) to {} ({}), a gap of {} around {}",
                c.source,
                fmt_ms(g.from),
                ev_words(&g.before),
                fmt_ms(g.to),
                ev_words(&g.after),
                gap_words(g.to - g.from),
                fmt_ms(tt)
            );
            note.evidence = vec![g.before.clone(), g.after.clone()];
            return note;
        }
    }
    let lo = times.iter().min().copied().unwrap_or(first);
    let hi = times.iter().max().copied().unwrap_or(last);
    note.note = if lo == hi {
        format!("{} covers {} without a gap", c.source, fmt_ms(lo))
    } else {
        format!(
            "{} covers {} to {} without a gap",
            c.source,
            fmt_ms(lo),
            fmt_ms(hi)
        )
    };
    note
}

fn build_incident(p: &Prepared, j: &Joined, seed: &Seed, number: u32) -> Incident {
    let twilio = p.inputs.twilio_given;
    let reqs: Vec<&Req> = seed.reqs.iter().filter_map(|&i| p.reqs.get(i)).collect();
    let l = Local {
        inbound: reqs
            .iter()
            .map(|q| super::requests::inbound_for(&p.context, q))
            .collect(),
        times: reqs.iter().map(|q| req_time(j, q)).collect(),
        ends: reqs.iter().map(|q| q.end + j.offset(&q.clock)).collect(),
        global: seed.reqs.clone(),
        reqs,
    };
    let local_of = |g: usize| l.pos_of(g);
    let records: Vec<(usize, &crate::model::TwilioRecord)> = seed
        .records
        .iter()
        .filter_map(|&i| p.records.get(i).map(|r| (i, *r)))
        .collect();
    let matched_of = |k: usize| {
        j.of_req
            .get(*l.global.get(k).unwrap_or(&usize::MAX))
            .cloned()
            .flatten()
    };
    // Outcomes.
    let outcomes: Vec<Outcome> = (0..l.reqs.len())
        .map(|k| {
            let q = l.reqs.get(k).copied();
            match q {
                _ if matched_of(k).is_some() => Outcome::Created,
                _ if !twilio => Outcome::Unknown,
                Some(q) if q.rejected() => Outcome::Rejected,
                Some(q) if q.succeeded() => Outcome::RecordMissing,
                _ => Outcome::NoRecord,
            }
        })
        .collect();
    let created: Vec<usize> = (0..l.reqs.len())
        .filter(|&k| {
            if twilio {
                outcomes.get(k) == Some(&Outcome::Created)
            } else {
                l.reqs.get(k).is_some_and(|q| maybe_sent(q))
            }
        })
        .collect();
    let mut orphans: Vec<&crate::model::TwilioRecord> = records
        .iter()
        .filter(|(i, _)| j.of_rec.get(*i).is_none_or_none())
        .map(|(_, r)| *r)
        .collect();
    // A TwiML reply (`outbound-reply`) is created by Twilio from the app's
    // answer to a webhook, not by a POST: it needs no request.
    let is_reply = |r: &crate::model::TwilioRecord| {
        r.direction
            .as_deref()
            .is_some_and(|d| d.trim().eq_ignore_ascii_case("outbound-reply"))
    };
    let replies: Vec<&crate::model::TwilioRecord> =
        orphans.iter().filter(|r| is_reply(r)).copied().collect();
    orphans.retain(|r| !is_reply(r));
    // Coverage over the record times (or request times in logs-only mode).
    let mut moments: Vec<i64> = records.iter().filter_map(|(_, r)| record_time(r)).collect();
    if moments.is_empty() {
        moments = l.times.clone();
    }
    let posting: Vec<&SourceCoverage> = p
        .coverage
        .iter()
        .filter(|c| c.observes_posts)
        .copied()
        .collect();
    let coverage: Vec<CoverageNote> = posting
        .iter()
        .map(|c| coverage_note(c, j, &moments))
        .collect();
    let covered = !coverage.is_empty() && coverage.iter().all(|c| c.covers);
    let orphan_times: Vec<i64> = orphans.iter().filter_map(|r| record_time(r)).collect();
    let orphan_notes: Vec<CoverageNote> = posting
        .iter()
        .map(|c| coverage_note(c, j, &orphan_times))
        .collect();
    let orphans_covered = !orphan_notes.is_empty() && orphan_notes.iter().all(|c| c.covers);

    let verdict = if twilio {
        if records.is_empty() {
            Verdict::Inconclusive
        } else if orphans.is_empty() {
            if records.len() == 1 {
                Verdict::SingleRequest
            } else {
                Verdict::MultipleRequests
            }
        } else if orphans_covered {
            Verdict::TwilioSide
        } else {
            Verdict::Inconclusive
        }
    } else {
        match created.len() {
            0 => Verdict::Inconclusive,
            1 => Verdict::SingleRequest,
            _ => Verdict::MultipleRequests,
        }
    };

    // Causes of extra requests.
    let mut causes: BTreeMap<usize, (Option<Cause>, String)> = BTreeMap::new();
    // Extra requests are explained whatever the verdict (a `twilio_side`
    // incident may also hold an app duplicate); the incident's cause is
    // given only for `multiple_requests`.
    if created.len() >= 2 {
        for (n, &x) in created.iter().enumerate().skip(1) {
            let prev: Vec<usize> = created.iter().take(n).copied().collect();
            causes.insert(x, cause_of(p, &l, x, &prev));
        }
    }
    let cause = if verdict == Verdict::MultipleRequests {
        created.get(1).and_then(|x| causes.get(x)).and_then(|c| c.0)
    } else {
        None
    };

    // Request views.
    let mut requests = Vec::new();
    for (k, q) in l.reqs.iter().enumerate() {
        let m = matched_of(k);
        let rec_sid = m
            .as_ref()
            .and_then(|m| p.records.get(m.record))
            .map(|r| r.sid.to_string());
        let inbound = l.inbound.get(k).copied().flatten().map(|c| InboundView {
            route: c.summary.clone(),
            client: c.client_addr.clone(),
            time: c.time.to_rfc3339(),
            status: c.status,
            user_agent: c.user_agent.clone(),
            idempotency_token: c.idempotency_token.clone(),
            evidence: c.evidence.clone(),
        });
        requests.push(RequestView {
            time: fmt_time(q.start, q.precision),
            sid: q.sid.clone().or_else(|| rec_sid.clone()),
            status: q.status,
            host: q.host.clone(),
            code_path: code_path_words(q),
            evidence: q.evidence.clone(),
            number: k as u32 + 1,
            observers: q.observers.clone(),
            outcome: outcomes.get(k).copied().unwrap_or(Outcome::Unknown),
            failure: q.failure.clone(),
            duration_ms: q.duration_ms,
            matched: m.as_ref().zip(rec_sid).map(|(m, sid)| MatchView {
                by: m.by,
                confidence: m.confidence,
                offset_ms: m.offset_ms,
                clock_offset_ms: m.clock_offset_ms,
                record: sid,
            }),
            inbound,
            job_id: q.ids.job_id.clone(),
            request_id: q.ids.request_id.clone(),
            trace_id: q.ids.trace_id.clone(),
            user_agent: q.user_agent.clone(),
            library: q.library.clone(),
            client_addr: q.client_addr.clone(),
            recipient: q.recipient.clone(),
            body: q.body.clone(),
            extra: causes.contains_key(&k),
            cause: causes.get(&k).and_then(|c| c.0),
        });
    }
    let record_views: Vec<RecordView> = records
        .iter()
        .map(|(i, r)| RecordView {
            sid: r.sid.to_string(),
            date_created: r.date_created.map(|s| s.to_rfc3339()),
            date_sent: r.date_sent.map(|s| s.to_rfc3339()),
            status: r.status.as_deref().map(str::to_string),
            direction: r.direction.as_deref().map(str::to_string),
            error_code: r.error_code,
            body: r.body.as_deref().map(str::to_string),
            export: r.export.to_string(),
            evidence: r.evidence.clone(),
            request: j
                .of_rec
                .get(*i)
                .copied()
                .flatten()
                .and_then(local_of)
                .map(|k| k as u32 + 1),
        })
        .collect();
    let sids: Vec<String> = records.iter().map(|(_, r)| r.sid.to_string()).collect();

    // Sentences.
    let mut ex: Vec<String> = Vec::new();
    for (k, q) in l.reqs.iter().enumerate() {
        let n = k + 1;
        if q.observers.len() > 1 || (q.evidence.len() > 1 && q.obs.len() > 1) {
            let apps: Vec<Evidence> = q
                .obs
                .iter()
                .filter_map(|&o| p.attempts.get(o))
                .filter(|a| a.observer == Observer::App)
                .flat_map(|a| a.evidence.clone())
                .collect();
            let prox: Vec<Evidence> = q
                .obs
                .iter()
                .filter_map(|&o| p.attempts.get(o))
                .filter(|a| a.observer == Observer::EgressProxy)
                .flat_map(|a| a.evidence.clone())
                .collect();
            if !apps.is_empty() && !prox.is_empty() {
                ex.push(format!(
                    "request #{n} was seen by the app ({}) and by the egress proxy ({}): one POST, counted once",
                    evs_words(&apps),
                    evs_words(&prox)
                ));
            }
        }
        if let Some(m) = matched_of(k) {
            let sid = p.records.get(m.record).map(|r| &*r.sid).unwrap_or("");
            match m.by {
                MatchBy::Sid => ex.push(format!(
                    "request #{n} ({}) carries SID {sid}",
                    evs_words(&q.evidence)
                )),
                MatchBy::RecipientTime => {
                    // Offsets under a second are latency and rounding, not skew.
                    let off = if m.clock_offset_ms.abs() >= 1000 {
                        format!(
                            " after correcting {}'s clock by {}",
                            q.clock,
                            signed_ms(m.clock_offset_ms)
                        )
                    } else {
                        String::new()
                    };
                    ex.push(format!(
                        "request #{n} ({}) is joined with record {sid} by recipient and time{off} (record {} after the logged time; confidence {})",
                        evs_words(&q.evidence),
                        m.offset_ms.map(signed_ms).unwrap_or_else(|| "?".into()),
                        m.confidence.id()
                    ))
                }
            }
        } else {
            match outcomes.get(k) {
                Some(Outcome::Rejected) => ex.push(format!(
                    "request #{n} was refused with HTTP {} ({}): Twilio created nothing, so it is not a duplicate",
                    q.status.unwrap_or(0),
                    evs_words(&q.evidence)
                )),
                Some(Outcome::NoRecord) => ex.push(format!(
                    "request #{n} {} ({}) and no Twilio record matches it: Twilio did not create a message for it",
                    q.failure_words(),
                    evs_words(&q.evidence)
                )),
                Some(Outcome::RecordMissing) => ex.push(format!(
                    "request #{n} succeeded (HTTP {}, {}) but no Twilio record given matches it: the records given may be incomplete",
                    q.status.unwrap_or(0),
                    evs_words(&q.evidence)
                )),
                _ => {}
            }
        }
    }
    for (c, s) in causes.values() {
        if c.is_some() || !s.is_empty() {
            ex.push(s.clone());
        }
    }
    for r in &replies {
        ex.push(format!(
            "record {} ({}) is a TwiML reply (direction outbound-reply): Twilio created it from the app's answer to a webhook, not from a POST",
            r.sid,
            ev_words(&r.evidence)
        ));
    }
    let recipient = seed.recipient.clone();
    let confidences: Vec<Confidence> = (0..l.reqs.len())
        .filter_map(|k| matched_of(k).map(|m| m.confidence))
        .collect();
    let worst = confidences.iter().max().copied().unwrap_or(Confidence::Low);
    let sid_list = sids.join(", ");
    let first_created_ev = created
        .first()
        .and_then(|&k| l.reqs.get(k))
        .map(|q| evs_words(&q.evidence))
        .unwrap_or_else(|| "a TwiML reply to a webhook".to_string());
    let made = created.len() + replies.len();
    let (answer, proof, confidence) = match verdict {
        Verdict::SingleRequest if twilio => {
            let tail = if covered {
                "; the logs cover that time, so this is a proof".to_string()
            } else if coverage.is_empty() {
                "; no log source that sends to Twilio was given, so this is not a proof".to_string()
            } else {
                "; this is not a proof: the logs do not cover that time (see coverage)".to_string()
            };
            ex.push("Twilio sent once: a second copy the person saw arose after Twilio, at the carrier or an intermediary (roaming is a common cause)".to_string());
            (
                format!("Twilio holds one record ({sid_list}) for {recipient} and the app made one request for it ({first_created_ev}): Twilio sent once, so any duplicate arose after Twilio{tail}."),
                covered && worst <= Confidence::Medium,
                if covered { worst } else { worst.max(Confidence::Medium) },
            )
        }
        Verdict::SingleRequest => (
            format!("The logs show one request to {recipient} that may have sent a message ({first_created_ev}); no Twilio records were given, so this rests on the logs alone."),
            false,
            Confidence::Low,
        ),
        Verdict::MultipleRequests => {
            let cause_words = match cause {
                Some(c) => format!("cause {}", c.id()),
                None => "cause unknown".to_string(),
            };
            let lead = created
                .get(1)
                .and_then(|x| causes.get(x))
                .map(|c| c.1.clone())
                .unwrap_or_default();
            if twilio {
                (
                    format!(
                        "The app made {made} requests to {recipient} that Twilio turned into {} messages ({sid_list}){}; {cause_words}: {lead}.",
                        records.len(),
                        if replies.is_empty() {
                            String::new()
                        } else {
                            format!(", {} of them TwiML replies", replies.len())
                        }
                    ),
                    worst <= Confidence::High,
                    worst,
                )
            } else {
                (
                    format!(
                        "The logs show {} requests to {recipient} that each may have sent the message; {cause_words}: {lead}. No Twilio records were given, so this rests on the logs alone.",
                        created.len()
                    ),
                    false,
                    Confidence::Low,
                )
            }
        }
        Verdict::TwilioSide => {
            let o: Vec<&str> = orphans.iter().map(|r| &*r.sid).collect();
            for r in &orphans {
                ex.push(format!("record {} ({}) has no request in any log", r.sid, ev_words(&r.evidence)));
            }
            for c in &orphan_notes {
                ex.push(c.note.clone());
            }
            (
                format!(
                    "Twilio holds {} records for {recipient} but the app made only {made} request(s) for them, and every log source that could have sent one covers that time without a gap: escalate to Twilio with the SIDs listed ({}).",
                    records.len(),
                    o.join(", ")
                ),
                true,
                if created.is_empty() { Confidence::Medium } else { worst.max(Confidence::Medium) },
            )
        }
        Verdict::Inconclusive => {
            let bad: Vec<&CoverageNote> = orphan_notes.iter().filter(|c| !c.covers).collect();
            for r in &orphans {
                ex.push(format!("record {} ({}) has no request in any log", r.sid, ev_words(&r.evidence)));
            }
            for c in &bad {
                ex.push(c.note.clone());
            }
            let why = if records.is_empty() {
                format!("the Twilio records given hold no message to {recipient} at that time, while the logs show {} request(s)", l.reqs.len())
            } else if orphan_notes.is_empty() {
                "no log source that sends to Twilio was given".to_string()
            } else {
                bad.iter().map(|c| c.note.clone()).collect::<Vec<_>>().join("; ")
            };
            (
                format!(
                    "Twilio holds {} record(s) for {recipient} ({sid_list}) but only {} were joined with requests, and {why}: the logs cannot tell whether the app sent the others.",
                    records.len(),
                    records.len().saturating_sub(orphans.len())
                ),
                false,
                Confidence::Low,
            )
        }
    };
    if !twilio {
        ex.push("no Twilio records given: this answer rests on the logs alone; Twilio's records would make it firmer".to_string());
    }
    // Quotes.
    let mut evs: BTreeSet<Evidence> = BTreeSet::new();
    for q in &l.reqs {
        evs.extend(q.evidence.iter().cloned());
    }
    for c in l.inbound.iter().flatten() {
        evs.insert(c.evidence.clone());
    }
    for (_, r) in &records {
        evs.insert(r.evidence.clone());
    }
    for c in coverage.iter().chain(orphan_notes.iter()) {
        evs.extend(c.evidence.iter().cloned());
    }
    let quotes = evs
        .into_iter()
        .filter_map(|e| {
            p.inputs.quotes.get(&e).map(|t| Quote {
                file: e.file.to_string(),
                line: e.line,
                text: t.clone(),
            })
        })
        .collect();
    let mut coverage = coverage;
    for c in orphan_notes {
        // One note per source that does not cover: the same gap seen from
        // another moment adds nothing.
        if !c.covers
            && !coverage
                .iter()
                .any(|x| x.source == c.source && (!x.covers || x.note == c.note))
        {
            coverage.push(c);
        }
    }
    let all_times: Vec<i64> = moments
        .iter()
        .copied()
        .chain(l.times.iter().copied())
        .collect();
    let body = records
        .iter()
        .find_map(|(_, r)| r.body.as_deref().map(str::to_string))
        .or_else(|| l.reqs.iter().find_map(|q| q.body.clone()));
    Incident {
        recipient,
        verdict,
        cause,
        sids,
        requests,
        number,
        answer,
        proof,
        confidence,
        start: all_times.iter().min().map(|&t| fmt_ms(t)),
        end: all_times.iter().max().map(|&t| fmt_ms(t)),
        body,
        explanation: ex,
        records: record_views,
        coverage,
        quotes,
    }
}

trait NoneOrNone {
    fn is_none_or_none(&self) -> bool;
}

impl NoneOrNone for Option<&Option<usize>> {
    fn is_none_or_none(&self) -> bool {
        !matches!(self, Some(Some(_)))
    }
}

pub(crate) fn build_report(p: &Prepared, j: &Joined, seeds: Vec<Seed>, opts: &Options) -> Report {
    let mode = Mode::of(opts);
    let incidents: Vec<Incident> = seeds
        .iter()
        .enumerate()
        .map(|(n, s)| build_incident(p, j, s, n as u32 + 1))
        .collect();
    let mut summary = Summary {
        incidents: incidents.len(),
        ..Summary::default()
    };
    for i in &incidents {
        *summary
            .per_verdict
            .entry(i.verdict.id().to_string())
            .or_default() += 1;
        if let Some(c) = i.cause {
            *summary.per_cause.entry(c.id().to_string()).or_default() += 1;
        }
        for r in i.requests.iter().filter(|r| r.extra) {
            let label = match &r.inbound {
                Some(ib) => format!("{} via {}", r.code_path, ib.route),
                None => r.code_path.clone(),
            };
            *summary.per_code_path.entry(label).or_default() += 1;
        }
        summary.requests += i.requests.len();
        summary.records += i.records.len();
    }
    let clock_offsets = j
        .offsets
        .iter()
        .map(|(h, o)| ClockOffset {
            host: h.clone(),
            offset_ms: o.nanos / 1_000_000,
            pairs: o.pairs,
        })
        .collect();
    let mut notes = Vec::new();
    if !p.inputs.twilio_given {
        notes.push("no Twilio records given: answers rest on the logs alone; Twilio's records would make them firmer".to_string());
    }
    if !p.timeless.is_empty() {
        notes.push(format!(
            "{} Twilio record(s) carry no date and could not be placed in time (first: {})",
            p.timeless.len(),
            p.timeless.first().map(|r| &*r.sid).unwrap_or("")
        ));
    }
    if p.repeated_sids > 0 {
        notes.push(format!(
            "{} Twilio record(s) repeat a SID already read and were left out",
            p.repeated_sids
        ));
    }
    if !p.coverage.iter().any(|c| c.observes_posts) {
        notes.push("no log source showed an outbound POST to Twilio: the logs given may not include the ones that send".to_string());
    }
    for (source, format, n) in without_recipient(&p.inputs.attempts) {
        notes.push(format!(
            "{n} POST attempt(s) seen in {source} (format {format}) carry no recipient: no field \
             of that format holds one, so they join Twilio records by time only and cannot \
             answer for one recipient from the logs alone; map the field in a grammar"
        ));
    }
    if p.inputs.summary.unparsed_candidates > 0 {
        notes.push(format!(
            "{} unread line(s) mention Messages.json: they could change a verdict",
            p.inputs.summary.unparsed_candidates
        ));
    }
    if incidents.is_empty() {
        notes.push(match mode {
            Mode::Scan => {
                "no incident: no recipient got the same message more than once within the window"
                    .to_string()
            }
            Mode::Complaint => format!(
                "no Twilio record or request to {} in the range given",
                opts.to.as_deref().unwrap_or("")
            ),
            Mode::Sids => "none of the SIDs given is among the Twilio records".to_string(),
        });
    }
    Report {
        version: 1,
        redacted: false,
        mode: mode.id().to_string(),
        twilio_given: p.inputs.twilio_given,
        window_ms: opts.window / 1_000_000,
        incidents,
        clock_offsets,
        summary,
        inputs: p.inputs.summary.clone(),
        notes,
    }
}

/// A copy of `r` with credentials scrubbed from every string and, when
/// `redact`, phones and bodies masked.
pub(crate) fn sanitize(r: &Report, redact: bool) -> Report {
    let mut out = r.clone();
    out.redacted = redact;
    for i in &mut out.incidents {
        // Each incident's own bodies are looked for in its own text.
        let mut bodies: Vec<String> = i.body.iter().cloned().collect();
        bodies.extend(i.requests.iter().filter_map(|q| q.body.clone()));
        bodies.extend(i.records.iter().filter_map(|q| q.body.clone()));
        let s = Sanitizer::new(redact, bodies);
        let t = |v: &mut String| *v = s.text(v);
        let ot = |v: &mut Option<String>| *v = s.opt_text(v);
        i.recipient = s.phone(&i.recipient);
        i.sids.iter_mut().for_each(t);
        t(&mut i.answer);
        i.explanation.iter_mut().for_each(t);
        i.body = i.body.as_deref().map(|b| s.body(b));
        for q in &mut i.requests {
            ot(&mut q.sid);
            ot(&mut q.host);
            t(&mut q.code_path);
            q.failure = q.failure.take().map(|f| match f {
                crate::model::Failure::Timeout(d) => crate::model::Failure::Timeout(s.text(&d)),
                crate::model::Failure::Connection(d) => {
                    crate::model::Failure::Connection(s.text(&d))
                }
                crate::model::Failure::Error(d) => crate::model::Failure::Error(s.text(&d)),
            });
            if let Some(m) = &mut q.matched {
                t(&mut m.record);
            }
            if let Some(ib) = &mut q.inbound {
                t(&mut ib.route);
                ot(&mut ib.client);
                ot(&mut ib.user_agent);
                ot(&mut ib.idempotency_token);
            }
            ot(&mut q.job_id);
            ot(&mut q.request_id);
            ot(&mut q.trace_id);
            ot(&mut q.user_agent);
            ot(&mut q.library);
            ot(&mut q.client_addr);
            q.recipient = q.recipient.as_deref().map(|v| s.phone(v));
            q.body = q.body.as_deref().map(|v| s.body(v));
        }
        for rec in &mut i.records {
            t(&mut rec.sid);
            ot(&mut rec.status);
            ot(&mut rec.direction);
            rec.body = rec.body.as_deref().map(|v| s.body(v));
        }
        for c in &mut i.coverage {
            t(&mut c.source);
            ot(&mut c.host);
            t(&mut c.note);
        }
        for qt in &mut i.quotes {
            t(&mut qt.text);
        }
    }
    let s = Sanitizer::new(redact, Vec::new());
    let t = |v: &mut String| *v = s.text(v);
    for c in &mut out.clock_offsets {
        t(&mut c.host);
    }
    out.summary.per_code_path = out
        .summary
        .per_code_path
        .iter()
        .map(|(k, v)| (s.text(k), *v))
        .collect();
    out.notes.iter_mut().for_each(t);
    for pr in &mut out.inputs.problems {
        pr.message = s.text(&pr.message);
        pr.file = s.text(&pr.file);
    }
    out
}

/// Sources whose POST attempts carry no recipient: (source, format, count),
/// in source order.
fn without_recipient(attempts: &[crate::model::Attempt]) -> Vec<(String, String, usize)> {
    let mut by: BTreeMap<(String, String), usize> = BTreeMap::new();
    for a in attempts.iter().filter(|a| a.recipient.is_none()) {
        *by.entry((a.source.to_string(), a.format.to_string()))
            .or_insert(0) += 1;
    }
    by.into_iter().map(|((s, f), n)| (s, f, n)).collect()
}
