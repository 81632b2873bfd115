//! `--format text`: per incident the answer first, then a timeline of
//! requests and records side by side, then the explanation; a summary for
//! post-incident reviews and the input problems at the end.

use std::io::Write;

use super::report::{Incident, Outcome, RecordView, Report, RequestView};
use crate::model::{Evidence, Failure};

/// How many input problems to list.
pub(crate) const SHOWN_PROBLEMS: usize = 5;

pub(crate) fn short_ev(es: &[Evidence]) -> String {
    es.iter()
        .map(|e| format!("{}:{}", e.file, e.line))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn status_words(r: &RequestView) -> String {
    let s = match (&r.failure, r.status) {
        (Some(Failure::Timeout(_)), None) => "timeout".to_string(),
        (Some(Failure::Connection(_)), None) => "conn-error".to_string(),
        (Some(Failure::Error(_)), None) => "error".to_string(),
        (_, Some(0)) => "000".to_string(),
        (_, Some(s)) => s.to_string(),
        (None, None) => "-".to_string(),
    };
    match r.outcome {
        Outcome::Rejected => format!("{s} (refused)"),
        _ => s,
    }
}

pub(crate) fn observers(r: &RequestView) -> String {
    r.observers
        .iter()
        .map(|o| match o {
            crate::model::Observer::App => "app",
            crate::model::Observer::EgressProxy => "egress_proxy",
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// One row of the timeline: the time, the request, the record beside it.
pub(crate) struct Row<'a> {
    pub time: String,
    pub request: Option<&'a RequestView>,
    pub record: Option<&'a RecordView>,
}

/// Rows of the timeline in time order: each request with the record it
/// was joined with, and the records without a request at their own time.
pub(crate) fn timeline(i: &Incident) -> Vec<Row<'_>> {
    let key = |s: &str| crate::time::parse_iso8601(s).map_or(i64::MAX, |t| t.nanos);
    let mut rows: Vec<(i64, usize, Row)> = Vec::new();
    for (n, q) in i.requests.iter().enumerate() {
        let rec = i.records.iter().find(|r| r.request == Some(q.number));
        rows.push((
            key(&q.time),
            n,
            Row {
                time: q.time.clone(),
                request: Some(q),
                record: rec,
            },
        ));
    }
    for (n, r) in i
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.request.is_none())
    {
        let t = r
            .date_created
            .clone()
            .or_else(|| r.date_sent.clone())
            .unwrap_or_default();
        rows.push((
            key(&t),
            i.requests.len() + n,
            Row {
                time: t,
                request: None,
                record: Some(r),
            },
        ));
    }
    rows.sort_by_key(|r| (r.0, r.1));
    rows.into_iter().map(|(_, _, r)| r).collect()
}

fn incident(i: &Incident, out: &mut dyn Write) -> std::io::Result<()> {
    let cause = i
        .cause
        .map(|c| format!(" ({})", c.id()))
        .unwrap_or_default();
    writeln!(
        out,
        "Incident {}: {} - {}{cause}",
        i.number,
        i.recipient,
        i.verdict.id()
    )?;
    writeln!(out, "  {}", i.answer)?;
    writeln!(
        out,
        "  proof: {}; confidence: {}{}",
        if i.proof { "yes" } else { "no" },
        i.confidence.id(),
        i.body
            .as_deref()
            .map(|b| format!("; body: {b}"))
            .unwrap_or_default()
    )?;
    writeln!(out)?;
    writeln!(out, "  Timeline (requests | Twilio records):")?;
    for Row {
        time: t,
        request: q,
        record: r,
    } in timeline(i)
    {
        let left = match q {
            Some(q) => {
                let mut s = format!(
                    "#{} {} {} {}",
                    q.number,
                    observers(q),
                    status_words(q),
                    q.code_path
                );
                if let Some(ib) = &q.inbound {
                    s.push_str(&format!(
                        " via {}{}",
                        ib.route,
                        ib.client
                            .as_deref()
                            .map(|c| format!(" from {c}"))
                            .unwrap_or_default()
                    ));
                }
                if let Some(j) = &q.job_id {
                    s.push_str(&format!(" job {j}"));
                }
                if let Some(h) = &q.host {
                    s.push_str(&format!(" on {h}"));
                }
                if let Some(lib) = &q.library {
                    s.push_str(&format!(" lib {lib}"));
                }
                if let Some(c) = q.cause {
                    s.push_str(&format!(" [extra: {}]", c.id()));
                } else if q.extra {
                    s.push_str(" [extra]");
                }
                s.push_str(&format!(" ({})", short_ev(&q.evidence)));
                s
            }
            None => "(no request in the logs)".to_string(),
        };
        let right = match r {
            Some(r) => {
                let how = q
                    .and_then(|q| q.matched.as_ref())
                    .map(|m| {
                        format!(
                            " by {} ({})",
                            match m.by {
                                super::report::MatchBy::Sid => "sid",
                                super::report::MatchBy::RecipientTime => "recipient+time",
                            },
                            m.confidence.id()
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{} {}{how} ({}:{})",
                    r.sid,
                    r.status.as_deref().unwrap_or("-"),
                    r.evidence.file,
                    r.evidence.line
                )
            }
            None => "-".to_string(),
        };
        writeln!(out, "    {t}  {left}  |  {right}")?;
    }
    if !i.explanation.is_empty() {
        writeln!(out)?;
        writeln!(out, "  Explanation:")?;
        for e in &i.explanation {
            writeln!(out, "    - {e}")?;
        }
    }
    if !i.coverage.is_empty() {
        writeln!(out)?;
        writeln!(out, "  Coverage:")?;
        for c in &i.coverage {
            writeln!(out, "    - {}", c.note)?;
        }
    }
    writeln!(out)
}

pub(crate) fn render(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "sidtrace investigate: {} incident(s) ({}, window {}{}{})",
        r.incidents.len(),
        r.mode,
        crate::time::human_duration(r.window_ms.saturating_mul(1_000_000)),
        if r.twilio_given { "" } else { ", logs only" },
        if r.redacted {
            ", redacted"
        } else {
            ", not redacted"
        }
    )?;
    writeln!(out)?;
    for i in &r.incidents {
        incident(i, out)?;
    }
    writeln!(out, "Summary")?;
    let join = |m: &std::collections::BTreeMap<String, usize>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    writeln!(
        out,
        "  incidents per verdict: {}",
        join(&r.summary.per_verdict)
    )?;
    writeln!(out, "  incidents per cause: {}", join(&r.summary.per_cause))?;
    writeln!(out, "  extra requests per code path:")?;
    if r.summary.per_code_path.is_empty() {
        writeln!(out, "    none")?;
    }
    for (k, v) in &r.summary.per_code_path {
        writeln!(out, "    {v}  {k}")?;
    }
    if !r.clock_offsets.is_empty() {
        writeln!(out, "  clock offsets (Twilio minus host, from SID pairs):")?;
        for c in &r.clock_offsets {
            writeln!(
                out,
                "    {}: {} ms ({} pair(s))",
                c.host, c.offset_ms, c.pairs
            )?;
        }
    }
    let s = &r.inputs;
    writeln!(
        out,
        "Inputs: {} file(s), {} line(s), {} unparsed line(s), {} unparsed candidate line(s){}",
        s.files,
        s.lines,
        s.unparsed_lines,
        s.unparsed_candidates,
        if s.unparsed_candidates > 0 {
            " (these could change a verdict)"
        } else {
            ""
        }
    )?;
    if !s.lookalikes.is_empty() {
        let kinds: Vec<String> = s
            .lookalikes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(
            out,
            "  lines naming Messages.json that are no create-message POST: {}",
            kinds.join(", ")
        )?;
    }
    for p in s.problems.iter().take(SHOWN_PROBLEMS) {
        writeln!(out, "  problem: {p}")?;
    }
    if s.problems.len() > SHOWN_PROBLEMS {
        writeln!(
            out,
            "  ... and {} more problem(s)",
            s.problems.len() - SHOWN_PROBLEMS
        )?;
    }
    for n in &r.notes {
        writeln!(out, "Note: {n}")?;
    }
    Ok(())
}
