//! The investigation engine behind `sidtrace investigate`.
//!
//! From already-extracted data (outbound POST [`Attempt`]s, context records,
//! Twilio message records and per-source coverage) it builds a [`Report`]:
//!
//! 1. `requests`: observations of one POST (the app's record, the egress
//!    proxy's access-log line) are merged into one request; a Twilio helper
//!    library's own re-send (twilio-java re-sends after a 5xx) is marked.
//! 2. `join`: requests are joined with Twilio records by SID, then by
//!    recipient and time, one to one, after learning each host's clock
//!    offset from the SID-confirmed pairs.
//! 3. `incidents`: records (or, without Twilio data, successful requests)
//!    are grouped per recipient and body and clustered in time by the window.
//! 4. `verdict`: each incident gets a verdict, a cause per extra request and
//!    sentences that name the evidence.
//!
//! Rendering ([`render`]) writes text, JSON or Markdown; credentials are
//! scrubbed from every format, phones and bodies masked on request.
//!
//! Everything is sorted by stable keys first, so the output does not depend
//! on the order of the inputs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Attempt, ContextRecord, Evidence, Problem, SourceCoverage, TwilioRecord};

mod incidents;
mod join;
mod redact;
mod render_json;
mod render_markdown;
mod render_text;
mod report;
mod requests;
mod verdict;

#[cfg(test)]
mod tests;

pub use redact::{body_hash, mask_phone};
pub use report::{
    Cause, ClockOffset, Confidence, CoverageNote, InboundView, Incident, MatchBy, MatchView,
    Outcome, Quote, RecordView, Report, RequestView, Summary, Verdict,
};

/// The default clustering window: 30 minutes.
///
/// Two records to one person with one body belong to one incident when they
/// are at most this far apart (chained record to record). 30 minutes catches
/// the slow duplicates: a retry after a 60 s client timeout (php, ruby) with
/// back-off, and a queue redelivery after a visibility timeout of a few
/// minutes (SQS defaults to 30 s, many workers use 5–15 min). It stays far
/// below a day, so a daily reminder is never joined with yesterday's, and
/// below an hour, so an hourly digest is not either.
pub const DEFAULT_WINDOW: i64 = 30 * 60 * 1_000_000_000;

/// What the readers saw, for the report's input section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputSummary {
    /// Files read.
    pub files: u64,
    /// Lines read.
    pub lines: u64,
    /// Lines no grammar could read.
    pub unparsed_lines: u64,
    /// Unread lines that mention `Messages.json`: they could change a verdict.
    pub unparsed_candidates: u64,
    /// Of those, lines that were read but gave no POST and are no known
    /// look-alike ("mentions Messages.json, not read as a POST").
    #[serde(skip_serializing_if = "is_zero")]
    pub not_read_as_post: u64,
    /// Lines naming `Messages.json` read as no create-message POST, by kind
    /// (`status_callback`, `inbound_webhook`, `get_message`, …).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub lookalikes: std::collections::BTreeMap<String, u64>,
    /// Problems met while reading.
    pub problems: Vec<Problem>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything the engine works from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Every outbound POST observation.
    pub attempts: Vec<Attempt>,
    /// Inbound requests and app records that share an id with some attempt.
    pub context: Vec<ContextRecord>,
    /// Twilio message records, one per SID (inbound ones are ignored).
    pub twilio: Vec<TwilioRecord>,
    /// False in logs-only mode.
    pub twilio_given: bool,
    /// Coverage of each log source.
    pub coverage: Vec<SourceCoverage>,
    /// Raw text of evidence lines, for quotes.
    pub quotes: BTreeMap<Evidence, String>,
    /// What was read.
    pub summary: InputSummary,
}

/// What to investigate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The complaining recipient (E.164).
    pub to: Option<String>,
    /// Record SIDs the complaint names.
    pub sids: Vec<String>,
    /// Earliest time (Unix nanos).
    pub since: Option<i64>,
    /// Latest time (Unix nanos).
    pub until: Option<i64>,
    /// Clustering window (nanos).
    pub window: i64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            to: None,
            sids: Vec::new(),
            since: None,
            until: None,
            window: DEFAULT_WINDOW,
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people at a terminal (default).
    Text,
    /// One pretty-printed JSON document.
    Json,
    /// For a support ticket.
    Markdown,
}

/// Investigate: build the report.
pub fn investigate(inputs: &Inputs, opts: &Options) -> Report {
    let mut opts = opts.clone();
    if opts.window <= 0 {
        opts.window = DEFAULT_WINDOW;
    }
    let data = requests::Prepared::new(inputs);
    let joined = join::join(&data);
    let seeds = incidents::find(&data, &joined, &opts);
    verdict::build_report(&data, &joined, seeds, &opts)
}

/// Write `report` in `format`. `redact`: mask phone numbers (`+1415•••0134`)
/// and bodies (`body#3f2a91c0`, FNV-1a) in any format. Credentials are
/// always scrubbed in every format.
pub fn render(
    report: &Report,
    format: Format,
    redact: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let clean = verdict::sanitize(report, redact);
    // Every field was scrubbed by `sanitize`; what the renderers write is
    // scrubbed once more as a whole (each JSON string, or the text), so a
    // field added later cannot carry a credential out.
    let mut text = Vec::new();
    match format {
        Format::Json => return render_json::render(&clean, out),
        Format::Text => render_text::render(&clean, &mut text)?,
        Format::Markdown => render_markdown::render(&clean, &mut text)?,
    }
    out.write_all(crate::scrub::scrub(&String::from_utf8_lossy(&text)).as_bytes())
}
