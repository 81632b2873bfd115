//! Map one flattened JSON record onto [`AppRecord`].

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::keys as k;
use super::view::{number_of, text_of, View};
use crate::model::{CodePath, Ids, Precision, Stamp};
use crate::record::{AppRecord, JsonKeyMap};
use crate::time;

/// A view plus the site's key maps, tried before the built-ins.
pub(crate) struct Lookup<'v, 'a> {
    pub(crate) view: &'v View<'a>,
    pub(crate) maps: &'v [JsonKeyMap],
}

impl<'a> Lookup<'_, 'a> {
    /// The site's paths for one of our field names.
    fn mapped<'s>(&'s self, field: &'s str) -> impl Iterator<Item = &'a Value> + 's {
        self.maps
            .iter()
            .filter_map(move |m| m.keys.get(field))
            .flatten()
            .filter_map(|p| self.view.get(p))
    }

    /// Text of a field: site map first, then the built-in paths.
    pub(crate) fn text(&self, field: &str, builtin: &[&str]) -> Option<String> {
        self.mapped(field)
            .find_map(text_of)
            .or_else(|| self.view.text(builtin))
    }

    /// Every candidate value of a field, site map first.
    pub(crate) fn values<'s>(
        &'s self,
        field: &'s str,
        builtin: &'s [&'s str],
    ) -> impl Iterator<Item = &'a Value> + 's {
        self.mapped(field)
            .chain(builtin.iter().filter_map(|p| self.view.get(p)))
    }
}

fn regex(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// `POST https://…` or twilio-python's `POST Request: https://…` in a message.
fn call_in_text(s: &str) -> Option<(String, String)> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = regex(
        &RE,
        r"\b(GET|POST|PUT|PATCH|DELETE)\s+(?:Request:\s*)?(https?://[^\s\x22'<>]+)",
    )?;
    let c = re.captures(s)?;
    let url = c
        .get(2)?
        .as_str()
        .trim_end_matches([',', ';', ')', ']', '.']);
    Some((c.get(1)?.as_str().to_string(), url.to_string()))
}

/// twilio-python's `Response Status Code: 201`.
fn status_in_text(s: &str) -> Option<u16> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = regex(&RE, r"(?i)\bResponse Status Code:\s*(\d{3})\b")?;
    http_status(re.captures(s)?.get(1)?.as_str().parse().ok()?)
}

/// A Message SID in free text after a word that says it names a send.
fn sid_in_text(s: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)\b(?:sid|created|sent|queued|accepted|message)\b[^A-Za-z0-9]{0,20}((?:SM|MM)[0-9a-fA-F]{32})\b",
    )?;
    Some(re.captures(s)?.get(1)?.as_str().to_string())
}

/// `"sid": "SM…"` inside a JSON response body kept as a string.
fn sid_in_body(s: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = regex(&RE, r#""sid"\s*:\s*"((?:SM|MM)[0-9a-fA-F]{32})""#)?;
    Some(re.captures(s)?.get(1)?.as_str().to_string())
}

/// `^(SM|MM)[0-9a-fA-F]{32}$`.
pub(crate) fn is_message_sid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 34
        && (s.starts_with("SM") || s.starts_with("MM"))
        && b.iter().skip(2).all(u8::is_ascii_hexdigit)
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

/// A time value of any encoding the loggers use.
pub(crate) fn stamp_of(v: &Value) -> Option<Stamp> {
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

fn find_time(l: &Lookup<'_, '_>) -> Option<Stamp> {
    l.values("time", k::TIME)
        .filter_map(stamp_of)
        // OTLP writes `timeUnixNano: "0"` when unknown.
        .find(|s| s.nanos != 0)
}

/// Duration rule, in ms:
/// * `*_ms` keys: the number is milliseconds (a string with units, e.g.
///   from a site key map, is parsed);
/// * ECS `event.duration`: nanoseconds;
/// * `duration`/`elapsed`/`latency`/`took`/`responseTime` as a string with
///   units (`850ms`, `10.2s`, `1m2s`) is parsed; a bare numeric string
///   counts as a number;
/// * as a number: zap (and Caddy) write seconds (float); Python styles write
///   seconds when the number has a fraction; slog and logrus write Go's
///   `time.Duration` as integer nanoseconds; everything else (pino
///   `responseTime`, winston, bunyan) is milliseconds.
fn duration_of(l: &Lookup<'_, '_>, style: &str) -> Option<f64> {
    if let Some(ms) = l.values("duration_ms", k::DURATION_MS).find_map(|v| {
        number_of(v).or_else(|| {
            let ns = time::parse_duration(v.as_str()?).ok()?;
            Some(ns as f64 / 1e6)
        })
    }) {
        return Some(ms);
    }
    if let Some(ns) = k::DURATION_NS
        .iter()
        .find_map(|p| l.view.get(p).and_then(number_of))
    {
        return Some(ns / 1e6);
    }
    for v in k::DURATION_ANY.iter().filter_map(|p| l.view.get(p)) {
        if let Value::String(s) = v {
            let s = s.trim();
            if s.bytes().any(|b| b.is_ascii_alphabetic()) {
                if let Ok(ns) = time::parse_duration(s) {
                    return Some(ns as f64 / 1e6);
                }
                continue;
            }
        }
        let Some(n) = number_of(v) else { continue };
        let has_fraction = n.fract() != 0.0;
        let ms = match style {
            "zap" if n < 1e5 => n * 1e3,
            "python-json-logger" | "structlog" if has_fraction && n < 1e5 => n * 1e3,
            "slog" | "logrus" if !has_fraction => n / 1e6,
            _ => n,
        };
        return Some(ms);
    }
    None
}

/// `error`: a string kept whole; an object as `type: message`; Python's
/// `exc_info` traceback by its last line; a Java `stack_trace` by its first.
fn error_of(l: &Lookup<'_, '_>) -> Option<String> {
    if let Some(e) = l.mapped("error").find_map(text_of) {
        return Some(e);
    }
    for base in k::ERROR_BASE {
        match l.view.get(base) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.clone()),
            Some(Value::Bool(_)) | Some(Value::Number(_)) => continue,
            _ => {}
        }
        let part = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| l.view.text(&[&format!("{base}.{n}")]))
        };
        match (part(k::ERROR_TYPE_PART), part(k::ERROR_MESSAGE_PART)) {
            (Some(t), Some(m)) => return Some(format!("{t}: {m}")),
            (Some(t), None) => return Some(t),
            (None, Some(m)) => return Some(m),
            (None, None) => {}
        }
    }
    if let Some(tb) = l.view.text(&["exc_info", "exc_text"]) {
        if let Some(last) = tb.lines().rev().find(|x| !x.trim().is_empty()) {
            return Some(last.trim().to_string());
        }
    }
    if let Some(st) = l.view.text(&["stack_trace", "error.stack_trace"]) {
        if let Some(first) = st.lines().find(|x| !x.trim().is_empty()) {
            return Some(first.trim().to_string());
        }
    }
    None
}

fn code_path_of(l: &Lookup<'_, '_>, style: &str) -> CodePath {
    let mut logger = l.text("logger", k::LOGGER);
    if logger.is_none()
        && matches!(
            style,
            "python-json-logger" | "bunyan" | "pino" | "logstash-logback"
        )
    {
        logger = l.view.text(&["name"]);
    }
    let function = l.text("function", k::FUNCTION);
    let caller = l
        .mapped("caller")
        .find_map(text_of)
        .or_else(|| {
            k::CALLER
                .iter()
                .find_map(|p| l.view.get(p).and_then(Value::as_str).map(str::to_string))
        })
        .or_else(|| {
            // a pair with both parts first, then a file alone
            let file = |f: &str| l.view.get(f).and_then(Value::as_str).map(str::to_string);
            k::FILE_LINE
                .iter()
                .find_map(|(f, n)| {
                    Some(format!("{}:{}", file(f)?, l.view.get(n).and_then(text_of)?))
                })
                .or_else(|| k::FILE_LINE.iter().find_map(|(f, _)| file(f)))
        });
    CodePath {
        logger,
        function,
        caller,
    }
}

fn ids_of(l: &Lookup<'_, '_>) -> Ids {
    let v = l.view;
    let mut ids = Ids {
        request_id: l
            .text("request_id", k::REQUEST_ID)
            .or_else(|| v.leaf_text(k::REQUEST_ID_LEAF)),
        trace_id: l
            .text("trace_id", k::TRACE_ID)
            .or_else(|| v.leaf_text(k::TRACE_ID_LEAF)),
        span_id: l
            .text("span_id", k::SPAN_ID)
            .or_else(|| v.leaf_text(k::SPAN_ID_LEAF)),
        job_id: l
            .text("job_id", k::JOB_ID)
            .or_else(|| v.leaf_text(k::JOB_ID_LEAF)),
        twilio_request_id: v
            .text(k::TWILIO_REQUEST_ID)
            .or_else(|| v.leaf_text(k::TWILIO_REQUEST_ID_LEAF))
            .filter(|s| s.starts_with("RQ")),
    };
    if let Some(tp) = v.leaf_text(k::TRACEPARENT_LEAF) {
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

/// True when the record carries Twilio webhook parameters anywhere.
fn is_webhook(v: &View<'_>, message: Option<&str>) -> bool {
    let mentions = |s: &str| s.contains("MessageStatus=") || s.contains("SmsSid=");
    if message.is_some_and(mentions) {
        return true;
    }
    v.entries().iter().any(|(path, val)| {
        let last = path.rsplit('.').next().unwrap_or(path);
        k::WEBHOOK_KEYS.contains(&last) || val.as_str().is_some_and(mentions)
    })
}

fn sid_of(l: &Lookup<'_, '_>, message: Option<&str>) -> Option<String> {
    if let Some(s) = l
        .values("sid", k::SID)
        .filter_map(Value::as_str)
        .map(str::trim)
        .find(|s| is_message_sid(s))
    {
        return Some(s.to_string());
    }
    if let Some(s) = k::RESPONSE_BODY
        .iter()
        .filter_map(|p| l.view.get(p).and_then(Value::as_str))
        .find_map(sid_in_body)
    {
        return Some(s);
    }
    message.and_then(sid_in_text)
}

/// Undo `application/x-www-form-urlencoded` escaping (`+`, `%HH`); bad
/// escapes are kept as written, invalid UTF-8 is replaced.
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|h| (*h as char).to_digit(16));
        match c {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(c),
            },
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A form-encoded Twilio request body (`To=%2B1415…&From=…&Body=…`) as its
/// decoded parameters; `None` for anything else.
fn form_params(s: &str) -> Option<Vec<(String, String)>> {
    let s = s.trim();
    if s.contains(char::is_whitespace) || !(s.starts_with("To=") || s.contains("&To=")) {
        return None;
    }
    Some(
        s.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (form_decode(k), form_decode(v)))
            .collect(),
    )
}

/// The parameters of a form-encoded request body logged as a string.
fn logged_form(l: &Lookup<'_, '_>) -> Option<Vec<(String, String)>> {
    k::FORM_BODY
        .iter()
        .filter_map(|p| l.view.get(p).and_then(Value::as_str))
        .find_map(form_params)
}

/// The sent text: a string that is neither a JSON response body nor a
/// form-encoded request body.
fn body_of(l: &Lookup<'_, '_>) -> Option<String> {
    l.values("body", k::BODY)
        .filter_map(Value::as_str)
        .find(|s| {
            let t = s.trim_start();
            !t.is_empty() && !t.starts_with('{') && !t.starts_with('[') && form_params(t).is_none()
        })
        .map(str::to_string)
}

/// Build the record. `style` may be forced (OTLP envelopes).
pub(crate) fn app_record(l: &Lookup<'_, '_>, forced_style: Option<&'static str>) -> AppRecord {
    let v = l.view;
    let style = forced_style.unwrap_or_else(|| k::style(v));
    let mut message = l.text("message", k::MESSAGE);
    if message.is_none() && style == "otel" {
        message = v.text(&["Body", "body"]);
    }
    let level = l.text("level", k::LEVEL);
    let webhook = is_webhook(v, message.as_deref());

    let mut method = l.values("method", k::METHOD).find_map(|x| {
        let s = x.as_str()?;
        http_method(s)
    });
    let mut url = l
        .values("url", k::URL)
        .filter_map(Value::as_str)
        .find(|s| !s.trim().is_empty())
        .map(str::to_string);
    // A call spelled out in the message (`POST https://api.twilio.com/…`)
    // names the outgoing request; a relative `url`/`uri` key beside it is the
    // inbound route being handled, so the message wins over it.
    if let Some((m, u)) = message.as_deref().and_then(call_in_text) {
        if !url.as_deref().is_some_and(is_absolute) {
            url = Some(u);
            method = Some(m);
        }
    }
    let status = l
        .values("status", k::STATUS)
        .find_map(|x| number_of(x).and_then(http_status))
        .or_else(|| message.as_deref().and_then(status_in_text));
    let sid = if webhook {
        None
    } else {
        sid_of(l, message.as_deref())
    };
    let idempotency_token = v
        .text(&[
            "I-Twilio-Idempotency-Token",
            "i-twilio-idempotency-token",
            "idempotency_token",
        ])
        .or_else(|| v.leaf_text(k::IDEMPOTENCY_LEAF));

    let mut host = l.text("host", k::HOST);
    if host.is_none() {
        host = v.text(&["resource.host.name"]);
    }

    let mut to = l.text("to", k::TO);
    let mut from = l.text("from", k::FROM);
    let mut body = body_of(l);
    if style == "otel" && body == message {
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
        level,
        code_path: code_path_of(l, style),
        host,
        pid: l.text("pid", k::PID),
        ids: ids_of(l),
        method,
        url,
        status,
        sid,
        to,
        from,
        body,
        duration_ms: duration_of(l, style),
        error: error_of(l),
        user_agent: l
            .text("user_agent", k::USER_AGENT)
            .or_else(|| v.leaf_text(&["useragent"])),
        webhook,
        idempotency_token,
        message,
        style,
    }
}
