//! Parsed log lines, before they are judged to be outbound POSTs or context.
//!
//! The access-log grammars (`access`) produce [`AccessLine`]s; the JSON
//! reader (`applog`) produces [`AppRecord`]s or, for nginx `escape=json`
//! templates, [`AccessLine`]s. `extract` decides what each one is.

use std::collections::BTreeMap;

use crate::model::{CodePath, Ids, Stamp, TimeAnchor};

/// One access-log line (nginx or Apache, text or JSON template), decoded:
/// escapes undone, `-`/empty turned into `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessLine {
    /// The line's time.
    pub time: Option<Stamp>,
    /// Which moment `time` marks (nginx: end of request; Apache `%t`: start).
    pub time_anchor: Option<TimeAnchor>,
    /// `$remote_addr` / `%h` / `%a`.
    pub remote_addr: Option<String>,
    /// `$remote_user` / `%u`.
    pub remote_user: Option<String>,
    /// The request line as logged, decoded (`POST /2010-04-01/... HTTP/1.1`).
    pub request_line: Option<String>,
    /// Method from the request line (or `%m`).
    pub method: Option<String>,
    /// Target (path and query, or absolute URL) from the request line (or `%U%q`).
    pub target: Option<String>,
    /// Protocol (`HTTP/1.1`).
    pub protocol: Option<String>,
    /// Final status (`$status`, `%>s`).
    pub status: Option<u16>,
    /// Body or total bytes sent.
    pub bytes_sent: Option<u64>,
    /// Request duration in ms (`$request_time`, `%D`, `%T`, `%{ms}T`).
    pub duration_ms: Option<f64>,
    /// `$upstream_addr` as logged (lists kept whole: `a, b : c`).
    pub upstream_addr: Option<String>,
    /// `$upstream_status` as logged.
    pub upstream_status: Option<String>,
    /// `$upstream_response_time` as logged.
    pub upstream_response_time: Option<String>,
    /// `$request_id`, `%{UNIQUE_ID}e`, or an `X-Request-ID` header.
    pub request_id: Option<String>,
    /// Virtual host / server name (`$host`, `$server_name`, `%v`).
    pub vhost: Option<String>,
    /// Referer.
    pub referer: Option<String>,
    /// User-Agent.
    pub user_agent: Option<String>,
    /// `$request_body` when logged (form-encoded for Twilio).
    pub request_body: Option<String>,
    /// `X-Forwarded-For`.
    pub forwarded_for: Option<String>,
    /// Every field by its variable name, decoded: nginx names without `$`
    /// (`http_x_request_id`), Apache headers as `http_<lower_snake>` for
    /// `%{X}i`, `sent_http_<…>` for `%{X}o`, `env_<name>` for `%{X}e`.
    pub fields: BTreeMap<String, String>,
}

/// One JSON application log record, with the common loggers' keys mapped onto
/// one vocabulary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppRecord {
    /// The record's time.
    pub time: Option<Stamp>,
    /// Level as written (`info`, `30`, `INFO`).
    pub level: Option<String>,
    /// The message (`msg`, `message`, `event`, `fields.message`, `Body`).
    pub message: Option<String>,
    /// Logger / function / caller.
    pub code_path: CodePath,
    /// Host name field (`hostname`, `host.name`, `host`).
    pub host: Option<String>,
    /// Process id.
    pub pid: Option<String>,
    /// Request / trace / span / job ids.
    pub ids: Ids,
    /// HTTP method of an outgoing call described by the record.
    pub method: Option<String>,
    /// URL of an outgoing call (`url`, `url.full`, `http.url`, or found in the message).
    pub url: Option<String>,
    /// HTTP status of the call's response.
    pub status: Option<u16>,
    /// A Message SID the record names as the result of a send (`sid`,
    /// `message_sid`, `twilio_sid`, or `SM…` in a response body) — not the
    /// `MessageSid` of an incoming webhook.
    pub sid: Option<String>,
    /// Recipient as written (not yet normalised).
    pub to: Option<String>,
    /// Sender as written.
    pub from: Option<String>,
    /// Message body sent.
    pub body: Option<String>,
    /// Call duration in ms.
    pub duration_ms: Option<f64>,
    /// Error text (`error`, `err`, `exception`, `error.message`).
    pub error: Option<String>,
    /// User-Agent of the call.
    pub user_agent: Option<String>,
    /// True when the record carries the parameters of a webhook Twilio sent
    /// to the app (`MessageStatus`, `SmsStatus`, `SmsMessageSid`, …).
    pub webhook: bool,
    /// `I-Twilio-Idempotency-Token`, when logged.
    pub idempotency_token: Option<String>,
    /// Which logger style was recognised (`zap`, `logrus`, `slog`, `ecs`, …).
    pub style: String,
    /// Thread (or task) that wrote the record.
    pub thread: Option<String>,
    /// Method of the inbound request the app was handling.
    pub inbound_method: Option<String>,
    /// Path of the inbound request the app was handling.
    pub inbound_path: Option<String>,
    /// Client address of that inbound request.
    pub client_addr: Option<String>,
    /// True when a definition marks the record as a Twilio helper library's
    /// own line about its HTTP call (a `twilio` template group or path), so
    /// that a bare `status code: 201` counts as the call's outcome.
    pub twilio_call: bool,
}

/// A site's own JSON key names, from a grammar file: for each of our field
/// names, the key paths (dotted or nested) that hold it, tried in order
/// before the built-in names.
///
/// Our field names: `time`, `level`, `message`, `logger`, `function`,
/// `caller`, `host`, `pid`, `request_id`, `trace_id`, `span_id`, `job_id`,
/// `method`, `url`, `status`, `sid`, `to`, `from`, `body`, `duration_ms`,
/// `error`, `user_agent`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonKeyMap {
    /// The map's name, shown in `formats`.
    pub name: String,
    /// Our field name → their key paths.
    pub keys: BTreeMap<String, Vec<String>>,
}
