//! JSON access logs: nginx `escape=json` templates (any key names close to
//! nginx's variables), Caddy's `http.log.access` and Traefik's JSON.

use serde_json::Value;

use super::app::stamp_of;
use super::view::{number_of, text_of, View};
use crate::model::TimeAnchor;
use crate::record::AccessLine;
use crate::time;

/// Which access-log writer a record looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Caddy,
    Traefik,
    Nginx,
}

/// Keys only an access-log template has (nginx variable names and the
/// usual renamings).
const NGINX_KEYS: &[&str] = &[
    "remote_addr",
    "request_uri",
    "request_method",
    "time_local",
    "time_iso8601",
    "msec",
    "request_time",
    "body_bytes_sent",
    "upstream_addr",
    "upstream_response_time",
    "http_user_agent",
    "http_referer",
    "http_x_forwarded_for",
    "server_protocol",
];

/// A request line: `METHOD target` with an optional `HTTP/x.y`.
fn split_request_line(s: &str) -> Option<(String, String, Option<String>)> {
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

/// Is this record an access-log line, and whose?
pub(crate) fn kind(v: &View<'_>) -> Option<Kind> {
    let logger = v.get("logger").and_then(Value::as_str).unwrap_or("");
    if logger.starts_with("http.log.access") && v.has("request.method") {
        return Some(Kind::Caddy);
    }
    if v.has("RequestMethod") && (v.has("DownstreamStatus") || v.has("ClientHost")) {
        return Some(Kind::Traefik);
    }
    let status = v.get("status").and_then(number_of).is_some();
    if !status {
        return None;
    }
    let request_line = v
        .get("request")
        .and_then(Value::as_str)
        .and_then(split_request_line)
        .is_some();
    // An app record that happens to carry such keys has a message; an
    // access-log template does not.
    let has_message = ["msg", "message", "event", "@m"].iter().any(|k| v.has(k));
    let nginx_keys = NGINX_KEYS.iter().any(|k| v.has(k));
    // matomo's nginx template (`ip`, `path`, `status`)
    let matomo = v.has("ip") && v.has("path");
    (request_line || (!has_message && (nginx_keys || matomo))).then_some(Kind::Nginx)
}

/// Text with nginx's "missing" spellings (`-`, empty) turned into `None`.
fn present(v: &View<'_>, paths: &[&str]) -> Option<String> {
    paths
        .iter()
        .filter_map(|p| v.get(p).and_then(text_of))
        .find(|s| s != "-")
}

fn status_of(v: &View<'_>, paths: &[&str]) -> Option<u16> {
    paths.iter().find_map(|p| {
        let n = v.get(p).and_then(number_of)?;
        (n.fract() == 0.0 && (0.0..=999.0).contains(&n)).then_some(n as u16)
    })
}

fn count_of(v: &View<'_>, paths: &[&str]) -> Option<u64> {
    paths.iter().find_map(|p| {
        let n = v.get(p).and_then(number_of)?;
        (n >= 0.0 && n.fract() == 0.0 && n < 1.8e19).then_some(n as u64)
    })
}

/// Build the access line.
pub(crate) fn access_line(v: &View<'_>, kind: Kind) -> AccessLine {
    let mut a = AccessLine::default();
    for (path, val) in v.entries() {
        if let Some(t) = text_of(val) {
            if !matches!(val, Value::Object(_)) {
                a.fields.insert(path.clone(), t);
            }
        }
    }
    match kind {
        Kind::Caddy => caddy(v, &mut a),
        Kind::Traefik => traefik(v, &mut a),
        Kind::Nginx => nginx(v, &mut a),
    }
    a
}

fn caddy(v: &View<'_>, a: &mut AccessLine) {
    // `ts` is written when the request is done.
    a.time = v.get("ts").and_then(stamp_of);
    a.time_anchor = a.time.map(|_| TimeAnchor::RequestEnd);
    a.remote_addr = present(v, &["request.client_ip", "request.remote_ip"]);
    a.remote_user = present(v, &["user_id"]);
    a.method = present(v, &["request.method"]);
    a.target = present(v, &["request.uri"]);
    a.protocol = present(v, &["request.proto"]);
    a.vhost = present(v, &["request.host"]);
    a.status = status_of(v, &["status"]);
    a.bytes_sent = count_of(v, &["size"]);
    a.duration_ms = v.get("duration").and_then(number_of).map(|s| s * 1e3);
    a.user_agent = present(v, &["request.headers.User-Agent"]);
    a.referer = present(v, &["request.headers.Referer"]);
    a.request_id = present(
        v,
        &[
            "request.headers.X-Request-Id",
            "request.headers.X-Request-ID",
        ],
    );
    a.forwarded_for = present(v, &["request.headers.X-Forwarded-For"]);
    if let (Some(m), Some(t)) = (&a.method, &a.target) {
        a.request_line = Some(match &a.protocol {
            Some(p) => format!("{m} {t} {p}"),
            None => format!("{m} {t}"),
        });
    }
}

fn traefik(v: &View<'_>, a: &mut AccessLine) {
    if let Some(t) = v.get("StartUTC").and_then(stamp_of) {
        a.time = Some(t);
        a.time_anchor = Some(TimeAnchor::RequestStart);
    } else if let Some(t) = v.get("time").and_then(stamp_of) {
        // the line is written when the request is done
        a.time = Some(t);
        a.time_anchor = Some(TimeAnchor::RequestEnd);
    }
    a.remote_addr = present(v, &["ClientHost"]);
    a.remote_user = present(v, &["ClientUsername"]);
    a.method = present(v, &["RequestMethod"]);
    a.target = present(v, &["RequestPath"]);
    a.protocol = present(v, &["RequestProtocol"]);
    a.vhost = present(v, &["RequestHost", "RequestAddr"]);
    a.status = status_of(v, &["DownstreamStatus", "OriginStatus"]);
    a.bytes_sent = count_of(v, &["DownstreamContentSize"]);
    // Traefik writes `Duration` in nanoseconds.
    a.duration_ms = v.get("Duration").and_then(number_of).map(|ns| ns / 1e6);
    a.upstream_addr = present(v, &["ServiceAddr"]);
    a.upstream_status = present(v, &["OriginStatus"]);
    a.user_agent = present(v, &["request_User-Agent"]);
    a.referer = present(v, &["request_Referer"]);
    a.request_id = present(v, &["request_X-Request-Id", "request_X-Request-ID"]);
    a.forwarded_for = present(v, &["request_X-Forwarded-For"]);
    if let (Some(m), Some(t)) = (&a.method, &a.target) {
        a.request_line = Some(match &a.protocol {
            Some(p) => format!("{m} {t} {p}"),
            None => format!("{m} {t}"),
        });
    }
}

fn nginx(v: &View<'_>, a: &mut AccessLine) {
    // nginx writes every time variable when the request ends.
    a.time = v
        .get("time_iso8601")
        .and_then(stamp_of)
        .or_else(|| {
            v.get("time_local")
                .and_then(Value::as_str)
                .and_then(time::parse_clf)
        })
        .or_else(|| v.get("msec").and_then(stamp_of))
        .or_else(|| {
            ["@timestamp", "timestamp", "time", "date", "ts"]
                .iter()
                .find_map(|p| v.get(p).and_then(stamp_of))
        });
    a.time_anchor = a.time.map(|_| TimeAnchor::RequestEnd);
    a.remote_addr = present(
        v,
        &[
            "remote_addr",
            "ip",
            "client_ip",
            "clientip",
            "remote_ip",
            "client.ip",
        ],
    );
    a.remote_user = present(v, &["remote_user"]);
    a.request_line = present(v, &["request"]).filter(|r| split_request_line(r).is_some());
    let parts = a.request_line.as_deref().and_then(split_request_line);
    a.method =
        present(v, &["request_method", "method"]).or_else(|| parts.as_ref().map(|p| p.0.clone()));
    a.target = present(v, &["request_uri", "uri", "path", "url"])
        .or_else(|| parts.as_ref().map(|p| p.1.clone()));
    a.protocol = present(v, &["server_protocol", "protocol"])
        .or_else(|| parts.as_ref().and_then(|p| p.2.clone()));
    a.status = status_of(v, &["status"]);
    a.bytes_sent = count_of(v, &["body_bytes_sent", "bytes_sent", "length", "size"]);
    // `$request_time` is seconds with ms resolution.
    a.duration_ms = v
        .get("request_time")
        .and_then(number_of)
        .map(|s| s * 1e3)
        .or_else(|| v.get("generation_time_milli").and_then(number_of));
    a.upstream_addr = present(v, &["upstream_addr"]);
    a.upstream_status = present(v, &["upstream_status"]);
    a.upstream_response_time = present(v, &["upstream_response_time"]);
    a.request_id = present(v, &["request_id", "http_x_request_id", "req_id"]);
    a.vhost = present(v, &["host", "server_name", "http_host", "vhost"]);
    a.referer = present(v, &["http_referer", "referrer", "referer"]);
    a.user_agent = present(v, &["http_user_agent", "user_agent", "agent"]);
    a.request_body = present(v, &["request_body"]);
    a.forwarded_for = present(v, &["http_x_forwarded_for", "x_forwarded_for"]);
}
