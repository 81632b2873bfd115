//! JSON application logs: one JSON object per line, from any common logger
//! (zap, logrus, slog, zerolog, structlog, python-json-logger, pino, bunyan,
//! winston, logstash-logback, ECS, tracing-subscriber, OpenTelemetry,
//! log4j2, Serilog), mapped onto [`AppRecord`]; or, when the object is an
//! access-log line (nginx `escape=json` templates, Caddy, Traefik), onto
//! [`AccessLine`].
//!
//! How a line is read:
//! 1. Bytes are decoded lossily (invalid UTF-8 becomes U+FFFD); a trailing
//!    CR and surrounding blanks are dropped. Error offsets count bytes of
//!    that decoded text (the same as the input's when it was valid UTF-8).
//! 2. A short prefix before the first `{` (docker-compose `caddy  | `, a
//!    level word, a syslog or CRI header) is skipped when the rest is one
//!    JSON object; a timestamp at the start of that prefix is used when the
//!    record has none.
//! 3. serde_json parses the object (its nesting limit turns very deep input
//!    into an error, not a crash). Duplicate keys: the last one wins.
//! 4. One flattened view of the record is built (nested and dotted keys give
//!    the same path), the logger style is told from the key shape, and each
//!    field is looked up: the site's key maps first, then the built-ins.
//!
//! An OTLP/JSON export line (`resourceLogs[].scopeLogs[].logRecords[]`)
//! gives one record per log record; a Docker `json-file` line whose `log`
//! string is itself a JSON object is unwrapped.

pub(crate) mod access;
pub(crate) mod app;
pub(crate) mod view;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::formats::schema::Form;
use crate::formats::{Formats, Kind};
use crate::model::Stamp;
use crate::record::{AccessLine, AppRecord};
use app::Lookup;
use view::View;

/// What one structured log record is (short-lived: one per line read).
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum JsonLine {
    /// An application log record.
    App(AppRecord),
    /// An access-log line written as JSON.
    Access(AccessLine),
}

/// Why a line could not be read as a JSON log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLineError {
    /// Byte offset in the (lossily decoded) line where parsing failed.
    pub offset: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for JsonLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "invalid JSON at byte {o}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for JsonLineError {}

/// Longest prefix skipped before the JSON object.
const MAX_PREFIX: usize = 256;

/// Cheap check used by format detection: does this line look like a JSON
/// log record (after an optional short prefix)? It must end with `}` and
/// its first `{` (within the first 256 bytes) must open an object with a
/// key (or be `{}`).
pub fn looks_like_json(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    if t.last() != Some(&b'}') {
        return false;
    }
    let Some(p) = memchr::memchr(b'{', t) else {
        return false;
    };
    if p > MAX_PREFIX {
        return false;
    }
    let after = t.get(p + 1..).unwrap_or_default().trim_ascii_start();
    matches!(after.first(), Some(b'"') | Some(b'}'))
}

/// One line (no newline; may hold invalid UTF-8 or a CR). `maps` are a
/// site's key names from grammar files, tried before the built-ins.
/// Returns one item per log record in the line (an OTLP `resourceLogs`
/// envelope line may hold several; a normal line gives exactly one).
pub fn parse_json_line(line: &[u8], formats: &Formats) -> Result<Vec<JsonLine>, JsonLineError> {
    let decoded = String::from_utf8_lossy(line);
    let text = decoded.trim_end();
    let lead = text.len() - text.trim_start().len();
    let text = text.trim_start();
    if text.is_empty() {
        return Err(JsonLineError {
            offset: None,
            message: "empty line".to_string(),
        });
    }
    let start = match text.find('{') {
        Some(p) if p <= MAX_PREFIX => p,
        _ => {
            return Err(JsonLineError {
                offset: None,
                message: "not a JSON object".to_string(),
            })
        }
    };
    let (prefix, body) = text.split_at(start);
    let value: Value = serde_json::from_str(body).map_err(|e| JsonLineError {
        offset: Some(lead + start + error_offset(body, &e)),
        message: e.to_string(),
    })?;
    let Value::Object(root) = value else {
        return Err(JsonLineError {
            offset: None,
            message: "not a JSON object".to_string(),
        });
    };
    Ok(records_of(root, formats, prefix_stamp(prefix), Form::Json))
}

/// The records of one structured object (a JSON line, a logfmt line, a text
/// line's captures): one, or one per log record of an OTLP envelope.
/// `fallback_time` is used where a record has no time of its own.
pub fn records_of(
    mut root: Map<String, Value>,
    formats: &Formats,
    fallback_time: Option<Stamp>,
    form: Form,
) -> Vec<JsonLine> {
    kv_lists_to_maps(&mut root, 0);
    if let Some(records) = otlp_records(&root) {
        let otel = formats.logger("otel");
        return records
            .iter()
            .filter_map(|r| {
                let v = View::new(r);
                let def = otel.or_else(|| app::detect(formats, &v, form))?;
                Some(record_with(&v, def, formats, fallback_time))
            })
            .collect();
    }
    hoist_otel_maps(&mut root);
    let v = View::new(&root);
    match app::detect(formats, &v, form) {
        Some(def) => vec![record_with(&v, def, formats, fallback_time)],
        None => Vec::new(),
    }
}

/// Map a view with a given definition.
pub(crate) fn record_with(
    v: &View<'_>,
    def: &crate::formats::LoggerDef,
    formats: &Formats,
    fallback_time: Option<Stamp>,
) -> JsonLine {
    let l = Lookup::new(v, def, formats);
    match def.kind {
        Kind::Access => {
            let mut a = access::access_line(&l);
            if a.time.is_none() {
                a.time = fallback_time;
            }
            JsonLine::Access(a)
        }
        Kind::App => {
            let mut rec = app::app_record(&l);
            if rec.time.is_none() {
                rec.time = fallback_time;
            }
            JsonLine::App(rec)
        }
    }
}

/// serde_json reports line and column (1-based, counted in bytes); turn
/// them into a byte offset into `text`.
fn error_offset(text: &str, e: &serde_json::Error) -> usize {
    let line = e.line().max(1);
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    (line_start + e.column().saturating_sub(1)).min(text.len())
}

/// A timestamp at the start of a prefix: an ISO/RFC 3339 token (or date and
/// time as two tokens), or a bracketed CLF time.
fn prefix_stamp(prefix: &str) -> Option<Stamp> {
    let mut toks = prefix.split_whitespace();
    let first = toks.next()?;
    let two = toks.next().map(|second| format!("{first} {second}"));
    let clean = |s: &str| s.trim_matches(['[', ']']).to_string();
    if let Some(two) = &two {
        if let Some(t) = crate::time::parse_iso8601(&clean(two)) {
            return Some(t);
        }
        if let Some(t) = crate::time::parse_clf(&clean(two)) {
            return Some(t);
        }
    }
    crate::time::parse_iso8601(&clean(first))
}

/// A record in the OpenTelemetry log data model written as plain JSON
/// (`Timestamp`, `SeverityText`, `Body`, `Attributes{…}`, `Resource{…}`):
/// copy the attribute and resource maps to the top level (existing keys
/// kept) so that `http.request.method`, `url.full` or `host.name` are found
/// where the other loggers put them.
fn hoist_otel_maps(root: &mut Map<String, Value>) {
    let otel = [
        "SeverityText",
        "severityText",
        "SeverityNumber",
        "timeUnixNano",
    ]
    .iter()
    .any(|k| root.contains_key(*k));
    if !otel {
        return;
    }
    for key in ["Attributes", "attributes", "Resource", "resource"] {
        let Some(Value::Object(m)) = root.get(key) else {
            continue;
        };
        let m = m.clone();
        for (k, v) in m {
            root.entry(k).or_insert(v);
        }
    }
}

/// Lists of `{key, value}` pairs (OTLP attributes, Go's stdoutlog
/// `{Key, Value:{Type, Value}}`) become maps, so that `attributes.url.full`
/// is a path like any other.
fn kv_lists_to_maps(m: &mut Map<String, Value>, depth: usize) {
    if depth > 8 {
        return;
    }
    for (_, v) in m.iter_mut() {
        match v {
            Value::Object(inner) => kv_lists_to_maps(inner, depth + 1),
            Value::Array(items) if !items.is_empty() && items.iter().all(is_kv) => {
                let mut out = Map::new();
                for it in items.iter() {
                    let key = it
                        .get("key")
                        .or_else(|| it.get("Key"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let val = it
                        .get("value")
                        .or_else(|| it.get("Value"))
                        .unwrap_or(&Value::Null);
                    let val = match val.as_object() {
                        Some(o) if o.contains_key("Type") && o.contains_key("Value") => {
                            o.get("Value").cloned().unwrap_or(Value::Null)
                        }
                        _ => any_value(val),
                    };
                    out.entry(key.to_string()).or_insert(val);
                }
                *v = Value::Object(out);
            }
            _ => {}
        }
    }
}

fn is_kv(v: &Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.len() == 2
            && (o.contains_key("key") && o.contains_key("value")
                || o.contains_key("Key") && o.contains_key("Value"))
    })
}

/// An OTLP `AnyValue` as plain JSON.
fn any_value(v: &Value) -> Value {
    let Some(o) = v.as_object() else {
        return v.clone();
    };
    for k in [
        "stringValue",
        "intValue",
        "doubleValue",
        "boolValue",
        "bytesValue",
    ] {
        if let Some(x) = o.get(k) {
            return x.clone();
        }
    }
    v.clone()
}

/// Copy OTLP `[{key, value}]` attributes into `out` (existing keys kept).
fn put_attributes(out: &mut Map<String, Value>, attrs: Option<&Value>, prefix: &str) {
    let Some(list) = attrs.and_then(Value::as_array) else {
        return;
    };
    for a in list {
        let Some(key) = a.get("key").and_then(Value::as_str) else {
            continue;
        };
        let val = a.get("value").map(any_value).unwrap_or(Value::Null);
        out.entry(format!("{prefix}{key}")).or_insert(val);
    }
}

/// Each log record of an OTLP/JSON export line, flattened: its own fields,
/// its attributes as keys, the scope name as `scope.name`, and the resource
/// attributes both as keys (when free) and under `resource.`.
fn otlp_records(root: &Map<String, Value>) -> Option<Vec<Map<String, Value>>> {
    let resource_logs = root.get("resourceLogs")?.as_array()?;
    let mut out = Vec::new();
    for rl in resource_logs {
        let res_attrs = rl.get("resource").and_then(|r| r.get("attributes"));
        let Some(scope_logs) = rl.get("scopeLogs").and_then(Value::as_array) else {
            continue;
        };
        for sl in scope_logs {
            let scope = sl.get("scope").and_then(|s| s.get("name")).cloned();
            let Some(records) = sl.get("logRecords").and_then(Value::as_array) else {
                continue;
            };
            for r in records {
                let Some(obj) = r.as_object() else { continue };
                let mut m = Map::new();
                for (k, v) in obj {
                    if k != "attributes" {
                        m.insert(k.clone(), v.clone());
                    }
                }
                put_attributes(&mut m, obj.get("attributes"), "");
                if let Some(s) = &scope {
                    m.entry("scope.name".to_string()).or_insert(s.clone());
                }
                put_attributes(&mut m, res_attrs, "resource.");
                put_attributes(&mut m, res_attrs, "");
                out.push(m);
            }
        }
    }
    Some(out)
}
