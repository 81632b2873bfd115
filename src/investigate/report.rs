//! The report: plain data that the renderers turn into text, JSON or
//! Markdown. Field names are the JSON contract (`version` 1): rename nothing.
//!
//! JSON shape (`--format json`; absent values are `null`, never left out):
//!
//! ```text
//! { "version": 1, "redacted": bool, "mode": "scan|complaint|sids",
//!   "twilio_given": bool, "window_ms": N,
//!   "incidents": [ {
//!     "recipient", "verdict": "single_request|multiple_requests|twilio_side|inconclusive",
//!     "cause": "retry|duplicate_inbound|duplicate_job|multiple_code_paths|repeated_call"|null,
//!     "sids": [..],
//!     "requests": [ { "time", "sid", "status", "host", "code_path",
//!        "evidence": [{"file","line"}], "number", "observers": ["app"|"egress_proxy"],
//!        "outcome": "created|rejected|no_record|record_missing|unknown",
//!        "failure": {"kind":"timeout|connection|error","detail"}|null, "duration_ms",
//!        "match": {"by":"sid|recipient_time","confidence":"exact|high|medium|low",
//!                  "offset_ms","clock_offset_ms","record"}|null,
//!        "inbound": {"route","client","time","status","user_agent","idempotency_token","evidence"}|null,
//!        "job_id","request_id","trace_id","user_agent","library","client_addr",
//!        "recipient","body","extra": bool,"cause" } ],
//!     "number", "answer", "proof": bool, "confidence", "start", "end", "body",
//!     "explanation": [..],
//!     "records": [ {"sid","date_created","date_sent","status","direction","error_code",
//!                   "body","export","evidence","request"} ],
//!     "coverage": [ {"source","host","covers": bool,"note","evidence"} ],
//!     "quotes": [ {"file","line","text"} ] } ],
//!   "clock_offsets": [ {"host","offset_ms","pairs"} ],
//!   "summary": {"incidents","per_verdict":{..},"per_cause":{..},"per_code_path":{..},
//!               "requests","records"},
//!   "inputs": {"files","lines","unparsed_lines","unparsed_candidates","problems":[..]},
//!   "notes": [..] }
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Evidence, Failure, Observer};

use super::InputSummary;

/// The answer for one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// One Twilio record, made by one request: any duplicate arose after Twilio.
    SingleRequest,
    /// The app made several POSTs that Twilio turned into several records.
    MultipleRequests,
    /// Twilio holds more records than the app made requests, and the logs
    /// cover that time without a gap.
    TwilioSide,
    /// Records without requests where the logs do not cover the time.
    Inconclusive,
}

impl Verdict {
    /// The JSON id.
    pub fn id(self) -> &'static str {
        match self {
            Verdict::SingleRequest => "single_request",
            Verdict::MultipleRequests => "multiple_requests",
            Verdict::TwilioSide => "twilio_side",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// Why an extra request was made (for `multiple_requests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Sent again after a failure the caller could not interpret.
    Retry,
    /// The same inbound request (or webhook) arrived twice.
    DuplicateInbound,
    /// The same job was processed twice.
    DuplicateJob,
    /// Different code paths each sent the message.
    MultipleCodePaths,
    /// The same code path sent twice in one context.
    RepeatedCall,
}

impl Cause {
    /// The JSON id.
    pub fn id(self) -> &'static str {
        match self {
            Cause::Retry => "retry",
            Cause::DuplicateInbound => "duplicate_inbound",
            Cause::DuplicateJob => "duplicate_job",
            Cause::MultipleCodePaths => "multiple_code_paths",
            Cause::RepeatedCall => "repeated_call",
        }
    }
}

/// How sure a match or an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// By an identifier (the SID).
    Exact,
    /// Recipient and time agree closely.
    High,
    /// Recipient and time agree within a few seconds.
    Medium,
    /// Only loosely (time alone, or several seconds apart).
    Low,
}

impl Confidence {
    /// The JSON id.
    pub fn id(self) -> &'static str {
        match self {
            Confidence::Exact => "exact",
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// How a request was joined with a Twilio record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchBy {
    /// The log line carries the record's SID.
    Sid,
    /// Same recipient (and body, when known) at the same time.
    RecipientTime,
}

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Joined with a Twilio record: Twilio created a message for it.
    Created,
    /// Refused by Twilio (4xx such as 400 or 429): Twilio created nothing.
    Rejected,
    /// Ended in a failure whose outcome the caller could not know (timeout,
    /// 499, 000, connection reset, 5xx) and no Twilio record matches it.
    NoRecord,
    /// Succeeded (2xx) by the logs, but no Twilio record given matches it.
    RecordMissing,
    /// No Twilio records were given; outcome as far as the logs say.
    Unknown,
}

/// The whole investigation.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema version of this document.
    pub version: u32,
    /// True when phone numbers and bodies are masked.
    pub redacted: bool,
    /// `scan`, `complaint` (`--to`) or `sids` (`--sid` only).
    pub mode: String,
    /// False in logs-only mode.
    pub twilio_given: bool,
    /// The clustering window in milliseconds.
    pub window_ms: i64,
    /// The incidents, in time order.
    pub incidents: Vec<Incident>,
    /// Clock offset of each host, learned from SID-confirmed pairs.
    pub clock_offsets: Vec<ClockOffset>,
    /// Counts for post-incident reviews.
    pub summary: Summary,
    /// What was read.
    pub inputs: InputSummary,
    /// Report-wide notes.
    pub notes: Vec<String>,
}

/// One incident: the messages one recipient got within the window.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// Recipient (E.164, or masked).
    pub recipient: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The cause of the first extra request (`multiple_requests` only).
    pub cause: Option<Cause>,
    /// The Twilio record SIDs, in time order.
    pub sids: Vec<String>,
    /// The requests, in time order.
    pub requests: Vec<RequestView>,
    /// 1-based number of the incident in this report.
    pub number: u32,
    /// The answer in one sentence.
    pub answer: String,
    /// True when the evidence proves the verdict (not just suggests it).
    pub proof: bool,
    /// How sure the verdict is.
    pub confidence: Confidence,
    /// Time of the first record or request.
    pub start: Option<String>,
    /// Time of the last record or request.
    pub end: Option<String>,
    /// The message body (or its hash), when known.
    pub body: Option<String>,
    /// Sentences that name the evidence.
    pub explanation: Vec<String>,
    /// The Twilio records.
    pub records: Vec<RecordView>,
    /// How the log sources that could send cover the incident's time.
    pub coverage: Vec<CoverageNote>,
    /// The evidence lines, quoted (credentials always scrubbed).
    pub quotes: Vec<Quote>,
}

/// One outbound POST (one or more observations merged).
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    /// When it started (RFC 3339, the logging host's clock).
    pub time: String,
    /// The SID Twilio answered with (logged or joined).
    pub sid: Option<String>,
    /// HTTP status, when logged.
    pub status: Option<u16>,
    /// The host that made it.
    pub host: Option<String>,
    /// Where in the code it was made, in words.
    pub code_path: String,
    /// Every line it was seen on.
    pub evidence: Vec<Evidence>,
    /// 1-based number in this incident.
    pub number: u32,
    /// Who saw it (`app`, `egress_proxy`).
    pub observers: Vec<Observer>,
    /// What became of it.
    pub outcome: Outcome,
    /// The failure the caller saw.
    pub failure: Option<Failure>,
    /// Duration in milliseconds.
    pub duration_ms: Option<f64>,
    /// The Twilio record it was joined with.
    #[serde(rename = "match")]
    pub matched: Option<MatchView>,
    /// The inbound request that triggered it.
    pub inbound: Option<InboundView>,
    /// Job id.
    pub job_id: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Trace id.
    pub trace_id: Option<String>,
    /// User-Agent.
    pub user_agent: Option<String>,
    /// Twilio helper library.
    pub library: Option<String>,
    /// Client address as the egress proxy saw it.
    pub client_addr: Option<String>,
    /// Recipient as logged.
    pub recipient: Option<String>,
    /// Body as logged (or its hash).
    pub body: Option<String>,
    /// True when this request made a record after an earlier one did.
    pub extra: bool,
    /// Why this extra request was made.
    pub cause: Option<Cause>,
}

/// How a request was joined with a record.
#[derive(Debug, Clone, Serialize)]
pub struct MatchView {
    /// `sid` or `recipient_time`.
    pub by: MatchBy,
    /// How sure.
    pub confidence: Confidence,
    /// Record creation time minus request time, in ms (raw clocks).
    pub offset_ms: Option<i64>,
    /// The host clock offset applied before matching, in ms.
    pub clock_offset_ms: i64,
    /// The record's SID.
    pub record: String,
}

/// An inbound request that led to an outbound one.
#[derive(Debug, Clone, Serialize)]
pub struct InboundView {
    /// Method and route (`POST /signup`).
    pub route: String,
    /// Client address.
    pub client: Option<String>,
    /// When.
    pub time: String,
    /// Status of the inbound request.
    pub status: Option<u16>,
    /// User-Agent of the inbound request.
    pub user_agent: Option<String>,
    /// Webhook idempotency token.
    pub idempotency_token: Option<String>,
    /// Where it was read.
    pub evidence: Evidence,
}

/// One Twilio record of the incident.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// The SID.
    pub sid: String,
    /// `date_created` (RFC 3339).
    pub date_created: Option<String>,
    /// `date_sent` (RFC 3339).
    pub date_sent: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Direction.
    pub direction: Option<String>,
    /// Error code.
    pub error_code: Option<u32>,
    /// Body (or its hash).
    pub body: Option<String>,
    /// Which export.
    pub export: String,
    /// Where it was read.
    pub evidence: Evidence,
    /// 1-based number of the request joined with it.
    pub request: Option<u32>,
}

/// How one log source covers an incident's time.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageNote {
    /// The log source.
    pub source: String,
    /// Its host.
    pub host: Option<String>,
    /// True when it covers every record's time without a gap.
    pub covers: bool,
    /// In words.
    pub note: String,
    /// Lines that bound a gap or the source's span.
    pub evidence: Vec<Evidence>,
}

/// A quoted evidence line.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// File.
    pub file: String,
    /// Line.
    pub line: u64,
    /// Text (credentials scrubbed; phones and bodies masked when redacted).
    pub text: String,
}

/// A host's clock offset against Twilio's.
#[derive(Debug, Clone, Serialize)]
pub struct ClockOffset {
    /// Host (or log source when the host is unknown).
    pub host: String,
    /// Median of Twilio `date_created` (+0.5 s for truncation) minus request start, in ms.
    pub offset_ms: i64,
    /// SID-confirmed pairs used.
    pub pairs: usize,
}

/// Counts for post-incident reviews.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Number of incidents.
    pub incidents: usize,
    /// Incidents per verdict.
    pub per_verdict: BTreeMap<String, usize>,
    /// Incidents per cause.
    pub per_cause: BTreeMap<String, usize>,
    /// Extra requests per code path.
    pub per_code_path: BTreeMap<String, usize>,
    /// Requests in incidents.
    pub requests: usize,
    /// Twilio records in incidents.
    pub records: usize,
}
