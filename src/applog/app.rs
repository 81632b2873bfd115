//! Map one flattened structured record onto [`AppRecord`], along the paths
//! of the logger definition that recognised it (see `crate::formats`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::view::{number_of, text_of, View};
use crate::formats::schema::Form;
use crate::formats::{Formats, LoggerDef};
use crate::model::{CodePath, Ids, Precision, Stamp};
use crate::record::AppRecord;
use crate::time;

/// A view, the logger definition that reads it, and the rest of the run's
/// definitions (the site's paths and the generic fallbacks).
pub(crate) struct Lookup<'v, 'a> {
    pub(crate) view: &'v View<'a>,
    pub(crate) def: &'v LoggerDef,
    pub(crate) formats: &'v Formats,
    /// Roles captured by the definition's message templates.
    pub(crate) captured: BTreeMap<String, String>,
}

impl<'v, 'a> Lookup<'v, 'a> {
    /// A lookup for `def` over `view`, with its templates applied.
    pub(crate) fn new(view: &'v View<'a>, def: &'v LoggerDef, formats: &'v Formats) -> Self {
        let mut l = Lookup {
            view,
            def,
            formats,
            captured: BTreeMap::new(),
        };
        l.captured = l.templates();
        l
    }

    fn chain(&self) -> impl Iterator<Item = &'v LoggerDef> + 'v {
        let generic = self
            .def
            .inherit
            .then(|| self.formats.generic(self.def.kind))
            .flatten()
            .filter(|g| g.name != self.def.name);
        std::iter::once(self.def).chain(generic)
    }

    /// Every path for a role: the site's, the definition's, the generic's.
    pub(crate) fn paths(&self, role: &'v str) -> impl Iterator<Item = &'v str> + 'v {
        let site = self
            .formats
            .site_paths(&self.def.name)
            .filter_map(move |p| p.fields.get(role))
            .flatten();
        let own = self
            .chain()
            .filter_map(move |d| d.fields.get(role))
            .flatten();
        // last, the role's own name: a text line's captures and a logfmt
        // line's keys are often named after what they hold
        site.chain(own)
            .map(String::as_str)
            .chain(std::iter::once(role))
    }

    /// Every value found for a role, in path order.
    pub(crate) fn values(&self, role: &'v str) -> impl Iterator<Item = &'a Value> + 'v {
        let view = self.view;
        self.paths(role).filter_map(move |p| view.get(p))
    }

    /// Normalised leaf names for a role.
    fn leaves(&self, role: &'v str) -> impl Iterator<Item = &'v str> + 'v {
        self.chain()
            .filter_map(move |d| d.leaves.get(role))
            .flatten()
            .map(String::as_str)
    }

    /// Text of a role: its paths, then its leaf names anywhere, then what a
    /// message template captured.
    pub(crate) fn text(&self, role: &'v str) -> Option<String> {
        self.values(role)
            .find_map(text_of)
            .or_else(|| self.leaves(role).find_map(|n| self.view.leaf_text(&[n])))
            .or_else(|| self.captured.get(role).cloned())
    }

    /// Apply the definitions' message templates (own first): the first
    /// template to give a role wins it.
    fn templates(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        // templates read message text: the generic ones apply to every
        // logger, even one that does not inherit the generic paths
        let generic = self
            .formats
            .generic(self.def.kind)
            .filter(|g| g.name != self.def.name);
        for d in std::iter::once(self.def).chain(generic) {
            for t in &d.templates {
                let Some(text) = self.values(&t.on).find_map(text_of) else {
                    continue;
                };
                let Some(c) = t.regex.captures(&text) else {
                    continue;
                };
                for name in t.regex.capture_names().flatten() {
                    if let Some(m) = c.name(name) {
                        out.entry(name.to_string())
                            .or_insert_with(|| m.as_str().to_string());
                    }
                }
            }
        }
        out
    }
}

/// Does `def` recognise this record, read from `form`?
pub(crate) fn matches(def: &LoggerDef, v: &View<'_>, form: Form) -> bool {
    if !def.has_conditions() || def.form.is_some_and(|f| f != form) {
        return false;
    }
    def.match_all.iter().all(|p| v.has(p))
        && (def.match_any.is_empty() || def.match_any.iter().any(|p| v.has(p)))
        && !def.match_none.iter().any(|p| v.has(p))
        && def
            .match_value
            .iter()
            .all(|(p, re)| v.get(p).and_then(text_of).is_some_and(|t| re.is_match(&t)))
}

/// The definition that reads this record: the first (by priority) whose
/// conditions hold, else the generic application one.
pub(crate) fn detect<'f>(formats: &'f Formats, v: &View<'_>, form: Form) -> Option<&'f LoggerDef> {
    formats
        .loggers
        .iter()
        .find(|d| matches(d, v, form))
        .or_else(|| formats.generic(crate::formats::Kind::App))
}

/// The first definition of `kind` (by priority) whose conditions hold, else
/// that kind's generic definition.
pub(crate) fn detect_kind<'f>(
    formats: &'f Formats,
    v: &View<'_>,
    kind: crate::formats::Kind,
    form: Form,
) -> Option<&'f LoggerDef> {
    formats
        .loggers
        .iter()
        .filter(|d| d.kind == kind)
        .find(|d| matches(d, v, form))
        .or_else(|| formats.generic(kind))
}

/// Trim punctuation a sentence puts after a URL.
fn clean_url(u: &str) -> String {
    u.trim()
        .trim_end_matches([',', ';', ')', ']', '.', '"', '\''])
        .to_string()
}

/// `^(SM|MM)[0-9a-fA-F]{32}$`.
pub(crate) fn is_message_sid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 34
        && (s.starts_with("SM") || s.starts_with("MM"))
        && b.iter().skip(2).all(u8::is_ascii_hexdigit)
}

/// `"sid": "SM…"` inside a JSON response body kept as a string.
fn sid_in_body(s: &str) -> Option<String> {
    let at = s.find("\"sid\"")?;
    let rest = s
        .get(at + 5..)?
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let rest = rest.strip_prefix('"')?;
    let sid = rest.get(..34)?;
    (is_message_sid(sid) && rest.get(34..35) == Some("\"")).then(|| sid.to_string())
}

/// A status written by its .NET `HttpStatusCode` name (`Created`,
/// `ServiceUnavailable`), as twilio-csharp logs it.
fn status_named(s: &str) -> Option<u16> {
    Some(match s {
        "OK" => 200,
        "Created" => 201,
        "Accepted" => 202,
        "NoContent" => 204,
        "BadRequest" => 400,
        "Unauthorized" => 401,
        "Forbidden" => 403,
        "NotFound" => 404,
        "RequestTimeout" => 408,
        "Conflict" => 409,
        "TooManyRequests" => 429,
        "InternalServerError" => 500,
        "BadGateway" => 502,
        "ServiceUnavailable" => 503,
        "GatewayTimeout" => 504,
        _ => return None,
    })
}

fn http_status(n: f64) -> Option<u16> {
    (n.fract() == 0.0 && (100.0..=599.0).contains(&n)).then_some(n as u16)
}

fn is_absolute(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    u.starts_with("http://") || u.starts_with("https://")
}

/// An HTTP method, upper-cased; anything else (a code method name) is `None`.
fn http_method(s: &str) -> Option<String> {
    let up = s.trim().to_ascii_uppercase();
    matches!(
        up.as_str(),
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "CONNECT" | "TRACE"
    )
    .then_some(up)
}

/// A time value of any encoding the loggers use; numbers in `unit` when the
/// definition says (else by magnitude).
pub(crate) fn stamp_of(v: &Value, unit: Option<crate::formats::schema::Unit>) -> Option<Stamp> {
    if let (Some(u), Some(n)) = (unit, number_of(v)) {
        if !matches!(v, Value::String(s) if s.contains(['-', ':'])) {
            let nanos = n * u.nanos() as f64;
            if (0.0..9.2e18).contains(&nanos) {
                // through the decimal text: f64 arithmetic would lose the
                // last digits of a µs or ns epoch
                let text = match v {
                    Value::Number(x) => x.to_string(),
                    Value::String(s) => s.trim().to_string(),
                    _ => String::new(),
                };
                let nanos = decimal_nanos(&text, u.nanos()).unwrap_or(nanos as i64);
                // as fine as the digits written: the unit's own digits plus
                // the fraction's (a float of seconds means µs at the most)
                let frac = text.split_once('.').map_or(0, |(_, f)| f.len());
                let unit_digits = match u.nanos() {
                    1_000_000_000 => 0,
                    1_000_000 => 3,
                    1_000 => 6,
                    _ => 9,
                };
                let prec = match unit_digits + frac {
                    0 => Precision::Seconds,
                    1..=3 => Precision::Millis,
                    4..=6 => Precision::Micros,
                    _ if matches!(v, Value::Number(_)) && unit_digits == 0 => Precision::Micros,
                    _ => Precision::Nanos,
                };
                return Some(Stamp::new(nanos, prec, Some(0)));
            }
        }
    }
    match v {
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                time::parse_epoch_str(s)
            } else {
                time::parse_iso8601(s).or_else(|| time::parse_any(s))
            }
        }
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                time::parse_epoch_str(&u.to_string())
            } else {
                time::parse_epoch_f64(n.as_f64()?)
            }
        }
        Value::Object(o) => {
            // log4j2 `instant{epochSecond,nanoOfSecond}`
            let secs = o.get("epochSecond")?.as_i64()?;
            let nano = o.get("nanoOfSecond").and_then(Value::as_i64).unwrap_or(0);
            let nanos = secs.checked_mul(1_000_000_000)?.checked_add(nano)?;
            let precision = if nano % 1_000_000 == 0 {
                Precision::Millis
            } else if nano % 1_000 == 0 {
                Precision::Micros
            } else {
                Precision::Nanos
            };
            Some(Stamp::new(nanos, precision, Some(0)))
        }
        _ => None,
    }
}

/// `1795183928.236123` in units of `unit_nanos`, exactly.
fn decimal_nanos(text: &str, unit_nanos: i64) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || int.len() > 19 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = int.parse::<i64>().ok()?.checked_mul(unit_nanos)?;
    let mut scale = unit_nanos;
    for d in frac.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        nanos = nanos.checked_add(i64::from(d - b'0') * scale)?;
    }
    Some(nanos)
}

fn find_time(l: &Lookup<'_, '_>) -> Option<Stamp> {
    l.values("time")
        .filter_map(|v| stamp_of(v, l.def.time_unit))
        // OTLP writes `timeUnixNano: "0"` when unknown.
        .find(|s| s.nanos != 0)
        .or_else(|| {
            l.captured
                .get("time")
                .and_then(|t| stamp_of(&Value::String(t.clone()), None))
        })
}

/// A duration value in ms: a string with units (`850ms`, `10.2s`, `1m2s`,
/// `0.5s`) is parsed; a number (or numeric string) is in `unit`.
fn duration_ms(v: &Value, unit: crate::formats::schema::Unit) -> Option<f64> {
    if let Value::String(s) = v {
        let s = s.trim();
        if s.bytes().any(|b| b.is_ascii_alphabetic()) {
            return time::parse_duration(s).ok().map(|ns| ns as f64 / 1e6);
        }
    }
    number_of(v).map(|n| unit.to_ms(n))
}

/// Duration in ms: the `duration_ms`, `duration_ns` and `duration_s` roles in
/// their units, then `duration` in the definition's unit.
pub(crate) fn duration_of(l: &Lookup<'_, '_>) -> Option<f64> {
    use crate::formats::schema::Unit;
    for (role, unit) in [
        ("duration_ms", Unit::Ms),
        ("duration_ns", Unit::Ns),
        ("duration_s", Unit::S),
        ("duration", l.def.duration_unit),
    ] {
        if let Some(ms) = l.values(role).find_map(|v| duration_ms(v, unit)) {
            return Some(ms);
        }
        if let Some(t) = l.captured.get(role) {
            if let Some(ms) = duration_ms(&Value::String(t.clone()), unit) {
                return Some(ms);
            }
        }
    }
    None
}

/// `error`: a string kept whole; an object as `type: message`; a
/// `stack_trace`-like text (the `error_type` role's paths when they hold
/// several lines) by its telling line.
fn error_of(l: &Lookup<'_, '_>) -> Option<String> {
    let typed = |msg: String| match l.text("error_type") {
        Some(t) if !msg.starts_with(&t) && !t.contains('\n') => format!("{t}: {msg}"),
        _ => msg,
    };
    for base in l.paths("error") {
        match l.view.get(base) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(typed(trace_line(s))),
            Some(Value::Object(_)) => {}
            _ => continue,
        }
        let part = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| l.view.text(&[&format!("{base}.{n}")]))
        };
        let ty = part(&["type", "Type", "name", "kind", "class"]);
        let msg = part(&["message", "Message", "msg"]);
        match (ty, msg) {
            (Some(t), Some(m)) => return Some(format!("{t}: {m}")),
            (Some(t), None) => return Some(t),
            (None, Some(m)) => return Some(m),
            (None, None) => {}
        }
    }
    l.captured.get("error").cloned()
}

/// The line of a multi-line error that names it: Python's traceback ends
/// with it, Java's stack trace starts with it.
fn trace_line(s: &str) -> String {
    if !s.contains('\n') {
        return s.to_string();
    }
    let mut lines = s.lines().map(str::trim).filter(|x| !x.is_empty());
    if s.trim_start().starts_with("Traceback") {
        lines.next_back().unwrap_or_default().to_string()
    } else {
        lines.next().unwrap_or_default().to_string()
    }
}

fn code_path_of(l: &Lookup<'_, '_>) -> CodePath {
    let logger = l.text("logger");
    let function = l.text("function");
    let caller = l
        .values("caller")
        .find_map(|v| v.as_str().map(str::to_string))
        .or_else(|| {
            let file = l
                .values("file")
                .find_map(|v| v.as_str().map(str::to_string))?;
            Some(match l.text("line") {
                Some(n) => format!("{file}:{n}"),
                None => file,
            })
        });
    CodePath {
        logger,
        function,
        caller,
    }
}

fn ids_of(l: &Lookup<'_, '_>) -> Ids {
    let mut ids = Ids {
        request_id: l.text("request_id"),
        trace_id: l.text("trace_id").map(trace_of),
        span_id: l.text("span_id"),
        job_id: l.text("job_id"),
        twilio_request_id: l.text("twilio_request_id").filter(|s| s.starts_with("RQ")),
    };
    if let Some(tp) = l.text("traceparent") {
        // `00-<trace-id 32 hex>-<parent-id 16 hex>-<flags>`
        let mut parts = tp.split('-');
        let (_, trace, span) = (parts.next(), parts.next(), parts.next());
        if ids.trace_id.is_none() {
            ids.trace_id = trace.filter(|t| t.len() == 32).map(str::to_string);
        }
        if ids.span_id.is_none() {
            ids.span_id = span.filter(|s| s.len() == 16).map(str::to_string);
        }
    }
    ids
}

/// A trace id without the resource name Google Cloud Logging puts before
/// it (`projects/P/traces/<id>`).
pub(crate) fn trace_of(t: String) -> String {
    match t.rsplit_once("/traces/") {
        Some((_, id)) if !id.is_empty() => id.to_string(),
        _ => t,
    }
}

/// True when the record carries Twilio webhook parameters anywhere: a key
/// named exactly as a `webhook` path's last part (case matters:
/// `MessageSid` is a webhook's, `message_sid` a send's), or a form text
/// holding `MessageStatus=`/`SmsSid=`.
fn is_webhook(l: &Lookup<'_, '_>, message: Option<&str>) -> bool {
    let mentions = |s: &str| s.contains("MessageStatus=") || s.contains("SmsSid=");
    if message.is_some_and(mentions) {
        return true;
    }
    if l.captured.contains_key("webhook") {
        return true;
    }
    let keys: Vec<&str> = l.paths("webhook").collect();
    l.view.entries().iter().any(|(path, val)| {
        let last = path.rsplit('.').next().unwrap_or(path);
        keys.contains(&last) || val.as_str().is_some_and(mentions)
    })
}

fn sid_of(l: &Lookup<'_, '_>) -> Option<String> {
    if let Some(s) = l
        .values("sid")
        .filter_map(Value::as_str)
        .map(str::trim)
        .find(|s| is_message_sid(s))
    {
        return Some(s.to_string());
    }
    if let Some(s) = l
        .values("response_body")
        .filter_map(Value::as_str)
        .find_map(sid_in_body)
    {
        return Some(s);
    }
    l.captured.get("sid").filter(|s| is_message_sid(s)).cloned()
}

/// A form-encoded Twilio request body (`To=%2B1415…&From=…&Body=…`) as its
/// decoded parameters; `None` for anything else.
fn form_params(s: &str) -> Option<Vec<(String, String)>> {
    let s = s.trim();
    if s.contains(char::is_whitespace) || !(s.starts_with("To=") || s.contains("&To=")) {
        return None;
    }
    Some(crate::extract::form_pairs(s))
}

/// The parameters of a form-encoded request body logged as a string.
fn logged_form(l: &Lookup<'_, '_>) -> Option<Vec<(String, String)>> {
    l.values("form")
        .filter_map(Value::as_str)
        .find_map(form_params)
        .or_else(|| l.captured.get("form").and_then(|s| form_params(s)))
}

/// The sent text: a string that is neither a JSON response body nor a
/// form-encoded request body.
fn body_of(l: &Lookup<'_, '_>) -> Option<String> {
    l.values("body")
        .filter_map(Value::as_str)
        .find(|s| {
            let t = s.trim_start();
            !t.is_empty() && !t.starts_with('{') && !t.starts_with('[') && form_params(t).is_none()
        })
        .map(str::to_string)
        .or_else(|| l.captured.get("body").cloned())
}

/// Build the record.
pub(crate) fn app_record(l: &Lookup<'_, '_>) -> AppRecord {
    let message = l.text("message");
    let webhook = is_webhook(l, message.as_deref());

    let mut method = l
        .values("method")
        .filter_map(Value::as_str)
        .find_map(http_method);
    let mut url = l
        .values("url")
        .filter_map(Value::as_str)
        .find(|s| !s.trim().is_empty())
        .map(str::to_string);
    // A call spelled out in the message (`POST https://api.twilio.com/…`)
    // names the outgoing request; a relative `url`/`uri` key beside it is the
    // inbound route being handled, so the message wins over it.
    if let Some(u) = l.captured.get("url") {
        if url.is_none() || (is_absolute(u) && !url.as_deref().is_some_and(is_absolute)) {
            url = Some(clean_url(u));
            if let Some(m) = l.captured.get("method").and_then(|m| http_method(m)) {
                method = Some(m);
            }
        }
    }
    if method.is_none() {
        method = l.captured.get("method").and_then(|m| http_method(m));
    }
    let status = l
        .values("status")
        .find_map(|x| number_of(x).and_then(http_status))
        .or_else(|| {
            let s = l.captured.get("status")?.trim();
            s.parse::<f64>()
                .ok()
                .and_then(http_status)
                .or_else(|| status_named(s))
        });
    let sid = if webhook { None } else { sid_of(l) };
    let idempotency_token = l.text("idempotency_token");
    let host = l.text("host");

    let mut to = l.text("to");
    let mut from = l.text("from");
    let mut body = body_of(l);
    if body.is_some() && body == message {
        // OTel's `Body` is the log message, not the text of an SMS
        body = None;
    }
    if let Some(form) = logged_form(l) {
        for (key, val) in form {
            let slot = match key.as_str() {
                "To" => &mut to,
                "From" => &mut from,
                "Body" => &mut body,
                _ => continue,
            };
            if slot.is_none() && !val.is_empty() {
                *slot = Some(val);
            }
        }
    }

    AppRecord {
        time: find_time(l),
        level: l.text("level"),
        code_path: code_path_of(l),
        host,
        pid: l.text("pid"),
        ids: ids_of(l),
        method,
        url,
        status,
        sid,
        to,
        from,
        body,
        duration_ms: duration_of(l),
        error: error_of(l),
        user_agent: l.text("user_agent"),
        webhook,
        idempotency_token,
        message,
        style: l.def.name.clone(),
        thread: l.text("thread"),
        inbound_method: l.text("inbound_method").and_then(|m| http_method(&m)),
        inbound_path: l.text("inbound_path"),
        client_addr: l.text("client_addr"),
        twilio_call: l.captured.contains_key("twilio") || l.values("twilio").next().is_some(),
    }
}
