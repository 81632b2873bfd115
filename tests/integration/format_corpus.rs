//! The format corpus, `tests/data/formats/` (its README.md gives the
//! layout): each `<area>/<name>.log` is checked against its
//! `<name>.expect.toml` by running `sidtrace extract` on it alone.
//!
//! Every mismatch of every file is collected and reported in one failure, so
//! that one run shows the whole picture. `SIDTRACE_CORPUS_FILTER=substring`
//! checks only the files whose path under the corpus contains `substring`
//! (e.g. `wrappers/` or `cri-containerd`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Output;

use chrono::{DateTime, SecondsFormat, TimeZone};
use serde_json::Value as Json;

use crate::util::*;

/// The corpus, relative to the repository root.
const CORPUS: &str = "tests/data/formats";
/// What the prefilter looks for: every line holding it must be accounted for.
const NEEDLE: &[u8] = b"Messages.json";
/// Check only the files whose path under the corpus contains this.
const FILTER_VAR: &str = "SIDTRACE_CORPUS_FILTER";
/// How far an attempt's time may be from the expected one.
const TIME_TOLERANCE_NS: i128 = 1_000;
/// How far an attempt's duration may be from the expected one.
const DURATION_TOLERANCE_MS: f64 = 0.5;
const OBSERVERS: [&str; 2] = ["app", "egress_proxy"];
const FAILURES: [&str; 3] = ["timeout", "connection", "error"];
const LOOKALIKE_KINDS: [&str; 6] = [
    "status_callback",
    "inbound_webhook",
    "get_message",
    "other_resource",
    "tunnel",
    "other",
];
/// Exit statuses of a run that worked: found attempts, found them with
/// input problems, found none.
const RAN: [i32; 3] = [0, 3, 4];
/// Words of a problem saying that a candidate line was not read.
const NOT_READ: [&str; 4] = [
    "not read as a POST",
    "not parsed",
    "not counted",
    "format is unknown",
];

// ---------------------------------------------------------------------------
// The expectation files

/// One `<name>.expect.toml`.
#[derive(Debug)]
struct Expected {
    posts: Vec<Post>,
    lookalikes: Vec<Lookalike>,
}

/// One `[[post]]`: the optional fields are compared only when present.
#[derive(Debug)]
struct Post {
    evidence: BTreeSet<u64>,
    /// As written, and as Unix nanoseconds.
    time: Option<(String, i128)>,
    observer: String,
    recipient: Option<String>,
    sid: Option<String>,
    status: Option<i64>,
    failure: Option<String>,
    request_id: Option<String>,
    duration_ms: Option<f64>,
}

/// One `[[lookalike]]`.
#[derive(Debug)]
struct Lookalike {
    line: u64,
    kind: String,
}

/// Parse an expectation: unknown keys are ignored, the documented ones must
/// have the documented types and values. All errors are returned.
fn parse_expectation(text: &str) -> Result<Expected, Vec<String>> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| vec![format!("not TOML: {e}")])?;
    let mut errs = Vec::new();
    for key in ["source", "shape"] {
        if required(&doc, key, "top level", &mut errs).is_some() {
            let _ = string(&doc, key, "top level", &mut errs);
        }
    }
    let mut posts = Vec::new();
    for (i, t) in tables(&doc, "post", &mut errs) {
        if let Some(p) = parse_post(t, &format!("post #{i}"), &mut errs) {
            posts.push(p);
        }
    }
    let mut lookalikes = Vec::new();
    for (i, t) in tables(&doc, "lookalike", &mut errs) {
        let at = format!("lookalike #{i}");
        let line = match t.get("line") {
            None => {
                errs.push(format!("{at}: `line` is missing"));
                None
            }
            Some(v) => line_number(v).or_else(|| {
                errs.push(format!(
                    "{at}: `line` must be a line number (>= 1), not {}",
                    show(v)
                ));
                None
            }),
        };
        let kind = required(t, "kind", &at, &mut errs)
            .and_then(|_| one_of(t, "kind", &LOOKALIKE_KINDS, &at, &mut errs));
        if let (Some(line), Some(kind)) = (line, kind) {
            lookalikes.push(Lookalike { line, kind });
        }
    }
    if errs.is_empty() {
        Ok(Expected { posts, lookalikes })
    } else {
        Err(errs)
    }
}

fn parse_post(t: &toml::Table, at: &str, errs: &mut Vec<String>) -> Option<Post> {
    let before = errs.len();
    let evidence = match t.get("evidence") {
        None => {
            errs.push(format!("{at}: `evidence` is missing"));
            BTreeSet::new()
        }
        Some(toml::Value::Array(a)) => {
            let mut set = BTreeSet::new();
            for v in a {
                match line_number(v) {
                    Some(n) if !set.insert(n) => {
                        errs.push(format!("{at}: `evidence` lists line {n} twice"))
                    }
                    Some(_) => {}
                    None => errs.push(format!(
                        "{at}: `evidence` must hold line numbers (>= 1), not {}",
                        show(v)
                    )),
                }
            }
            if a.is_empty() {
                errs.push(format!("{at}: `evidence` is empty"));
            }
            set
        }
        Some(v) => {
            errs.push(format!(
                "{at}: `evidence` must be an array of line numbers, not {}",
                show(v)
            ));
            BTreeSet::new()
        }
    };
    let time = t.get("time").and_then(|v| match instant(v) {
        Ok(t) => Some(t),
        Err(e) => {
            errs.push(format!("{at}: {e}"));
            None
        }
    });
    let observer =
        required(t, "observer", at, errs).and_then(|_| one_of(t, "observer", &OBSERVERS, at, errs));
    let recipient = string(t, "recipient", at, errs);
    if let Some(r) = &recipient {
        let digits = r.strip_prefix('+').unwrap_or("");
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            errs.push(format!("{at}: `recipient` {r:?} is not an E.164 number"));
        }
    }
    let sid = string(t, "sid", at, errs);
    if let Some(s) = &sid {
        let ok = s.len() == 34
            && s.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
        if !ok {
            errs.push(format!(
                "{at}: `sid` {s:?} is not a Twilio SID (2 letters, 32 hex digits)"
            ));
        }
    }
    let status = t.get("status").and_then(|v| match v.as_integer() {
        Some(s) if (100..=599).contains(&s) => Some(s),
        _ => {
            errs.push(format!(
                "{at}: `status` must be an HTTP status (100-599), not {}",
                show(v)
            ));
            None
        }
    });
    let failure = one_of(t, "failure", &FAILURES, at, errs);
    let request_id = string(t, "request_id", at, errs);
    let duration_ms = t.get("duration_ms").and_then(|v| {
        let d = match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        };
        match d {
            Some(d) if d.is_finite() && d >= 0.0 => Some(d),
            _ => {
                errs.push(format!(
                    "{at}: `duration_ms` must be a number of milliseconds, not {}",
                    show(v)
                ));
                None
            }
        }
    });
    if errs.len() > before {
        return None;
    }
    Some(Post {
        evidence,
        time,
        observer: observer?,
        recipient,
        sid,
        status,
        failure,
        request_id,
        duration_ms,
    })
}

/// The tables of `[[key]]`, numbered from 1.
fn tables<'a>(
    doc: &'a toml::Table,
    key: &str,
    errs: &mut Vec<String>,
) -> Vec<(usize, &'a toml::Table)> {
    match doc.get(key) {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                toml::Value::Table(t) => Some((i + 1, t)),
                other => {
                    errs.push(format!("{key} #{}: not a table but {}", i + 1, show(other)));
                    None
                }
            })
            .collect(),
        Some(v) => {
            errs.push(format!(
                "`{key}` must be an array of tables ([[{key}]]), not {}",
                show(v)
            ));
            Vec::new()
        }
    }
}

fn required<'a>(
    t: &'a toml::Table,
    key: &str,
    at: &str,
    errs: &mut Vec<String>,
) -> Option<&'a toml::Value> {
    let v = t.get(key);
    if v.is_none() {
        errs.push(format!("{at}: `{key}` is missing"));
    }
    v
}

/// An optional non-empty string.
fn string(t: &toml::Table, key: &str, at: &str, errs: &mut Vec<String>) -> Option<String> {
    match t.get(key)? {
        toml::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        v => {
            errs.push(format!(
                "{at}: `{key}` must be a non-empty string, not {}",
                show(v)
            ));
            None
        }
    }
}

/// An optional string among `allowed`.
fn one_of(
    t: &toml::Table,
    key: &str,
    allowed: &[&str],
    at: &str,
    errs: &mut Vec<String>,
) -> Option<String> {
    let s = string(t, key, at, errs)?;
    if allowed.contains(&s.as_str()) {
        Some(s)
    } else {
        errs.push(format!(
            "{at}: `{key}` is {s:?}, not one of {}",
            allowed.join(" | ")
        ));
        None
    }
}

fn line_number(v: &toml::Value) -> Option<u64> {
    v.as_integer().filter(|&n| n >= 1).map(|n| n as u64)
}

/// A time string (or TOML offset date-time) as Unix nanoseconds.
fn instant(v: &toml::Value) -> Result<(String, i128), String> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => return Err(format!("`time` must be a string, not {}", show(other))),
    };
    let t = DateTime::parse_from_rfc3339(&text)
        .map_err(|e| format!("`time` {text:?} is not an RFC 3339 time with an offset: {e}"))?;
    Ok((text, nanos_of(&t)))
}

fn nanos_of<Tz: TimeZone>(t: &DateTime<Tz>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

fn show(v: &toml::Value) -> String {
    format!("{} {v}", v.type_str())
}

// ---------------------------------------------------------------------------
// What extract printed

/// One line of `sidtrace extract`'s output, reduced to what is compared.
#[derive(Debug)]
struct Attempt {
    /// 1-based position in the output.
    n: usize,
    /// Evidence lines in the file read.
    lines: BTreeSet<u64>,
    /// Evidence in any other file (`file:line`): never expected.
    elsewhere: Vec<String>,
    nanos: Option<i128>,
    observer: Option<String>,
    recipient: Option<String>,
    sid: Option<String>,
    status: Option<i64>,
    failure: Option<String>,
    request_id: Option<String>,
    duration_ms: Option<f64>,
}

fn attempt_of(n: usize, v: &Json, file: &str) -> Attempt {
    let text = |v: &Json| v.as_str().map(str::to_string);
    let mut lines = BTreeSet::new();
    let mut elsewhere = Vec::new();
    for e in v["evidence"].as_array().into_iter().flatten() {
        let f = e["file"].as_str().unwrap_or("?");
        match e["line"].as_u64() {
            Some(l) if f == file => {
                lines.insert(l);
            }
            l => elsewhere.push(format!("{f}:{}", l.map_or("?".into(), |l| l.to_string()))),
        }
    }
    Attempt {
        n,
        lines,
        elsewhere,
        nanos: v["time"]["nanos"].as_i64().map(i128::from),
        observer: text(&v["observer"]),
        recipient: text(&v["recipient"]),
        sid: text(&v["sid"]),
        status: v["status"].as_i64(),
        failure: text(&v["failure"]["kind"]),
        request_id: text(&v["ids"]["request_id"]),
        duration_ms: v["duration_ms"].as_f64(),
    }
}

/// JSON Lines, each bad line a problem.
fn json_objects(s: &str, what: &str, problems: &mut Vec<String>) -> Vec<Json> {
    s.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| match serde_json::from_str::<Json>(l) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(format!("{what} line {} is not JSON ({e}): {l}", i + 1));
                None
            }
        })
        .collect()
}

/// The per-file records of `extract --map` output (header skipped).
fn map_yields(out: &Output, problems: &mut Vec<String>) -> Vec<Json> {
    let mut yields = json_objects(&stdout(out), "--map output", problems);
    yields.retain(|y| y.get("sidtrace_map").is_none());
    yields
}

/// `problems` of a map record as (line, message).
fn map_problems(y: &Json) -> Vec<(Option<u64>, String)> {
    y["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["line"].as_u64(),
                p["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Formatting

/// `[2, 4-9, 12]`: runs of three or more lines as ranges.
fn set_str(s: &BTreeSet<u64>) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &n in s {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .flat_map(|(a, b)| match b - a {
            0 => vec![a.to_string()],
            1 => vec![a.to_string(), b.to_string()],
            _ => vec![format!("{a}-{b}")],
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn rfc3339(nanos: i128) -> String {
    let secs = nanos.div_euclid(1_000_000_000) as i64;
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    DateTime::from_timestamp(secs, sub)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| format!("{nanos} ns"))
}

fn describe_attempt(a: &Attempt) -> String {
    let mut s = format!("attempt #{} evidence {}", a.n, set_str(&a.lines));
    if !a.elsewhere.is_empty() {
        let _ = write!(s, " + {}", a.elsewhere.join(" "));
    }
    let mut fields = Vec::new();
    if let Some(o) = &a.observer {
        fields.push(o.clone());
    }
    if let Some(t) = a.nanos {
        fields.push(rfc3339(t));
    }
    if let Some(r) = &a.recipient {
        fields.push(format!("to {r}"));
    }
    if let Some(v) = &a.sid {
        fields.push(v.clone());
    }
    if let Some(v) = a.status {
        fields.push(format!("status {v}"));
    }
    if let Some(v) = &a.failure {
        fields.push(format!("failure {v}"));
    }
    if let Some(v) = &a.request_id {
        fields.push(format!("request_id {v}"));
    }
    if let Some(v) = a.duration_ms {
        fields.push(format!("{v} ms"));
    }
    let _ = write!(s, " ({})", fields.join(", "));
    s
}

fn describe_post(i: usize, p: &Post) -> String {
    let mut fields = vec![p.observer.clone()];
    if let Some((t, _)) = &p.time {
        fields.push(t.clone());
    }
    if let Some(r) = &p.recipient {
        fields.push(format!("to {r}"));
    }
    if let Some(v) = &p.sid {
        fields.push(v.clone());
    }
    if let Some(v) = p.status {
        fields.push(format!("status {v}"));
    }
    if let Some(v) = &p.failure {
        fields.push(format!("failure {v}"));
    }
    format!(
        "post #{i} evidence {} ({})",
        set_str(&p.evidence),
        fields.join(", ")
    )
}

// ---------------------------------------------------------------------------
// Comparing

/// The fields of `p` that `a` does not have.
fn mismatches(p: &Post, a: &Attempt) -> Vec<String> {
    fn same(m: &mut Vec<String>, name: &str, want: Option<&str>, got: Option<&str>) {
        if let Some(w) = want {
            if got != Some(w) {
                m.push(format!(
                    "{name}: expected {w}, got {}",
                    got.unwrap_or("none")
                ));
            }
        }
    }
    let mut m = Vec::new();
    if let Some((text, want)) = &p.time {
        match a.nanos {
            None => m.push(format!("time: expected {text}, got none")),
            Some(got) if (got - want).abs() > TIME_TOLERANCE_NS => m.push(format!(
                "time: expected {text}, got {} ({:+.6} s)",
                rfc3339(got),
                (got - want) as f64 / 1e9
            )),
            Some(_) => {}
        }
    }
    same(&mut m, "observer", Some(&p.observer), a.observer.as_deref());
    same(
        &mut m,
        "recipient",
        p.recipient.as_deref(),
        a.recipient.as_deref(),
    );
    same(&mut m, "sid", p.sid.as_deref(), a.sid.as_deref());
    if let Some(want) = p.status {
        if a.status != Some(want) {
            m.push(format!(
                "status: expected {want}, got {}",
                a.status.map_or("none".into(), |s| s.to_string())
            ));
        }
    }
    // An HTTP error answer (a 4xx, a 5xx from Twilio) is the call's outcome,
    // not a transport failure: sidtrace reports its status and no failure,
    // which is what an expected `failure = "error"` with that status means.
    let rejected = p.failure.as_deref() == Some("error")
        && a.failure.is_none()
        && a.status.is_some_and(|s| s >= 400);
    if !rejected {
        same(
            &mut m,
            "failure",
            p.failure.as_deref(),
            a.failure.as_deref(),
        );
    }
    same(
        &mut m,
        "request_id",
        p.request_id.as_deref(),
        a.request_id.as_deref(),
    );
    if let Some(want) = p.duration_ms {
        match a.duration_ms {
            Some(got) if (got - want).abs() <= DURATION_TOLERANCE_MS => {}
            got => m.push(format!(
                "duration_ms: expected {want}, got {}",
                got.map_or("none".into(), |g| g.to_string())
            )),
        }
    }
    if !a.elsewhere.is_empty() {
        m.push(format!(
            "evidence in other files: {}",
            a.elsewhere.join(" ")
        ));
    }
    m
}

/// Pairs (row, column) of least total cost, as many as the smaller side
/// has. Exhaustive on the small groups the corpus has, greedy beyond.
fn assign(cost: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let rows = cost.len();
    let cols = cost.first().map_or(0, Vec::len);
    if rows > cols {
        let t: Vec<Vec<usize>> = (0..cols)
            .map(|c| (0..rows).map(|r| cost[r][c]).collect())
            .collect();
        return assign(&t).into_iter().map(|(c, r)| (r, c)).collect();
    }
    if rows > 7 {
        let mut used = vec![false; cols];
        return (0..rows)
            .map(|r| {
                let c = (0..cols)
                    .filter(|&c| !used[c])
                    .min_by_key(|&c| cost[r][c])
                    .expect("rows <= cols");
                used[c] = true;
                (r, c)
            })
            .collect();
    }
    fn go(
        cost: &[Vec<usize>],
        r: usize,
        used: &mut Vec<bool>,
        cur: &mut Vec<usize>,
        sum: usize,
        best: &mut (usize, Vec<usize>),
    ) {
        if sum >= best.0 {
            return;
        }
        if r == cost.len() {
            *best = (sum, cur.clone());
            return;
        }
        for c in 0..used.len() {
            if !used[c] {
                used[c] = true;
                cur.push(c);
                go(cost, r + 1, used, cur, sum + cost[r][c], best);
                cur.pop();
                used[c] = false;
            }
        }
    }
    let mut best = (usize::MAX, Vec::new());
    go(
        cost,
        0,
        &mut vec![false; cols],
        &mut Vec::new(),
        0,
        &mut best,
    );
    best.1.into_iter().enumerate().collect()
}

/// Match the extracted attempts to the expected posts by evidence, then
/// compare fields; every difference is one problem.
fn compare(exp: &Expected, attempts: &[Attempt], lookalikes: &BTreeMap<u64, &str>) -> Vec<String> {
    let mut problems = Vec::new();
    let cites_lookalike = |a: &Attempt| -> String {
        let hits: Vec<String> = a
            .lines
            .iter()
            .filter_map(|l| lookalikes.get(l).map(|k| format!("{l} ({k})")))
            .collect();
        if hits.is_empty() {
            String::new()
        } else {
            format!("; cites lookalike line(s) {}", hits.join(", "))
        }
    };

    // Exact evidence sets first, as multisets.
    let mut groups: BTreeMap<&BTreeSet<u64>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, p) in exp.posts.iter().enumerate() {
        groups.entry(&p.evidence).or_default().0.push(i);
    }
    for (j, a) in attempts.iter().enumerate() {
        groups.entry(&a.lines).or_default().1.push(j);
    }
    let mut free_posts = Vec::new();
    let mut free_attempts = Vec::new();
    for (ev, (ps, ats)) in &groups {
        let cost: Vec<Vec<usize>> = ps
            .iter()
            .map(|&i| {
                ats.iter()
                    .map(|&j| mismatches(&exp.posts[i], &attempts[j]).len())
                    .collect()
            })
            .collect();
        let pairs = assign(&cost);
        for &(r, c) in &pairs {
            let (i, j) = (ps[r], ats[c]);
            let m = mismatches(&exp.posts[i], &attempts[j]);
            if !m.is_empty() {
                problems.push(format!(
                    "post #{} evidence {}: {}",
                    i + 1,
                    set_str(ev),
                    m.join("; ")
                ));
            }
        }
        let paired_posts: BTreeSet<usize> = pairs.iter().map(|p| p.0).collect();
        let paired_attempts: BTreeSet<usize> = pairs.iter().map(|p| p.1).collect();
        for (r, &i) in ps.iter().enumerate() {
            if paired_posts.contains(&r) {
                continue;
            }
            if ats.is_empty() {
                free_posts.push(i);
            } else {
                problems.push(format!(
                    "{}: {} post(s) expected with this evidence, extract gave {} attempt(s) with it",
                    describe_post(i + 1, &exp.posts[i]),
                    ps.len(),
                    ats.len()
                ));
            }
        }
        for (c, &j) in ats.iter().enumerate() {
            if !paired_attempts.contains(&c) && !ps.is_empty() {
                problems.push(format!(
                    "{}: {} attempt(s) with this evidence, only {} post(s) expected{}",
                    describe_attempt(&attempts[j]),
                    ats.len(),
                    ps.len(),
                    cites_lookalike(&attempts[j])
                ));
            } else if ps.is_empty() {
                free_attempts.push(j);
            }
        }
    }

    // Near misses: an unmatched post and an unmatched attempt sharing lines.
    let mut taken = BTreeSet::new();
    for &i in &free_posts {
        let p = &exp.posts[i];
        let near = free_attempts
            .iter()
            .filter(|j| !taken.contains(*j))
            .map(|&j| (p.evidence.intersection(&attempts[j].lines).count(), j))
            .filter(|&(k, _)| k > 0)
            .max_by_key(|&(k, j)| (k, std::cmp::Reverse(j)));
        match near {
            Some((_, j)) => {
                taken.insert(j);
                let a = &attempts[j];
                let missing: BTreeSet<u64> = p.evidence.difference(&a.lines).copied().collect();
                let extra: BTreeSet<u64> = a.lines.difference(&p.evidence).copied().collect();
                let mut s = format!(
                    "post #{}: evidence {} vs expected {} (missing {}, extra {})",
                    i + 1,
                    set_str(&a.lines),
                    set_str(&p.evidence),
                    set_str(&missing),
                    set_str(&extra)
                );
                let m = mismatches(p, a);
                if !m.is_empty() {
                    let _ = write!(s, "; also {}", m.join("; "));
                }
                s.push_str(&cites_lookalike(a));
                problems.push(s);
            }
            None => {
                let overlapping: Vec<String> = attempts
                    .iter()
                    .filter(|a| a.lines.intersection(&p.evidence).next().is_some())
                    .map(|a| format!("#{} {}", a.n, set_str(&a.lines)))
                    .collect();
                let mut s = format!("{}: not found", describe_post(i + 1, p));
                if overlapping.is_empty() {
                    s.push_str(" (no attempt cites any of its lines)");
                } else {
                    let _ = write!(
                        s,
                        " (attempts citing some of its lines: {})",
                        overlapping.join(", ")
                    );
                }
                problems.push(s);
            }
        }
    }
    for &j in &free_attempts {
        if taken.contains(&j) {
            continue;
        }
        let a = &attempts[j];
        let overlapping: Vec<String> = exp
            .posts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.evidence.intersection(&a.lines).next().is_some())
            .map(|(i, p)| format!("post #{} {}", i + 1, set_str(&p.evidence)))
            .collect();
        let mut s = format!("{}: not expected", describe_attempt(a));
        if !overlapping.is_empty() {
            let _ = write!(s, " (overlaps {})", overlapping.join(", "));
        }
        s.push_str(&cites_lookalike(a));
        problems.push(s);
    }
    problems
}

/// The lines of a plain file (1-based through the index + 1); a final
/// newline starts no line.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn names_messages_json(line: &[u8]) -> bool {
    line.windows(NEEDLE.len()).any(|w| w == NEEDLE)
}

/// The files to check: `.log` files with their expectation (relative to the
/// corpus), and problems for a `.log` or an expectation alone.
fn corpus_cases() -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).expect("corpus directory").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                let rel = p.strip_prefix(base).expect("under corpus");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let base = root().join(CORPUS);
    let mut files = Vec::new();
    walk(&base, &base, &mut files);
    files.sort();
    let all: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let mut logs = Vec::new();
    let mut orphans: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        if let Some(stem) = f.strip_suffix(".log") {
            if all.contains(format!("{stem}.expect.toml").as_str()) {
                logs.push(f.clone());
            } else {
                orphans
                    .entry(f.clone())
                    .or_default()
                    .push(format!("fixture: no {stem}.expect.toml beside it"));
            }
        } else if let Some(stem) = f.strip_suffix(".expect.toml") {
            if !all.contains(format!("{stem}.log").as_str()) {
                orphans
                    .entry(f.clone())
                    .or_default()
                    .push(format!("fixture: no {stem}.log beside it"));
            }
        }
    }
    (logs, orphans)
}

fn filter() -> Option<String> {
    std::env::var(FILTER_VAR).ok().filter(|s| !s.is_empty())
}

fn selected(rel: &str, filter: &Option<String>) -> bool {
    filter.as_ref().is_none_or(|f| rel.contains(f.as_str()))
}

/// Check one corpus file; returns its problems and a short description.
fn check_case(rel: &str) -> (Vec<String>, String) {
    let mut problems = Vec::new();
    let path = format!("{CORPUS}/{rel}");
    let stem = rel.strip_suffix(".log").expect(".log");
    let exp_path = root().join(format!("{CORPUS}/{stem}.expect.toml"));
    let text = fs::read_to_string(&exp_path).expect("expectation readable");
    let exp = match parse_expectation(&text) {
        Ok(e) => e,
        Err(errs) => {
            problems.extend(errs.into_iter().map(|e| format!("expectation: {e}")));
            return (problems, "expectation unreadable".into());
        }
    };
    let bytes = fs::read(root().join(&path)).expect("log readable");
    let lines = split_lines(&bytes);
    let n_lines = lines.len() as u64;

    // The fixture itself.
    let mut evidence_of: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, p) in exp.posts.iter().enumerate() {
        for &l in &p.evidence {
            evidence_of.entry(l).or_default().push(i + 1);
            if l > n_lines {
                problems.push(format!(
                    "expectation: post #{} cites line {l}, the file has {n_lines} line(s)",
                    i + 1
                ));
            }
        }
    }
    let mut lookalikes: BTreeMap<u64, &str> = BTreeMap::new();
    for lk in &exp.lookalikes {
        if lookalikes.insert(lk.line, &lk.kind).is_some() {
            problems.push(format!(
                "expectation: line {} is listed as a lookalike twice",
                lk.line
            ));
        }
        if let Some(posts) = evidence_of.get(&lk.line) {
            problems.push(format!(
                "expectation: lookalike line {} is also evidence of post(s) {posts:?}",
                lk.line
            ));
        }
        if lk.line > n_lines {
            problems.push(format!(
                "expectation: lookalike line {}, the file has {n_lines} line(s)",
                lk.line
            ));
        }
    }
    for (k, l) in lines.iter().enumerate() {
        let n = k as u64 + 1;
        if names_messages_json(l) && !evidence_of.contains_key(&n) && !lookalikes.contains_key(&n) {
            problems.push(format!(
                "fixture: line {n} contains Messages.json but is neither a post's evidence nor a [[lookalike]]"
            ));
        }
    }

    // What extract makes of it.
    let out = run(&["extract", "--quiet", &path]);
    let code = out.status.code();
    if !code.is_some_and(|c| RAN.contains(&c)) {
        problems.push(format!(
            "extract exited with {code:?}: {}",
            stderr(&out).trim()
        ));
    }
    let attempts: Vec<Attempt> = json_objects(&stdout(&out), "extract output", &mut problems)
        .iter()
        .enumerate()
        .map(|(k, v)| attempt_of(k + 1, v, &path))
        .collect();
    problems.extend(compare(&exp, &attempts, &lookalikes));

    // Problems extract reports on lines that are posts.
    let map = run(&["extract", "--quiet", "--map", &path]);
    let mut format = String::from("?");
    for y in map_yields(&map, &mut problems) {
        if y["summary"]["file"].as_str() == Some(path.as_str()) {
            format = y["summary"]["format"].as_str().unwrap_or("?").to_string();
        }
        for (line, msg) in map_problems(&y) {
            let Some(posts) = line.and_then(|l| evidence_of.get(&l)) else {
                continue;
            };
            if NOT_READ.iter().any(|w| msg.contains(w)) {
                problems.push(format!(
                    "line {} (evidence of post(s) {posts:?}): extract reports: {msg}",
                    line.unwrap_or(0)
                ));
            }
        }
    }
    let what = format!(
        "format {format}, {} post(s) and {} lookalike(s) expected, {} attempt(s) extracted, exit {}",
        exp.posts.len(),
        exp.lookalikes.len(),
        attempts.len(),
        code.map_or("?".into(), |c| c.to_string())
    );
    (problems, what)
}

/// Every corpus file, as its expectation says.
#[test]
fn format_corpus_matches_its_expectations() {
    let filter = filter();
    let (logs, orphans) = corpus_cases();
    let mut report = String::new();
    let mut checked = 0;
    let mut failed = Vec::new();
    for (rel, problems) in &orphans {
        if selected(rel, &filter) {
            eprintln!("format_corpus: {rel}: {} problem(s)", problems.len());
            let _ = writeln!(report, "\n{rel}:");
            for p in problems {
                let _ = writeln!(report, "  - {p}");
            }
            failed.push(rel.clone());
        }
    }
    for rel in logs.iter().filter(|r| selected(r, &filter)) {
        checked += 1;
        let (problems, what) = check_case(rel);
        if problems.is_empty() {
            eprintln!("format_corpus: {rel}: ok");
        } else {
            eprintln!("format_corpus: {rel}: {} problem(s)", problems.len());
            for p in &problems {
                eprintln!("  - {p}");
            }
            let _ = writeln!(report, "\n{rel} [{what}]: {} problem(s)", problems.len());
            for p in &problems {
                let _ = writeln!(report, "  - {p}");
            }
            failed.push(rel.clone());
        }
    }
    assert!(
        checked > 0 || !orphans.is_empty(),
        "no corpus file matches {FILTER_VAR}={:?}",
        filter.unwrap_or_default()
    );
    let mut per_dir: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for rel in logs.iter().filter(|r| selected(r, &filter)) {
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        let e = per_dir.entry(dir).or_default();
        e.1 += 1;
        if !failed.contains(rel) {
            e.0 += 1;
        }
    }
    let _ = writeln!(report, "\nfiles that match, by directory:");
    for (dir, (ok, all)) in &per_dir {
        let _ = writeln!(report, "  {dir}/: {ok} of {all}");
    }
    // Files the engine does not read right yet are listed, each with what is
    // missing, in known-gaps.txt: they are reported, and must leave the list
    // the day they pass; every other file must match.
    let gaps = known_gaps();
    let fixed: Vec<&String> = logs
        .iter()
        .filter(|r| selected(r, &filter) && gaps.contains_key(r.as_str()) && !failed.contains(r))
        .collect();
    assert!(
        fixed.is_empty(),
        "these files now match their expectation: take them out of {GAPS_FILE}: {fixed:?}"
    );
    let known: Vec<&String> = failed
        .iter()
        .filter(|r| gaps.contains_key(r.as_str()))
        .collect();
    eprintln!(
        "format_corpus: {} known gap(s) (see {GAPS_FILE}): {known:?}",
        known.len()
    );
    let failed: Vec<String> = failed
        .into_iter()
        .filter(|r| !gaps.contains_key(r.as_str()))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {checked} format corpus file(s) do not match their expectation \
         (lines are 1-based, `[2-5]` = lines 2 to 5; `evidence A vs expected B`: \
         the attempt extract made cites A where the expectation says B):\n{report}",
        failed.len()
    );
}

/// The corpus files the engine does not yet read as their expectation says.
const GAPS_FILE: &str = "tests/data/formats/known-gaps.txt";

/// `path  # what is missing` per line; blank lines and `#` lines skipped.
fn known_gaps() -> BTreeMap<String, String> {
    let text = fs::read_to_string(root().join(GAPS_FILE)).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (path, why) = l.split_once('#').unwrap_or((l, ""));
            (path.trim().to_string(), why.trim().to_string())
        })
        .collect()
}

/// Over the whole corpus at once: each line naming Messages.json is cited
/// by an attempt, counted as a look-alike, or counted (and reported) as
/// an unparsed candidate. Nothing vanishes.
#[test]
fn no_line_naming_messages_json_vanishes() {
    let filter = filter();
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut general = Vec::new();

    // The format chosen for each file (for the report).
    let check = run(&["formats", "check", CORPUS]);
    let formats: BTreeMap<String, String> = stdout(&check)
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| {
            let (file, rest) = l.split_once(": format ")?;
            let name = rest.split(' ').next()?;
            Some((file.to_string(), name.to_string()))
        })
        .collect();
    if !check.status.code().is_some_and(|c| RAN.contains(&c)) {
        general.push(format!(
            "formats check exited with {:?}: {}",
            check.status.code(),
            stderr(&check).trim()
        ));
    }

    // The attempts, the summary on standard error and the exit status.
    let ex = run(&["extract", CORPUS]);
    let code = ex.status.code();
    let err = stderr(&ex);
    if !code.is_some_and(|c| RAN.contains(&c)) {
        general.push(format!("extract exited with {code:?}: {}", err.trim()));
    }
    let mut cited: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for v in json_objects(&stdout(&ex), "extract output", &mut general) {
        for e in v["evidence"].as_array().into_iter().flatten() {
            if let (Some(f), Some(l)) = (e["file"].as_str(), e["line"].as_u64()) {
                cited.entry(f.to_string()).or_default().insert(l);
            }
        }
    }

    // Each file's counts.
    let map = run(&["extract", "--quiet", "--map", CORPUS]);
    let yields = map_yields(&map, &mut general);
    assert!(
        !yields.is_empty(),
        "extract --map {CORPUS} gave no file records:\n{}",
        stderr(&map)
    );
    let mut checked = 0;
    for y in &yields {
        let s = &y["summary"];
        let Some(file) = s["file"].as_str() else {
            general.push(format!("map record without summary.file: {y}"));
            continue;
        };
        let rel = file.strip_prefix(&format!("{CORPUS}/")).unwrap_or(file);
        if !selected(rel, &filter) {
            continue;
        }
        checked += 1;
        let mut mine = Vec::new();
        let count = |k: &str| s[k].as_u64().unwrap_or(0);
        if s["compression"].as_str() != Some("plain") {
            mine.push(format!(
                "not plain ({}): the test cannot count its lines",
                s["compression"]
            ));
            problems.insert(rel.to_string(), mine);
            continue;
        }
        let bytes = fs::read(root().join(file)).expect("corpus file readable");
        let naming: BTreeSet<u64> = split_lines(&bytes)
            .iter()
            .enumerate()
            .filter(|(_, l)| names_messages_json(l))
            .map(|(k, _)| k as u64 + 1)
            .collect();
        let empty = BTreeSet::new();
        let cited_here: BTreeSet<u64> = naming
            .intersection(cited.get(file).unwrap_or(&empty))
            .copied()
            .collect();
        let lookalikes: BTreeMap<String, u64> = s["lookalikes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
            .collect();
        let n_lookalikes: u64 = lookalikes.values().sum();
        // outcome records are settled when the map files are reduced: those
        // cited by no attempt are then counted as unread candidates
        let unsettled = s["outcome_lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_u64)
            .filter(|l| !cited_here.contains(l))
            .count() as u64;
        let unparsed = count("unparsed_candidates") + unsettled;
        let accounted = cited_here.len() as u64 + n_lookalikes + unparsed;
        if naming.len() as u64 != accounted {
            let uncited: BTreeSet<u64> = naming.difference(&cited_here).copied().collect();
            let reported: BTreeSet<u64> = map_problems(y)
                .into_iter()
                .filter_map(|(l, _)| l)
                .filter(|l| uncited.contains(l))
                .collect();
            mine.push(format!(
                "{} line(s) name Messages.json, but {} cited as evidence + {} lookalike(s) {:?} \
                 + {} unparsed candidate(s) (of which {} not read as a POST) = {accounted}; \
                 prefilter candidates {}; lines not cited {}, of them cited in a problem {}",
                naming.len(),
                cited_here.len(),
                n_lookalikes,
                lookalikes,
                unparsed,
                count("not_read_as_post"),
                count("candidates"),
                set_str(&uncited),
                set_str(&reported),
            ));
        }
        if unparsed > 0 {
            if code != Some(3) {
                mine.push(format!(
                    "{unparsed} unparsed candidate(s) but extract exited with {code:?}, not 3"
                ));
            }
            let note = format!(", {unparsed} of them mention Messages.json");
            let prefix = format!("sidtrace: {file}: ");
            if !err
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(&note))
            {
                mine.push(format!(
                    "{unparsed} unparsed candidate(s) but standard error has no line \
                     `{prefix}… not parsed as …{note}`"
                ));
            }
        }
        if !mine.is_empty() {
            problems.insert(
                format!(
                    "{rel} [format {}]",
                    formats.get(file).map_or("?", String::as_str)
                ),
                mine,
            );
        }
    }
    assert!(
        checked > 0,
        "no corpus file matches {FILTER_VAR}={:?}",
        filter.unwrap_or_default()
    );
    eprintln!(
        "no_line_naming_messages_json_vanishes: {checked} file(s) checked, {} with problems",
        problems.len()
    );
    let mut report = String::new();
    for g in &general {
        let _ = writeln!(report, "  - {g}");
    }
    for (f, ps) in &problems {
        let _ = writeln!(report, "\n{f}:");
        for p in ps {
            let _ = writeln!(report, "  - {p}");
        }
    }
    assert!(
        problems.is_empty() && general.is_empty(),
        "lines naming Messages.json not accounted for in {} of {checked} file(s) \
         (each must be cited as evidence, counted as a lookalike, or counted as an \
         unparsed candidate and reported):\n{report}",
        problems.len()
    );
}

/// The expectation reader ignores unknown keys and rejects documented keys
/// of the wrong shape (no binary run).
#[test]
fn expectation_files_are_read_strictly() {
    let good = r#"
source = "s"
shape = "x"
reviewed_by = "someone"      # unknown: ignored

[[post]]                     # a comment
evidence = [3, 4]
time = "2026-11-20T15:12:08.750+01:00"
observer = "app"
duration_ms = 512
note = "ignored"

[[lookalike]]
line = 7
kind = "tunnel"
"#;
    let e = parse_expectation(good).expect("good expectation");
    assert_eq!(e.posts.len(), 1);
    assert_eq!(e.posts[0].evidence, BTreeSet::from([3, 4]));
    assert_eq!(
        e.posts[0].time.as_ref().map(|t| t.1),
        Some(1_795_183_928_750_000_000)
    );
    assert_eq!(e.posts[0].duration_ms, Some(512.0));
    assert_eq!(e.lookalikes[0].line, 7);

    let bad = r#"
source = "s"
[[post]]
evidence = [0, "4"]
time = "20 Nov 2026"
observer = "proxy"
recipient = "4155550134"
sid = "SM123"
status = 2010
failure = "crash"
duration_ms = "5"
[[lookalike]]
line = 3
kind = "webhook"
"#;
    let errs = parse_expectation(bad).expect_err("bad expectation");
    let all = errs.join("\n");
    for what in [
        "`shape` is missing",
        "`evidence` must hold line numbers",
        "`time`",
        "`observer`",
        "`recipient`",
        "`sid`",
        "`status`",
        "`failure`",
        "`duration_ms`",
        "`kind`",
    ] {
        assert!(all.contains(what), "{what} not reported in:\n{all}");
    }
}
