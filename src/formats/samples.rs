//! `sidtrace formats test`: every definition's sample lines, read by the
//! definition, must give the roles its `expect` table names.

use serde_json::Value;

use super::schema::{Form, Sample};
use super::{line, wrap, Formats};
use crate::applog::{self, JsonLine};
use crate::catalog::Catalog;
use crate::record::{AccessLine, AppRecord};

/// One sample's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleResult {
    /// `logger:NAME`, `line:NAME` or `wrapper:NAME`.
    pub definition: String,
    /// The grammar file.
    pub origin: String,
    /// 1-based index of the sample in its definition.
    pub index: usize,
    /// What did not hold (empty: passed).
    pub failures: Vec<String>,
}

/// Check every sample of every definition whose origin is in `origins`
/// (all when empty).
pub fn test_all(catalog: &Catalog, origins: &[String]) -> Vec<SampleResult> {
    let f = &catalog.formats;
    let wanted = |o: &str| origins.is_empty() || origins.iter().any(|x| x == o);
    let mut out = Vec::new();
    for d in f.loggers.iter().filter(|d| wanted(&d.origin)) {
        for (i, s) in d.samples.iter().enumerate() {
            let failures = match logger_sample(f, &d.name, s) {
                Ok(rec) => compare(&rec, s),
                Err(e) => vec![e],
            };
            out.push(result(format!("logger:{}", d.name), &d.origin, i, failures));
        }
    }
    for d in f.lines.iter().filter(|d| wanted(&d.origin)) {
        for (i, s) in d.samples.iter().enumerate() {
            let failures = match line::parse(d, &s.line, f) {
                Some(mut recs) if !recs.is_empty() => compare(&recs.remove(0), s),
                _ => vec!["the pattern does not match the sample".to_string()],
            };
            out.push(result(format!("line:{}", d.name), &d.origin, i, failures));
        }
    }
    for w in f.wrappers.iter().filter(|w| wanted(&w.origin)) {
        for (i, s) in w.samples.iter().enumerate() {
            let failures = wrapper_sample(catalog, &w.name, s);
            out.push(result(
                format!("wrapper:{}", w.name),
                &w.origin,
                i,
                failures,
            ));
        }
    }
    out
}

fn result(definition: String, origin: &str, i: usize, failures: Vec<String>) -> SampleResult {
    SampleResult {
        definition,
        origin: origin.to_string(),
        index: i + 1,
        failures,
    }
}

/// Read a logger's sample (JSON, or logfmt) and check that this very
/// definition is the one detection picks.
fn logger_sample(f: &Formats, name: &str, s: &Sample) -> Result<JsonLine, String> {
    let text = s.line.trim();
    let (map, form) = if text.starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => (m, Form::Json),
            _ => return Err("the sample is no JSON object".into()),
        }
    } else {
        (
            super::logfmt::parse(text, 1).ok_or("the sample is neither JSON nor logfmt")?,
            Form::Logfmt,
        )
    };
    let mut recs = applog::records_of(map, f, None, form);
    if recs.is_empty() {
        return Err("no record".into());
    }
    let rec = recs.remove(0);
    let got = match &rec {
        JsonLine::App(a) => a.style.clone(),
        JsonLine::Access(_) => {
            // access records do not carry their definition's name: detect again
            let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) else {
                return Ok(rec);
            };
            let v = applog::view::View::new(&m);
            applog::app::detect(f, &v, form)
                .map(|d| d.name.clone())
                .unwrap_or_default()
        }
    };
    if got != name && name != super::GENERIC_APP && name != super::GENERIC_ACCESS {
        return Err(format!("read as logger {got}, not {name}"));
    }
    Ok(rec)
}

fn wrapper_sample(catalog: &Catalog, name: &str, s: &Sample) -> Vec<String> {
    let f = &catalog.formats;
    let Some(pieces) = wrap::peel(f, &s.line) else {
        return vec!["no wrapper matches the sample".into()];
    };
    let Some(p) = pieces.first() else {
        return vec!["the wrapper gave no record".into()];
    };
    let mut fails = Vec::new();
    let outer = p.chain.split('>').next().unwrap_or_default();
    if outer != name {
        fails.push(format!("peeled by wrapper {outer}, not {name}"));
    }
    for (k, want) in &s.expect {
        let got = match k.as_str() {
            "inner" => match &p.inner {
                wrap::Inner::Text(t) => Some(t.clone()),
                wrap::Inner::Object(o) => Some(Value::Object(o.clone()).to_string()),
            },
            "time" => p.time.map(|t| t.to_rfc3339()),
            "host" => p.host.clone(),
            "partial" => Some(p.partial.to_string()),
            "count" => Some(pieces.len().to_string()),
            "chain" => Some(p.chain.clone()),
            other => {
                // a role of the record inside
                let rec = match &p.inner {
                    wrap::Inner::Text(t) => catalog
                        .parse_any(t.as_bytes(), true)
                        .and_then(|v| v.into_iter().next()),
                    wrap::Inner::Object(o) => applog::records_of(o.clone(), f, p.time, Form::Json)
                        .into_iter()
                        .next()
                        .map(|j| match j {
                            JsonLine::App(a) => crate::catalog::Parsed::App(a),
                            JsonLine::Access(a) => crate::catalog::Parsed::Access(a),
                        }),
                };
                let got = match &rec {
                    Some(crate::catalog::Parsed::App(a)) => app_value(a, other),
                    Some(crate::catalog::Parsed::Access(a)) => access_value(a, other),
                    None => Ok(None),
                };
                match got {
                    Ok(g) => g,
                    Err(()) => {
                        fails.push(format!("unknown expect key `{other}`"));
                        continue;
                    }
                }
            }
        };
        check(k, want, got, &mut fails);
    }
    fails
}

fn compare(rec: &JsonLine, s: &Sample) -> Vec<String> {
    let mut fails = Vec::new();
    for (k, want) in &s.expect {
        let got = match rec {
            JsonLine::App(a) => app_value(a, k),
            JsonLine::Access(a) => access_value(a, k),
        };
        match got {
            Err(()) => fails.push(format!("unknown expect key `{k}`")),
            Ok(got) => check(k, want, got, &mut fails),
        }
    }
    fails
}

/// Compare one expected value: times as instants, numbers as numbers,
/// everything else as text.
fn check(key: &str, want: &toml::Value, got: Option<String>, fails: &mut Vec<String>) {
    let want_text = match want {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(x) => x.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    };
    let same = match (&got, want) {
        (None, _) => false,
        (Some(g), _) if key.contains("time") => {
            match (
                crate::time::parse_any(g),
                crate::time::parse_any(&want_text),
            ) {
                // a float of epoch seconds carries about a microsecond
                (Some(a), Some(b)) => (a.nanos - b.nanos).abs() <= 1_000,
                _ => *g == want_text,
            }
        }
        (Some(g), toml::Value::Integer(_) | toml::Value::Float(_)) => {
            match (g.parse::<f64>(), want_text.parse::<f64>()) {
                (Ok(a), Ok(b)) => (a - b).abs() < 1e-6 * b.abs().max(1.0),
                _ => false,
            }
        }
        (Some(g), _) => *g == want_text,
    };
    if !same {
        fails.push(format!(
            "{key}: expected {want_text:?}, got {}",
            got.map(|g| format!("{g:?}"))
                .unwrap_or_else(|| "nothing".into())
        ));
    }
}

fn app_value(a: &AppRecord, k: &str) -> Result<Option<String>, ()> {
    let s = |v: &Option<String>| v.clone();
    Ok(match k {
        "time" => a.time.map(|t| t.to_rfc3339()),
        "level" => s(&a.level),
        "message" => s(&a.message),
        "logger" => s(&a.code_path.logger),
        "function" => s(&a.code_path.function),
        "caller" => s(&a.code_path.caller),
        "file" => a
            .code_path
            .caller
            .as_deref()
            .map(|c| c.rsplit_once(':').map_or(c, |(f, _)| f).to_string()),
        "line" => a
            .code_path
            .caller
            .as_deref()
            .and_then(|c| c.rsplit_once(':').map(|(_, n)| n.to_string())),
        "thread" => s(&a.thread),
        "inbound_method" => s(&a.inbound_method),
        "inbound_path" => s(&a.inbound_path),
        "client_addr" => s(&a.client_addr),
        "error_type" => a
            .error
            .as_deref()
            .map(|e| e.split(": ").next().unwrap_or(e).to_string()),
        "host" => s(&a.host),
        "pid" => s(&a.pid),
        "method" => s(&a.method),
        "url" => s(&a.url),
        "to" => s(&a.to),
        "from" => s(&a.from),
        "body" => s(&a.body),
        "status" => a.status.map(|x| x.to_string()),
        "sid" => s(&a.sid),
        "duration_ms" | "duration" => a.duration_ms.map(|x| x.to_string()),
        "error" => s(&a.error),
        "request_id" => s(&a.ids.request_id),
        "trace_id" => s(&a.ids.trace_id),
        "span_id" => s(&a.ids.span_id),
        "job_id" => s(&a.ids.job_id),
        "twilio_request_id" => s(&a.ids.twilio_request_id),
        "user_agent" => s(&a.user_agent),
        "idempotency_token" => s(&a.idempotency_token),
        "webhook" => Some(a.webhook.to_string()),
        "logger_style" | "style" => Some(a.style.clone()),
        _ => return Err(()),
    })
}

fn access_value(a: &AccessLine, k: &str) -> Result<Option<String>, ()> {
    let s = |v: &Option<String>| v.clone();
    Ok(match k {
        "time" => a.time.map(|t| t.to_rfc3339()),
        "start_time" => a
            .time
            .filter(|_| a.time_anchor == Some(crate::model::TimeAnchor::RequestStart))
            .map(|t| t.to_rfc3339()),
        "time_anchor" => a.time_anchor.map(|t| {
            match t {
                crate::model::TimeAnchor::RequestStart => "start",
                crate::model::TimeAnchor::RequestEnd => "end",
                crate::model::TimeAnchor::LogRecord => "record",
            }
            .to_string()
        }),
        "remote_addr" => s(&a.remote_addr),
        "remote_user" => s(&a.remote_user),
        "request_line" => s(&a.request_line),
        "method" => s(&a.method),
        "target" | "url" => s(&a.target),
        "protocol" => s(&a.protocol),
        "status" => a.status.map(|x| x.to_string()),
        "bytes_sent" => a.bytes_sent.map(|x| x.to_string()),
        "duration_ms" | "duration" => a.duration_ms.map(|x| x.to_string()),
        "upstream_addr" => s(&a.upstream_addr),
        "upstream_status" => s(&a.upstream_status),
        "upstream_response_time" => s(&a.upstream_response_time),
        "request_id" => s(&a.request_id),
        "trace_id" => a.fields.get("trace_id").cloned(),
        "vhost" => s(&a.vhost),
        "referer" => s(&a.referer),
        "user_agent" => s(&a.user_agent),
        "request_body" => s(&a.request_body),
        "forwarded_for" => s(&a.forwarded_for),
        _ => return Err(()),
    })
}
