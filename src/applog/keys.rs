//! The built-in key names of the common loggers, and how a record's key
//! shape tells which logger wrote it.
//!
//! Paths are dotted (`log.origin.function`); they match nested objects and
//! dotted keys alike (see `view`). Lists are tried in order, first hit wins.

use serde_json::Value;

use super::view::View;

/// Time keys, most specific first.
pub(crate) const TIME: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "@t",
    "Timestamp",
    "timeUnixNano",
    "observedTimeUnixNano",
    "ObservedTimestamp",
    "instant",
    "timeMillis",
    "datetime",
    "date",
    "asctime",
    "Time",
    "t",
    "T",
    "__REALTIME_TIMESTAMP",
];

/// Level keys.
pub(crate) const LEVEL: &[&str] = &[
    "level",
    "log.level",
    "levelname",
    "lvl",
    "severity",
    "@l",
    "Level.Name",
    "Level",
    "SeverityText",
    "severityText",
    "level_name",
    "loglevel",
    "L",
    "@fields.lvl",
];

/// Message keys (OTel `Body` is handled apart: it is also a Twilio webhook
/// parameter).
pub(crate) const MESSAGE: &[&str] = &[
    "msg",
    "message",
    "fields.message",
    "event",
    "@m",
    "body.stringValue",
    "Body.stringValue",
    "MESSAGE",
    "Message",
    "@message",
    "@fields.msg",
    "M",
    "@mt",
];

/// Logger-name keys (`name` is only used for the styles that write it).
pub(crate) const LOGGER: &[&str] = &[
    "logger",
    "logger_name",
    "loggerName",
    "log.logger",
    "target",
    "Logger",
    "SourceContext",
    "scope.name",
    "N",
];

/// Function keys.
pub(crate) const FUNCTION: &[&str] = &[
    "func",
    "funcName",
    "func_name",
    "code.function",
    "function",
    "log.origin.function",
    "source.function",
    "src.func",
    "source.methodName",
    "Caller.MethodName",
    "Function",
];

/// Caller keys holding `file:line` already.
pub(crate) const CALLER: &[&str] = &["caller", "C"];

/// (file, line) key pairs joined as `file:line`.
pub(crate) const FILE_LINE: &[(&str, &str)] = &[
    ("source.file", "source.line"),
    ("log.origin.file.name", "log.origin.file.line"),
    ("src.file", "src.line"),
    ("pathname", "lineno"),
    ("filename", "lineno"),
    ("filename", "line_number"),
    ("module", "lineno"),
    ("source.fileName", "source.lineNumber"),
    ("Caller.FileName", "Caller.LineNumber"),
    ("file", "line"),
    ("File", "Line"),
    ("code.filepath", "code.lineno"),
];

/// Host keys.
pub(crate) const HOST: &[&str] = &[
    "hostname",
    "host.name",
    "host.hostname",
    "host",
    "HOSTNAME",
    "MachineName",
    "process.hostname",
    "_HOSTNAME",
];

/// Process id keys.
pub(crate) const PID: &[&str] = &["pid", "process.pid", "ProcessID", "process_id", "_PID"];

/// Request id: exact paths, then normalised leaf names anywhere.
pub(crate) const REQUEST_ID: &[&str] = &[
    "request_id",
    "requestId",
    "RequestId",
    "RequestID",
    "req_id",
    "reqId",
    "http.request.id",
    "request.id",
    "req.id",
    "x_request_id",
    "X-Request-ID",
    "X-Request-Id",
    "x-request-id",
    "correlation_id",
    "correlationId",
    "CorrelationId",
];
pub(crate) const REQUEST_ID_LEAF: &[&str] = &[
    "requestid",
    "xrequestid",
    "reqid",
    "correlationid",
    "xcorrelationid",
];

/// Trace id.
pub(crate) const TRACE_ID: &[&str] = &[
    "trace_id",
    "traceId",
    "trace.id",
    "TraceId",
    "TraceID",
    "dd.trace_id",
    "otelTraceID",
];
pub(crate) const TRACE_ID_LEAF: &[&str] = &["traceid", "oteltraceid"];
/// W3C trace context header.
pub(crate) const TRACEPARENT_LEAF: &[&str] = &["traceparent"];

/// Span id.
pub(crate) const SPAN_ID: &[&str] = &[
    "span_id",
    "spanId",
    "span.id",
    "SpanId",
    "SpanID",
    "dd.span_id",
    "otelSpanID",
];
pub(crate) const SPAN_ID_LEAF: &[&str] = &["spanid", "otelspanid"];

/// Background job id (`message_id` is not one).
pub(crate) const JOB_ID: &[&str] = &[
    "job_id",
    "jobId",
    "JobId",
    "job.id",
    "jid",
    "task_id",
    "taskId",
    "celery_task_id",
];
pub(crate) const JOB_ID_LEAF: &[&str] = &["jobid", "jid", "taskid", "celerytaskid"];

/// Twilio's `RQ…` request id.
pub(crate) const TWILIO_REQUEST_ID: &[&str] = &["twilio_request_id", "twilioRequestId"];
pub(crate) const TWILIO_REQUEST_ID_LEAF: &[&str] = &["twiliorequestid"];

/// HTTP method of an outgoing call.
pub(crate) const METHOD: &[&str] = &[
    "method",
    "http.method",
    "http.request.method",
    "http_method",
    "request.method",
    "req.method",
    "httpMethod",
];

/// URL of an outgoing call.
pub(crate) const URL: &[&str] = &[
    "url",
    "url.full",
    "url.original",
    "http.url",
    "uri",
    "endpoint",
    "request.url",
    "req.url",
    "request.uri",
];

/// HTTP status of the call's response (numbers 100..=599 only).
pub(crate) const STATUS: &[&str] = &[
    "status",
    "status_code",
    "statusCode",
    "http.status_code",
    "http.response.status_code",
    "res.statusCode",
    "response.status",
    "response.status_code",
    "response.statusCode",
    "http_status",
    "response_status",
];

/// A Message SID the record names as a send's result (never the webhook
/// `MessageSid`/`SmsSid`/`SmsMessageSid`).
pub(crate) const SID: &[&str] = &[
    "sid",
    "message_sid",
    "messageSid",
    "twilio_sid",
    "twilioSid",
    "twilio.sid",
    "twilio.message_sid",
    "response.sid",
    "result.sid",
    "response.body.sid",
    "response_body.sid",
    "body.sid",
    "data.sid",
];

/// Strings that may hold a JSON response body with `"sid": "SM…"`.
pub(crate) const RESPONSE_BODY: &[&str] = &[
    "response_body",
    "responseBody",
    "response.body",
    "response.text",
    "resp_body",
    "body",
];

/// Keys only a Twilio webhook (status callback or inbound message) carries.
pub(crate) const WEBHOOK_KEYS: &[&str] = &[
    "MessageStatus",
    "SmsStatus",
    "SmsMessageSid",
    "SmsSid",
    "MessageSid",
];

/// Idempotency token leaf names (normalised).
pub(crate) const IDEMPOTENCY_LEAF: &[&str] = &["itwilioidempotencytoken", "idempotencytoken"];

/// Recipient.
pub(crate) const TO: &[&str] = &[
    "to",
    "To",
    "recipient",
    "to_number",
    "toNumber",
    "phone",
    "phone_number",
    "params.To",
    "params.to",
    "form.To",
    "request.form.To",
    "request.params.To",
    "request.body.To",
    "data.To",
    "data.to",
    "twilio.to",
];

/// Sender.
pub(crate) const FROM: &[&str] = &[
    "from",
    "From",
    "from_number",
    "fromNumber",
    "params.From",
    "params.from",
    "form.From",
    "request.form.From",
    "request.params.From",
    "request.body.From",
    "data.From",
    "data.from",
];

/// Message text sent (only strings that do not look like a JSON body).
pub(crate) const BODY: &[&str] = &[
    "body",
    "Body",
    "text",
    "message_body",
    "sms_body",
    "params.Body",
    "params.body",
    "form.Body",
    "request.form.Body",
    "request.params.Body",
    "data.Body",
    "data.body",
];

/// Strings that may hold the form-encoded request body sent to Twilio.
pub(crate) const FORM_BODY: &[&str] = &[
    "request_body",
    "requestBody",
    "request.body",
    "body",
    "data",
    "params",
    "form",
    "payload",
];

/// Durations in milliseconds whatever the number.
pub(crate) const DURATION_MS: &[&str] = &[
    "duration_ms",
    "elapsed_ms",
    "latency_ms",
    "took_ms",
    "response_time_ms",
    "durationMs",
    "elapsedMs",
    "latencyMs",
    "responseTimeMs",
];
/// Durations in nanoseconds (ECS).
pub(crate) const DURATION_NS: &[&str] = &["event.duration"];
/// Durations whose unit depends on the writer (see `app::duration_of`).
pub(crate) const DURATION_ANY: &[&str] = &[
    "duration",
    "elapsed",
    "latency",
    "took",
    "responseTime",
    "response_time",
];

/// Error bases: a string, or an object with message/type.
pub(crate) const ERROR_BASE: &[&str] = &[
    "error",
    "err",
    "exception",
    "exc",
    "@x",
    "thrown",
    "Exception",
    "error_message",
    "errorMessage",
];
pub(crate) const ERROR_MESSAGE_PART: &[&str] = &["message", "Message", "msg"];
pub(crate) const ERROR_TYPE_PART: &[&str] = &["type", "Type", "name", "kind", "class"];

/// User-Agent.
pub(crate) const USER_AGENT: &[&str] = &[
    "user_agent",
    "userAgent",
    "user_agent.original",
    "http.user_agent",
    "user_agent_original",
    "headers.User-Agent",
    "headers.user-agent",
    "request.headers.User-Agent",
    "request.headers.user-agent",
    "req.headers.user-agent",
    "http_user_agent",
];

/// Which logger wrote the record, from the shape of its keys.
pub(crate) fn style(v: &View<'_>) -> &'static str {
    let has = |k: &str| v.has(k);
    let str_at = |k: &str| v.get(k).and_then(Value::as_str);
    let num_at = |k: &str| v.get(k).is_some_and(Value::is_number);
    let level_upper = str_at("level").is_some_and(|l| {
        let base = l.split(['+', '-']).next().unwrap_or(l);
        matches!(base, "DEBUG" | "INFO" | "WARN" | "ERROR")
    });

    if has("timeUnixNano")
        || has("observedTimeUnixNano")
        || has("SeverityText")
        || has("severityText")
        || has("severityNumber")
        || has("SeverityNumber")
    {
        return "otel";
    }
    if has("ecs.version") || has("log.level") {
        return "ecs";
    }
    if has("@timestamp") && (has("level_value") || has("logger_name") || has("@version")) {
        return "logstash-logback";
    }
    if has("@t") || has("@mt") || has("@m") {
        return "serilog";
    }
    if has("target")
        && (has("fields.message")
            || has("spans")
            || has("span")
            || has("threadId")
            || has("line_number"))
    {
        return "tracing";
    }
    if has("instant.epochSecond")
        || has("timeMillis")
        || has("loggerName")
        || has("contextMap")
        || has("thrown")
    {
        return "log4j2";
    }
    if v.get("v").and_then(Value::as_i64) == Some(0) && has("name") && has("msg") {
        return "bunyan";
    }
    if num_at("time") && has("msg") && (num_at("level") || has("pid") || has("hostname")) {
        return "pino";
    }
    if has("Timestamp") && has("Level") && (has("Logger") || has("Message")) {
        // logback's JSON layouts (capitalised keys)
        return "logstash-logback";
    }
    if has("levelname") || (has("name") && has("message") && (has("funcName") || has("lineno"))) {
        return "python-json-logger";
    }
    if str_at("event").is_some() && (has("timestamp") || has("logger") || has("level")) {
        return "structlog";
    }
    if has("msg") && (num_at("ts") || has("caller") || has("stacktrace")) {
        return "zap";
    }
    if has("T") && has("L") && has("M") {
        return "zap";
    }
    if has("time") && has("msg") && (has("source.function") || has("source.file") || level_upper) {
        return "slog";
    }
    if has("time") && has("msg") && has("level") {
        return "logrus";
    }
    if has("message")
        && has("level")
        && (has("time") || has("caller"))
        && !has("timestamp")
        && !has("name")
    {
        return "zerolog";
    }
    if has("message") && has("level") && has("timestamp") {
        return "winston";
    }
    "json"
}
