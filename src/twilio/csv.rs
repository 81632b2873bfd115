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

/// Read a delimited export with a header row, held whole.
pub(super) fn read(ctx: &mut Ctx<'_>, bytes: &[u8], delimiter: u8) {
    let mut d = Delimited::new(delimiter);
    d.block(ctx, strip_bom(bytes));
}

/// Whether `"` quotes fields: the Console CSV does; the CLI's TSV writer
/// does not, so a `"` there is text.
fn quotes(delimiter: u8) -> bool {
    delimiter == b','
}

/// How many bytes a streamed export is read in at a time.
const BLOCK: usize = 8 << 20;

/// Read a delimited export from a stream, a block of whole rows at a time,
/// so a million-row export is never held whole. `start` is what was read
/// already (to detect the kind). Rows are cut only where the CSV grammar
/// ends a row; a file whose quoting never closes is read as one block.
pub(super) fn read_stream(
    ctx: &mut Ctx<'_>,
    start: Vec<u8>,
    reader: &mut dyn std::io::Read,
    delimiter: u8,
) -> std::io::Result<()> {
    read_stream_blocks(ctx, start, reader, delimiter, BLOCK)
}

/// [`read_stream`] with the block size given (tests use tiny ones).
pub(super) fn read_stream_blocks(
    ctx: &mut Ctx<'_>,
    start: Vec<u8>,
    reader: &mut dyn std::io::Read,
    delimiter: u8,
    block: usize,
) -> std::io::Result<()> {
    let block = block.max(1);
    let mut d = Delimited::new(delimiter);
    let mut buf = start;
    let bom = buf.len() - strip_bom(&buf).len();
    buf.drain(..bom);
    let mut cut = RowCut::default();
    let mut eof = false;
    loop {
        // Read another block's worth behind what is left over.
        let want = buf.len() + block;
        let mut got = buf.len();
        buf.resize(want, 0);
        while !eof && got < want {
            match reader.read(buf.get_mut(got..).unwrap_or_default()) {
                Ok(0) => eof = true,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        let end = if eof {
            buf.len()
        } else {
            cut.scan(&buf, delimiter)
        };
        if end > 0 {
            d.block(ctx, buf.get(..end).unwrap_or_default());
            if d.stopped {
                return Ok(());
            }
            buf.drain(..end);
            cut.shift(end);
        }
        if eof {
            return Ok(());
        }
    }
}

/// Finds where rows end, following the CSV quoting rules the reader uses
/// (a `"` opens a quoted field only at the start of a field; `""` inside
/// one is a quote), across blocks.
#[derive(Default)]
struct RowCut {
    /// Bytes of the buffer already scanned.
    scanned: usize,
    /// Inside a quoted field at `scanned`.
    quoted: bool,
    /// The end (after the `\n`) of the last complete row seen.
    last_end: usize,
}

impl RowCut {
    /// Scan the new bytes of `buf`; the end of the last complete row.
    fn scan(&mut self, buf: &[u8], delimiter: u8) -> usize {
        if !quotes(delimiter) {
            // Every newline ends a row.
            let new = buf.get(self.scanned..).unwrap_or_default();
            if let Some(p) = memchr::memrchr(b'\n', new) {
                self.last_end = self.scanned + p + 1;
            }
            self.scanned = buf.len();
            return self.last_end;
        }
        let mut i = self.scanned;
        while let Some(rel) = buf
            .get(i..)
            .and_then(|rest| memchr::memchr2(b'"', b'\n', rest))
        {
            let at = i + rel;
            if buf.get(at) == Some(&b'\n') {
                if !self.quoted {
                    self.last_end = at + 1;
                }
            } else if self.quoted {
                match buf.get(at + 1) {
                    // `""`: a quote inside the field.
                    Some(b'"') => {
                        i = at + 2;
                        continue;
                    }
                    Some(_) => self.quoted = false,
                    // Cannot tell `""` from a closing quote yet: look again
                    // when more is read.
                    None => {
                        self.scanned = at;
                        return self.last_end;
                    }
                }
            } else {
                let before = at.checked_sub(1).and_then(|p| buf.get(p)).copied();
                if matches!(before, None | Some(b'\n' | b'\r')) || before == Some(delimiter) {
                    self.quoted = true;
                }
            }
            i = at + 1;
        }
        self.scanned = buf.len();
        self.last_end
    }

    /// The first `n` bytes were taken from the buffer.
    fn shift(&mut self, n: usize) {
        self.scanned = self.scanned.saturating_sub(n);
        self.last_end = self.last_end.saturating_sub(n);
    }
}

/// A delimited reader's state across blocks of whole rows.
struct Delimited {
    delimiter: u8,
    columns: Option<Vec<Option<Field>>>,
    /// Lines before the current block.
    lines_before: u64,
    /// A CSV error stopped the reading.
    stopped: bool,
}

impl Delimited {
    fn new(delimiter: u8) -> Delimited {
        Delimited {
            delimiter,
            columns: None,
            lines_before: 0,
            stopped: false,
        }
    }

    /// Read the rows of `body`, which ends at a row end (or the file's end).
    fn block(&mut self, ctx: &mut Ctx<'_>, body: &[u8]) {
        let before = self.lines_before;
        let mut lines = LineCounter::new(body);
        // The csv crate counts a CRLF row's `\n` into the next row, so its line
        // numbers run one short after CRLF rows; lines come from byte offsets.
        let mut line_at = |byte: u64| -> u64 {
            let mut at = usize::try_from(byte).unwrap_or(usize::MAX);
            while matches!(body.get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
            before + lines.line_of(at)
        };
        let delimiter = self.delimiter;
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .quoting(quotes(delimiter))
            .from_reader(body);
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
                    self.stopped = true;
                    break;
                }
            }
            let line = record.position().map(|p| line_at(p.byte())).unwrap_or(line);
            let Some(cols) = &self.columns else {
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
                self.columns = Some(names);
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
        // The lines of this block, counted by the same counter (only the
        // part after the last row it was asked about is left to count).
        self.lines_before = line_at(body.len() as u64) - 1;
    }
}
