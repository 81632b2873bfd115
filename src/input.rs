//! Byte plumbing: which files to read, how to open them (compression by
//! content), and how to walk their lines with 1-based numbers.
//!
//! Nothing here knows about log formats.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::model::Problem;

/// One input: a file found on disk or standard input spooled to a temporary
/// file (so it can be read twice).
#[derive(Debug)]
pub struct Source {
    /// The path as the user gave it, joined with the relative path inside a
    /// directory; `-` for standard input.
    pub label: String,
    /// Where the bytes are.
    pub path: PathBuf,
    /// Size on disk (compressed size for compressed files).
    pub size: u64,
    _spool: Option<tempfile::TempPath>,
}

impl Source {
    /// A source for a file at `path`, labelled `label`.
    pub fn file(label: String, path: PathBuf, size: u64) -> Source {
        Source {
            label,
            path,
            size,
            _spool: None,
        }
    }
}

/// Expand the command line's paths into sources, in a stable order:
/// arguments in the order given, directories walked recursively with
/// entries sorted by name. Problems (missing files, unreadable directories,
/// symlink loops, FIFOs inside directories) are returned, never fatal.
pub fn discover(paths: &[String]) -> (Vec<Source>, Vec<Problem>) {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    let mut stdin_used = false;
    for p in paths {
        if p == "-" {
            if stdin_used {
                continue;
            }
            stdin_used = true;
            match spool(io::stdin().lock()) {
                Ok((tmp, size)) => sources.push(Source {
                    label: "-".to_string(),
                    path: tmp.to_path_buf(),
                    size,
                    _spool: Some(tmp),
                }),
                Err(e) => problems.push(Problem {
                    file: "-".into(),
                    line: None,
                    message: format!("cannot read standard input: {e}"),
                }),
            }
            continue;
        }
        let path = PathBuf::from(p);
        let mut visited = HashSet::new();
        visit(&path, p, true, &mut visited, &mut sources, &mut problems);
    }
    (sources, problems)
}

fn visit(
    path: &Path,
    label: &str,
    explicit: bool,
    visited: &mut HashSet<PathBuf>,
    sources: &mut Vec<Source>,
    problems: &mut Vec<Problem>,
) {
    let problem = |problems: &mut Vec<Problem>, message: String| {
        problems.push(Problem {
            file: label.to_string(),
            line: None,
            message,
        })
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let link = fs::symlink_metadata(path)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            if link {
                problem(problems, format!("broken or looping symbolic link: {e}"));
            } else {
                problem(problems, format!("cannot read: {e}"));
            }
            return;
        }
    };
    if meta.is_dir() {
        let canon = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !visited.insert(canon) {
            problem(
                problems,
                "symbolic link loop: directory already visited, skipped".into(),
            );
            return;
        }
        let entries = match fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                problem(problems, format!("cannot list directory: {e}"));
                return;
            }
        };
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for name in names {
            let child = path.join(&name);
            let child_label = if label.ends_with('/') {
                format!("{label}{}", name.to_string_lossy())
            } else {
                format!("{label}/{}", name.to_string_lossy())
            };
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            visit(&child, &child_label, false, visited, sources, problems);
        }
        return;
    }
    if meta.is_file() {
        // Open now so an unreadable file is reported up front.
        match File::open(path) {
            Ok(_) => sources.push(Source::file(label.to_string(), path.to_path_buf(), meta.len())),
            Err(e) => problem(problems, format!("cannot open: {e}")),
        }
        return;
    }
    // FIFOs, sockets, devices.
    if explicit {
        match File::open(path).and_then(spool) {
            Ok((tmp, size)) => sources.push(Source {
                label: label.to_string(),
                path: tmp.to_path_buf(),
                size,
                _spool: Some(tmp),
            }),
            Err(e) => problem(problems, format!("cannot read: {e}")),
        }
    } else {
        problem(
            problems,
            "not a regular file (FIFO, socket or device) inside a directory: skipped".into(),
        );
    }
}

fn spool<R: Read>(mut r: R) -> io::Result<(tempfile::TempPath, u64)> {
    let mut tmp = tempfile::NamedTempFile::new()?;
    let size = io::copy(&mut r, tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    Ok((tmp.into_temp_path(), size))
}

/// Compression recognised from a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// Recognise by magic bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// A name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Open a file and undo its compression (recognised by content, whatever
/// its name).
pub fn open(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let mut f = File::open(path)?;
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let comp = Compression::sniff(&head[..n]);
    let prefix = io::Cursor::new(head[..n].to_vec());
    let raw = BufReader::with_capacity(256 * 1024, prefix.chain(f));
    let reader: Box<dyn Read + Send> = match comp {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(raw)?),
    };
    Ok((reader, comp))
}

/// Read a whole (small) file, decompressed. Used for Twilio exports and
/// grammar files.
pub fn read_all(path: &Path) -> io::Result<Vec<u8>> {
    let (mut r, _) = open(path)?;
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

/// What a line walk ended with.
#[derive(Debug, Default)]
pub struct WalkEnd {
    /// Lines seen (including empty and overlong ones).
    pub lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Lines longer than the cap, with their numbers (first few) and count.
    pub overlong: Vec<u64>,
    /// How many lines were over the cap.
    pub overlong_count: u64,
    /// A read error that ended the walk early (truncated gzip, I/O error).
    pub error: Option<String>,
}

/// Walk the lines of a reader: `f(line_number, line)` for every line, the
/// line without its `\n` and `\r`. Lines longer than `max_line` are not
/// passed on; they are counted in [`WalkEnd`]. The buffer is reused; memory
/// stays at about `max(256 KiB, max_line)`.
pub fn walk_lines<R: Read, F: FnMut(u64, &[u8])>(
    mut reader: R,
    max_line: usize,
    mut f: F,
) -> WalkEnd {
    const CHUNK: usize = 256 * 1024;
    let mut end = WalkEnd::default();
    let mut buf: Vec<u8> = vec![0; CHUNK];
    let mut start = 0usize; // start of the unprocessed region
    let mut filled = 0usize;
    let mut skipping = false; // inside an overlong line, discarding until '\n'
    let mut lineno: u64 = 0;
    loop {
        if filled == buf.len() {
            if start > 0 {
                buf.copy_within(start..filled, 0);
                filled -= start;
                start = 0;
            } else if skipping || filled >= max_line {
                // The current line is too long: drop what we have of it.
                if !skipping {
                    skipping = true;
                }
                filled = 0;
            } else {
                let grow = (buf.len() * 2).min(max_line + 1).max(buf.len() + 1);
                buf.resize(grow, 0);
            }
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                end.error = Some(describe_read_error(&e));
                break;
            }
        };
        end.bytes += n as u64;
        let scan_from = filled;
        filled += n;
        let mut pos = scan_from;
        while let Some(i) = memchr::memchr(b'\n', &buf[pos..filled]) {
            let nl = pos + i;
            lineno += 1;
            if skipping {
                skipping = false;
                end.overlong_count += 1;
                if end.overlong.len() < 5 {
                    end.overlong.push(lineno);
                }
            } else {
                let mut line = &buf[start..nl];
                if line.len() > max_line {
                    end.overlong_count += 1;
                    if end.overlong.len() < 5 {
                        end.overlong.push(lineno);
                    }
                } else {
                    if let [rest @ .., b'\r'] = line {
                        line = rest;
                    }
                    f(lineno, line);
                }
            }
            pos = nl + 1;
            start = pos;
        }
        if skipping {
            start = filled;
        }
    }
    if skipping {
        lineno += 1;
        end.overlong_count += 1;
        if end.overlong.len() < 5 {
            end.overlong.push(lineno);
        }
    } else if start < filled {
        lineno += 1;
        let mut line = &buf[start..filled];
        if line.len() > max_line {
            end.overlong_count += 1;
            if end.overlong.len() < 5 {
                end.overlong.push(lineno);
            }
        } else {
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            f(lineno, line);
        }
    }
    end.lines = lineno;
    end
}

fn describe_read_error(e: &io::Error) -> String {
    let text = e.to_string();
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "compressed stream ends early (truncated file?)".to_string()
    } else if text.contains("corrupt") || text.contains("invalid") || text.contains("Unknown frame") {
        format!("compressed data is corrupt: {text}")
    } else {
        format!("read error: {text}")
    }
}

/// The log source a file belongs to: its label with rotation suffixes and
/// compression extensions removed (`web1/access.log.2.gz` → `web1/access.log`,
/// `app.log-20261120.zst` → `app.log`).
pub fn source_name(label: &str) -> String {
    let mut s = label.to_string();
    loop {
        let before = s.len();
        for ext in [".gz", ".zst", ".zstd", ".bz2", ".xz"] {
            if let Some(t) = s.strip_suffix(ext) {
                s = t.to_string();
            }
        }
        // .1, .2 …
        if let Some(dot) = s.rfind('.') {
            let tail = &s[dot + 1..];
            if !tail.is_empty() && tail.len() <= 3 && tail.bytes().all(|b| b.is_ascii_digit()) {
                s.truncate(dot);
            }
        }
        // -20261120 or -2026-11-20 or .2026-11-20
        if let Some(pos) = s.rfind(['-', '.', '_']) {
            let tail = &s[pos + 1..];
            let digits: String = tail.chars().filter(|c| *c != '-').collect();
            if (digits.len() == 8 || digits.len() == 10)
                && digits.bytes().all(|b| b.is_ascii_digit())
                && tail.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                && pos > 0
            {
                s.truncate(pos);
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// A host name guessed from a file's path: the nearest directory that is not
/// a generic log directory name (`logs/web-1/nginx/access.log` → `web-1`).
pub fn host_from_path(label: &str) -> Option<String> {
    const GENERIC: &[&str] = &[
        "log", "logs", "var", "nginx", "apache", "apache2", "httpd", "app", "apps", "application",
        "archive", "archives", "rotated", "old", "current", "json", "access", "egress", "proxy",
        "samples", "sample", "data", "tmp", "hosts", "host", "servers", "fleet", "prod",
        "production", "staging", ".", "..", "",
    ];
    let parts: Vec<&str> = label.split('/').collect();
    if parts.len() < 2 {
        return None;
    }
    parts[..parts.len() - 1]
        .iter()
        .rev()
        .find(|p| !GENERIC.contains(&p.to_ascii_lowercase().as_str()))
        .map(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(data: &[u8], max: usize) -> (Vec<(u64, Vec<u8>)>, WalkEnd) {
        let mut v = Vec::new();
        let end = walk_lines(data, max, |n, l| v.push((n, l.to_vec())));
        (v, end)
    }

    #[test]
    fn numbers_lines_and_strips_crlf() {
        let (v, end) = lines_of(b"a\r\nb\n\nlast", 100);
        assert_eq!(
            v,
            vec![
                (1, b"a".to_vec()),
                (2, b"b".to_vec()),
                (3, b"".to_vec()),
                (4, b"last".to_vec())
            ]
        );
        assert_eq!(end.lines, 4);
    }

    #[test]
    fn overlong_lines_are_counted_not_passed() {
        let mut data = Vec::new();
        data.extend_from_slice(b"short\n");
        data.extend(std::iter::repeat_n(b'x', 600_000));
        data.extend_from_slice(b"\nafter\n");
        let (v, end) = lines_of(&data, 1000);
        assert_eq!(v, vec![(1, b"short".to_vec()), (3, b"after".to_vec())]);
        assert_eq!(end.overlong, vec![2]);
        assert_eq!(end.overlong_count, 1);
    }

    #[test]
    fn long_lines_under_the_cap_cross_buffers() {
        let mut data = Vec::new();
        let long: Vec<u8> = std::iter::repeat_n(b'y', 700_000).collect();
        data.extend_from_slice(&long);
        data.push(b'\n');
        data.extend_from_slice(b"z");
        let (v, _) = lines_of(&data, 1 << 20);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1.len(), 700_000);
        assert_eq!(v[1], (2, b"z".to_vec()));
    }

    #[test]
    fn rotation_names() {
        assert_eq!(source_name("web1/access.log.2.gz"), "web1/access.log");
        assert_eq!(source_name("web1/access.log.1"), "web1/access.log");
        assert_eq!(source_name("app.log-20261120.zst"), "app.log");
        assert_eq!(source_name("app.log"), "app.log");
        assert_eq!(source_name("app-2026-11-20.log"), "app-2026-11-20.log");
    }

    #[test]
    fn hosts_from_paths() {
        assert_eq!(
            host_from_path("samples/hosts/web-1/nginx/access.log").as_deref(),
            Some("web-1")
        );
        assert_eq!(host_from_path("access.log"), None);
    }
}
