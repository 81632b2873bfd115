//! Lines a container runtime split into pieces, joined back into one record
//! each: Kubernetes CRI `P` pieces up to the next piece that is not `P`,
//! Docker json-file entries whose `log` has no trailing newline up to one
//! that has. Pieces are joined per stream (`partial.group` of the wrapper:
//! stdout and stderr pieces interleave), and the record keeps every piece's
//! line as its evidence.
//!
//! Only files whose wrapper can split lines pay for this, and only at the
//! lines that can be pieces: the wrapper's `partial.find` literals (` stdout
//! P`) or the two bytes before its `partial.end` (`","stream":"`) are
//! searched for over whole buffers like the prefilter is; a line is peeled
//! only when it is such a piece or a piece sequence is open.

use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::Path;

use crate::catalog::{Catalog, Detection};
use crate::formats::schema::{Partial, WrapMatch, WrapperDef};
use crate::formats::wrap::{self, Inner, Peeled};
use crate::formats::Formats;
use crate::input::{LineKind, Needle};

/// How many pieces that name the prefilter literal are kept to cite, per
/// sequence too long to join.
const CITE: usize = 5;

/// Longest raw piece text kept for quoting (longer ones are cut there).
const RAW_MAX: usize = 2049;

/// How the lines that can be pieces are found without reading every line.
pub enum Probe {
    /// Lines that hold one of these literals (`partial.find`).
    Literals(aho_corasick::AhoCorasick),
    /// Lines where this literal (`partial.end`, the text after the inner
    /// text) is not preceded by a newline (`\n` escaped, in JSON).
    End {
        /// The literal.
        finder: Box<memchr::memmem::Finder<'static>>,
        /// The inner text is a JSON string: its newline is written `\n`.
        json: bool,
    },
    /// Every line (the wrapper names no literal).
    Every,
}

impl Probe {
    /// The probe for a wrapper's pieces; `None` when it never splits a line.
    pub fn of(def: &WrapperDef) -> Option<Probe> {
        match &def.partial {
            Partial::None => None,
            Partial::Marker { find, .. } if !find.is_empty() => {
                aho_corasick::AhoCorasick::new(find)
                    .ok()
                    .map(Probe::Literals)
                    .or(Some(Probe::Every))
            }
            Partial::Unterminated { end: Some(end), .. } => Some(Probe::End {
                finder: Box::new(memchr::memmem::Finder::new(end.as_bytes()).into_owned()),
                json: matches!(def.matcher, WrapMatch::Json { .. }),
            }),
            _ => Some(Probe::Every),
        }
    }
}

/// Whether `before` ends with a newline, as the inner text holds it.
fn ends_with_newline(before: &[u8], json: bool) -> bool {
    if !json {
        return before.last() == Some(&b'\n');
    }
    // `\n` whose backslash is not itself escaped (`\\n` is a backslash and n)
    let Some(rest) = before.strip_suffix(b"n") else {
        return false;
    };
    let slashes = rest.iter().rev().take_while(|&&b| b == b'\\').count();
    slashes % 2 == 1
}

impl Needle for Probe {
    fn find_in(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Probe::Literals(ac) => ac.find(hay).map(|m| m.start()),
            Probe::End { finder, json } => finder
                .find_iter(hay)
                .find(|&i| !ends_with_newline(&hay[..i], *json)),
            Probe::Every => (!hay.is_empty()).then_some(0),
        }
    }

    fn line_matches(&self, line: &[u8]) -> bool {
        match self {
            Probe::End { finder, json } => finder
                .find(line)
                .is_some_and(|i| !ends_with_newline(&line[..i], *json)),
            Probe::Every => true,
            Probe::Literals(_) => self.find_in(line).is_some(),
        }
    }
}

/// The wrapper whose pieces a file's lines are joined by, when its format
/// was detected as wrapped lines by a wrapper that splits them.
pub fn splitting_wrapper(catalog: &Catalog, d: Option<&Detection>) -> Option<usize> {
    let w = d?.wrapper?;
    catalog
        .formats
        .wrappers
        .get(w)
        .is_some_and(|def| def.partial.splits())
        .then_some(w)
}

/// The pieces of one line, joined.
#[derive(Debug)]
pub struct Joined {
    /// Every piece's line, first to last.
    pub lines: Vec<u64>,
    /// Every piece's raw line (cut at a quote's length), when kept.
    pub raw: Vec<(u64, String)>,
    /// The first piece, its inner text taken out: its time, host and
    /// stream are the record's.
    pub first: Peeled,
    /// The joined inner text.
    pub text: String,
    /// The pieces' kinds, or'ed.
    pub kind: LineKind,
    /// False when the last piece never came (the file, or the part of it
    /// read, ends first).
    pub ended: bool,
}

impl Joined {
    /// The record the pieces make (the wrappers nested in the joined text
    /// peeled): built only for the lines that are read.
    pub fn record(&self, formats: &Formats) -> Peeled {
        wrap::joined(formats, &self.first, self.text.clone())
    }
}

/// A piece sequence whose joined text would be longer than the bound: not
/// read.
#[derive(Debug)]
pub struct TooLong {
    /// Its first piece's line.
    pub first: u64,
    /// Its last piece's line.
    pub last: u64,
    /// How many pieces.
    pub pieces: u64,
    /// Pieces whose line is a prefilter candidate: how many, and the first
    /// few lines.
    pub candidates: (u64, Vec<u64>),
    /// The bound.
    pub bound: usize,
    /// False when the last piece never came.
    pub ended: bool,
}

/// What the joiner hands on.
#[derive(Debug)]
pub enum Event<'l> {
    /// A line that is no piece of a split line: read as it is.
    Line(u64, &'l [u8], LineKind),
    /// The pieces of one line, joined.
    Joined(Joined),
    /// Pieces that would join into a line longer than the bound.
    TooLong(TooLong),
}

/// One open piece sequence.
struct Open {
    group: Option<String>,
    /// The first piece (its inner text moved to `text`).
    first: Peeled,
    lines: Vec<u64>,
    raw: Vec<(u64, String)>,
    text: String,
    kind: LineKind,
    first_line: u64,
    last_line: u64,
    pieces: u64,
    /// The joined text went past the bound: pieces are counted, not kept.
    over: bool,
    candidates: (u64, Vec<u64>),
}

/// Joins the pieces of the lines of one file (or of one chunk of it),
/// handed over in order.
pub struct Joiner<'a> {
    formats: &'a Formats,
    wrapper: usize,
    probe: Probe,
    bound: usize,
    keep_raw: bool,
    open: Vec<Open>,
    last: u64,
}

impl<'a> Joiner<'a> {
    /// A joiner for the pieces of wrapper `w` (index into the formats'
    /// wrappers), joining at most `bound` bytes of inner text; `keep_raw`
    /// keeps the pieces' text for quoting. `None` when `w` never splits.
    pub fn new(formats: &'a Formats, w: usize, bound: usize, keep_raw: bool) -> Option<Self> {
        let probe = Probe::of(formats.wrappers.get(w)?)?;
        Some(Joiner {
            formats,
            wrapper: w,
            probe,
            bound,
            keep_raw,
            open: Vec::new(),
            last: 0,
        })
    }

    /// Whether `line` can be a piece (the probe's exact check).
    pub fn marks(&self, line: &[u8]) -> bool {
        self.probe.line_matches(line)
    }

    /// Whether a sequence is open, so the next line must be handed over
    /// whatever it holds.
    pub fn wants_more(&self) -> bool {
        !self.open.is_empty()
    }

    /// Take line `n` (`kind.marked` when the probe matches it); hand on
    /// what it completes.
    pub fn push<'l>(
        &mut self,
        n: u64,
        line: &'l [u8],
        kind: LineKind,
        emit: &mut dyn FnMut(Event<'l>),
    ) {
        // a line not handed over (longer than the line bound) inside an open
        // sequence may be one of its pieces: the join would be too long
        if !self.open.is_empty() && n > self.last + 1 {
            for o in &mut self.open {
                o.overflow();
            }
        }
        self.last = n;
        if self.open.is_empty() && !kind.marked {
            emit(Event::Line(n, line, kind));
            return;
        }
        let text = String::from_utf8_lossy(line);
        let Some(mut p) = wrap::piece(self.formats, self.wrapper, text.trim_end_matches('\r'))
        else {
            emit(Event::Line(n, line, kind));
            return;
        };
        let inner = match std::mem::replace(&mut p.inner, Inner::Text(String::new())) {
            Inner::Text(t) => t,
            // an object holds no piece of text: it ends nothing
            Inner::Object(_) => {
                emit(Event::Line(n, line, kind));
                return;
            }
        };
        let at = self.open.iter().position(|o| o.group == p.group);
        let Some(i) = at else {
            if p.partial {
                let mut o = Open {
                    group: p.group.clone(),
                    first: p,
                    lines: Vec::new(),
                    raw: Vec::new(),
                    text: String::new(),
                    kind: LineKind::default(),
                    first_line: n,
                    last_line: n,
                    pieces: 0,
                    over: false,
                    candidates: (0, Vec::new()),
                };
                o.add(n, line, &inner, kind, self.bound, self.keep_raw);
                self.open.push(o);
            } else {
                emit(Event::Line(n, line, kind));
            }
            return;
        };
        self.open[i].add(n, line, &inner, kind, self.bound, self.keep_raw);
        if !p.partial {
            let o = self.open.remove(i);
            emit(o.finish(self.bound, true));
        }
    }

    /// The end of the lines: sequences still open are handed on as they
    /// are (their last piece never came).
    pub fn finish(&mut self, emit: &mut dyn FnMut(Event<'_>)) {
        for o in std::mem::take(&mut self.open) {
            emit(o.finish(self.bound, false));
        }
    }
}

impl Open {
    fn add(&mut self, n: u64, line: &[u8], inner: &str, kind: LineKind, bound: usize, raw: bool) {
        self.pieces += 1;
        self.last_line = n;
        if kind.candidate {
            self.candidates.0 += 1;
            if self.candidates.1.len() < CITE {
                self.candidates.1.push(n);
            }
        }
        self.kind.head |= kind.head;
        self.kind.candidate |= kind.candidate;
        self.kind.sample |= kind.sample;
        self.kind.forced |= kind.forced;
        self.kind.marked |= kind.marked;
        if self.over {
            return;
        }
        if self.text.len() + inner.len() > bound {
            self.overflow();
            return;
        }
        self.text.push_str(inner);
        self.lines.push(n);
        if raw {
            let cut = &line[..line.len().min(RAW_MAX)];
            self.raw
                .push((n, String::from_utf8_lossy(cut).into_owned()));
        }
    }

    fn overflow(&mut self) {
        self.over = true;
        self.text = String::new();
        self.lines = Vec::new();
        self.raw = Vec::new();
    }

    fn finish<'l>(self, bound: usize, ended: bool) -> Event<'l> {
        if self.over {
            return Event::TooLong(TooLong {
                first: self.first_line,
                last: self.last_line,
                pieces: self.pieces,
                candidates: self.candidates,
                bound,
                ended,
            });
        }
        Event::Joined(Joined {
            lines: self.lines,
            raw: self.raw,
            first: self.first,
            text: self.text,
            kind: self.kind,
            ended,
        })
    }
}

/// Move the cuts between the chunks of a plain file (`ranges`, as
/// [`crate::input::line_chunks`] made them) so that no split line straddles
/// one: a cut moves forward to the first line start where no piece
/// sequence of wrapper `w` is open. The sequences open at a cut are found
/// by reading from `window` bytes before it; a cut whose sequences do not
/// end within `window` bytes after it stays (the chunk before it then
/// reports a line whose last piece was not found).
pub fn align_cuts(
    path: &Path,
    ranges: &[(u64, u64)],
    formats: &Formats,
    w: usize,
    window: u64,
) -> io::Result<Vec<(u64, u64)>> {
    let Some(probe) = formats.wrappers.get(w).and_then(Probe::of) else {
        return Ok(ranges.to_vec());
    };
    let Some(&(_, _)) = ranges.first() else {
        return Ok(Vec::new());
    };
    let size = ranges.last().map_or(0, |&(s, l)| s + l);
    let mut cuts = vec![0u64];
    let mut f = std::fs::File::open(path)?;
    for &(cut, _) in ranges.iter().skip(1) {
        let prev = *cuts.last().unwrap_or(&0);
        if cut <= prev {
            continue;
        }
        let from = cut.saturating_sub(window).max(prev);
        f.seek(SeekFrom::Start(from))?;
        let mut r = io::BufReader::new((&mut f).take(cut - from + window));
        let mut pos = from;
        let mut buf = Vec::new();
        if from > prev {
            // into the middle of a line: start at the next one
            pos += r.read_until(b'\n', &mut buf)? as u64;
        }
        let mut open: Vec<Option<String>> = Vec::new();
        let mut moved = None;
        loop {
            if pos >= cut && open.is_empty() {
                moved = Some(pos);
                break;
            }
            buf.clear();
            let k = r.read_until(b'\n', &mut buf)?;
            if k == 0 || !buf.ends_with(b"\n") {
                break;
            }
            pos += k as u64;
            let mut line = &buf[..buf.len() - 1];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if open.is_empty() && !probe.line_matches(line) {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            let Some(p) = wrap::piece(formats, w, &text) else {
                continue;
            };
            let at = open.iter().position(|g| *g == p.group);
            match (at, p.partial) {
                (None, true) => open.push(p.group),
                (Some(i), false) => {
                    open.remove(i);
                }
                _ => {}
            }
        }
        match moved {
            Some(c) if c < size => cuts.push(c),
            Some(_) => {}
            None => cuts.push(cut),
        }
    }
    let mut out = Vec::with_capacity(cuts.len());
    for (i, &c) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(size);
        if end > c {
            out.push((c, end - c));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input;

    const CRI: &str = "cri";
    const DOCKER: &str = "docker-json-file";

    fn wrapper(catalog: &Catalog, name: &str) -> usize {
        catalog
            .formats
            .wrappers
            .iter()
            .position(|w| w.name == name)
            .expect("built-in wrapper")
    }

    /// What a joiner makes of `text`, fed through the prefilter scan as
    /// pass 1 feeds it: (lines, joined text) per record, and the too-long
    /// sequences (first, last, pieces, candidates, ended).
    #[derive(Debug, Default, PartialEq)]
    struct Seen {
        joined: Vec<(Vec<u64>, String, bool, bool)>,
        too_long: Vec<(u64, u64, u64, u64, bool)>,
        lines: Vec<u64>,
    }

    fn run(text: &str, name: &str, bound: usize) -> Seen {
        let catalog = Catalog::builtin();
        let w = wrapper(&catalog, name);
        let mut j = Joiner::new(&catalog.formats, w, bound, true).expect("splits");
        let probe = Probe::of(&catalog.formats.wrappers[w]).expect("probe");
        let finder = memchr::memmem::Finder::new(b"Messages.json");
        let mut seen = Seen::default();
        let mut on = |ev: Event<'_>| match ev {
            Event::Line(n, _, k) => {
                if k.candidate {
                    seen.lines.push(n)
                }
            }
            Event::Joined(x) => {
                let cand = x.kind.candidate || x.text.contains("Messages.json");
                seen.joined.push((x.lines, x.text, cand, x.ended))
            }
            Event::TooLong(t) => {
                seen.too_long
                    .push((t.first, t.last, t.pieces, t.candidates.0, t.ended))
            }
        };
        input::scan_lines_ext(
            text.as_bytes(),
            1 << 20,
            0,
            &finder,
            &probe,
            u64::MAX / 2,
            &[],
            |n, l, k| {
                j.push(n, l, k, &mut on);
                j.wants_more()
            },
        );
        j.finish(&mut on);
        seen
    }

    #[test]
    fn cri_pieces_join_per_stream_and_a_split_messages_json_is_found() {
        let log = "\
2026-11-20T14:12:08.1Z stdout F {\"msg\":\"boot\"}
2026-11-20T14:12:08.2Z stdout P POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messa
2026-11-20T14:12:08.3Z stderr P warning: some
2026-11-20T14:12:08.4Z stderr F thing
2026-11-20T14:12:08.5Z stdout P ges.json to=+14155550134
2026-11-20T14:12:08.6Z stdout F  status=201
2026-11-20T14:12:08.7Z stdout F POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json whole
";
        let seen = run(log, CRI, 1 << 20);
        assert_eq!(
            seen.joined,
            vec![
                (vec![3, 4], "warning: something".to_string(), false, true),
                (
                    vec![2, 5, 6],
                    "POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json \
                     to=+14155550134 status=201"
                        .to_string(),
                    true,
                    true
                ),
            ]
        );
        assert_eq!(seen.lines, vec![7]);
        assert!(seen.too_long.is_empty());
    }

    #[test]
    fn docker_pieces_join_per_stream() {
        let log = r#"{"log":"first \"line\"\n","stream":"stdout","time":"2026-11-20T14:12:09Z"}
{"log":"POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messa","stream":"stdout","time":"2026-11-20T14:12:09Z"}
{"log":"a stderr line ending in a backslash \\n","stream":"stderr","time":"2026-11-20T14:12:09Z"}
{"log":"and its end\n","stream":"stderr","time":"2026-11-20T14:12:09Z"}
{"log":"ges.json to=+14155550136\n","stream":"stdout","time":"2026-11-20T14:12:09Z"}
"#;
        let seen = run(log, DOCKER, 1 << 20);
        assert_eq!(
            seen.joined,
            vec![
                (
                    vec![3, 4],
                    "a stderr line ending in a backslash \\nand its end".to_string(),
                    false,
                    true
                ),
                (
                    vec![2, 5],
                    "POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json to=+14155550136"
                        .to_string(),
                    true,
                    true
                ),
            ]
        );
    }

    #[test]
    fn a_sequence_open_at_the_end_is_handed_on_unended() {
        let log = "\
2026-11-20T14:12:08.1Z stdout F ok
2026-11-20T14:12:08.2Z stdout P POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json to=
2026-11-20T14:12:08.3Z stdout P +14155550134";
        let seen = run(log, CRI, 1 << 20);
        assert_eq!(
            seen.joined,
            vec![(
                vec![2, 3],
                "POST https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json to=+14155550134"
                    .to_string(),
                true,
                false
            )]
        );
    }

    #[test]
    fn a_sequence_longer_than_the_bound_is_not_joined() {
        let mut log = String::from("2026-11-20T14:12:08.1Z stdout P Messages.json ");
        log.push_str(&"x".repeat(60));
        log.push('\n');
        for _ in 0..3 {
            log.push_str("2026-11-20T14:12:08.1Z stdout P ");
            log.push_str(&"y".repeat(60));
            log.push('\n');
        }
        log.push_str("2026-11-20T14:12:08.1Z stdout F end\n");
        log.push_str("2026-11-20T14:12:08.1Z stdout F after Messages.json\n");
        let seen = run(&log, CRI, 150);
        assert!(seen.joined.is_empty(), "{seen:?}");
        assert_eq!(seen.too_long, vec![(1, 5, 5, 1, true)]);
        assert_eq!(seen.lines, vec![6]);
        // within the bound, the same pieces join
        let seen = run(&log, CRI, 1000);
        assert_eq!(seen.joined.len(), 1);
        assert_eq!(seen.joined[0].0, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_piece_too_long_to_read_makes_its_sequence_too_long() {
        let mut log = String::from("2026-11-20T14:12:08.1Z stdout P start\n");
        log.push_str("2026-11-20T14:12:08.1Z stdout P ");
        log.push_str(&"y".repeat(5000));
        log.push('\n');
        log.push_str("2026-11-20T14:12:08.1Z stdout F end\n");
        let catalog = Catalog::builtin();
        let w = wrapper(&catalog, CRI);
        let mut j = Joiner::new(&catalog.formats, w, 1 << 20, false).expect("splits");
        let probe = Probe::of(&catalog.formats.wrappers[w]).expect("probe");
        let mut too_long = Vec::new();
        let mut on = |ev: Event<'_>| {
            if let Event::TooLong(t) = ev {
                too_long.push((t.first, t.last))
            }
        };
        input::scan_lines_ext(
            log.as_bytes(),
            1000,
            0,
            &input::NoNeedle,
            &probe,
            u64::MAX / 2,
            &[],
            |n, l, k| {
                j.push(n, l, k, &mut on);
                j.wants_more()
            },
        );
        j.finish(&mut on);
        assert_eq!(too_long, vec![(1, 3)]);
    }

    #[test]
    fn docker_probe_tells_pieces_by_the_bytes_before_the_stream() {
        let catalog = Catalog::builtin();
        let w = wrapper(&catalog, DOCKER);
        let probe = Probe::of(&catalog.formats.wrappers[w]).expect("probe");
        let whole = br#"{"log":"x\n","stream":"stdout","time":"t"}"#;
        let piece = br#"{"log":"x","stream":"stdout","time":"t"}"#;
        let slash_n = br#"{"log":"x\\n","stream":"stdout","time":"t"}"#;
        let escaped_slash_then_newline = br#"{"log":"x\\\n","stream":"stdout","time":"t"}"#;
        assert!(!probe.line_matches(whole));
        assert!(probe.line_matches(piece));
        assert!(probe.line_matches(slash_n));
        assert!(!probe.line_matches(escaped_slash_then_newline));
        let mut hay = Vec::new();
        for _ in 0..3 {
            hay.extend_from_slice(whole);
            hay.push(b'\n');
        }
        let at = hay.len();
        hay.extend_from_slice(piece);
        assert_eq!(probe.find_in(&hay), Some(at + 9));
    }

    #[test]
    fn cuts_move_past_open_sequences() {
        let catalog = Catalog::builtin();
        let w = wrapper(&catalog, CRI);
        let mut text = String::new();
        let mut starts = Vec::new();
        for i in 0..40 {
            starts.push(text.len() as u64);
            let tag = if (10..14).contains(&i) && i != 12 {
                "P"
            } else {
                "F"
            };
            let stream = if i == 12 { "stderr" } else { "stdout" };
            text.push_str(&format!("2026-11-20T14:12:08.1Z {stream} {tag} line {i}\n"));
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.log");
        std::fs::write(&path, &text).expect("write");
        let size = text.len() as u64;
        // a cut at the start of line 12 (0-based) falls inside the stdout
        // sequence 10, 11, 13, 14 (12 is a stderr piece, 14 ends it)
        let ranges = vec![
            (0, starts[12]),
            (starts[12], starts[30] - starts[12]),
            (starts[30], size - starts[30]),
        ];
        let got = align_cuts(&path, &ranges, &catalog.formats, w, 4096).expect("align");
        assert_eq!(
            got,
            vec![
                (0, starts[15]),
                (starts[15], starts[30] - starts[15]),
                (starts[30], size - starts[30]),
            ]
        );
    }
}
