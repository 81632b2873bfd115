//! JSON exports: REST API pages and resources, Bulk Export day files (JSON
//! Lines) and Twilio CLI `-o json` arrays.
//!
//! Two layouts are read:
//! - *lines*: every line is a complete JSON value (Bulk Export; also API
//!   resources or pages saved one per line). A bad line is a problem and the
//!   next line is read.
//! - *documents*: pretty-printed values spanning lines (API pages saved by
//!   `curl | jq`, CLI output, several pages concatenated). A small byte
//!   scanner finds where each message object starts, so each record cites
//!   its own line, a broken message does not spoil its neighbours, and a
//!   truncated page still yields the messages before the cut.

use memchr::memmem;
use serde_json::{Map, Value};

use super::{build_record, field_for, fold_name, strip_bom, Ctx, ExportKind, LineIndex, RawFields};

/// Keys that only the CLI's camelCase conversion writes.
const CAMEL_KEYS: &[&str] = &[
    "accountSid",
    "dateCreated",
    "dateSent",
    "dateUpdated",
    "numSegments",
    "numMedia",
    "errorCode",
    "errorMessage",
    "messagingServiceSid",
    "priceUnit",
    "apiVersion",
];

/// How many non-empty lines are tried when deciding whether a file is
/// JSON Lines (so one corrupt first line does not change the verdict).
const PROBE_LINES: usize = 5;

fn non_empty_lines(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split(|&c| c == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty())
}

/// The first complete one-line JSON value among the first few lines: an
/// object with a SID or a message list, or (on the first line only) an array.
fn first_complete_line(b: &[u8]) -> Option<Value> {
    for (n, line) in non_empty_lines(b).take(PROBE_LINES).enumerate() {
        match serde_json::from_slice::<Value>(line) {
            Ok(v @ Value::Array(_)) if n == 0 => return Some(v),
            Ok(Value::Object(m)) if m.contains_key("messages") || has_sid(&m) => {
                return Some(Value::Object(m))
            }
            _ => {}
        }
    }
    None
}

fn has_key(m: &Map<String, Value>, folded: &str) -> bool {
    m.keys().any(|k| fold_name(k) == folded)
}

fn has_sid(m: &Map<String, Value>) -> bool {
    m.iter()
        .any(|(k, v)| fold_name(k) == "sid" && v.is_string())
        && ["datecreated", "datesent", "accountsid"]
            .iter()
            .any(|k| has_key(m, k))
}

fn is_camel(m: &Map<String, Value>) -> bool {
    CAMEL_KEYS.iter().any(|k| m.contains_key(*k))
}

/// True when the record's dates are RFC 2822 (the REST API's notation).
fn has_rfc2822_dates(m: &Map<String, Value>) -> bool {
    m.iter().any(|(k, v)| {
        matches!(
            fold_name(k).as_str(),
            "datecreated" | "datesent" | "dateupdated"
        ) && v
            .as_str()
            .is_some_and(|s| crate::time::parse_rfc2822(s).is_some())
    })
}

fn classify(v: &Value, one_line: bool) -> Option<ExportKind> {
    match v {
        Value::Object(m) => {
            if m.get("messages").is_some_and(Value::is_array) {
                Some(ExportKind::ApiPage)
            } else if is_camel(m) {
                Some(ExportKind::CliJson)
            } else if has_sid(m) {
                if one_line && !has_rfc2822_dates(m) {
                    Some(ExportKind::BulkExport)
                } else {
                    Some(ExportKind::ApiPage)
                }
            } else {
                None
            }
        }
        Value::Array(items) => match items.first() {
            None => Some(ExportKind::CliJson),
            Some(first @ Value::Object(_)) => classify(first, false),
            Some(_) => None,
        },
        _ => None,
    }
}

/// Detect a JSON export; `rest` starts at the first `{` or `[`.
pub(super) fn detect(rest: &[u8]) -> Option<ExportKind> {
    if let Some(v) = first_complete_line(rest) {
        return classify(&v, true);
    }
    if let Some(end) = value_end(rest, 0) {
        if let Some(v) = rest
            .get(..end)
            .and_then(|s| serde_json::from_slice::<Value>(s).ok())
        {
            return classify(&v, false);
        }
    }
    // Broken or truncated: judge by the keys written near the start.
    let head = rest.get(..rest.len().min(64 * 1024)).unwrap_or(rest);
    let has = |needle: &str| memmem::find(head, needle.as_bytes()).is_some();
    if has("\"messages\"") {
        Some(ExportKind::ApiPage)
    } else if CAMEL_KEYS.iter().any(|k| has(&format!("\"{k}\""))) {
        Some(ExportKind::CliJson)
    } else if has("\"sid\"") && (has("\"date_created\"") || has("\"account_sid\"")) {
        Some(ExportKind::ApiPage)
    } else {
        None
    }
}

/// Read a JSON export in whichever layout it has.
pub(super) fn read(ctx: &mut Ctx<'_>, bytes: &[u8]) {
    let body = strip_bom(bytes);
    // One document (a pretty-printed page may hold an element on one line
    // of its own, which would pass for JSON Lines); else JSON Lines.
    let one_document = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
    if !one_document && first_complete_line(body).is_some() {
        read_lines(ctx, bytes);
    } else {
        read_documents(ctx, bytes);
    }
}

/// JSON Lines: one value per line.
fn read_lines(ctx: &mut Ctx<'_>, bytes: &[u8]) {
    let bytes = strip_bom(bytes);
    for (i, line) in bytes.split(|&c| c == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(v) => collect(ctx, v, line_no),
            Err(e) => {
                ctx.rows_read += 1;
                ctx.problem(
                    Some(line_no),
                    format!("not a JSON record ({}): skipped", error_text(&e)),
                );
            }
        }
    }
}

/// serde_json's message without its position (we cite our own line).
fn error_text(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s.get(..i).unwrap_or(&s).to_string(),
        None => s,
    }
}

/// Records from one parsed value: a message resource, a list page, or an
/// array of either. `line` is cited for all of them.
fn collect(ctx: &mut Ctx<'_>, v: Value, line: u64) {
    match v {
        Value::Object(mut m) => match m.remove("messages") {
            Some(Value::Array(items)) => {
                for item in items {
                    record_from_value(ctx, item, line);
                }
            }
            Some(other) => {
                m.insert("messages".to_string(), other);
                record_from_value(ctx, Value::Object(m), line);
            }
            None => record_from_value(ctx, Value::Object(m), line),
        },
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(ref m) if m.contains_key("messages") => collect(ctx, item, line),
                    _ => record_from_value(ctx, item, line),
                }
            }
        }
        other => {
            ctx.rows_read += 1;
            ctx.problem(
                Some(line),
                format!(
                    "a JSON {}, not a message record: skipped",
                    type_name(&other)
                ),
            );
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One message record from a JSON object.
fn record_from_value(ctx: &mut Ctx<'_>, v: Value, line: u64) {
    ctx.rows_read += 1;
    let m = match v {
        Value::Object(m) => m,
        other => {
            ctx.problem(
                Some(line),
                format!(
                    "a JSON {} where a message record was expected: skipped",
                    type_name(&other)
                ),
            );
            return;
        }
    };
    let mut raw = RawFields::default();
    for (k, v) in m {
        if let Some(field) = field_for(&k) {
            raw.set(field, value_text(v).map(std::borrow::Cow::Owned));
        }
    }
    if let Some(rec) = build_record(ctx, raw, line) {
        ctx.records.push(rec);
    }
}

/// A scalar as text; numbers as written (`"1"` and `1` alike).
fn value_text(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

// ---------------------------------------------------------------------------
// Documents: a byte scanner over possibly pretty-printed, possibly broken JSON.

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after the string that starts at `i` (a `"`).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The index after the JSON value that starts at `i`, by structure only
/// (brackets and strings); `None` when the input ends inside it or no value
/// starts at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        b'}' | b']' | b',' | b':' => None,
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            Some(j)
        }
    }
}

/// Where scanning a container stopped.
enum Stop {
    /// It closed; the index after it.
    Closed(usize),
    /// Something unexpected at this index (or the input ended there).
    Broken(usize),
}

/// Why no value could be read at `j`: the input ended inside a string or
/// container that starts there, or something else is there.
fn broken_at(b: &[u8], j: usize) -> Stop {
    match b.get(j) {
        None | Some(b'{' | b'[' | b'"') => Stop::Broken(b.len()),
        Some(_) => Stop::Broken(j),
    }
}

/// The elements of the array starting at `i` (a `[`), as byte spans, as far
/// as they can be found.
fn scan_array(b: &[u8], i: usize) -> (Vec<(usize, usize)>, Stop) {
    let mut out = Vec::new();
    let mut j = skip_ws(b, i + 1);
    loop {
        if b.get(j) == Some(&b']') {
            return (out, Stop::Closed(j + 1));
        }
        let end = match value_end(b, j) {
            Some(e) if e > j => e,
            _ => return (out, broken_at(b, j)),
        };
        out.push((j, end));
        j = skip_ws(b, end);
        match b.get(j) {
            Some(b',') => j = skip_ws(b, j + 1),
            Some(b']') => return (out, Stop::Closed(j + 1)),
            _ => return (out, Stop::Broken(j)),
        }
    }
}

/// Pretty-printed or concatenated JSON values.
fn read_documents(ctx: &mut Ctx<'_>, bytes: &[u8]) {
    let lines = LineIndex::new(bytes);
    let start = bytes.len() - strip_bom(bytes).len();
    let mut i = skip_ws(bytes, start);
    while i < bytes.len() {
        match read_value(ctx, bytes, &lines, i) {
            Some(end) => i = skip_ws(bytes, end),
            None => break,
        }
    }
}

/// Read the top-level value at `i`; the index after it, or `None` when
/// reading cannot go on (a problem has been recorded).
fn read_value(ctx: &mut Ctx<'_>, b: &[u8], lines: &LineIndex, i: usize) -> Option<usize> {
    match b.get(i)? {
        b'[' => {
            let (elems, stop) = scan_array(b, i);
            for (s, e) in elems {
                parse_element(ctx, b, lines, s, e);
            }
            stopped(ctx, b, lines, i, stop, "array")
        }
        b'{' => read_object(ctx, b, lines, i),
        _ => {
            ctx.problem(
                Some(lines.line_of(i)),
                "unexpected text where a JSON object or array was expected; the rest of the file is not read",
            );
            None
        }
    }
}

/// Report where a container scan stopped; the index after it when it closed.
fn stopped(
    ctx: &mut Ctx<'_>,
    b: &[u8],
    lines: &LineIndex,
    opened: usize,
    stop: Stop,
    what: &str,
) -> Option<usize> {
    match stop {
        Stop::Closed(end) => Some(end),
        Stop::Broken(at) if at >= b.len() => {
            ctx.problem(
                Some(lines.line_of(opened)),
                format!(
                    "the file ends inside the JSON {what} opened on this line (truncated?); records after line {} are not read",
                    lines.line_of(at)
                ),
            );
            None
        }
        Stop::Broken(at) => {
            ctx.problem(
                Some(lines.line_of(at)),
                format!(
                    "broken JSON {what} (opened on line {}): the rest of the file is not read",
                    lines.line_of(opened)
                ),
            );
            None
        }
    }
}

/// A top-level object: a list page (its `messages` are read one by one,
/// each with its own line) or a single message resource.
fn read_object(ctx: &mut Ctx<'_>, b: &[u8], lines: &LineIndex, i: usize) -> Option<usize> {
    let mut j = skip_ws(b, i + 1);
    let mut saw_messages = false;
    let end = loop {
        match b.get(j) {
            Some(b'}') => break j + 1,
            Some(b'"') => {}
            _ => return stopped(ctx, b, lines, i, Stop::Broken(j), "object"),
        }
        let key_end = match string_end(b, j) {
            Some(e) => e,
            None => return stopped(ctx, b, lines, i, Stop::Broken(b.len()), "object"),
        };
        let key: String = b
            .get(j..key_end)
            .and_then(|k| serde_json::from_slice(k).ok())
            .unwrap_or_default();
        j = skip_ws(b, key_end);
        if b.get(j) != Some(&b':') {
            return stopped(ctx, b, lines, i, Stop::Broken(j), "object");
        }
        j = skip_ws(b, j + 1);
        let value_close = if key == "messages" && b.get(j) == Some(&b'[') {
            saw_messages = true;
            let (elems, stop) = scan_array(b, j);
            for (s, e) in elems {
                parse_element(ctx, b, lines, s, e);
            }
            stopped(ctx, b, lines, j, stop, "message list")?
        } else {
            match value_end(b, j) {
                Some(e) if e > j => e,
                _ => return stopped(ctx, b, lines, i, broken_at(b, j), "object"),
            }
        };
        j = skip_ws(b, value_close);
        match b.get(j) {
            Some(b',') => j = skip_ws(b, j + 1),
            Some(b'}') => break j + 1,
            _ => {
                let at = if j >= b.len() { b.len() } else { j };
                return stopped(ctx, b, lines, i, Stop::Broken(at), "object");
            }
        }
    };
    if !saw_messages {
        parse_element(ctx, b, lines, i, end);
    }
    Some(end)
}

/// Parse the value in `s..e` and read the records in it.
fn parse_element(ctx: &mut Ctx<'_>, b: &[u8], lines: &LineIndex, s: usize, e: usize) {
    let line = lines.line_of(s);
    match b.get(s..e).map(serde_json::from_slice::<Value>) {
        Some(Ok(v)) => collect(ctx, v, line),
        Some(Err(err)) => {
            ctx.rows_read += 1;
            let at = line + (err.line() as u64).saturating_sub(1);
            ctx.problem(
                Some(line),
                format!(
                    "broken JSON message record ({} on line {at}): skipped",
                    error_text(&err)
                ),
            );
        }
        None => {}
    }
}
