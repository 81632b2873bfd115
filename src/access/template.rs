//! The compiled form shared by both dialects: a list of [`Step`]s (literal
//! text and fields) and the line matcher that walks them.
//!
//! Design rationale: a line is matched in one pass over the steps. A field
//! ends where the next literal starts, found with `memchr`/`memmem`; quoted
//! fields end at the first closing quote their escaping allows. Only fields
//! whose end is genuinely ambiguous (raw `escape=none` quoted values) try
//! later candidates, under a small budget. Values are unescaped and typed
//! only after the whole line matched.

use std::borrow::Cow;

use memchr::{memchr, memmem};

use crate::model::{Precision, Stamp, TimeAnchor};
use crate::record::AccessLine;
use crate::time::{parse_clf, parse_epoch_str, parse_iso8601};

use super::roles::{Role, RoleField};
use super::strftime::{StrfSpec, TimeParts};
use super::LineError;

/// Key of [`AccessLine::fields`] holding text found after a complete match.
pub const TRAILING: &str = "_trailing";

/// How values were escaped by the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unescape {
    /// nginx `escape=default`: `\xHH`.
    NginxDefault,
    /// nginx `escape=json`: JSON string escapes.
    Json,
    /// nginx `escape=none`: raw bytes.
    Raw,
    /// Apache `ap_escape_logitem`: `\" \\ \n \t \xhh` …
    Apache,
}

/// Which part of a request a field is, and how its value is typed. The
/// parts the roles table names (ids, client, upstream, duration …) are
/// [`Kind::Role`]; the others are the line's structure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    RemoteUser,
    /// `[10/Oct/2000:13:55:36 -0700]` with or without brackets.
    TimeClf(TimeAnchor),
    TimeIso,
    TimeMsec,
    TimeStrf(StrfSpec),
    Request,
    Method,
    /// `$request_uri`: path and query.
    Target,
    /// `$uri`, `%U`: path only.
    Path,
    /// `%q`: `?query` or empty.
    QueryWithMark,
    /// `$args`: the query without `?`.
    Args,
    /// `$is_args`: `?` or empty.
    IsArgs,
    Protocol,
    /// Status; `true` for the final status.
    Status(bool),
    /// Bytes; `strong` for body bytes, `dash_zero` when `-` means 0.
    Bytes {
        strong: bool,
        dash_zero: bool,
    },
    /// An integer that is not a size (`$request_length`, `%P`).
    Number,
    /// An `$upstream_*` list the roles table does not name.
    UpstreamOther,
    /// A field the roles table gives a role.
    Role(RoleField),
    Other,
}

impl Kind {
    /// Values of these kinds never contain spaces, so as the last field
    /// they end at the first space (the rest is trailing text).
    fn is_token(&self) -> bool {
        matches!(
            self,
            Kind::Status(_)
                | Kind::Bytes { .. }
                | Kind::Number
                | Kind::TimeMsec
                | Kind::TimeIso
                | Kind::TimeClf(_)
                | Kind::TimeStrf(_)
                | Kind::Role(RoleField { token: true, .. })
        )
    }

    fn is_upstream_list(&self) -> bool {
        match self {
            Kind::UpstreamOther => true,
            Kind::Role(r) => r.is_upstream_list(),
            _ => false,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Kind::Status(_) => "a 3-digit status",
            Kind::Bytes { .. } => "a byte count",
            Kind::Role(RoleField {
                role: Role::Duration,
                ..
            }) => "a duration",
            Kind::Number => "a number",
            Kind::TimeClf(_) => "a time like 10/Oct/2000:13:55:36 -0700",
            Kind::TimeIso => "an ISO 8601 time",
            Kind::TimeMsec => "an epoch time like 1700000000.123",
            Kind::TimeStrf(_) => "a time in the format's notation",
            _ => "a value",
        }
    }
}

/// One field of a template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// Key in [`AccessLine::fields`].
    pub name: String,
    pub kind: Kind,
    /// Spaces the value itself contains (Apache `%t` has one): the search
    /// for the next literal starts after that many spaces.
    pub spaces: usize,
}

/// A template step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Lit(Vec<u8>),
    Field(Field),
}

/// A compiled template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub steps: Vec<Step>,
    pub unescape: Unescape,
}

/// How many candidate ends a line may try before giving up.
const BUDGET: usize = 256;

struct Matcher<'a> {
    steps: &'a [Step],
    line: &'a [u8],
    unescape: Unescape,
    budget: usize,
    /// Value span of each step (fields only).
    spans: Vec<(usize, usize)>,
    /// Furthest failure: offset and what was expected there.
    fail_at: usize,
    fail_expected: String,
}

impl Template {
    /// Merge adjacent literals and drop empty ones.
    pub fn normalize(steps: Vec<Step>) -> Vec<Step> {
        let mut out: Vec<Step> = Vec::with_capacity(steps.len());
        for s in steps {
            match s {
                Step::Lit(l) if l.is_empty() => {}
                Step::Lit(l) => {
                    if let Some(Step::Lit(prev)) = out.last_mut() {
                        prev.extend_from_slice(&l);
                    } else {
                        out.push(Step::Lit(l));
                    }
                }
                f => out.push(f),
            }
        }
        out
    }

    /// Literal bytes plus four per field.
    pub fn specificity(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Lit(l) => l.len(),
                Step::Field(_) => 4,
            })
            .sum()
    }

    /// Match one line and decode it.
    pub fn parse(&self, line: &[u8]) -> Result<AccessLine, LineError> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut m = Matcher {
            steps: &self.steps,
            line,
            unescape: self.unescape,
            budget: BUDGET,
            spans: vec![(0, 0); self.steps.len()],
            fail_at: 0,
            fail_expected: String::new(),
        };
        match m.run(0, 0) {
            Some(end) => Ok(self.decode(line, &m.spans, end)),
            None => Err(LineError {
                offset: m.fail_at,
                expected: if m.fail_expected.is_empty() {
                    "a line in this format".to_string()
                } else {
                    m.fail_expected
                },
            }),
        }
    }

    fn decode(&self, line: &[u8], spans: &[(usize, usize)], end: usize) -> AccessLine {
        let mut out = AccessLine::default();
        let mut values: Vec<(&Field, Option<String>)> = Vec::new();
        for (step, &(a, b)) in self.steps.iter().zip(spans) {
            if let Step::Field(f) = step {
                let raw = line.get(a..b).unwrap_or_default();
                let text = String::from_utf8_lossy(&unescape(raw, self.unescape)).into_owned();
                let present = !(text.is_empty() || text == "-");
                if present {
                    out.fields.insert(f.name.clone(), text.clone());
                }
                values.push((f, present.then_some(text)));
            }
        }
        if end < line.len() {
            let rest = line.get(end..).unwrap_or_default();
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            out.fields.insert(
                TRAILING.to_string(),
                String::from_utf8_lossy(rest).into_owned(),
            );
        }
        let mut parts = TimeParts::default();
        let mut strf_anchor = None;
        let mut path: Option<String> = None;
        let mut query: Option<String> = None;
        for strong in [false, true] {
            for (f, v) in &values {
                apply(&mut out, f, v.as_deref(), strong, &mut path, &mut query);
                if !strong {
                    if let (Kind::TimeStrf(spec), Some(v)) = (&f.kind, v) {
                        spec.parse_into(v, &mut parts);
                        strf_anchor = Some(spec.anchor());
                    }
                }
            }
        }
        if out.time.is_none() {
            if let (Some(t), Some(anchor)) = (parts.stamp(), strf_anchor) {
                out.time = Some(t);
                out.time_anchor = Some(anchor);
            }
        }
        if out.target.is_none() {
            match (path, query) {
                (Some(p), Some(q)) => out.target = Some(format!("{p}{q}")),
                (Some(p), None) => out.target = Some(p),
                (None, Some(q)) => out.target = Some(q),
                (None, None) => {}
            }
        }
        out
    }
}

/// Set `slot` from `v` when this is the kind's pass (weak values fill an
/// empty slot, strong ones override).
fn set<T>(slot: &mut Option<T>, v: Option<T>, strong: bool) {
    if let Some(v) = v {
        if strong || slot.is_none() {
            *slot = Some(v);
        }
    }
}

fn apply(
    out: &mut AccessLine,
    f: &Field,
    v: Option<&str>,
    pass_strong: bool,
    path: &mut Option<String>,
    query: &mut Option<String>,
) {
    let owned = || v.map(str::to_string);
    // Which pass each kind belongs to.
    let strong = match &f.kind {
        Kind::TimeMsec | Kind::Status(true) | Kind::Request => true,
        Kind::Bytes { strong, .. } => *strong,
        Kind::Role(r) => r.strong,
        _ => false,
    };
    if strong != pass_strong {
        return;
    }
    match &f.kind {
        Kind::RemoteUser => set(&mut out.remote_user, owned(), strong),
        Kind::TimeClf(anchor) => {
            if let Some(t) = v.and_then(parse_clf) {
                set(&mut out.time, Some(t), strong);
                set(&mut out.time_anchor, Some(*anchor), strong);
            }
        }
        Kind::TimeIso => {
            if let Some(t) = v.and_then(parse_iso8601) {
                set(&mut out.time, Some(t), strong);
                set(&mut out.time_anchor, Some(TimeAnchor::RequestEnd), strong);
            }
        }
        Kind::TimeMsec => {
            if let Some(t) = v.and_then(parse_msec) {
                set(&mut out.time, Some(t), strong);
                set(&mut out.time_anchor, Some(TimeAnchor::RequestEnd), strong);
            }
        }
        Kind::TimeStrf(_) => {}
        Kind::Request => {
            out.request_line = owned();
            if let Some(r) = v {
                let (m, t, p) = split_request(r);
                set(&mut out.method, m, strong);
                set(&mut out.target, t, strong);
                set(&mut out.protocol, p, strong);
            }
        }
        Kind::Method => set(&mut out.method, owned(), strong),
        Kind::Target => set(&mut out.target, owned(), strong),
        Kind::Path => set(path, owned(), strong),
        Kind::QueryWithMark => set(query, owned(), strong),
        Kind::Args => set(query, v.map(|a| format!("?{a}")), strong),
        Kind::IsArgs => {}
        Kind::Protocol => set(&mut out.protocol, owned(), strong),
        Kind::Status(_) => set(&mut out.status, v.and_then(|s| s.parse().ok()), strong),
        Kind::Bytes { dash_zero, .. } => {
            let n = match v {
                Some(s) => s.parse().ok(),
                None if *dash_zero => Some(0),
                None => None,
            };
            set(&mut out.bytes_sent, n, strong);
        }
        Kind::Role(r) => match r.role {
            Role::RemoteAddr => set(&mut out.remote_addr, owned(), strong),
            Role::Duration => {
                let d = v
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|d| d.is_finite())
                    .map(|d| d * r.ms_per_unit);
                set(&mut out.duration_ms, d, strong);
            }
            Role::UpstreamAddr => set(&mut out.upstream_addr, owned(), strong),
            Role::UpstreamStatus => set(&mut out.upstream_status, owned(), strong),
            Role::UpstreamResponseTime => set(&mut out.upstream_response_time, owned(), strong),
            Role::RequestId => set(&mut out.request_id, owned(), strong),
            Role::RequestBody => set(&mut out.request_body, owned(), strong),
            Role::Vhost => set(&mut out.vhost, owned(), strong),
            Role::Referer => set(&mut out.referer, owned(), strong),
            Role::UserAgent => set(&mut out.user_agent, owned(), strong),
            Role::ForwardedFor => set(&mut out.forwarded_for, owned(), strong),
            // the other ids are read from `fields` by name (see the roles
            // table's id sources)
            Role::TraceId
            | Role::Traceparent
            | Role::SpanId
            | Role::JobId
            | Role::TwilioRequestId => {}
        },
        Kind::Number | Kind::UpstreamOther | Kind::Other => {}
    }
}

/// `$msec`: epoch seconds with a fraction (always seconds, whatever the
/// magnitude).
fn parse_msec(s: &str) -> Option<Stamp> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let st = parse_epoch_str(s)?;
    // parse_epoch_str picks the unit by magnitude; a `$msec` is seconds.
    let precision = Precision::from_fraction_digits(frac.len());
    Some(Stamp::new(st.nanos, precision, Some(0)))
}

/// Split a request line into method, target and protocol when it has that
/// shape. Anything else (`-`, binary junk, `HELP`) gives no method.
pub fn split_request(r: &str) -> (Option<String>, Option<String>, Option<String>) {
    let Some((method, rest)) = r.split_once(' ') else {
        return (None, None, None);
    };
    let method_ok = !method.is_empty()
        && method.len() <= 24
        && method
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
    if !method_ok || rest.is_empty() {
        return (None, None, None);
    }
    let (target, protocol) = match rest.rsplit_once(' ') {
        Some((t, p)) if p.starts_with("HTTP/") => (t, Some(p.to_string())),
        _ => (rest, None),
    };
    let target = (!target.is_empty()).then(|| target.to_string());
    (Some(method.to_string()), target, protocol)
}

impl Matcher<'_> {
    fn fail(&mut self, at: usize, expected: impl FnOnce() -> String) {
        if at >= self.fail_at {
            self.fail_at = at;
            self.fail_expected = expected();
        }
    }

    /// Match steps from `si` at byte `pos`; the end of the match on success.
    fn run(&mut self, si: usize, pos: usize) -> Option<usize> {
        let line = self.line;
        let Some(step) = self.steps.get(si) else {
            // Template done: the line ends here or goes on after a space.
            return match line.get(pos) {
                None | Some(b' ') => Some(pos),
                Some(_) => {
                    self.fail(pos, || "end of line".to_string());
                    None
                }
            };
        };
        match step {
            Step::Lit(l) => {
                if line.get(pos..).is_some_and(|rest| rest.starts_with(l)) {
                    self.run(si + 1, pos + l.len())
                } else {
                    self.fail(pos, || format!("{:?}", String::from_utf8_lossy(l)));
                    None
                }
            }
            Step::Field(f) => {
                let candidates = self.candidates(si, f, pos);
                for end in candidates {
                    if self.budget == 0 {
                        self.fail(pos, || "a simpler line (too many ways to match)".into());
                        return None;
                    }
                    self.budget -= 1;
                    let value = line.get(pos..end).unwrap_or_default();
                    if !valid(&f.kind, value) {
                        self.fail(pos, || f.kind.describe().to_string());
                        continue;
                    }
                    if let Some(slot) = self.spans.get_mut(si) {
                        *slot = (pos, end);
                    }
                    if let Some(done) = self.run(si + 1, end) {
                        return Some(done);
                    }
                }
                None
            }
        }
    }

    /// Possible end offsets of field `f` starting at `pos`, best first.
    fn candidates(&mut self, si: usize, f: &Field, pos: usize) -> Vec<usize> {
        let line = self.line;
        let rest = line.get(pos..).unwrap_or_default();
        let after_spaces = skip_spaces(rest, f.spaces);
        if matches!(f.kind, Kind::IsArgs) {
            return vec![pos + usize::from(rest.first() == Some(&b'?'))];
        }
        match self.steps.get(si + 1) {
            None => {
                if f.kind.is_token() {
                    let from = after_spaces;
                    let end = memchr(b' ', rest.get(from..).unwrap_or_default())
                        .map_or(rest.len(), |i| from + i);
                    vec![pos + end]
                } else {
                    vec![line.len()]
                }
            }
            Some(Step::Field(next)) => {
                // Adjacent fields: only `…$is_args$args` / `%U%q` shapes.
                let bound = self.adjacent_bound(si + 1, pos);
                match next.kind {
                    Kind::IsArgs | Kind::QueryWithMark | Kind::Args => {
                        let q = memchr(b'?', rest.get(..bound).unwrap_or_default());
                        vec![pos + q.unwrap_or(bound)]
                    }
                    _ => vec![pos + bound],
                }
            }
            Some(Step::Lit(l)) => {
                let quoted = self.is_quoted(si, l);
                let v: Vec<usize> = if quoted {
                    match self.unescape {
                        Unescape::Apache | Unescape::Json => {
                            vec![pos + closing_quote_escaped(rest).unwrap_or(rest.len())]
                        }
                        Unescape::NginxDefault => {
                            vec![pos + memchr(b'"', rest).unwrap_or(rest.len())]
                        }
                        Unescape::Raw => memmem::find_iter(rest, l).map(|i| pos + i).collect(),
                    }
                } else if f.kind.is_upstream_list() && l.first() == Some(&b' ') {
                    let found = memmem::find_iter(rest, l).find(|&i| {
                        let before = i.checked_sub(1).and_then(|j| rest.get(j));
                        let colon_before = i >= 2 && rest.get(i - 2..i) == Some(b" :");
                        before != Some(&b',')
                            && !colon_before
                            && !rest.get(i..).is_some_and(|r| r.starts_with(b" : "))
                    });
                    found.map(|i| vec![pos + i]).unwrap_or_default()
                } else {
                    let from = after_spaces;
                    memmem::find(rest.get(from..).unwrap_or_default(), l)
                        .map(|i| vec![pos + from + i])
                        .unwrap_or_default()
                };
                if v.is_empty() {
                    // Point at where the value would naturally end.
                    let at = if quoted {
                        line.len()
                    } else {
                        let tail = rest.get(after_spaces..).unwrap_or_default();
                        pos + memchr(b' ', tail).map_or(rest.len(), |i| after_spaces + i)
                    };
                    self.fail(at, || format!("{:?}", String::from_utf8_lossy(l)));
                }
                v
            }
        }
    }

    /// For adjacent fields: how far (relative to `pos`) the run of fields
    /// starting at step `si` may extend: up to the next literal, or the end.
    fn adjacent_bound(&self, si: usize, pos: usize) -> usize {
        let rest = self.line.get(pos..).unwrap_or_default();
        for s in self.steps.get(si..).unwrap_or_default() {
            if let Step::Lit(l) = s {
                return memmem::find(rest, l).unwrap_or(rest.len());
            }
        }
        memchr(b' ', rest).unwrap_or(rest.len())
    }

    /// A field between a literal ending in `"` and one starting with `"`.
    fn is_quoted(&self, si: usize, next: &[u8]) -> bool {
        let prev_quote = si
            .checked_sub(1)
            .and_then(|i| self.steps.get(i))
            .is_some_and(|s| matches!(s, Step::Lit(l) if l.last() == Some(&b'"')));
        prev_quote && next.first() == Some(&b'"')
    }
}

/// Offset just past `n` spaces in `s` (0 when `n` is 0; `s.len()` when short).
fn skip_spaces(s: &[u8], n: usize) -> usize {
    let mut at = 0;
    for _ in 0..n {
        match memchr(b' ', s.get(at..).unwrap_or_default()) {
            Some(i) => at += i + 1,
            None => return s.len(),
        }
    }
    at
}

/// The first `"` not preceded by an escaping backslash.
fn closing_quote_escaped(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn is_missing(v: &[u8]) -> bool {
    v.is_empty() || v == b"-"
}

fn is_number(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

fn is_decimal(v: &[u8]) -> bool {
    let mut dots = 0;
    !v.is_empty()
        && v.first().is_some_and(u8::is_ascii_digit)
        && v.iter().all(|&b| {
            if b == b'.' {
                dots += 1;
            }
            b.is_ascii_digit() || b == b'.'
        })
        && dots <= 1
}

/// Cheap structural checks that keep detection honest.
fn valid(kind: &Kind, v: &[u8]) -> bool {
    match kind {
        Kind::Status(_) => v.len() == 3 && is_number(v),
        Kind::Bytes { .. } | Kind::Number => is_missing(v) || is_number(v),
        Kind::Role(r) => match r.role {
            Role::Duration if r.integer => is_missing(v) || is_number(v),
            Role::Duration => is_missing(v) || is_decimal(v),
            Role::UpstreamResponseTime => {
                is_missing(v)
                    || is_decimal(v)
                    || v.iter()
                        .all(|&b| b.is_ascii_digit() || b" .,:-".contains(&b))
            }
            _ => true,
        },
        Kind::TimeClf(_) => std::str::from_utf8(v).ok().and_then(parse_clf).is_some(),
        Kind::TimeIso => std::str::from_utf8(v)
            .ok()
            .and_then(parse_iso8601)
            .is_some(),
        Kind::TimeMsec => std::str::from_utf8(v).ok().and_then(parse_msec).is_some(),
        Kind::TimeStrf(spec) => std::str::from_utf8(v)
            .ok()
            .is_some_and(|s| spec.parse_into(s, &mut TimeParts::default())),
        Kind::IsArgs => v.is_empty() || v == b"?",
        _ => true,
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex2(s: &[u8], i: usize) -> Option<u8> {
    Some(hex(*s.get(i)?)? << 4 | hex(*s.get(i + 1)?)?)
}

/// Undo the writer's escaping; bytes, to be decoded lossily.
pub(crate) fn unescape(raw: &[u8], mode: Unescape) -> Cow<'_, [u8]> {
    if mode == Unescape::Raw || memchr(b'\\', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let next = raw.get(i + 1).copied();
        match (mode, next) {
            (_, Some(b'x')) if mode != Unescape::Json => {
                if let Some(v) = hex2(raw, i + 2) {
                    out.push(v);
                    i += 4;
                } else {
                    out.push(b'\\');
                    i += 1;
                }
            }
            (Unescape::Apache | Unescape::Json, Some(c @ (b'"' | b'\\'))) => {
                out.push(c);
                i += 2;
            }
            (Unescape::Apache | Unescape::Json, Some(c @ (b'n' | b'r' | b't' | b'b'))) => {
                out.push(match c {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => 0x08,
                });
                i += 2;
            }
            (Unescape::Apache, Some(b'v')) => {
                out.push(0x0b);
                i += 2;
            }
            (Unescape::Json, Some(b'f')) => {
                out.push(0x0c);
                i += 2;
            }
            (Unescape::Json, Some(b'/')) => {
                out.push(b'/');
                i += 2;
            }
            (Unescape::Json, Some(b'u')) => {
                let (c, used) = json_u(raw, i);
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += used;
            }
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Decode `\uXXXX` (with a surrogate pair when present) at `i`; the char and
/// the bytes used. A broken escape gives U+FFFD for its 2 bytes `\u`.
fn json_u(raw: &[u8], i: usize) -> (char, usize) {
    let unit = |at: usize| -> Option<u32> {
        let s = raw.get(at..at + 4)?;
        let mut v = 0u32;
        for &b in s {
            v = v << 4 | u32::from(hex(b)?);
        }
        Some(v)
    };
    let Some(hi) = unit(i + 2) else {
        return (char::REPLACEMENT_CHARACTER, 2);
    };
    if (0xD800..0xDC00).contains(&hi) {
        if raw.get(i + 6..i + 8) == Some(b"\\u") {
            if let Some(lo) = unit(i + 8).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return (char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER), 12);
            }
        }
        return (char::REPLACEMENT_CHARACTER, 6);
    }
    (char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 6)
}
