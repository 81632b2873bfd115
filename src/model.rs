//! The data model shared by the readers (`formats`, `twilio`), the extractor
//! and the investigation engine.
//!
//! Everything here is plain owned data with stable serde names: `extract`
//! writes [`Attempt`]s as JSON Lines and `investigate` reads them back, so a
//! renamed field is a broken contract.

use serde::{Deserialize, Serialize};

/// Nanoseconds since the Unix epoch, UTC.
pub type UnixNanos = i64;

/// Text many values share (a file name, a recipient, a status): cloning it
/// copies a pointer, and readers intern repeats so a million Twilio records
/// hold each distinct value once.
pub type Shared = std::sync::Arc<str>;

/// How finely a timestamp was written in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Whole seconds (`$time_local`, Apache `%t`, RFC 2822, logrus).
    Seconds,
    /// Milliseconds (`$msec`, pino, bunyan, ECS).
    Millis,
    /// Microseconds (structlog, tracing, `%{usec}t`).
    Micros,
    /// Nanoseconds (slog, OTLP `timeUnixNano`).
    Nanos,
}

impl Precision {
    /// The width of one unit of this precision in nanoseconds.
    pub fn nanos(self) -> i64 {
        match self {
            Precision::Seconds => 1_000_000_000,
            Precision::Millis => 1_000_000,
            Precision::Micros => 1_000,
            Precision::Nanos => 1,
        }
    }

    /// The precision implied by a count of fractional-second digits.
    pub fn from_fraction_digits(digits: usize) -> Precision {
        match digits {
            0 => Precision::Seconds,
            1..=3 => Precision::Millis,
            4..=6 => Precision::Micros,
            _ => Precision::Nanos,
        }
    }
}

/// A point in time as a log wrote it: the instant (UTC), how precisely it was
/// written, and the UTC offset the writer used, if it stated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// The instant, nanoseconds since the Unix epoch (UTC).
    pub nanos: UnixNanos,
    /// How finely the source wrote it.
    pub precision: Precision,
    /// The offset from UTC in minutes that the source wrote (`-0700` → -420);
    /// `None` when the source stated no zone (epoch numbers count as UTC and
    /// carry `Some(0)`; zone-less local stamps were read as UTC and carry `None`).
    pub offset_minutes: Option<i32>,
}

impl Stamp {
    /// A stamp from epoch nanoseconds.
    pub fn new(nanos: UnixNanos, precision: Precision, offset_minutes: Option<i32>) -> Stamp {
        Stamp {
            nanos,
            precision,
            offset_minutes,
        }
    }

    /// RFC 3339 in UTC with as many fractional digits as the precision has.
    pub fn to_rfc3339(&self) -> String {
        crate::time::format_rfc3339(self.nanos, self.precision)
    }
}

/// Which moment of an HTTP exchange a timestamp marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeAnchor {
    /// When the request arrived (Apache `%t`, `%{begin:…}t`).
    RequestStart,
    /// When the request ended and the line was written (nginx `$time_local`,
    /// `$time_iso8601`, `$msec`; Apache `%{end:…}t`).
    RequestEnd,
    /// When an application wrote its log record.
    LogRecord,
}

/// A place in the input: the path as the user gave it (joined with the
/// relative path inside a directory) and the 1-based line number in the
/// decompressed text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// Path as given on the command line (joined with the path inside a directory).
    /// Shared: a file's many records point at one copy of its name.
    pub file: Shared,
    /// 1-based line number in the decompressed text.
    pub line: u64,
}

/// Who wrote the log line an attempt was seen in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observer {
    /// An access log (nginx or Apache) of a proxy the POST passed through on
    /// its way to api.twilio.com.
    EgressProxy,
    /// The application's own log record of its call to Twilio.
    App,
}

/// Where in the application code a request was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CodePath {
    /// Logger name (`app.notify`, `log.logger`, `target`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub logger: Option<String>,
    /// Function or method (`send_reminder`, `log.origin.function`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub function: Option<String>,
    /// Source file and line as the logger wrote them (`notify/sms.go:42`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub caller: Option<String>,
}

impl CodePath {
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.logger.is_none() && self.function.is_none() && self.caller.is_none()
    }

    /// A one-line human name: `function (caller) [logger]`, whichever parts exist.
    pub fn display(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(f) = &self.function {
            parts.push(f.clone());
        }
        if let Some(c) = &self.caller {
            if parts.is_empty() {
                parts.push(c.clone());
            } else {
                parts.push(format!("({c})"));
            }
        }
        if let Some(l) = &self.logger {
            if parts.is_empty() {
                parts.push(l.clone());
            } else {
                parts.push(format!("[{l}]"));
            }
        }
        if parts.is_empty() {
            None
        } else {
            Some(parts.join(" "))
        }
    }
}

/// Identifiers that tie a record to others: the inbound request, the trace,
/// the job it ran in.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ids {
    /// Request id (`$request_id`, `X-Request-ID`, `request_id`, `http.request.id`, `%{UNIQUE_ID}e`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_id: Option<String>,
    /// Trace id (`trace_id`, `trace.id`, `traceId`, W3C `traceparent`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace_id: Option<String>,
    /// Span id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub span_id: Option<String>,
    /// Background job id (`job_id`, `jid`, `task_id`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub job_id: Option<String>,
    /// Twilio's `Twilio-Request-Id` (`RQ…`) when logged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub twilio_request_id: Option<String>,
}

impl Ids {
    /// True when no id is known.
    pub fn is_empty(&self) -> bool {
        self.request_id.is_none()
            && self.trace_id.is_none()
            && self.span_id.is_none()
            && self.job_id.is_none()
            && self.twilio_request_id.is_none()
    }

    /// Every id value present (used to search for related records).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        [
            &self.request_id,
            &self.trace_id,
            &self.job_id,
            &self.twilio_request_id,
        ]
        .into_iter()
        .filter_map(|v| v.as_deref())
    }

    /// Fill the ids this one lacks from `other`.
    pub fn fill_from(&mut self, other: &Ids) {
        fn fill(a: &mut Option<String>, b: &Option<String>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.request_id, &other.request_id);
        fill(&mut self.trace_id, &other.trace_id);
        fill(&mut self.span_id, &other.span_id);
        fill(&mut self.job_id, &other.job_id);
        fill(&mut self.twilio_request_id, &other.twilio_request_id);
    }

    /// True when the two share a request, trace, job or Twilio request id.
    pub fn shares_any(&self, other: &Ids) -> bool {
        fn same(a: &Option<String>, b: &Option<String>) -> bool {
            matches!((a, b), (Some(x), Some(y)) if x == y)
        }
        same(&self.request_id, &other.request_id)
            || same(&self.trace_id, &other.trace_id)
            || same(&self.job_id, &other.job_id)
            || same(&self.twilio_request_id, &other.twilio_request_id)
    }
}

/// How an attempt ended, when the log says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Failure {
    /// The client gave up waiting (read timeout, deadline exceeded, nginx 499).
    Timeout(String),
    /// The connection was reset or refused.
    Connection(String),
    /// Any other error the app logged for the call.
    Error(String),
}

/// One outbound POST to Twilio's Messages API, as seen in one or more log
/// records that belong together (a request record and its response record,
/// linked by shared ids and order).
///
/// Texts that repeat from attempt to attempt (format, source, method, URL,
/// account, host, client, User-Agent, library, body) are [`Shared`]: the
/// extractor hands out one copy of each value, so a hundred thousand
/// attempts hold little more than their own SIDs, numbers and ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it happened, as the log wrote it.
    pub time: Stamp,
    /// Which moment of the exchange `time` marks.
    pub time_anchor: TimeAnchor,
    /// Who logged it.
    pub observer: Observer,
    /// The name of the format the line was read with (`nginx:combined`, `json`).
    pub format: Shared,
    /// The log source (the file series, rotation suffixes removed) it came from.
    pub source: Shared,
    /// HTTP method, upper-case (always `POST` for an attempt).
    pub method: Shared,
    /// The request target as logged (path or full URL).
    pub url: Shared,
    /// The Account SID in the path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account_sid: Option<Shared>,
    /// Recipient in E.164 (or `whatsapp:+…`), from the body, the record or a field.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recipient: Option<String>,
    /// Sender, when logged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<String>,
    /// Message body, when logged (redacted on output when asked).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub body: Option<Shared>,
    /// The Message SID Twilio answered with, when logged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    /// HTTP status of the response, when logged (`000`/499 included as logged).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
    /// The failure the caller saw, when logged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub failure: Option<Failure>,
    /// How long the request took, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub duration_ms: Option<f64>,
    /// The host that made the call (app host, or the client address seen by the proxy).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<Shared>,
    /// Client address as the proxy saw it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_addr: Option<Shared>,
    /// Code path from the app log.
    #[serde(skip_serializing_if = "CodePath::is_empty", default)]
    pub code_path: CodePath,
    /// Ids tying it to its inbound request, trace or job.
    #[serde(skip_serializing_if = "Ids::is_empty", default)]
    pub ids: Ids,
    /// User-Agent of the call.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_agent: Option<Shared>,
    /// The Twilio helper library and version, from the User-Agent (`twilio-python/9.3.7`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub library: Option<Shared>,
    /// Every line it was seen on, in input order.
    pub evidence: Vec<Evidence>,
}

/// A request that arrived at a front web server (nginx or Apache access
/// log), or an app record of a job, that shares an id with an attempt: the
/// context that explains why the attempt was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextRecord {
    /// What kind of context this is.
    pub kind: ContextKind,
    /// When, as logged.
    pub time: Stamp,
    /// Which moment `time` marks.
    pub time_anchor: TimeAnchor,
    /// Log source.
    pub source: String,
    /// For inbound requests: method and route (`POST /signup`); for app
    /// records: the message.
    pub summary: String,
    /// HTTP status of the inbound request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
    /// Client address of the inbound request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_addr: Option<String>,
    /// User-Agent of the inbound request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_agent: Option<String>,
    /// Host that logged it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
    /// Code path of an app record.
    #[serde(skip_serializing_if = "CodePath::is_empty", default)]
    pub code_path: CodePath,
    /// Its ids.
    pub ids: Ids,
    /// Webhook idempotency token (`I-Twilio-Idempotency-Token`) when logged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub idempotency_token: Option<String>,
    /// Where it was read.
    pub evidence: Evidence,
}

/// The kind of a [`ContextRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextKind {
    /// An inbound HTTP request logged by a front web server.
    InboundRequest,
    /// An app log record that shares an id with an attempt (a job starting,
    /// a handler being entered).
    AppRecord,
}

/// One message record from Twilio (any export format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwilioRecord {
    /// `SM…` or `MM…`.
    pub sid: Box<str>,
    /// `AC…`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account_sid: Option<Shared>,
    /// Sender (E.164 or channel address); `None` when Twilio had not chosen it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<Shared>,
    /// Recipient, normalised to E.164 (or `whatsapp:+…`).
    pub to: Shared,
    /// Body, when exported.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub body: Option<Shared>,
    /// `queued`, `delivered`, …
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<Shared>,
    /// `outbound-api`, `inbound`, …
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub direction: Option<Shared>,
    /// When Twilio created the record (second precision).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_created: Option<Stamp>,
    /// When Twilio sent it to the carrier (after creation; may be null).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_sent: Option<Stamp>,
    /// Last update.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_updated: Option<Stamp>,
    /// Segments.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub num_segments: Option<u32>,
    /// Error code (e.g. 30004).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_code: Option<u32>,
    /// `MG…`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub messaging_service_sid: Option<Shared>,
    /// Which export it came from (`console_csv`, `api_page`, `bulk_export`, `cli_json`).
    pub export: Shared,
    /// Where it was read.
    pub evidence: Evidence,
}

impl TwilioRecord {
    /// The best available creation time: `date_created`, else `date_sent`
    /// (which comes after creation), with a flag saying which.
    pub fn best_time(&self) -> Option<(Stamp, bool)> {
        match (self.date_created, self.date_sent) {
            (Some(c), _) => Some((c, true)),
            (None, Some(s)) => Some((s, false)),
            _ => None,
        }
    }
}

/// Something in the input that could not be read as intended, kept so that
/// nothing is silently lost.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    /// The file (path as given).
    pub file: String,
    /// The 1-based line, where it applies.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u64>,
    /// What went wrong, in words.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// How well one log source covers time: the span of its lines and the holes
/// in it, measured from its own line rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceCoverage {
    /// The log source (file series with rotation suffixes removed).
    pub source: String,
    /// The files read for it, in input order.
    pub files: Vec<String>,
    /// Host the source belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
    /// The format its lines were read with.
    pub format: String,
    /// True when at least one outbound POST was seen in it: such a source
    /// "could have sent" a message, so its gaps matter for verdicts.
    pub observes_posts: bool,
    /// Lines read.
    pub lines: u64,
    /// Time of its first dated line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first: Option<UnixNanos>,
    /// Time of its last dated line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last: Option<UnixNanos>,
    /// Holes: stretches far longer than the source's usual spacing between lines.
    pub gaps: Vec<Gap>,
}

/// A stretch of time in which a log source wrote nothing although its usual
/// rate says it should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Last line before the hole.
    pub from: UnixNanos,
    /// First line after the hole.
    pub to: UnixNanos,
    /// The line before the hole.
    pub before: Evidence,
    /// The line after the hole.
    pub after: Evidence,
}

impl SourceCoverage {
    /// True when the source has lines on both sides of `t` within `margin`
    /// nanoseconds and `t` is not inside one of its gaps.
    pub fn covers(&self, t: UnixNanos, margin: i64) -> bool {
        match (self.first, self.last) {
            (Some(f), Some(l)) if f - margin <= t && t <= l + margin => !self
                .gaps
                .iter()
                .any(|g| g.from < t + margin && t - margin < g.to),
            _ => false,
        }
    }
}
