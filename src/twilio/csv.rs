//! Delimited exports: the Console's Messaging-logs CSV and Twilio CLI
//! `-o tsv` output.
//!
//! Columns are found by name (case, spaces, `_`, quotes, BOM and zero-width
//! characters ignored), once per file, so reordered, missing and extra
//! columns work and a trailing empty column is harmless.

use super::{
    build_record, field_for, fold_name, strip_bom, Ctx, ExportKind, Field, LineCounter, RawFields,
};

/// The header line's fields, folded.
fn header_names(line: &[u8], delimiter: char) -> Vec<String> {
    String::from_utf8_lossy(line)
        .split(delimiter)
        .map(fold_name)
        .collect()
}

/// Detect the Console CSV (a header with `Sid`, `To` and one of `SentDate`,
/// `Status`, `Body`) or CLI TSV (a tab-separated header with `sid` and `to`
/// or `dateSent`).
pub(super) fn detect(rest: &[u8]) -> Option<ExportKind> {
    let first = rest.split(|&c| c == b'\n').next()?;
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let has = |names: &[String], f: Field| names.iter().any(|n| field_for(n) == Some(f));
    let csv = header_names(first, ',');
    if has(&csv, Field::Sid)
        && has(&csv, Field::To)
        && (has(&csv, Field::DateSent) || has(&csv, Field::Status) || has(&csv, Field::Body))
    {
        return Some(ExportKind::ConsoleCsv);
    }
    let tsv = header_names(first, '\t');
    if tsv.len() > 1
        && has(&tsv, Field::Sid)
        && (has(&tsv, Field::To) || has(&tsv, Field::DateSent))
    {
        return Some(ExportKind::CliTsv);
    }
    None
}

/// Read a delimited export with a header row.
pub(super) fn read(ctx: &mut Ctx<'_>, bytes: &[u8], delimiter: u8) {
    let body = strip_bom(bytes);
    let mut lines = LineCounter::new(body);
    // The csv crate counts a CRLF row's `\n` into the next row, so its line
    // numbers run one short after CRLF rows; lines come from byte offsets.
    let mut line_at = |byte: u64| -> u64 {
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX);
        while matches!(body.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        lines.line_of(at)
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // The CLI's TSV writer does not quote; a `"` there is text.
        .quoting(delimiter == b',')
        .from_reader(body);
    let mut columns: Option<Vec<Option<Field>>> = None;
    let mut record = ::csv::ByteRecord::new();
    loop {
        let line = line_at(reader.position().byte());
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map(|p| line_at(p.byte())).unwrap_or(line);
                ctx.problem(
                    Some(at),
                    format!("cannot read the CSV here ({e}); the rest of the file is not read"),
                );
                break;
            }
        }
        let line = record.position().map(|p| line_at(p.byte())).unwrap_or(line);
        let Some(cols) = &columns else {
            let names: Vec<Option<Field>> = record
                .iter()
                .map(|h| field_for(&String::from_utf8_lossy(h)))
                .collect();
            for (f, what) in [(Field::Sid, "Sid"), (Field::To, "To")] {
                if !names.contains(&Some(f)) {
                    ctx.problem(
                        Some(line),
                        format!("the header has no {what} column: no row can be used"),
                    );
                }
            }
            columns = Some(names);
            continue;
        };
        if record.iter().all(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        ctx.rows_read += 1;
        let mut raw = RawFields::default();
        for (i, value) in record.iter().enumerate() {
            if let Some(Some(field)) = cols.get(i) {
                raw.set(*field, Some(String::from_utf8_lossy(value)));
            }
        }
        if record.len() > cols.len() && record.iter().skip(cols.len()).any(|f| !f.is_empty()) {
            ctx.problem(
                Some(line),
                format!(
                    "row has {} fields but the header has {}; the extra fields are ignored",
                    record.len(),
                    cols.len()
                ),
            );
        }
        if let Some(rec) = build_record(ctx, raw, line) {
            ctx.records.push(rec);
        }
    }
}
