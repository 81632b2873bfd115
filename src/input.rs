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
            Ok(_) => sources.push(Source::file(
                label.to_string(),
                path.to_path_buf(),
                meta.len(),
            )),
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
    // Not io::copy: it retries an interrupted read forever, and Ctrl-C must
    // stop a spool of a pipe that never ends.
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if crate::interrupt::requested() {
            return Err(crate::interrupt::error());
        }
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        tmp.as_file_mut().write_all(buf.get(..n).unwrap_or(&[]))?;
        size += n as u64;
    }
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
    /// bzip2 (one or more streams, as `pbzip2` writes).
    Bzip2,
    /// xz (one or more streams).
    Xz,
}

impl Compression {
    /// Bytes [`Compression::sniff`] wants to see (fewer at a file's end).
    pub const HEAD: usize = 10;

    /// Recognise by magic bytes. bzip2's `BZh` is short enough to begin a
    /// text line, so it counts only with its block size digit and the magic
    /// of its first block (or of its end, for an empty stream).
    pub fn sniff(head: &[u8]) -> Compression {
        let bzip2_block = |rest: &[u8]| {
            rest.starts_with(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59])
                || rest.starts_with(&[0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
        };
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(b"BZh")
            && head.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))
            && head.get(4..).is_some_and(bzip2_block)
        {
            Compression::Bzip2
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
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// Open a file and undo its compression (recognised by content, whatever
/// its name).
pub fn open(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    open_counted(path, &|_| {})
}

struct Counted<'a, R> {
    inner: R,
    counter: &'a (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if crate::interrupt::requested() {
            return Err(crate::interrupt::error());
        }
        let n = self.inner.read(buf)?;
        (self.counter)(n as u64);
        Ok(n)
    }
}

/// [`open`], calling `counter` with every count of bytes read from disk
/// (before decompression), for progress that matches file sizes.
pub fn open_counted<'a>(
    path: &Path,
    counter: &'a (dyn Fn(u64) + Sync),
) -> io::Result<(Box<dyn Read + Send + 'a>, Compression)> {
    let mut f = Counted {
        inner: File::open(path)?,
        counter,
    };
    let mut head = [0u8; Compression::HEAD];
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
    let reader: Box<dyn Read + Send + 'a> = match comp {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(raw)?),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(raw)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(raw)),
    };
    Ok((reader, comp))
}

/// A plain file's bytes `start..start + len`, calling `counter` with every
/// count of bytes read (for chunks of big plain files read in parallel).
pub fn open_range_counted<'a>(
    path: &Path,
    start: u64,
    len: u64,
    counter: &'a (dyn Fn(u64) + Sync),
) -> io::Result<impl Read + 'a> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    Ok(Counted {
        inner: f.take(len),
        counter,
    })
}

/// Cut a plain file of `size` bytes into ranges of about `chunk` bytes
/// that start right after a newline (the first at 0), so every range holds
/// whole lines. The cuts depend only on the file's bytes and `chunk`, never
/// on the thread count.
pub fn line_chunks(path: &Path, size: u64, chunk: u64) -> io::Result<Vec<(u64, u64)>> {
    use std::io::{Seek, SeekFrom};
    let chunk = chunk.max(1);
    let mut f = File::open(path)?;
    let mut cuts = vec![0u64];
    let mut probe = vec![0u8; 64 * 1024];
    let mut at = chunk;
    while at < size {
        f.seek(SeekFrom::Start(at))?;
        let mut pos = at;
        let mut found = None;
        while found.is_none() {
            let n = f.read(&mut probe)?;
            if n == 0 {
                break;
            }
            found = memchr::memchr(b'\n', &probe[..n]).map(|i| pos + i as u64 + 1);
            pos += n as u64;
        }
        match found {
            Some(c) if c < size => {
                cuts.push(c);
                at = c + chunk;
            }
            _ => break,
        }
    }
    let mut ranges = Vec::with_capacity(cuts.len());
    for (i, &c) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(size);
        ranges.push((c, end - c));
    }
    Ok(ranges)
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
                deliver(&mut end, lineno, &buf[start..nl], max_line, &mut f);
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
        deliver(&mut end, lineno, &buf[start..filled], max_line, &mut f);
    }
    end.lines = lineno;
    end
}

/// Hand one line to `f` without its `\r`, or count it as overlong.
fn deliver<F: FnMut(u64, &[u8])>(
    end: &mut WalkEnd,
    lineno: u64,
    line: &[u8],
    max_line: usize,
    f: &mut F,
) {
    if line.len() > max_line {
        end.overlong_count += 1;
        if end.overlong.len() < 5 {
            end.overlong.push(lineno);
        }
    } else {
        f(lineno, line.strip_suffix(b"\r").unwrap_or(line));
    }
}

fn describe_read_error(e: &io::Error) -> String {
    let text = e.to_string();
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "compressed stream ends early (truncated file?)".to_string()
    } else if text.contains("corrupt") || text.contains("invalid") || text.contains("Unknown frame")
    {
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
        // the kubelet's rotation: 0.log.20261120-141500
        if let Some(dot) = s.rfind('.') {
            let tail = &s.as_bytes()[dot + 1..];
            if tail.len() == 15
                && tail[8] == b'-'
                && tail
                    .iter()
                    .enumerate()
                    .all(|(i, b)| i == 8 || b.is_ascii_digit())
            {
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
        "log",
        "logs",
        "var",
        "nginx",
        "apache",
        "apache2",
        "httpd",
        "app",
        "apps",
        "application",
        "archive",
        "archives",
        "rotated",
        "old",
        "current",
        "json",
        "access",
        "egress",
        "proxy",
        "samples",
        "sample",
        "data",
        "tmp",
        "hosts",
        "host",
        "servers",
        "fleet",
        "prod",
        "production",
        "staging",
        ".",
        "..",
        "",
    ];
    let parts: Vec<&str> = label.split('/').collect();
    if parts.len() < 2 {
        return None;
    }
    // Kubernetes: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log
    // and /var/log/containers/<pod>_<namespace>_<container>-<id>.log name the
    // pod, the unit that has a clock and an address of its own
    if let Some(i) = parts.iter().rposition(|p| *p == "pods") {
        if let Some(dir) = parts.get(i + 1).filter(|_| i + 2 < parts.len()) {
            let mut f = dir.splitn(3, '_');
            if let (Some(_ns), Some(pod), Some(_uid)) = (f.next(), f.next(), f.next()) {
                return Some(pod.to_string());
            }
        }
    }
    if parts.len() >= 2 && parts[parts.len() - 2] == "containers" {
        let file = parts[parts.len() - 1];
        if let Some((pod, _)) = file.split_once('_') {
            if file.ends_with(".log") && !pod.is_empty() {
                return Some(pod.to_string());
            }
        }
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
    fn kubernetes_paths_name_the_pod_and_rotations_group() {
        assert_eq!(
            host_from_path("n1/var/log/pods/clinic_web-7d9f8-x2k4p_0b1c/web/0.log").as_deref(),
            Some("web-7d9f8-x2k4p")
        );
        assert_eq!(
            host_from_path("/var/log/containers/web-7d9f8-x2k4p_clinic_web-3f2a9c.log").as_deref(),
            Some("web-7d9f8-x2k4p")
        );
        assert_eq!(
            source_name("p/clinic_web-7d9f8_0b1c/web/0.log.20261120-155933.gz"),
            source_name("p/clinic_web-7d9f8_0b1c/web/0.log")
        );
    }

    #[test]
    fn compression_is_sniffed_from_magic_bytes() {
        let cases: [(&[u8], Compression); 8] = [
            (&[0x1f, 0x8b, 8, 0], Compression::Gzip),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0], Compression::Zstd),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4], Compression::Xz),
            (b"BZh91AY&SY\x00", Compression::Bzip2),
            // An empty bzip2 stream: the end-of-stream magic follows.
            (b"BZh9\x17\x72\x45\x38\x50\x90", Compression::Bzip2),
            // Text that begins like bzip2 is text.
            (b"BZh9 is a line of text", Compression::None),
            (b"BZh", Compression::None),
            (b"127.0.0.1 - - [20/Nov/2026", Compression::None),
        ];
        for (head, want) in cases {
            assert_eq!(Compression::sniff(head), want, "{head:?}");
        }
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

/// Which lines [`scan_lines`] hands over, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineKind {
    /// One of the first `head` lines (format detection sees every one).
    pub head: bool,
    /// The line contains the prefilter literal.
    pub candidate: bool,
    /// The line sits at a sampling point (every `sample_step` bytes), for
    /// dating the source's coverage.
    pub sample: bool,
    /// The line lies in one of the forced line ranges of [`scan_lines_with`].
    pub forced: bool,
    /// The line matches the marker needle of [`scan_lines_ext`] (a piece of
    /// a line the container runtime split).
    pub marked: bool,
}

/// A search for candidate lines over a whole buffer (ripgrep's fast path:
/// search the buffer, then expand the match to its line).
pub trait Needle {
    /// Offset of the first match in `hay`, if any. A search over a whole
    /// buffer may also return an earlier offset that is no match (a
    /// prefilter's false hit): the line around it is then checked with
    /// [`Needle::line_matches`] and the search goes on after it. It must
    /// never return an offset past the first line that matches.
    fn find_in(&self, hay: &[u8]) -> Option<usize>;

    /// Whether one line (no newline in it) matches, exactly.
    fn line_matches(&self, line: &[u8]) -> bool {
        self.find_in(line).is_some()
    }
}

impl Needle for memchr::memmem::Finder<'_> {
    fn find_in(&self, hay: &[u8]) -> Option<usize> {
        self.find(hay)
    }
}

impl Needle for aho_corasick::AhoCorasick {
    fn find_in(&self, hay: &[u8]) -> Option<usize> {
        self.find(hay).map(|m| m.start())
    }
}

/// A needle that never matches (only head, sampled and forced lines).
pub struct NoNeedle;

impl Needle for NoNeedle {
    fn find_in(&self, _hay: &[u8]) -> Option<usize> {
        None
    }
}

/// The fast walk: like [`walk_lines`], but only the first `head` lines,
/// the lines containing `literal`, and one line every `sample_step` bytes
/// are handed to `f`; everything else is skipped with a vectorised search
/// for the literal and a vectorised newline count, never looked at line by
/// line. Line numbers stay exact. `sample_step == 0` samples every line.
pub fn scan_lines<R: Read, F: FnMut(u64, &[u8], LineKind)>(
    reader: R,
    max_line: usize,
    head: u64,
    literal: &memchr::memmem::Finder<'_>,
    sample_step: u64,
    f: F,
) -> WalkEnd {
    scan_lines_with(reader, max_line, head, literal, sample_step, &[], f)
}

/// [`scan_lines`] with any [`Needle`], and `forced`: sorted, inclusive
/// ranges of line numbers whose every line is handed over too (marked
/// [`LineKind::forced`]).
pub fn scan_lines_with<R: Read, N: Needle + ?Sized, F: FnMut(u64, &[u8], LineKind)>(
    reader: R,
    max_line: usize,
    head: u64,
    literal: &N,
    sample_step: u64,
    forced: &[(u64, u64)],
    mut f: F,
) -> WalkEnd {
    scan_lines_ext(
        reader,
        max_line,
        head,
        literal,
        &NoNeedle,
        sample_step,
        forced,
        |n, l, k| {
            f(n, l, k);
            false
        },
    )
}

/// [`scan_lines_with`], and `marker`: the lines it matches are handed over
/// too (marked [`LineKind::marked`]: pieces of a line a container runtime
/// split), and `f` returns whether the next line must be handed over
/// whatever it holds (to follow such a line to its last piece). A line too
/// long to hand over leaves a gap in the line numbers `f` sees.
#[allow(clippy::too_many_arguments)]
pub fn scan_lines_ext<
    R: Read,
    N: Needle + ?Sized,
    M: Needle + ?Sized,
    F: FnMut(u64, &[u8], LineKind) -> bool,
>(
    mut reader: R,
    max_line: usize,
    head: u64,
    literal: &N,
    marker: &M,
    sample_step: u64,
    forced: &[(u64, u64)],
    mut f: F,
) -> WalkEnd {
    let mut want_next = false;
    let mut fi = 0usize; // first forced range that may still apply
    const CHUNK: usize = 1 << 20;
    let mut end = WalkEnd::default();
    let mut buf: Vec<u8> = vec![0; CHUNK.min(max_line.max(4096) + 1).max(64 * 1024)];
    let mut filled = 0usize;
    let mut lineno: u64 = 0;
    let mut skipping = false;
    // Absolute offsets (in decompressed bytes) of buf[0] and of the next sample.
    let mut base: u64 = 0;
    let mut next_sample: u64 = 0;
    let mut eof = false;
    let note_overlong = |end: &mut WalkEnd, n: u64| {
        end.overlong_count += 1;
        if end.overlong.len() < 5 {
            end.overlong.push(n);
        }
    };
    loop {
        // Fill.
        if !eof && filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => eof = true,
                Ok(n) => {
                    end.bytes += n as u64;
                    filled += n;
                    if filled < buf.len() {
                        continue;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    end.error = Some(describe_read_error(&e));
                    eof = true;
                }
            }
        }
        // Region of complete lines: up to the last newline (all of it at EOF).
        let region_end = match memchr::memrchr(b'\n', &buf[..filled]) {
            Some(i) => i + 1,
            None if eof => filled,
            None => {
                // No newline in a full buffer: the line is longer than the buffer.
                if skipping || filled > max_line {
                    skipping = true;
                    base += filled as u64;
                    filled = 0;
                } else {
                    let grow = (buf.len() * 2).min(max_line + 1).max(buf.len() + 1);
                    buf.resize(grow, 0);
                }
                continue;
            }
        };
        let region = &buf[..region_end];
        let mut pos = 0usize;
        if skipping {
            // The rest of an overlong line ends at the first newline.
            let nl = memchr::memchr(b'\n', region)
                .map(|i| i + 1)
                .unwrap_or(region.len());
            lineno += 1;
            note_overlong(&mut end, lineno);
            skipping = false;
            pos = nl;
        }
        // The next candidate at or after `pos`, once searched for (so that
        // sampling points between candidates do not search again).
        let mut cand_cache: Option<Option<usize>> = None;
        let mut mark_cache: Option<Option<usize>> = None;
        while pos < region.len() {
            let abs_pos = base + pos as u64;
            // Next event: a head line, a candidate, or a sampling point.
            while fi < forced.len() && forced[fi].1 <= lineno {
                fi += 1;
            }
            // Start of the next forced line, if it lies in this region.
            let forced_at = forced.get(fi).and_then(|&(first, _)| {
                let next = lineno + 1;
                if first <= next {
                    Some(pos)
                } else {
                    let skip = usize::try_from(first - next - 1).ok()?;
                    memchr::memchr_iter(b'\n', &region[pos..])
                        .nth(skip)
                        .map(|i| pos + i + 1)
                        .filter(|&p| p < region.len())
                }
            });
            let event = if lineno < head || want_next || forced_at == Some(pos) {
                Some(pos)
            } else {
                let cand = match cand_cache {
                    Some(Some(c)) if c >= pos => Some(c),
                    Some(None) => None,
                    _ => {
                        let c = literal.find_in(&region[pos..]).map(|i| pos + i);
                        cand_cache = Some(c);
                        c
                    }
                };
                let mark = match mark_cache {
                    Some(Some(c)) if c >= pos => Some(c),
                    Some(None) => None,
                    _ => {
                        let c = marker.find_in(&region[pos..]).map(|i| pos + i);
                        mark_cache = Some(c);
                        c
                    }
                };
                let cand = match (cand, mark) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let cand = match (cand, forced_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let samp = if next_sample <= abs_pos {
                    Some(pos)
                } else if next_sample < base + region.len() as u64 {
                    Some((next_sample - base) as usize)
                } else {
                    None
                };
                match (cand, samp) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            };
            let Some(ev) = event else {
                skip_lines(&region[pos..], max_line, &mut lineno, &mut end);
                break;
            };
            let line_start = memchr::memrchr(b'\n', &region[pos..ev])
                .map(|i| pos + i + 1)
                .unwrap_or(pos);
            skip_lines(&region[pos..line_start], max_line, &mut lineno, &mut end);
            let line_end = memchr::memchr(b'\n', &region[ev..])
                .map(|i| ev + i)
                .unwrap_or(region.len());
            lineno += 1;
            let mut line = &region[line_start..line_end];
            let abs_end = base + line_end as u64;
            let kind = LineKind {
                head: lineno <= head,
                candidate: literal.line_matches(line),
                sample: next_sample <= abs_end,
                forced: forced
                    .get(fi)
                    .is_some_and(|&(a, b)| a <= lineno && lineno <= b),
                marked: marker.line_matches(line),
            };
            if kind.sample {
                next_sample = abs_end + sample_step.max(1);
            }
            if line.len() > max_line {
                note_overlong(&mut end, lineno);
            } else {
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                want_next = f(lineno, line, kind);
            }
            pos = line_end + 1;
        }
        // Keep the incomplete tail.
        buf.copy_within(region_end..filled, 0);
        base += region_end as u64;
        filled -= region_end;
        if eof && filled == 0 {
            break;
        }
    }
    if skipping {
        lineno += 1;
        note_overlong(&mut end, lineno);
    }
    end.lines = lineno;
    end
}

/// Bytes read from a stream's start, at most, to tell whether it is JSON
/// objects written back to back (beyond `max_line`, a first object is too
/// long to read anyway).
const CONCAT_PEEK: usize = 64 * 1024;

/// Whether a stream holds JSON objects written back to back with no newline
/// between them (`{"messageType":…}{"messageType":…}`: CloudWatch Logs
/// records as Firehose writes them to S3). Its first bytes decide: it starts
/// with `{"key":` and `}{"key":` (the same first key) comes before any
/// newline, within `max_line` bytes. Returns the stream, its peeked bytes
/// put back, and the boundary between two objects (`}{"key":`: the first
/// object ends at its `}`), for [`scan_units`].
pub fn concatenated_json<'a>(
    mut reader: Box<dyn Read + Send + 'a>,
    max_line: usize,
) -> (Box<dyn Read + Send + 'a>, Option<Vec<u8>>) {
    let mut head: Vec<u8> = Vec::new();
    let mut boundary: Option<Vec<u8>> = None;
    let mut want = CONCAT_PEEK;
    let limit = max_line.saturating_add(CONCAT_PEEK);
    let mut error = None;
    loop {
        let had = head.len();
        head.resize(want, 0);
        let mut got = had;
        while got < want {
            match reader.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        head.truncate(got);
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(head.len());
        let t = &head[start..];
        if !t.starts_with(b"{\"") {
            break;
        }
        // `{"key":` of the first object (a key without escapes)
        let Some(close) = t[2..].iter().position(|&b| b == b'"' || b == b'\\') else {
            if got < want || want >= limit {
                break;
            }
            want = (want * 2).min(limit);
            continue;
        };
        if t[2 + close] != b'"' || t.get(3 + close) != Some(&b':') {
            break;
        }
        let mut b = vec![b'}'];
        b.extend_from_slice(&t[..4 + close]);
        let first_nl = memchr::memchr(b'\n', t).unwrap_or(t.len());
        if memchr::memmem::find(&t[..first_nl], &b).is_some() {
            boundary = Some(b);
            break;
        }
        if first_nl < t.len() || got < want || want >= limit || error.is_some() {
            break;
        }
        want = (want * 2).min(limit);
    }
    let rest: Box<dyn Read + Send + 'a> = match error {
        // the error comes again when the bytes before it are read
        Some(e) => Box::new(io::Cursor::new(head).chain(Failing(Some(e)))),
        None => Box::new(io::Cursor::new(head).chain(reader)),
    };
    (rest, boundary)
}

/// A reader that fails once with an error read before.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Walk a stream of JSON objects written back to back ([`concatenated_json`]):
/// each object, up to its end at `boundary`'s `}` or a newline, is handed to
/// `f` like a line, numbered by the line it stands on (a file without
/// newlines is all line 1). Handed over: the first `head` objects, those
/// `literal` matches, and one every `sample_step` bytes. `max_unit` bounds
/// each object, not the line: a longer one is counted in [`WalkEnd`] (with
/// its line) and not handed over. Memory stays at about `max(1 MiB,
/// max_unit)` whatever the length of the line.
pub fn scan_units<R: Read, N: Needle + ?Sized, F: FnMut(u64, &[u8], LineKind)>(
    mut reader: R,
    max_unit: usize,
    boundary: &[u8],
    head: u64,
    literal: &N,
    sample_step: u64,
    mut f: F,
) -> WalkEnd {
    let bfind = memchr::memmem::Finder::new(boundary);
    let keep = boundary.len().saturating_sub(1);
    let mut end = WalkEnd::default();
    let mut buf: Vec<u8> = vec![0; (1usize << 20).min(max_unit.max(4096) + 1).max(64 * 1024)];
    let (mut start, mut filled) = (0usize, 0usize);
    // next newline / boundary at or after `start`, as searched up to `filled`
    let mut nl = Next::default();
    let mut bd = Next::default();
    let mut line: u64 = 1;
    let mut units: u64 = 0;
    let mut skipping = false;
    let mut base: u64 = 0; // stream offset of buf[0]
    let mut next_sample: u64 = 0;
    let mut eof = false;
    let mut last_newline = true; // the stream read so far ends with a newline
    let note_overlong = |end: &mut WalkEnd, n: u64| {
        end.overlong_count += 1;
        if end.overlong.len() < 5 && end.overlong.last() != Some(&n) {
            end.overlong.push(n);
        }
    };
    let mut hand = |unit: &[u8], line: u64, abs_end: u64, units: &mut u64, f: &mut F| {
        *units += 1;
        let kind = LineKind {
            head: *units <= head,
            candidate: literal.line_matches(unit),
            sample: next_sample <= abs_end,
            ..LineKind::default()
        };
        if kind.sample {
            next_sample = abs_end + sample_step.max(1);
        }
        if kind.head || kind.candidate || kind.sample {
            f(line, unit, kind);
        }
    };
    loop {
        let n_at = nl.find(&buf[..filled], start, 0, |h| memchr::memchr(b'\n', h));
        let b_at = bd
            .find(&buf[..filled], start, keep, |h| bfind.find(h))
            .map(|i| i + 1);
        let sep = match (n_at, b_at) {
            (Some(a), Some(b)) if b <= a => Some((b, false)),
            (Some(a), _) => Some((a, true)),
            (None, Some(b)) => Some((b, false)),
            (None, None) => None,
        };
        if let Some((at, newline)) = sep {
            let mut unit = &buf[start..at];
            if newline {
                if let [rest @ .., b'\r'] = unit {
                    unit = rest;
                }
            }
            if skipping || unit.len() > max_unit {
                skipping = false;
                note_overlong(&mut end, line);
            } else {
                hand(unit, line, base + at as u64, &mut units, &mut f);
            }
            if newline {
                line += 1;
                start = at + 1;
            } else {
                start = at;
            }
            continue;
        }
        if eof {
            if start < filled || skipping {
                if skipping || filled - start > max_unit {
                    note_overlong(&mut end, line);
                } else {
                    hand(
                        &buf[start..filled],
                        line,
                        base + filled as u64,
                        &mut units,
                        &mut f,
                    );
                }
            }
            break;
        }
        // Make room: drop what is handed over, or the part of a unit too
        // long to hand over (but for a boundary's start), or grow.
        if filled == buf.len() {
            let drop = if start > 0 {
                start
            } else if skipping || filled > max_unit {
                skipping = true;
                filled - keep.min(filled)
            } else {
                let grow = (buf.len() * 2).min(max_unit + 1).max(buf.len() + 1);
                buf.resize(grow, 0);
                0
            };
            if drop > 0 {
                buf.copy_within(drop..filled, 0);
                base += drop as u64;
                filled -= drop;
                start = start.saturating_sub(drop);
                nl.shift(drop);
                bd.shift(drop);
            }
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => eof = true,
            Ok(n) => {
                end.bytes += n as u64;
                last_newline = buf[filled + n - 1] == b'\n';
                filled += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                end.error = Some(describe_read_error(&e));
                eof = true;
            }
        }
    }
    end.lines = if end.bytes == 0 {
        0
    } else if last_newline {
        line - 1
    } else {
        line
    };
    end
}

/// A search resumed where it left off: the next match at or after a
/// position, found once per match rather than once per unit.
#[derive(Default)]
struct Next {
    /// The match found, if any.
    at: Option<usize>,
    /// How far the buffer was searched without a match (after `at` when
    /// `at` is one).
    to: usize,
}

impl Next {
    /// The first match in `hay[from..]`; `keep` bytes before the end of
    /// what was searched are searched again (a match may straddle).
    fn find(
        &mut self,
        hay: &[u8],
        from: usize,
        keep: usize,
        search: impl Fn(&[u8]) -> Option<usize>,
    ) -> Option<usize> {
        if let Some(a) = self.at {
            if a >= from {
                return Some(a);
            }
            self.to = from;
        }
        let s = if self.at.is_none() && self.to > from {
            self.to.saturating_sub(keep).max(from)
        } else {
            from
        };
        self.at = hay.get(s..).and_then(&search).map(|i| s + i);
        self.to = hay.len();
        self.at
    }

    /// The buffer's first `by` bytes were dropped.
    fn shift(&mut self, by: usize) {
        match self.at {
            Some(a) if a >= by => self.at = Some(a - by),
            // a match already passed: what lies after it is unknown
            Some(_) => *self = Next::default(),
            None => self.to = self.to.saturating_sub(by),
        }
    }
}

/// Count the lines of `seg` (complete lines, plus a last one without a
/// newline), noting any longer than `max_line`. Lengths are only looked at
/// when the segment is long enough to hold such a line.
fn skip_lines(seg: &[u8], max_line: usize, lineno: &mut u64, end: &mut WalkEnd) {
    if seg.is_empty() {
        return;
    }
    if seg.len() <= max_line {
        *lineno += memchr::memchr_iter(b'\n', seg).count() as u64;
        if seg.last() != Some(&b'\n') {
            *lineno += 1;
        }
        return;
    }
    let mut start = 0usize;
    for nl in memchr::memchr_iter(b'\n', seg) {
        *lineno += 1;
        if nl - start > max_line {
            end.overlong_count += 1;
            if end.overlong.len() < 5 {
                end.overlong.push(*lineno);
            }
        }
        start = nl + 1;
    }
    if start < seg.len() {
        *lineno += 1;
        if seg.len() - start > max_line {
            end.overlong_count += 1;
            if end.overlong.len() < 5 {
                end.overlong.push(*lineno);
            }
        }
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;
    use proptest::prelude::*;

    type Seen = (Vec<(u64, Vec<u8>)>, u64, u64);

    fn reference(data: &[u8], max: usize, lit: &[u8], head: u64) -> Seen {
        let mut v = Vec::new();
        let end = walk_lines(data, max, |n, l| {
            if n <= head || memchr::memmem::find(l, lit).is_some() {
                v.push((n, l.to_vec()));
            }
        });
        (v, end.lines, end.overlong_count)
    }

    fn fast(data: &[u8], max: usize, lit: &[u8], head: u64) -> Seen {
        let finder = memchr::memmem::Finder::new(lit);
        let mut v = Vec::new();
        let end = scan_lines(data, max, head, &finder, u64::MAX / 2, |n, l, k| {
            if k.head || k.candidate {
                v.push((n, l.to_vec()));
            }
        });
        (v, end.lines, end.overlong_count)
    }

    #[test]
    fn finds_candidates_with_exact_line_numbers() {
        let data = b"a\nMessages.json one\r\nb\n\nc Messages.json\nlast Messages.json";
        let (v, n, _) = fast(data, 1000, b"Messages.json", 0);
        assert_eq!(n, 6);
        assert_eq!(
            v,
            vec![
                (2, b"Messages.json one".to_vec()),
                (5, b"c Messages.json".to_vec()),
                (6, b"last Messages.json".to_vec())
            ]
        );
    }

    #[test]
    fn samples_every_step() {
        let data: Vec<u8> = (0..1000)
            .flat_map(|i| format!("line {i:04}\n").into_bytes())
            .collect();
        let finder = memchr::memmem::Finder::new(b"zzz");
        let mut samples = Vec::new();
        scan_lines(&data[..], 1000, 0, &finder, 1000, |n, _, k| {
            if k.sample {
                samples.push(n);
            }
        });
        assert_eq!(samples.first(), Some(&1));
        assert!(samples.len() >= 9 && samples.len() <= 11, "{samples:?}");
        let mut all = Vec::new();
        scan_lines(&data[..], 1000, 0, &finder, 0, |n, _, k| {
            if k.sample {
                all.push(n);
            }
        });
        assert_eq!(all.len(), 1000);
    }

    #[test]
    fn lines_longer_than_the_buffer() {
        let mut data = b"x Messages.json\n".to_vec();
        data.extend(std::iter::repeat_n(b'y', 3 << 20));
        data.extend_from_slice(b" Messages.json\nshort Messages.json\n");
        data.extend(std::iter::repeat_n(b'z', 300_000));
        data.extend_from_slice(b"\nend");
        for max in [100_000usize, 1 << 20, 4 << 20] {
            assert_eq!(
                fast(&data, max, b"Messages.json", 1),
                reference(&data, max, b"Messages.json", 1),
                "{max}"
            );
        }
    }

    #[test]
    fn forced_ranges_hand_over_exactly_their_lines() {
        let data: Vec<u8> = (1..=100)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let forced = [(5, 7), (6, 8), (50, 50), (99, 120)];
        for buf_cut in [data.len(), 333] {
            let mut seen = Vec::new();
            let end = scan_lines_with(
                &data[..buf_cut],
                1000,
                0,
                &NoNeedle,
                u64::MAX / 2,
                &forced,
                |n, l, k| {
                    if k.forced {
                        seen.push((n, String::from_utf8_lossy(l).into_owned()));
                    }
                },
            );
            let want: Vec<(u64, String)> = [5u64, 6, 7, 8, 50, 99, 100]
                .iter()
                .filter(|&&n| n <= end.lines)
                .map(|&n| (n, format!("line {n}")))
                .filter(|(n, _)| *n < end.lines || buf_cut == data.len())
                .collect();
            assert_eq!(seen, want, "{buf_cut}");
        }
    }

    /// Units by hand: split at newlines and after the `}` of `boundary`,
    /// each with its physical line; (units, lines, overlong count).
    fn units_reference(data: &[u8], boundary: &[u8], max: usize) -> Seen {
        let mut v = Vec::new();
        let mut overlong = 0;
        let mut line = 1u64;
        let mut start = 0usize;
        let mut i = 0usize;
        let mut push = |unit: &[u8], line: u64, v: &mut Vec<(u64, Vec<u8>)>| {
            if unit.len() > max {
                overlong += 1;
            } else {
                v.push((line, unit.to_vec()));
            }
        };
        while i < data.len() {
            if data[i] == b'\n' {
                let mut u = &data[start..i];
                if let [rest @ .., b'\r'] = u {
                    u = rest;
                }
                push(u, line, &mut v);
                line += 1;
                start = i + 1;
            } else if data[i..].starts_with(boundary) {
                push(&data[start..=i], line, &mut v);
                start = i + 1;
            }
            i += 1;
        }
        if start < data.len() {
            push(&data[start..], line, &mut v);
        }
        let lines = if data.is_empty() {
            0
        } else if data.ends_with(b"\n") {
            line - 1
        } else {
            line
        };
        (v, lines, overlong)
    }

    fn units_fast(data: &[u8], boundary: &[u8], max: usize) -> Seen {
        let none = memchr::memmem::Finder::new(b"\x00never\x00");
        let mut v = Vec::new();
        let end = scan_units(data, max, boundary, 0, &none, 0, |n, l, k| {
            assert!(k.sample);
            v.push((n, l.to_vec()));
        });
        (v, end.lines, end.overlong_count)
    }

    const BOUNDARY: &[u8] = b"}{\"messageType\":";

    #[test]
    fn concatenated_json_records_are_told_from_the_first_bytes() {
        let read = |data: &[u8]| {
            let (mut r, b) = concatenated_json(Box::new(io::Cursor::new(data.to_vec())), 1 << 20);
            let mut back = Vec::new();
            r.read_to_end(&mut back).expect("read");
            assert_eq!(back, data, "the peeked bytes are put back");
            b
        };
        let rec = br#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"a}{b"}]}"#;
        let two = [&rec[..], &rec[..]].concat();
        assert_eq!(read(&two).as_deref(), Some(BOUNDARY));
        // one record per line, a single record, JSON lines, text: no
        let lines = [&rec[..], b"\n", &rec[..], b"\n"].concat();
        assert_eq!(read(&lines), None);
        assert_eq!(read(rec), None);
        assert_eq!(read(br#"{"level":"info"}"#), None);
        assert_eq!(read(b"127.0.0.1 - - [20/Nov/2026"), None);
        assert_eq!(read(b""), None);
        // a first record longer than the first peek
        let mut long = br#"{"messageType":"DATA_MESSAGE","pad":""#.to_vec();
        long.extend(std::iter::repeat_n(b'x', 200_000));
        long.extend_from_slice(br#""}"#);
        let two_long = [&long[..], &long[..]].concat();
        assert_eq!(read(&two_long).as_deref(), Some(BOUNDARY));
    }

    #[test]
    fn units_of_a_line_longer_than_the_buffer() {
        let mut rec = br#"{"messageType":"DATA_MESSAGE","pad":""#.to_vec();
        rec.extend(std::iter::repeat_n(b'x', 300_000));
        rec.extend_from_slice(br#""}"#);
        let mut data = Vec::new();
        for _ in 0..12 {
            data.extend_from_slice(&rec);
        }
        data.extend_from_slice(b"\nlast line\n");
        for max in [1000usize, 400_000, 8 << 20] {
            let got = units_fast(&data, BOUNDARY, max);
            assert_eq!(got, units_reference(&data, BOUNDARY, max), "{max}");
            assert_eq!(got.1, 2);
        }
    }

    proptest! {
        #[test]
        fn units_are_the_records_and_lines_a_plain_split_finds(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(BOUNDARY.to_vec()),
                    Just(b"}".to_vec()),
                    Just(b"{\"messageType\":".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"\r\n".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
                0..60,
            ),
            max in 8usize..200,
        ) {
            let data: Vec<u8> = parts.concat();
            prop_assert_eq!(units_fast(&data, BOUNDARY, max), units_reference(&data, BOUNDARY, max));
        }

        #[test]
        fn a_marker_and_asking_for_the_next_line_hand_over_exactly_those_lines(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"Messages.json".to_vec()),
                    Just(b" P ".to_vec()),
                    Just(b"\n".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
                0..60,
            ),
            max in 8usize..200,
            follow in 0u64..3,
        ) {
            // reference: every line, marked and followed by hand
            let data = parts.concat();
            let mut want = Vec::new();
            let mut owed = 0u64;
            walk_lines(&data[..], max, |n, l| {
                let cand = memchr::memmem::find(l, b"Messages.json").is_some();
                let mark = memchr::memmem::find(l, b" P ").is_some();
                if cand || mark || owed > 0 {
                    want.push((n, l.to_vec(), mark));
                }
                owed = if mark { follow } else { owed.saturating_sub(1) };
            });
            let lit = memchr::memmem::Finder::new(b"Messages.json");
            let marker = memchr::memmem::Finder::new(b" P ");
            let mut got = Vec::new();
            let mut owed = 0u64;
            scan_lines_ext(&data[..], max, 0, &lit, &marker, u64::MAX / 2, &[], |n, l, k| {
                if k.candidate || k.marked || owed > 0 {
                    got.push((n, l.to_vec(), k.marked));
                }
                owed = if k.marked { follow } else { owed.saturating_sub(1) };
                owed > 0
            });
            prop_assert_eq!(got, want);
        }
    }

    proptest! {
        #[test]
        fn never_misses_a_line_the_line_walk_finds(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"Messages.json".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"\r\n".to_vec()),
                    Just(b"Messages.jso".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
                0..60,
            ),
            max in 8usize..200,
            head in 0u64..4,
        ) {
            let data: Vec<u8> = parts.concat();
            prop_assert_eq!(fast(&data, max, b"Messages.json", head), reference(&data, max, b"Messages.json", head));
        }
    }
}
