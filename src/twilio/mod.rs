//! Twilio message records: detect which export a file is, read it into
//! [`TwilioRecord`]s, and merge the records of several exports by SID.
//!
//! Formats (see `shared/reference/twilio.md` §2, §3, §5–§7):
//! - the Console's Messaging-logs CSV export ([`ExportKind::ConsoleCsv`]);
//! - REST API list pages, single message resources and arrays of them
//!   ([`ExportKind::ApiPage`]);
//! - Bulk Export day files, one JSON record per line ([`ExportKind::BulkExport`]);
//! - Twilio CLI `-o json` ([`ExportKind::CliJson`]) and `-o tsv`
//!   ([`ExportKind::CliTsv`]).
//!
//! This module owns the bytes-to-records step only: it takes already
//! decompressed bytes and a path label, never touches the file system, never
//! prints and never panics. Rows it cannot use become [`Problem`]s that cite
//! the 1-based line where the row starts; the rest of the file is still read.
//!
//! Field names are matched loosely (case, `_` ignored), so snake_case,
//! camelCase and PascalCase spellings of the same field all work in every
//! JSON flavour.

mod csv;
mod json;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::intern::Interner;
use crate::model::{Evidence, Precision, Problem, Shared, Stamp, TwilioRecord};

/// Which kind of Twilio export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// The Console's Messaging-logs CSV download.
    ConsoleCsv,
    /// REST API JSON: a list page, a message resource, or an array of them.
    ApiPage,
    /// Bulk Export day file: one JSON record per line, ISO 8601 UTC dates.
    BulkExport,
    /// `twilio api:core:messages:list -o json`: a JSON array with camelCase keys.
    CliJson,
    /// `twilio api:core:messages:list -o tsv`: tab-separated with a header row.
    CliTsv,
}

impl ExportKind {
    /// The stable name used in [`TwilioRecord::export`].
    pub fn name(&self) -> &'static str {
        match self {
            ExportKind::ConsoleCsv => "console_csv",
            ExportKind::ApiPage => "api_page",
            ExportKind::BulkExport => "bulk_export",
            ExportKind::CliJson => "cli_json",
            ExportKind::CliTsv => "cli_tsv",
        }
    }
}

/// What reading one export gave.
#[derive(Debug, Clone, PartialEq)]
pub struct TwilioLoad {
    /// The kind detected, `None` when the content is not a Twilio export.
    pub kind: Option<ExportKind>,
    /// Records read, in file order.
    pub records: Vec<TwilioRecord>,
    /// Rows or values that could not be used, and fields that could not be read.
    pub problems: Vec<Problem>,
    /// Rows (CSV/TSV data rows, JSON messages, JSON Lines lines) looked at.
    pub rows_read: u64,
}

/// Strip a UTF-8 byte order mark.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Detect the export kind from content (already decompressed bytes), not
/// from the file name.
pub fn detect(bytes: &[u8]) -> Option<ExportKind> {
    let body = strip_bom(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = body.get(start..)?;
    match rest.first()? {
        b'{' | b'[' => json::detect(rest),
        _ => csv::detect(rest),
    }
}

/// Read one export. `file` is the path label used in evidence and problems;
/// `default_region` reads national phone numbers. Never panics: rows it
/// cannot use become problems (with the 1-based line where the row starts)
/// and the rest is still read. Unknown content gives a single problem naming
/// the file.
pub fn read_export(file: &str, bytes: &[u8], default_region: &str) -> TwilioLoad {
    let kind = detect(bytes);
    let mut ctx = Ctx::new(file, default_region, kind);
    match kind {
        Some(ExportKind::ConsoleCsv) => csv::read(&mut ctx, bytes, b','),
        Some(ExportKind::CliTsv) => csv::read(&mut ctx, bytes, b'\t'),
        Some(ExportKind::BulkExport) | Some(ExportKind::ApiPage) | Some(ExportKind::CliJson) => {
            json::read(&mut ctx, bytes)
        }
        None => {
            ctx.problems.push(Problem {
                file: file.to_string(),
                line: None,
                message: unknown_content_message(bytes),
            });
        }
    }
    ctx.finish(kind)
}

/// Read one export from a stream of decompressed bytes. Delimited exports
/// (the Console CSV, CLI TSV) are read a block of rows at a time, so a
/// million-record export is never held whole; JSON exports are read whole.
/// Gives the same records and problems as [`read_export`] on the same
/// bytes; an error reading the stream is returned as is.
pub fn read_export_from(
    file: &str,
    reader: &mut dyn std::io::Read,
    default_region: &str,
) -> std::io::Result<TwilioLoad> {
    use std::io::Read;
    let mut start = Vec::new();
    (&mut *reader).take(1 << 20).read_to_end(&mut start)?;
    let kind = detect(&start);
    // The kind of a delimited export comes from its first line: stream
    // only when that line is whole in what was read.
    let body = strip_bom(&start);
    let first_line_whole = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|s| body.get(s..))
        .is_some_and(|rest| rest.contains(&b'\n'));
    let delimiter = match kind {
        Some(ExportKind::ConsoleCsv) if first_line_whole => b',',
        Some(ExportKind::CliTsv) if first_line_whole => b'\t',
        _ => {
            reader.read_to_end(&mut start)?;
            return Ok(read_export(file, &start, default_region));
        }
    };
    let mut ctx = Ctx::new(file, default_region, kind);
    csv::read_stream(&mut ctx, start, reader, delimiter)?;
    Ok(ctx.finish(kind))
}

fn unknown_content_message(bytes: &[u8]) -> String {
    if strip_bom(bytes).iter().all(u8::is_ascii_whitespace) {
        return "empty file: no Twilio message records".to_string();
    }
    let packed = crate::input::Compression::sniff(bytes);
    if packed != crate::input::Compression::None {
        return format!(
            "compressed data ({}) where a decompressed Twilio export was expected",
            packed.name()
        );
    }
    "not a Twilio export: expected a Console CSV (header with Sid and To), an API page \
     ({\"messages\": [...]}), a Bulk Export day file (one JSON record per line) or Twilio CLI \
     JSON/TSV output"
        .to_string()
}

/// 1-based line of a byte offset.
pub(crate) struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(b: &[u8]) -> LineIndex {
        LineIndex {
            newlines: memchr::memchr_iter(b'\n', b).collect(),
        }
    }

    pub(crate) fn line_of(&self, offset: usize) -> u64 {
        self.newlines.partition_point(|&p| p < offset) as u64 + 1
    }
}

/// 1-based line of byte offsets asked for in increasing order (as a reader
/// goes through a file): counts only the newlines since the last answer.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    pub(crate) fn line_of(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset < self.at {
            self.at = 0;
            self.line = 1;
        }
        let seen = self.bytes.get(self.at..offset).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', seen).count() as u64;
        self.at = offset;
        self.line
    }
}

/// The state one reader fills.
struct Ctx<'a> {
    file: &'a str,
    /// `file`, shared by every record's evidence.
    file_shared: Shared,
    texts: Interner,
    region: &'a str,
    kind: ExportKind,
    records: Vec<TwilioRecord>,
    problems: Vec<Problem>,
    rows_read: u64,
}

impl<'a> Ctx<'a> {
    fn new(file: &'a str, region: &'a str, kind: Option<ExportKind>) -> Ctx<'a> {
        Ctx {
            file,
            file_shared: file.into(),
            texts: Interner::default(),
            region,
            kind: kind.unwrap_or(ExportKind::ApiPage),
            records: Vec::new(),
            problems: Vec::new(),
            rows_read: 0,
        }
    }

    fn finish(self, kind: Option<ExportKind>) -> TwilioLoad {
        TwilioLoad {
            kind,
            records: self.records,
            problems: self.problems,
            rows_read: self.rows_read,
        }
    }

    fn problem(&mut self, line: Option<u64>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    fn evidence(&self, line: u64) -> Evidence {
        Evidence {
            file: self.file_shared.clone(),
            line,
        }
    }
}

/// The fields of one row, as text, before they become a [`TwilioRecord`].
/// Both readers (delimited and JSON) fill one of these, so the conversion
/// rules live in one place.
#[derive(Debug, Default)]
struct RawFields<'a> {
    sid: Option<Cow<'a, str>>,
    account_sid: Option<Cow<'a, str>>,
    from: Option<Cow<'a, str>>,
    to: Option<Cow<'a, str>>,
    body: Option<Cow<'a, str>>,
    status: Option<Cow<'a, str>>,
    direction: Option<Cow<'a, str>>,
    date_created: Option<Cow<'a, str>>,
    date_sent: Option<Cow<'a, str>>,
    date_updated: Option<Cow<'a, str>>,
    num_segments: Option<Cow<'a, str>>,
    error_code: Option<Cow<'a, str>>,
    messaging_service_sid: Option<Cow<'a, str>>,
}

/// Which [`RawFields`] slot a column or key fills, from its name with case,
/// `_`, spaces and other punctuation ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Sid,
    AccountSid,
    From,
    To,
    Body,
    Status,
    Direction,
    DateCreated,
    DateSent,
    DateUpdated,
    NumSegments,
    ErrorCode,
    MessagingServiceSid,
}

/// Lower-case letters and digits only: `date_created`, `dateCreated`,
/// `"Date Created"` all become `datecreated`.
fn fold_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn field_for(name: &str) -> Option<Field> {
    Some(match fold_name(name).as_str() {
        "sid" | "messagesid" | "smssid" => Field::Sid,
        "accountsid" => Field::AccountSid,
        "from" => Field::From,
        "to" => Field::To,
        "body" => Field::Body,
        "status" | "messagestatus" => Field::Status,
        "direction" => Field::Direction,
        "datecreated" | "createddate" => Field::DateCreated,
        "datesent" | "sentdate" => Field::DateSent,
        "dateupdated" | "updateddate" => Field::DateUpdated,
        "numsegments" => Field::NumSegments,
        "errorcode" => Field::ErrorCode,
        "messagingservicesid" => Field::MessagingServiceSid,
        _ => return None,
    })
}

impl<'a> RawFields<'a> {
    fn set(&mut self, field: Field, value: Option<Cow<'a, str>>) {
        let value = value.filter(|v| !v.trim().is_empty());
        let slot = match field {
            Field::Sid => &mut self.sid,
            Field::AccountSid => &mut self.account_sid,
            Field::From => &mut self.from,
            Field::To => &mut self.to,
            Field::Body => &mut self.body,
            Field::Status => &mut self.status,
            Field::Direction => &mut self.direction,
            Field::DateCreated => &mut self.date_created,
            Field::DateSent => &mut self.date_sent,
            Field::DateUpdated => &mut self.date_updated,
            Field::NumSegments => &mut self.num_segments,
            Field::ErrorCode => &mut self.error_code,
            Field::MessagingServiceSid => &mut self.messaging_service_sid,
        };
        // The first spelling of a field wins when a row has two.
        if slot.is_none() {
            *slot = value;
        }
    }
}

/// Read a date the way any Twilio export or a spreadsheet re-save may
/// write it.
fn parse_twilio_date(s: &str) -> Option<Stamp> {
    let s = s.trim();
    crate::time::parse_rfc2822(s)
        .or_else(|| crate::time::parse_iso8601(s))
        .or_else(|| crate::time::parse_sheet_datetime(s))
        .or_else(|| crate::time::parse_cli_date(s))
        .or_else(|| crate::time::parse_any(s))
}

/// Turn one row into a record; `None` (with a problem) when it lacks a SID
/// or a recipient. Fields that cannot be read are left empty and reported.
fn build_record(ctx: &mut Ctx<'_>, raw: RawFields<'_>, line: u64) -> Option<TwilioRecord> {
    let sid = match raw.sid.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => {
            ctx.problem(Some(line), "message record without a Sid: skipped");
            return None;
        }
    };
    let to = match raw.to.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => {
            crate::phone::normalize_phone(t, ctx.region).unwrap_or_else(|| t.to_string())
        }
        _ => {
            ctx.problem(
                Some(line),
                format!("message record {sid} without a To (recipient): skipped"),
            );
            return None;
        }
    };
    let from = raw
        .from
        .as_deref()
        .map(str::trim)
        .map(|f| crate::phone::normalize_phone(f, ctx.region).unwrap_or_else(|| f.to_string()));
    let mut date = |name: &str, v: &Option<Cow<'_, str>>| -> Option<Stamp> {
        let text = v.as_deref()?.trim();
        let parsed = parse_twilio_date(text);
        if parsed.is_none() {
            ctx.problem(
                Some(line),
                format!("{sid}: cannot read {name} {text:?} as a date; left empty"),
            );
        }
        parsed
    };
    let mut date_created = date("date_created", &raw.date_created);
    let mut date_sent = date("date_sent", &raw.date_sent);
    let mut date_updated = date("date_updated", &raw.date_updated);
    if ctx.kind == ExportKind::CliJson {
        // The CLI converts Twilio's RFC 2822 (whole-second) dates to JS
        // Dates; the `.000` it prints adds no precision.
        for d in [&mut date_created, &mut date_sent, &mut date_updated]
            .into_iter()
            .flatten()
        {
            if d.nanos % 1_000_000_000 == 0 {
                d.precision = Precision::Seconds;
            }
        }
    }
    let mut number = |name: &str, v: &Option<Cow<'_, str>>| -> Option<u32> {
        let text = v.as_deref()?.trim();
        let parsed = parse_count(text);
        if parsed.is_none() {
            ctx.problem(
                Some(line),
                format!("{sid}: cannot read {name} {text:?} as a number; left empty"),
            );
        }
        parsed
    };
    let num_segments = number("num_segments", &raw.num_segments);
    // Twilio error codes are five digits; a 0 some tools write means none.
    let error_code = number("error_code", &raw.error_code).filter(|c| *c != 0);
    let texts = &mut ctx.texts;
    let mut text = |v: Option<Cow<'_, str>>, lower: bool| {
        let v = v?;
        let t = v.trim();
        if t.is_empty() {
            None
        } else if lower && t.bytes().any(|b| b.is_ascii_uppercase()) {
            Some(texts.get(&t.to_ascii_lowercase()))
        } else {
            Some(texts.get(t))
        }
    };
    let account_sid = text(raw.account_sid, false);
    let status = text(raw.status, true);
    let direction = text(raw.direction, true);
    let messaging_service_sid = text(raw.messaging_service_sid, false);
    Some(TwilioRecord {
        sid: sid.into(),
        account_sid,
        from: from.map(|f| texts.get(&f)),
        to: texts.get(&to),
        // The body keeps its inner whitespace and newlines as exported.
        body: raw.body.map(|b| texts.get(&b)),
        status,
        direction,
        date_created,
        date_sent,
        date_updated,
        num_segments,
        error_code,
        messaging_service_sid,
        export: texts.get(ctx.kind.name()),
        evidence: ctx.evidence(line),
    })
}

/// A count written as `1`, `"1"`, `1.0`.
fn parse_count(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return Some(n);
    }
    let f: f64 = s.parse().ok()?;
    if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX) {
        Some(f as u32)
    } else {
        None
    }
}

/// Merge records from several exports: one record per SID (the same message
/// can be in a CSV and an API page). The first seen (input order) keeps its
/// evidence, export name and values; fields it lacks are filled from the
/// later ones. Output is sorted by (date_created, else date_sent; SID);
/// records with neither date come last.
pub fn merge(mut records: Vec<TwilioRecord>) -> Vec<TwilioRecord> {
    // In place, so a million records are not held twice: one hash lookup
    // per record finds the first record of its SID (input order), which is
    // kept and filled from the later ones, in input order.
    let mut first_of: crate::FastMap<&str, usize> = crate::FastMap::default();
    first_of.reserve(records.len());
    let mut later: Vec<(usize, usize)> = Vec::new();
    for (k, r) in records.iter().enumerate() {
        match first_of.entry(&r.sid) {
            std::collections::hash_map::Entry::Occupied(e) => later.push((*e.get(), k)),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(k);
            }
        }
    }
    drop(first_of);
    let mut drop = vec![false; records.len()];
    for (first, k) in later {
        let other = records[k].clone();
        fill_from(&mut records[first], other);
        drop[k] = true;
    }
    let mut i = 0;
    records.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
    // Exports are usually in time order already (the Console's newest
    // first): a run-detecting stable sort makes this nearly linear.
    records.sort_by(|a, b| {
        let ka = a.best_time().map(|(t, _)| t.nanos);
        let kb = b.best_time().map(|(t, _)| t.nanos);
        (ka.is_none(), ka, &a.sid).cmp(&(kb.is_none(), kb, &b.sid))
    });
    records
}

fn fill_from(base: &mut TwilioRecord, other: TwilioRecord) {
    fn fill<T>(a: &mut Option<T>, b: Option<T>) {
        if a.is_none() {
            *a = b;
        }
    }
    // A recipient kept as written (not a phone number) gives way to a
    // normalised one.
    if !base.to.starts_with('+') && !base.to.starts_with("whatsapp:+") && other.to.contains('+') {
        base.to = other.to;
    }
    fill(&mut base.account_sid, other.account_sid);
    fill(&mut base.from, other.from);
    fill(&mut base.body, other.body);
    fill(&mut base.status, other.status);
    fill(&mut base.direction, other.direction);
    fill(&mut base.date_created, other.date_created);
    fill(&mut base.date_sent, other.date_sent);
    fill(&mut base.date_updated, other.date_updated);
    fill(&mut base.num_segments, other.num_segments);
    fill(&mut base.error_code, other.error_code);
    fill(&mut base.messaging_service_sid, other.messaging_service_sid);
}
