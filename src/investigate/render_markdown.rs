//! `--format markdown`: ready to paste into a support ticket or a review.

use std::io::Write;

use super::render_text::{observers, short_ev, status_words, timeline, Row, SHOWN_PROBLEMS};
use super::report::{Incident, Report};

/// Make text safe inside a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn incident(i: &Incident, out: &mut dyn Write) -> std::io::Result<()> {
    let cause = i
        .cause
        .map(|c| format!(" (`{}`)", c.id()))
        .unwrap_or_default();
    writeln!(
        out,
        "## Incident {}: {} — `{}`{cause}",
        i.number,
        i.recipient,
        i.verdict.id()
    )?;
    writeln!(out)?;
    writeln!(out, "**Answer.** {}", i.answer)?;
    writeln!(out)?;
    writeln!(
        out,
        "Proof: {}. Confidence: {}.{}",
        if i.proof { "yes" } else { "no" },
        i.confidence.id(),
        i.body
            .as_deref()
            .map(|b| format!(" Body: `{}`.", b.replace('`', "'")))
            .unwrap_or_default()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| time | request | seen by | status | code path | evidence | Twilio record |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for Row {
        time: t,
        request: q,
        record: r,
    } in timeline(i)
    {
        let (num, who, st, cp, ev) = match q {
            Some(q) => {
                let mut cp = q.code_path.clone();
                if let Some(ib) = &q.inbound {
                    cp.push_str(&format!(" via {}", ib.route));
                }
                if let Some(j) = &q.job_id {
                    cp.push_str(&format!(", job {j}"));
                }
                if let Some(c) = q.cause {
                    cp.push_str(&format!(" — extra: `{}`", c.id()));
                }
                (
                    format!("#{}", q.number),
                    observers(q),
                    status_words(q),
                    cp,
                    short_ev(&q.evidence),
                )
            }
            None => (
                "—".into(),
                "—".into(),
                "—".into(),
                "no request in the logs".into(),
                "—".into(),
            ),
        };
        let rec = r
            .map(|r| {
                format!(
                    "`{}` {} ({}:{})",
                    r.sid,
                    r.status.as_deref().unwrap_or(""),
                    r.evidence.file,
                    r.evidence.line
                )
            })
            .unwrap_or_else(|| "—".into());
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&t),
            cell(&num),
            cell(&who),
            cell(&st),
            cell(&cp),
            cell(&ev),
            cell(&rec)
        )?;
    }
    writeln!(out)?;
    if !i.sids.is_empty() {
        writeln!(
            out,
            "SIDs: {}",
            i.sids
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(out)?;
    }
    if !i.explanation.is_empty() {
        writeln!(out, "**Why**")?;
        writeln!(out)?;
        for e in &i.explanation {
            writeln!(out, "- {e}")?;
        }
        writeln!(out)?;
    }
    if !i.coverage.is_empty() {
        writeln!(out, "**Log coverage**")?;
        writeln!(out)?;
        for c in &i.coverage {
            writeln!(out, "- {}", c.note)?;
        }
        writeln!(out)?;
    }
    if !i.quotes.is_empty() {
        writeln!(out, "**Evidence lines**")?;
        writeln!(out)?;
        writeln!(out, "```text")?;
        for q in &i.quotes {
            writeln!(
                out,
                "{}:{}: {}",
                q.file,
                q.line,
                q.text.replace("```", "'''")
            )?;
        }
        writeln!(out, "```")?;
        writeln!(out)?;
    }
    Ok(())
}

pub(crate) fn render(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "# sidtrace: duplicate SMS investigation")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} incident(s); mode {}; window {}{}.{}",
        r.incidents.len(),
        r.mode,
        crate::time::human_duration(r.window_ms.saturating_mul(1_000_000)),
        if r.twilio_given { "" } else { "; logs only" },
        if r.redacted {
            " Phone numbers and bodies are masked."
        } else {
            " Not redacted: phone numbers and bodies are shown."
        }
    )?;
    writeln!(out)?;
    for i in &r.incidents {
        incident(i, out)?;
    }
    writeln!(out, "## Summary")?;
    writeln!(out)?;
    writeln!(out, "| verdict | incidents |")?;
    writeln!(out, "|---|---|")?;
    for (k, v) in &r.summary.per_verdict {
        writeln!(out, "| `{k}` | {v} |")?;
    }
    writeln!(out)?;
    if !r.summary.per_cause.is_empty() {
        writeln!(out, "| cause | incidents |")?;
        writeln!(out, "|---|---|")?;
        for (k, v) in &r.summary.per_cause {
            writeln!(out, "| `{k}` | {v} |")?;
        }
        writeln!(out)?;
    }
    if !r.summary.per_code_path.is_empty() {
        writeln!(out, "| code path | extra requests |")?;
        writeln!(out, "|---|---|")?;
        for (k, v) in &r.summary.per_code_path {
            writeln!(out, "| {} | {v} |", cell(k))?;
        }
        writeln!(out)?;
    }
    let s = &r.inputs;
    writeln!(
        out,
        "Inputs: {} file(s), {} line(s), {} unparsed line(s), {} unparsed candidate line(s).",
        s.files, s.lines, s.unparsed_lines, s.unparsed_candidates
    )?;
    if !s.lookalikes.is_empty() {
        let kinds: Vec<String> = s
            .lookalikes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(
            out,
            "- lines naming Messages.json that are no create-message POST: {}",
            kinds.join(", ")
        )?;
    }
    for p in s.problems.iter().take(SHOWN_PROBLEMS) {
        writeln!(out, "- problem: {}", cell(&p.to_string()))?;
    }
    for n in &r.notes {
        writeln!(out)?;
        writeln!(out, "> {n}")?;
    }
    Ok(())
}
