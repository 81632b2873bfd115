//! Structured access-log records (nginx `escape=json` templates, Caddy,
//! Traefik, Envoy, cloud load balancers, Heroku's router in logfmt) mapped
//! onto [`AccessLine`] along the paths of an access-kind logger definition.

use serde_json::Value;

use super::app::{duration_of, stamp_of, Lookup};
use super::view::{number_of, text_of};
use crate::model::TimeAnchor;
use crate::record::AccessLine;
use crate::time;

/// A request line: `METHOD target` with an optional `HTTP/x.y`.
pub(crate) fn split_request_line(s: &str) -> Option<(String, String, Option<String>)> {
    let mut it = s.split(' ');
    let method = it.next()?;
    let target = it.next()?;
    let proto = it.next();
    if it.next().is_some()
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || target.is_empty()
        || proto.is_some_and(|p| !p.starts_with("HTTP/"))
    {
        return None;
    }
    Some((
        method.to_string(),
        target.to_string(),
        proto.map(str::to_string),
    ))
}

/// Text of a role with the access logs' "missing" spellings (`-`, empty)
/// turned into `None`.
fn present(l: &Lookup<'_, '_>, role: &str) -> Option<String> {
    l.values(role)
        .filter_map(text_of)
        .find(|s| s != "-")
        .or_else(|| l.captured.get(role).filter(|s| *s != "-").cloned())
}

fn status_of(l: &Lookup<'_, '_>) -> Option<u16> {
    let ok = |n: f64| (n.fract() == 0.0 && (0.0..=999.0).contains(&n)).then_some(n as u16);
    l.values("status")
        .find_map(|v| number_of(v).and_then(ok))
        .or_else(|| {
            l.captured
                .get("status")?
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(ok)
        })
}

fn count_of(l: &Lookup<'_, '_>) -> Option<u64> {
    let ok = |n: f64| (n >= 0.0 && n.fract() == 0.0 && n < 1.8e19).then_some(n as u64);
    l.values("bytes_sent")
        .find_map(|v| number_of(v).and_then(ok))
        .or_else(|| {
            l.captured
                .get("bytes_sent")?
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(ok)
        })
}

fn time_of(l: &Lookup<'_, '_>, role: &str) -> Option<crate::model::Stamp> {
    l.values(role)
        .find_map(|v| match v {
            Value::String(s) => time::parse_clf(s).or_else(|| stamp_of(v, l.def.time_unit)),
            _ => stamp_of(v, l.def.time_unit),
        })
        .or_else(|| {
            let t = l.captured.get(role)?;
            time::parse_clf(t).or_else(|| stamp_of(&Value::String(t.clone()), l.def.time_unit))
        })
}

/// Build the access line.
pub(crate) fn access_line(l: &Lookup<'_, '_>) -> AccessLine {
    let mut a = AccessLine::default();
    for (path, val) in l.view.entries() {
        if let Some(t) = text_of(val) {
            if !matches!(val, Value::Object(_)) {
                a.fields.insert(path.clone(), t);
            }
        }
    }
    if let Some(t) = time_of(l, "start_time") {
        a.time = Some(t);
        a.time_anchor = Some(TimeAnchor::RequestStart);
    } else if let Some(t) = time_of(l, "time") {
        a.time = Some(t);
        a.time_anchor = Some(l.def.time_anchor);
    }
    a.remote_addr = present(l, "remote_addr").map(|s| {
        // `ip:port` (ALB, HAProxy) keeps the address only
        match s.rsplit_once(':') {
            Some((ip, port)) if !ip.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
                ip.to_string()
            }
            _ => s,
        }
    });
    a.remote_user = present(l, "remote_user");
    a.request_line = present(l, "request_line").filter(|r| split_request_line(r).is_some());
    let parts = a.request_line.as_deref().and_then(split_request_line);
    a.method = present(l, "method").or_else(|| parts.as_ref().map(|p| p.0.clone()));
    a.target = present(l, "target").or_else(|| parts.as_ref().map(|p| p.1.clone()));
    a.protocol = present(l, "protocol").or_else(|| parts.as_ref().and_then(|p| p.2.clone()));
    if a.request_line.is_none() {
        if let (Some(m), Some(t)) = (&a.method, &a.target) {
            a.request_line = Some(match &a.protocol {
                Some(p) => format!("{m} {t} {p}"),
                None => format!("{m} {t}"),
            });
        }
    }
    a.status = status_of(l);
    a.bytes_sent = count_of(l);
    a.duration_ms = duration_of(l);
    a.upstream_addr = present(l, "upstream_addr");
    a.upstream_status = present(l, "upstream_status");
    a.upstream_response_time = present(l, "upstream_response_time");
    a.request_id = present(l, "request_id");
    a.vhost = present(l, "vhost");
    a.referer = present(l, "referer");
    a.user_agent = present(l, "user_agent");
    a.request_body = present(l, "request_body");
    a.forwarded_for = present(l, "forwarded_for");
    if let Some(t) = present(l, "trace_id").map(super::app::trace_of) {
        a.fields.entry("trace_id".into()).or_insert(t);
    }
    a
}
