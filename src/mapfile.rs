//! The map step's output: `sidtrace extract --map` writes what each file
//! yielded before linking, so that extraction can run on many machines and
//! `investigate` can join the pieces as if it had read the logs itself.
//!
//! Format: JSON Lines. The first line is [`HEADER`]; every other line is one
//! [`FileYield`]. Map files may be compressed like any input. Credentials
//! are scrubbed ([`crate::scrub`]) from every string written, and from
//! every line read.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use crate::extract::FileYield;
use crate::input;
use crate::model::Problem;

/// The first line of a map file.
pub const HEADER: &str = r#"{"sidtrace_map":1}"#;

/// Is the file at `path` a map file (looked at by content)?
pub fn is_map(path: &Path) -> bool {
    let Ok((r, _)) = input::open(path) else {
        return false;
    };
    let mut first = Vec::new();
    let mut r = BufReader::new(r.take(64));
    if r.read_until(b'\n', &mut first).is_err() {
        return false;
    }
    first.trim_ascii() == HEADER.as_bytes()
}

/// Write yields as a map file, sorted by file so the output is the same
/// whatever the thread count or input order. Each yield is dropped once its
/// line is written.
pub fn write(mut yields: Vec<FileYield>, out: &mut dyn Write) -> io::Result<()> {
    yields.sort_by(|a, b| a.summary.file.cmp(&b.summary.file));
    out.write_all(HEADER.as_bytes())?;
    out.write_all(b"\n")?;
    for y in yields {
        // No credential leaves in a map file (they are shipped between
        // hosts): every string is scrubbed as it is written.
        crate::scrub::to_writer(&mut *out, &y)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Read a map file; lines that cannot be read are problems naming the line.
pub fn read(label: &str, path: &Path) -> (Vec<FileYield>, Vec<Problem>) {
    let mut yields = Vec::new();
    let mut problems = Vec::new();
    let reader = match input::open(path) {
        Ok((r, _)) => r,
        Err(e) => {
            problems.push(Problem {
                file: label.to_string(),
                line: None,
                message: format!("cannot read map file: {e}"),
            });
            return (yields, problems);
        }
    };
    let end = input::walk_lines(reader, usize::MAX / 2, |n, line| {
        // Concatenated map files repeat the header: skip it wherever it is.
        let t = line.trim_ascii();
        if t.is_empty() || t == HEADER.as_bytes() {
            return;
        }
        // And scrubbed again when read, string by string: a map file from
        // an older sidtrace, or written by hand, is no way around the rule.
        let parsed = serde_json::from_slice::<FileYield>(line)
            .map_err(|e| e.to_string())
            .and_then(|y| crate::scrub::rescrub(y).map_err(|e| e.to_string()));
        match parsed {
            Ok(y) => yields.push(y),
            Err(e) => problems.push(Problem {
                file: label.to_string(),
                line: Some(n),
                message: format!("not a map record: {e}"),
            }),
        }
    });
    if let Some(e) = end.error {
        problems.push(Problem {
            file: label.to_string(),
            line: Some(end.lines + 1),
            message: e,
        });
    }
    (yields, problems)
}

/// Read id lists (`extract --ids-only` output): one id a line, `#` comments.
pub fn read_ids(path: &str) -> io::Result<Vec<String>> {
    let bytes = input::read_all(Path::new(path))?;
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// Write ids one a line.
pub fn write_ids<'a>(
    ids: impl IntoIterator<Item = &'a String>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for id in ids {
        writeln!(out, "{id}")?;
    }
    Ok(())
}
