//! Finding outbound POSTs to Twilio's Messages API in a pile of logs.
//!
//! Two passes over the inputs:
//!
//! 1. Every file's format is detected from its first lines. A literal
//!    prefilter (`Messages.json`) picks candidate lines; only those are
//!    parsed in full. Access-log lines of a POST to
//!    `/2010-04-01/Accounts/AC…/Messages.json` and app records of that call
//!    become observations. A sample of lines is dated for coverage.
//! 2. The ids those observations carry (request, trace, job, Twilio request
//!    ids) are searched for in every file ([`IdNeedle`]: a q-gram filter
//!    over whole buffers, then an exact token check of the lines it hits);
//!    matching lines are the response and failure records of the calls, the
//!    inbound requests that caused them and the job records around them.
//!
//! Then request records and their response records are linked into one
//! [`Attempt`] by shared ids and order (or, for loggers that write no ids,
//! by adjacency within one file, logger and process).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use regex::Regex;
use std::sync::LazyLock;

use crate::access::{Role, Roles};
use crate::catalog::{Catalog, Detection, Parsed, ParserId, DETECT_LINES};
use crate::input::{self, Compression, Source};
use crate::intern::Interner;
use crate::join;
use crate::model::{
    Attempt, CodePath, ContextKind, ContextRecord, Evidence, Failure, Gap, Ids, Observer, Problem,
    Shared, SourceCoverage, Stamp, TimeAnchor,
};
use crate::progress::Progress;
use crate::record::{AccessLine, AppRecord};

/// The literal every outbound create-message request line contains.
pub const PREFILTER: &[u8] = b"Messages.json";

/// How many lines after an id-less request record are searched for its
/// response record (same file, same logger and process).
const ADJACENT_LINES: u64 = 50;

/// How many problem lines are cited per file and kind.
const CITE: usize = 5;

/// Longest evidence line kept for quoting.
const QUOTE_MAX: usize = 2048;

/// Settings of an extraction.
#[derive(Debug, Clone)]
pub struct Config {
    /// Lines longer than this are counted and reported, not parsed.
    pub max_line: usize,
    /// Region for national phone numbers.
    pub default_region: String,
    /// Keep the text of evidence lines (for reports that quote them);
    /// `extract` does not print them and saves the memory.
    pub keep_quotes: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_line: 1 << 20,
            default_region: "US".into(),
            keep_quotes: true,
        }
    }
}

/// What one file held.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileSummary {
    /// Path as given.
    pub file: String,
    /// The format chosen (`unknown` when none read its first lines).
    pub format: String,
    /// `plain`, `gzip`, `zstd`, `bzip2`, `xz`.
    pub compression: String,
    /// Lines read.
    pub lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Lines that passed the prefilter.
    pub candidates: u64,
    /// Candidate lines the format could not parse: these could hide a POST.
    pub unparsed_candidates: u64,
    /// Other lines that were parsed (for dating) and failed.
    pub unparsed_other: u64,
    /// Outbound POST observations found.
    pub posts: u64,
    /// The first few lines (1-based) that could not be parsed.
    pub first_unparsed: Vec<u64>,
    /// Candidate lines read and recognised as no create-message POST, by
    /// kind (`status_callback`, `inbound_webhook`, `get_message`,
    /// `other_method`, `other_resource`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lookalikes: BTreeMap<String, u64>,
    /// Candidate lines read but neither a POST nor a look-alike: they
    /// mention Messages.json and were not read as a POST (also counted in
    /// `unparsed_candidates`).
    #[serde(default)]
    pub not_read_as_post: u64,
    /// Candidate lines that are the response or failure record of a call
    /// (no URL of their own): settled once linking is done, either as
    /// evidence of an attempt or as "not read as a POST".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcome_lines: Vec<u64>,
}

impl FileSummary {
    fn note_unparsed(&mut self, line: u64) {
        if self.first_unparsed.len() < CITE {
            self.first_unparsed.push(line);
        }
    }

    /// Lines that could not be parsed (candidates and others).
    pub fn unparsed(&self) -> u64 {
        self.unparsed_candidates + self.unparsed_other
    }
}

/// Everything an extraction found.
#[derive(Debug, Default)]
pub struct Extraction {
    /// Outbound POST attempts, sorted by time then evidence.
    pub attempts: Vec<Attempt>,
    /// Inbound requests and app records that share ids with attempts.
    pub context: Vec<ContextRecord>,
    /// Coverage per log source.
    pub coverage: Vec<SourceCoverage>,
    /// Per-file summaries, in input order.
    pub files: Vec<FileSummary>,
    /// Problems, in input order.
    pub problems: Vec<Problem>,
    /// Raw text of evidence lines.
    pub quotes: BTreeMap<Evidence, String>,
    /// Wall time of each phase (`pass 1`, `pass 2`, `assemble`), for
    /// `SIDTRACE_TIMINGS`.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

impl Extraction {
    /// Lines read in all files.
    pub fn lines(&self) -> u64 {
        self.files.iter().map(|f| f.lines).sum()
    }
    /// Candidate lines that could not be parsed, in all files.
    pub fn unparsed_candidates(&self) -> u64 {
        self.files.iter().map(|f| f.unparsed_candidates).sum()
    }
    /// Look-alike lines by kind, in all files.
    pub fn lookalikes(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (k, n) in self.files.iter().flat_map(|f| f.lookalikes.iter()) {
            *out.entry(k.clone()).or_insert(0) += n;
        }
        out
    }
    /// Lines that could not be parsed, in all files.
    pub fn unparsed(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.unparsed_candidates + f.unparsed_other)
            .sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObsKind {
    /// A request record: the call was made, outcome in another record.
    Request,
    /// A record with both the call and its outcome (or a proxy line).
    Full,
    /// Only an outcome (status, SID or error), linked by ids or adjacency.
    Outcome,
}

/// One record of an outbound POST before linking: a request record, an
/// outcome record, or both in one line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Obs {
    /// What the record says, as an attempt. Boxed: observations are moved
    /// and collected by the hundred thousand, an attempt is large, and the
    /// vectors that hold them grow by doubling.
    pub attempt: Box<Attempt>,
    /// Request, outcome or both.
    pub kind: ObsKind,
    /// The file (path as given).
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// Logger, for linking id-less records by adjacency.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub logger: Option<Shared>,
    /// Process id, for linking id-less records by adjacency.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pid: Option<String>,
}

/// What one file yielded, before records from all files are linked: the
/// unit the map step (`extract --map`) ships between machines. Linking,
/// coverage and everything after work from these alone, so reading the
/// yields of shards gives the same result as reading the logs.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileYield {
    /// The file's summary (its `file` is the path as given).
    pub summary: FileSummary,
    /// Dated sample lines for coverage: (unix nanos, line).
    pub samples: Vec<(i64, u64)>,
    /// Records of outbound POSTs (pass 1) and their outcomes (pass 2).
    pub observations: Vec<Obs>,
    /// Inbound requests and app records that share ids with POSTs.
    pub context: Vec<ContextRecord>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Raw text of the evidence lines: (line, text).
    pub quotes: Vec<(u64, String)>,
}

#[derive(Default)]
struct Pass1 {
    summary: FileSummary,
    parser: Option<ParserId>,
    samples: Vec<(i64, u64)>,
    obs: Vec<Obs>,
    problems: Vec<Problem>,
    quotes: Vec<(u64, String)>,
    attempt_lines: HashSet<u64>,
    /// How a big plain file was cut (empty: read whole).
    chunks: Vec<Chunk>,
}

impl Pass1 {
    /// Make the line numbers of a chunk's results absolute.
    fn shift_lines(&mut self, by: u64) {
        if by == 0 {
            return;
        }
        for s in &mut self.samples {
            s.1 += by;
        }
        for o in &mut self.obs {
            o.line += by;
            for e in &mut o.attempt.evidence {
                e.line += by;
            }
        }
        for p in &mut self.problems {
            p.line = p.line.map(|l| l + by);
        }
        for q in &mut self.quotes {
            q.0 += by;
        }
        for l in &mut self.summary.first_unparsed {
            *l += by;
        }
        self.attempt_lines = self.attempt_lines.iter().map(|l| l + by).collect();
    }
}

/// Run both passes over `sources` and link the results.
pub fn extract(
    sources: &[Source],
    catalog: &Catalog,
    cfg: &Config,
    progress: &Progress,
) -> Extraction {
    assemble(extract_yields(
        sources,
        catalog,
        cfg,
        progress,
        &BTreeSet::new(),
    ))
}

/// When and how big plain files are cut into chunks.
#[derive(Debug, Clone, Copy)]
struct Split {
    above: u64,
    chunk: u64,
}

impl Default for Split {
    fn default() -> Self {
        Split {
            above: SPLIT_ABOVE,
            chunk: CHUNK_BYTES,
        }
    }
}

/// Pass 1 over `sources`; big plain files are read in chunks in parallel.
fn pass1_all(
    sources: &[Source],
    catalog: &Catalog,
    cfg: &Config,
    progress: &Progress,
    split: Split,
) -> Vec<Pass1> {
    let total: u64 = sources.iter().map(|s| s.size).sum();
    progress.phase("reading", total);
    sources
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let p = scan_file(i, s, catalog, cfg, progress, split);
            progress.file_done(p.obs.len() as u64);
            p
        })
        .collect()
}

/// The ids worth searching for in pass 2: those the request records of
/// pass 1 carry (outcome records, found by pass 2, add none).
pub fn ids_of<'a>(obs: impl IntoIterator<Item = &'a Obs>) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for o in obs.into_iter().filter(|o| o.kind != ObsKind::Outcome) {
        for v in o.attempt.ids.values() {
            if v.len() >= 6 {
                ids.insert(v.to_string());
            }
        }
    }
    ids
}

/// Pass 1 only: the ids the POSTs in `sources` carry. Round one of a
/// sharded run: the union over all shards goes to every shard's
/// `extract --map --ids`, so that a request in one shard finds its inbound
/// request or job records in another.
pub fn first_pass_ids(
    sources: &[Source],
    catalog: &Catalog,
    cfg: &Config,
    progress: &Progress,
) -> BTreeSet<String> {
    let pass1 = pass1_all(sources, catalog, cfg, progress, Split::default());
    progress.finish();
    ids_of(pass1.iter().flat_map(|p| p.obs.iter()))
}

/// Both passes, without linking: one [`FileYield`] per source, in input
/// order. `extra_ids` (from other shards) are searched for in pass 2 as
/// well as the ids found here.
pub fn extract_yields(
    sources: &[Source],
    catalog: &Catalog,
    cfg: &Config,
    progress: &Progress,
    extra_ids: &BTreeSet<String>,
) -> Vec<FileYield> {
    yields_split(sources, catalog, cfg, progress, extra_ids, Split::default())
}

fn yields_split(
    sources: &[Source],
    catalog: &Catalog,
    cfg: &Config,
    progress: &Progress,
    extra_ids: &BTreeSet<String>,
    split: Split,
) -> Vec<FileYield> {
    let pass1 = pass1_all(sources, catalog, cfg, progress, split);

    // Ids to look for in pass 2.
    let mut ids = ids_of(pass1.iter().flat_map(|p| p.obs.iter()));
    ids.extend(extra_ids.iter().cloned());
    let mut adjacency: HashMap<&str, Vec<u64>> = HashMap::new();
    for p in &pass1 {
        for o in &p.obs {
            if o.kind == ObsKind::Request && o.attempt.ids.is_empty() {
                adjacency.entry(o.file.as_str()).or_default().push(o.line);
            }
        }
    }
    let matcher = IdNeedle::new(&ids);

    let need_pass2: Vec<usize> = (0..sources.len())
        .filter(|i| {
            pass1[*i].parser.is_some_and(|p| can_link(catalog, p))
                && (matcher.is_some() || adjacency.contains_key(sources[*i].label.as_str()))
        })
        .collect();
    let pass2_total: u64 = need_pass2.iter().map(|i| sources[*i].size).sum();
    progress.phase("linking", pass2_total);
    let mut pass2: BTreeMap<usize, Pass2> = need_pass2
        .par_iter()
        .map(|&i| {
            let p = &pass1[i];
            let out = scan_ids(
                i,
                &sources[i],
                p,
                catalog,
                cfg,
                matcher.as_ref(),
                &ids,
                adjacency
                    .get(sources[i].label.as_str())
                    .map(|v| v.as_slice())
                    .unwrap_or(&[]),
                progress,
            );
            (i, out)
        })
        .collect();
    progress.finish();

    pass1
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mut y = FileYield {
                summary: p.summary,
                samples: p.samples,
                observations: p.obs,
                context: Vec::new(),
                problems: p.problems,
                quotes: p.quotes,
            };
            if let Some(p2) = pass2.remove(&i) {
                y.observations.extend(p2.outcomes);
                y.context.extend(p2.context.into_iter().map(|c| c.0));
                y.quotes.extend(p2.quotes);
            }
            y
        })
        .collect()
}

fn problem(file: &str, line: Option<u64>, message: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// An evidence line as quoted: credentials scrubbed (from the whole line,
/// so that none is cut in half and missed), then cut to `QUOTE_MAX` bytes.
fn quote(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut s = crate::scrub::scrub(&text).into_owned();
    if s.len() > QUOTE_MAX {
        let mut cut = QUOTE_MAX;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Bytes between dated sample lines: about 4096 samples per file (every
/// line of a small file), at most every 256 KiB. Each sample is a full
/// parse, so this bounds their cost to a few milliseconds per GiB.
fn sample_step(size: u64) -> u64 {
    let step = (size / 4096).min(256 * 1024);
    // Bigger files (often many of them, rotated; compressed ones inflate to
    // several times their size) get at most one sample per 32 or 128 KiB,
    // so that a directory of them costs about what one file does.
    let floor = if size > SPLIT_ABOVE {
        128 * 1024
    } else if size > 1 << 20 {
        32 * 1024
    } else {
        0
    };
    step.max(floor)
}

fn time_of(parsed: &[Parsed]) -> Option<Stamp> {
    parsed.iter().find_map(|p| match p {
        Parsed::Access(a) => a.time,
        Parsed::App(r) => r.time,
    })
}

/// Plain files larger than this are read in line-aligned chunks, in
/// parallel.
const SPLIT_ABOVE: u64 = 64 << 20;
/// Size of those chunks. It depends on nothing but this constant, so the
/// output is the same for any thread count.
const CHUNK_BYTES: u64 = 32 << 20;

/// A line-aligned byte range of a plain file, and how many lines come
/// before it.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: u64,
    len: u64,
    lines_before: u64,
}

/// Turns the lines pass 1 hands over into observations, samples and
/// problems.
struct Pass1Lines<'a> {
    catalog: &'a Catalog,
    ctx: LineCtx<'a>,
    cited_candidates: usize,
    /// The time of the last dated line handed over, for records written
    /// without one.
    clock: Clock,
    /// A line with more than white space was seen (a file of blank lines
    /// has no format and loses nothing).
    any_content: bool,
}

impl Pass1Lines<'_> {
    /// Count a candidate line that could not be read, citing the first few.
    fn unparsed_candidate(&mut self, out: &mut Pass1, n: u64, message: String) {
        out.summary.unparsed_candidates += 1;
        out.summary.note_unparsed(n);
        if self.cited_candidates < CITE {
            self.cited_candidates += 1;
            out.problems.push(problem(self.ctx.label, Some(n), message));
        }
    }

    /// One line as it is.
    fn line(
        &mut self,
        out: &mut Pass1,
        n: u64,
        line: &[u8],
        kind: input::LineKind,
        parser: Option<ParserId>,
    ) {
        self.unit(out, n, line, kind, parser, None)
    }

    /// What the joiner of a file's split lines hands on.
    fn event(&mut self, out: &mut Pass1, ev: join::Event<'_>, parser: Option<ParserId>) {
        match ev {
            join::Event::Line(n, line, kind) => self.line(out, n, line, kind, parser),
            join::Event::Joined(j) => self.joined(out, j, parser),
            join::Event::TooLong(t) => self.too_long(out, t),
        }
    }

    /// A line the container runtime split, its pieces joined: read as one
    /// line, every piece's line its evidence.
    fn joined(&mut self, out: &mut Pass1, j: join::Joined, parser: Option<ParserId>) {
        let Some(&n) = j.lines.first() else { return };
        let mut kind = j.kind;
        kind.candidate |= memchr::memmem::find(j.text.as_bytes(), PREFILTER).is_some();
        if !j.ended {
            out.problems.push(problem(
                self.ctx.label,
                Some(n),
                format!(
                    "a line split into {} piece(s) (lines {n}-{}) ends without its last piece \
                     (the file ends first): read as far as it goes",
                    j.lines.len(),
                    j.lines.last().unwrap_or(&n)
                ),
            ));
        }
        self.unit(out, n, j.text.as_bytes(), kind, parser, Some(&j));
    }

    /// Pieces of a split line that would join into more than the line
    /// bound: not read, said, and their candidates counted as unread.
    fn too_long(&mut self, out: &mut Pass1, t: join::TooLong) {
        out.problems.push(problem(
            self.ctx.label,
            Some(t.first),
            format!(
                "a line split into {} piece(s) (lines {}-{}) is longer than {} bytes{}: not read \
                 (see --max-line-length)",
                t.pieces,
                t.first,
                t.last,
                t.bound,
                if t.ended {
                    ""
                } else {
                    " and ends without its last piece"
                }
            ),
        ));
        let (count, lines) = t.candidates;
        out.summary.candidates += count;
        for &n in &lines {
            let msg = format!(
                "candidate line (mentions Messages.json) not parsed: a piece of a split line \
                 longer than {} bytes",
                t.bound
            );
            self.unparsed_candidate(out, n, msg);
        }
        out.summary.unparsed_candidates += count.saturating_sub(lines.len() as u64);
    }

    /// Read one line, or the pieces of a split line joined (`joined`; then
    /// `line` is their joined text).
    fn unit(
        &mut self,
        out: &mut Pass1,
        n: u64,
        line: &[u8],
        kind: input::LineKind,
        parser: Option<ParserId>,
        joined: Option<&join::Joined>,
    ) {
        if !self.any_content && !line.iter().all(u8::is_ascii_whitespace) {
            self.any_content = true;
        }
        let is_candidate = kind.candidate;
        let want_sample = kind.sample;
        if !is_candidate && !want_sample {
            return;
        }
        let Some(parser) = parser else {
            if is_candidate {
                out.summary.candidates += 1;
                self.unparsed_candidate(
                    out,
                    n,
                    "line mentions Messages.json but the file's format is unknown".into(),
                );
            }
            return;
        };
        let ctx = &self.ctx;
        // Lines are read strictly (a line no format reads is not parsed); a
        // candidate line that none reads is still searched as plain text,
        // since a sentence may name the call (`POST https://…/Messages.json`).
        let mut parsed = match joined {
            Some(j) => Ok(self
                .catalog
                .parse_peeled(vec![j.record(&self.catalog.formats)])),
            None => self.catalog.read(parser, line, false),
        };
        if let Ok(p) = &mut parsed {
            self.clock.date(p, n);
        }
        if want_sample {
            if let Ok(p) = &parsed {
                if let Some(t) = time_of(p) {
                    out.samples.push((t.nanos, n));
                }
            }
        }
        if !is_candidate {
            if parsed.is_err() && !line.iter().all(u8::is_ascii_whitespace) {
                out.summary.unparsed_other += 1;
                out.summary.note_unparsed(n);
            }
            return;
        }
        out.summary.candidates += 1;
        let (parsed, strict_error) = match parsed {
            Ok(r) => (Ok(r), None),
            Err(e) => match self.catalog.parse_any(line, true) {
                Some(mut r) => {
                    self.clock.date(&mut r, n);
                    (Ok(r), Some(e))
                }
                None => (Err(e), None),
            },
        };
        match parsed {
            Err(e) => self.unparsed_candidate(
                out,
                n,
                format!("candidate line (mentions Messages.json) not parsed: {e}"),
            ),
            Ok(records) => {
                let format = self.catalog.name(parser);
                let mut found = false;
                let mut unreadable = false;
                let records_kept = records.clone();
                for rec in records {
                    // a line holding several records (an OTLP export) may
                    // hold a call's request and its response: after a
                    // request, the outcome records of the line are kept too
                    let obs = match &rec {
                        Parsed::Access(a) => ctx.access_obs(a, n, &format),
                        Parsed::App(r) => ctx.app_obs(r, n, &format, !found),
                    };
                    match obs {
                        Some(Ok(mut o)) => {
                            found = true;
                            if let Some(j) = joined {
                                o.attempt.evidence =
                                    j.lines.iter().map(|&l| ctx.evidence(l)).collect();
                            }
                            out.obs.push(o);
                        }
                        Some(Err(msg)) => {
                            unreadable = true;
                            out.problems.push(problem(ctx.label, Some(n), msg));
                        }
                        None => {}
                    }
                }
                if let (Some(e), false) = (&strict_error, found) {
                    let msg = format!("candidate line (mentions Messages.json) not parsed: {e}");
                    self.unparsed_candidate(out, n, msg);
                } else if unreadable && !found {
                    out.summary.unparsed_candidates += 1;
                    out.summary.note_unparsed(n);
                } else if !found {
                    match lookalike(&records_kept, line) {
                        Some("outcome_record") => out.summary.outcome_lines.push(n),
                        Some(kind) => *out.summary.lookalikes.entry(kind.into()).or_default() += 1,
                        None => {
                            out.summary.not_read_as_post += 1;
                            let msg = format!(
                                "line mentions Messages.json but was not read as a POST \
                                 (format {format}): map its fields in a grammar"
                            );
                            self.unparsed_candidate(out, n, msg);
                        }
                    }
                }
                if found {
                    match joined {
                        Some(j) => {
                            out.attempt_lines.extend(j.lines.iter().copied());
                            if self.ctx.quotes {
                                out.quotes
                                    .extend(j.raw.iter().map(|(l, t)| (*l, quote(t.as_bytes()))));
                            }
                        }
                        None => {
                            out.attempt_lines.insert(n);
                            if self.ctx.quotes {
                                out.quotes.push((n, quote(line)));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The first [`DETECT_LINES`] lines of a plain file (overlong ones left
/// out), for format detection.
fn head_lines(path: &std::path::Path, max_line: usize) -> std::io::Result<Vec<Vec<u8>>> {
    use std::io::{BufRead, Read};
    let limit = (max_line as u64 + 2)
        .saturating_mul(DETECT_LINES as u64)
        .min(8 << 20);
    let mut r = std::io::BufReader::new(std::fs::File::open(path)?.take(limit));
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    for _ in 0..DETECT_LINES {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let mut l: &[u8] = &buf;
        if let [rest @ .., b'\n'] = l {
            l = rest;
        }
        if let [rest @ .., b'\r'] = l {
            l = rest;
        }
        if l.len() <= max_line {
            lines.push(l.to_vec());
        }
    }
    Ok(lines)
}

/// An outcome record that names the endpoint (a failure `Post "https://…
/// /Messages.json": …`) belongs to an attempt once linking found its request;
/// one that joined none is a call sidtrace could not read as a POST: counted
/// and cited like any unread candidate.
fn settle_outcome_lines(ex: &mut Extraction) {
    let cited: HashSet<(&str, u64)> = ex
        .attempts
        .iter()
        .flat_map(|a| a.evidence.iter().map(|e| (&*e.file, e.line)))
        .collect();
    let mut problems = Vec::new();
    for f in &mut ex.files {
        let lines = std::mem::take(&mut f.outcome_lines);
        let mut cited_here = 0;
        for n in lines {
            if cited.contains(&(f.file.as_str(), n)) {
                continue;
            }
            f.not_read_as_post += 1;
            f.unparsed_candidates += 1;
            f.note_unparsed(n);
            if cited_here < CITE {
                cited_here += 1;
                problems.push(problem(
                    &f.file,
                    Some(n),
                    "the response or failure record of a call to Messages.json joined no \
                     request record: not read as a POST (map its request's fields in a grammar)",
                ));
            }
        }
    }
    ex.problems.extend(problems);
}

/// What a candidate line that gave no POST is, when it is a known
/// look-alike: a webhook Twilio sent to the app, a request with another
/// method, or an access line whose target is not the create endpoint.
fn lookalike(records: &[Parsed], line: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(line);
    if text.contains("MessageStatus") || text.contains("SmsStatus") {
        return Some("status_callback");
    }
    for r in records {
        match r {
            Parsed::App(a) => {
                if a.webhook {
                    return Some("inbound_webhook");
                }
                // the response or failure record of a call (its request
                // record names the endpoint; pass 2 links them by id)
                if (a.error.is_some() || a.sid.is_some() || a.status.is_some())
                    && a.url
                        .as_deref()
                        .is_none_or(|u| messages_endpoint(u).is_none())
                {
                    return Some("outcome_record");
                }
                match a.method.as_deref() {
                    Some("GET") => return Some("get_message"),
                    Some(m) if m != "POST" => return Some("other_method"),
                    _ => {}
                }
            }
            Parsed::Access(a) => {
                match a.method.as_deref() {
                    Some("GET")
                        if a.target
                            .as_deref()
                            .is_some_and(|t| messages_endpoint(t).is_some()) =>
                    {
                        return Some("get_message")
                    }
                    Some(m) if m != "POST" && m.bytes().all(|b| b.is_ascii_uppercase()) => {
                        return Some("other_method")
                    }
                    _ => {}
                }
                if a.target
                    .as_deref()
                    .is_some_and(|t| messages_endpoint(t).is_none())
                {
                    return Some("other_resource");
                }
            }
        }
    }
    None
}

/// Lines written without a time of their own (console output of the Twilio
/// helper libraries, logback's clock-less patterns' neighbours, wrapped
/// continuation lines) take the time of the last dated line read before
/// them in the same file, when it is at most this many lines back.
const UNDATED_REACH: u64 = 200;

/// The time of the last dated line read in a file.
#[derive(Default)]
struct Clock {
    last: Option<(Stamp, u64)>,
}

impl Clock {
    /// Remember the time of dated records; date the undated ones.
    fn date(&mut self, records: &mut [Parsed], n: u64) {
        for r in records.iter() {
            let t = match r {
                Parsed::App(a) => a.time,
                Parsed::Access(a) => a.time,
            };
            if let Some(t) = t {
                self.last = Some((t, n));
            }
        }
        let Some((t, at)) = self.last else { return };
        if n < at || n - at > UNDATED_REACH {
            return;
        }
        for r in records.iter_mut() {
            if let Parsed::App(a) = r {
                if a.time.is_none() {
                    a.time = Some(t);
                }
            }
        }
    }
}

/// Keep a file's detected format; a format that reads only the first
/// fields of most lines (`nginx:combined` on a custom format's lines) is
/// said, since the fields it drops (`$request_time`, `$upstream_status`,
/// the request id) change what can be proven.
fn detected_into(out: &mut Pass1, d: Option<Detection>, catalog: &Catalog, label: &str) {
    let Some(d) = d else {
        out.parser = None;
        return;
    };
    out.parser = Some(d.id);
    if let Some((fields, idx)) = d.partial {
        out.problems.push(problem(
            label,
            Some(idx as u64 + 1),
            format!(
                "format {} matches only the first {fields} fields of most lines (text is left \
                 over at their end): pass the site's log_format or LogFormat with --grammar",
                catalog.name(d.id)
            ),
        ));
    }
}

/// The joiner of a file's split lines, when its wrapper splits them.
fn joiner_for<'a>(
    catalog: &'a Catalog,
    d: Option<&Detection>,
    cfg: &Config,
) -> Option<join::Joiner<'a>> {
    let w = join::splitting_wrapper(catalog, d)?;
    join::Joiner::new(&catalog.formats, w, cfg.max_line, cfg.keep_quotes)
}

/// Hand a line to pass 1, through the joiner of split lines when the file
/// has one.
fn feed(
    joiner: &mut Option<join::Joiner<'_>>,
    lines: &mut Pass1Lines<'_>,
    out: &mut Pass1,
    n: u64,
    line: &[u8],
    kind: input::LineKind,
) {
    let p = out.parser;
    match joiner {
        None => lines.line(out, n, line, kind, p),
        Some(j) => j.push(n, line, kind, &mut |ev| lines.event(out, ev, p)),
    }
}

/// The probe for pieces of split lines, set once a file's wrapper is known
/// (before that, every line is handed over anyway).
struct LateProbe<'a>(&'a std::cell::OnceCell<join::Probe>);

impl input::Needle for LateProbe<'_> {
    fn find_in(&self, hay: &[u8]) -> Option<usize> {
        self.0.get().and_then(|p| p.find_in(hay))
    }

    fn line_matches(&self, line: &[u8]) -> bool {
        self.0.get().is_some_and(|p| p.line_matches(line))
    }
}

/// Pass 1 over one file.
fn scan_file(
    _idx: usize,
    src: &Source,
    catalog: &Catalog,
    cfg: &Config,
    progress: &Progress,
    split: Split,
) -> Pass1 {
    let mut out = Pass1 {
        summary: FileSummary {
            file: src.label.clone(),
            format: "unknown".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let count = |n: u64| progress.bytes(n);
    let (reader, comp) = match input::open_counted(&src.path, &count) {
        Ok(r) => r,
        Err(e) => {
            out.problems
                .push(problem(&src.label, None, format!("cannot open: {e}")));
            return out;
        }
    };
    out.summary.compression = comp.name().to_string();
    let finder = memchr::memmem::Finder::new(PREFILTER);
    let step = sample_step(src.size);
    let source_name = input::source_name(&src.label);
    let path_host = input::host_from_path(&src.label);
    let mut lines = Pass1Lines {
        catalog,
        ctx: LineCtx {
            label: &src.label,
            source: &source_name,
            path_host: path_host.as_deref(),
            region: &cfg.default_region,
            quotes: cfg.keep_quotes,
            roles: &catalog.roles,
        },
        cited_candidates: 0,
        clock: Clock::default(),
        any_content: false,
    };

    let chunks = if comp == Compression::None && src.size > split.above {
        input::line_chunks(&src.path, src.size, split.chunk)
            .ok()
            .filter(|c| c.len() > 1)
    } else {
        None
    };
    let end = if let Some(ranges) = chunks {
        drop(reader);
        scan_chunks(
            &mut out, &mut lines, src, &ranges, cfg, &finder, step, progress,
        )
    } else {
        // JSON records written back to back (Firehose's CloudWatch Logs
        // objects) are read record by record, all on their one line
        let (reader, units) = input::concatenated_json(reader, cfg.max_line);
        let mut head: Vec<(u64, Vec<u8>, input::LineKind)> = Vec::new();
        let mut detected = false;
        let head_n = DETECT_LINES as u64;
        // the pieces of split lines are looked for once the wrapper is known
        let probe: std::cell::OnceCell<join::Probe> = std::cell::OnceCell::new();
        let mut joiner: Option<join::Joiner<'_>> = None;
        let mut on_line = |n: u64, line: &[u8], kind: input::LineKind| -> bool {
            if !detected {
                head.push((n, line.to_vec(), kind));
                if n >= head_n || head.len() as u64 >= head_n {
                    detected = true;
                    let refs: Vec<&[u8]> = head.iter().map(|(_, l, _)| l.as_slice()).collect();
                    let d = catalog.detect_in(&src.label, &refs);
                    joiner = joiner_for(catalog, d.as_ref(), cfg);
                    if let Some(w) = d.as_ref().and_then(|d| d.wrapper) {
                        if let Some(p) = catalog.formats.wrappers.get(w).and_then(join::Probe::of) {
                            let _ = probe.set(p);
                        }
                    }
                    detected_into(&mut out, d, catalog, &src.label);
                    for (hn, hl, mut hk) in std::mem::take(&mut head) {
                        hk.marked = joiner.as_ref().is_some_and(|j| j.marks(&hl));
                        feed(&mut joiner, &mut lines, &mut out, hn, &hl, hk);
                    }
                }
                return joiner.as_ref().is_some_and(join::Joiner::wants_more);
            }
            feed(&mut joiner, &mut lines, &mut out, n, line, kind);
            joiner.as_ref().is_some_and(join::Joiner::wants_more)
        };
        let end = match &units {
            Some(boundary) => input::scan_units(
                reader,
                cfg.max_line,
                boundary,
                head_n,
                &finder,
                step,
                |n, line, kind| {
                    on_line(n, line, kind);
                },
            ),
            None => input::scan_lines_ext(
                reader,
                cfg.max_line,
                head_n,
                &finder,
                &LateProbe(&probe),
                step,
                &[],
                &mut on_line,
            ),
        };
        if !detected {
            let refs: Vec<&[u8]> = head.iter().map(|(_, l, _)| l.as_slice()).collect();
            let d = catalog.detect_in(&src.label, &refs);
            joiner = joiner_for(catalog, d.as_ref(), cfg);
            detected_into(&mut out, d, catalog, &src.label);
            for (hn, hl, mut hk) in std::mem::take(&mut head) {
                hk.marked = joiner.as_ref().is_some_and(|j| j.marks(&hl));
                feed(&mut joiner, &mut lines, &mut out, hn, &hl, hk);
            }
        }
        if let Some(j) = joiner.as_mut() {
            let p = out.parser;
            j.finish(&mut |ev| lines.event(&mut out, ev, p));
        }
        end
    };

    out.summary.lines = end.lines;
    out.summary.bytes = end.bytes;
    out.summary.posts = out.obs.len() as u64;
    if let Some(p) = out.parser {
        out.summary.format = catalog.name(p);
    } else if end.lines > 0 && lines.any_content {
        out.problems.push(problem(
            &src.label,
            None,
            format!(
                "unknown format: none of the {} known formats (nor JSON) reads its first lines; try --grammar",
                catalog.access.len()
            ),
        ));
    }
    if let Some(err) = end.error {
        out.problems.push(problem(
            &src.label,
            Some(end.lines + 1),
            format!("{err}; the {} lines before it were read", end.lines),
        ));
    }
    if end.overlong_count > 0 {
        let lines: Vec<String> = end.overlong.iter().map(|l| l.to_string()).collect();
        out.problems.push(problem(
            &src.label,
            end.overlong.first().copied(),
            format!(
                "{} line(s) longer than {} bytes skipped (lines {}{})",
                end.overlong_count,
                cfg.max_line,
                lines.join(", "),
                if end.overlong_count > end.overlong.len() as u64 {
                    ", …"
                } else {
                    ""
                }
            ),
        ));
    }
    if comp == Compression::None && end.lines == 0 && src.size > 0 {
        out.problems
            .push(problem(&src.label, None, "no lines could be read"));
    }
    out
}

/// Pass 1 over a big plain file: the format from its first lines, then
/// every chunk scanned on its own (in parallel) and the results put back
/// in order with line numbers made absolute.
#[allow(clippy::too_many_arguments)]
fn scan_chunks(
    out: &mut Pass1,
    lines: &mut Pass1Lines<'_>,
    src: &Source,
    ranges: &[(u64, u64)],
    cfg: &Config,
    finder: &memchr::memmem::Finder<'_>,
    step: u64,
    progress: &Progress,
) -> input::WalkEnd {
    let mut end = input::WalkEnd::default();
    let split_by;
    match head_lines(&src.path, cfg.max_line) {
        Ok(head) => {
            let refs: Vec<&[u8]> = head.iter().map(|l| l.as_slice()).collect();
            let d = lines.catalog.detect_in(&src.label, &refs);
            split_by = join::splitting_wrapper(lines.catalog, d.as_ref());
            detected_into(out, d, lines.catalog, &src.label);
            lines.any_content = head.iter().any(|l| !l.iter().all(u8::is_ascii_whitespace));
        }
        Err(e) => {
            end.error = Some(format!("read error: {e}"));
            return end;
        }
    }
    let parser = out.parser;
    let catalog = lines.catalog;
    let ctx = &lines.ctx;
    // no split line may straddle two chunks
    let aligned;
    let ranges = match split_by {
        Some(w) => {
            let window = (cfg.max_line as u64).max(1 << 20);
            aligned = join::align_cuts(&src.path, ranges, &catalog.formats, w, window)
                .unwrap_or_else(|_| ranges.to_vec());
            &aligned[..]
        }
        None => ranges,
    };
    let probe = split_by.and_then(|w| catalog.formats.wrappers.get(w).and_then(join::Probe::of));
    let marker: &(dyn input::Needle + Sync) = match &probe {
        Some(p) => p,
        None => &input::NoNeedle,
    };
    let parts: Vec<(Pass1, input::WalkEnd)> = ranges
        .par_iter()
        .map(|&(start, len)| {
            let mut part = Pass1 {
                parser,
                ..Pass1::default()
            };
            let mut sink = Pass1Lines {
                catalog,
                ctx: *ctx,
                cited_candidates: 0,
                clock: Clock::default(),
                any_content: true,
            };
            let mut joiner = split_by.and_then(|w| {
                join::Joiner::new(&catalog.formats, w, cfg.max_line, cfg.keep_quotes)
            });
            let count = |n: u64| progress.bytes(n);
            let e = match input::open_range_counted(&src.path, start, len, &count) {
                Ok(r) => input::scan_lines_ext(
                    r,
                    cfg.max_line,
                    0,
                    finder,
                    marker,
                    step,
                    &[],
                    |n, l, k| {
                        feed(&mut joiner, &mut sink, &mut part, n, l, k);
                        joiner.as_ref().is_some_and(join::Joiner::wants_more)
                    },
                ),
                Err(e) => input::WalkEnd {
                    error: Some(format!("read error: {e}")),
                    ..Default::default()
                },
            };
            if let Some(j) = joiner.as_mut() {
                j.finish(&mut |ev| sink.event(&mut part, ev, parser));
            }
            (part, e)
        })
        .collect();
    let mut base = 0u64;
    for ((start, len), (mut part, e)) in ranges.iter().copied().zip(parts) {
        out.chunks.push(Chunk {
            start,
            len,
            lines_before: base,
        });
        part.shift_lines(base);
        for p in part.problems.drain(..) {
            // Cite at most CITE unparsed candidates per file, as a whole
            // file read would.
            let cites = p.message.contains("Messages.json")
                && (p.message.starts_with("candidate line")
                    || p.message.starts_with("line mentions"));
            if cites {
                if lines.cited_candidates >= CITE {
                    continue;
                }
                lines.cited_candidates += 1;
            }
            out.problems.push(p);
        }
        out.summary.candidates += part.summary.candidates;
        out.summary.unparsed_candidates += part.summary.unparsed_candidates;
        out.summary.unparsed_other += part.summary.unparsed_other;
        for n in part.summary.first_unparsed.drain(..) {
            out.summary.note_unparsed(n);
        }
        out.samples.append(&mut part.samples);
        out.obs.append(&mut part.obs);
        out.quotes.append(&mut part.quotes);
        out.attempt_lines.extend(part.attempt_lines);
        end.bytes += e.bytes;
        end.overlong_count += e.overlong_count;
        for l in e.overlong {
            if end.overlong.len() < 5 {
                end.overlong.push(base + l);
            }
        }
        if end.error.is_none() {
            if let Some(err) = e.error {
                end.error = Some(err);
                end.lines = base + e.lines;
                return end;
            }
        }
        base += e.lines;
    }
    end.lines = base;
    end
}

#[derive(Default)]
struct Pass2 {
    outcomes: Vec<Obs>,
    context: Vec<(ContextRecord, Option<String>, Option<String>)>,
    quotes: Vec<(u64, String)>,
}

/// Pass 2 over one file: lines that carry an id of pass 1, and lines right
/// after id-less request records.
#[allow(clippy::too_many_arguments)]
fn scan_ids(
    _idx: usize,
    src: &Source,
    p1: &Pass1,
    catalog: &Catalog,
    cfg: &Config,
    matcher: Option<&IdNeedle>,
    ids: &BTreeSet<String>,
    adjacent_to: &[u64],
    progress: &Progress,
) -> Pass2 {
    let mut out = Pass2::default();
    let Some(parser) = p1.parser else {
        return out;
    };
    let count = |n: u64| progress.bytes(n);
    let source_name = input::source_name(&src.label);
    let path_host = input::host_from_path(&src.label);
    let ctx = LineCtx {
        label: &src.label,
        source: &source_name,
        path_host: path_host.as_deref(),
        region: &cfg.default_region,
        quotes: cfg.keep_quotes,
        roles: &catalog.roles,
    };
    let format = catalog.name(parser);
    // Lines right after id-less request records, as line ranges.
    let mut forced: Vec<(u64, u64)> = adjacent_to
        .iter()
        .map(|&r| (r + 1, r + ADJACENT_LINES))
        .collect();
    forced.sort_unstable();
    let needle: &(dyn input::Needle + Sync) = match matcher {
        Some(m) => m,
        None => &input::NoNeedle,
    };
    let scan = |out: &mut Pass2, reader: &mut dyn std::io::Read, lines_before: u64| {
        let mut clock = Clock::default();
        let local: Vec<(u64, u64)> = forced
            .iter()
            .filter(|r| r.1 > lines_before)
            .map(|&(a, b)| (a.saturating_sub(lines_before).max(1), b - lines_before))
            .collect();
        input::scan_lines_with(
            reader,
            cfg.max_line,
            0,
            needle,
            u64::MAX / 2,
            &local,
            |local_n, line, kind| {
                let n = lines_before + local_n;
                if !kind.candidate && !kind.forced {
                    return;
                }
                if p1.attempt_lines.contains(&n) {
                    return;
                }
                let adjacent = kind.forced;
                let Ok(mut records) = catalog.parse(parser, line) else {
                    return;
                };
                clock.date(&mut records, n);
                for rec in records {
                    match rec {
                        Parsed::App(r) => {
                            let shares = r.ids.values().any(|v| ids.contains(v));
                            if !shares && !adjacent {
                                continue;
                            }
                            if let Some(Ok(o)) = ctx.app_obs(&r, n, &format, false) {
                                if o.kind == ObsKind::Outcome
                                    && (shares || o.attempt.ids.is_empty())
                                {
                                    out.outcomes.push(o);
                                    if ctx.quotes {
                                        out.quotes.push((n, quote(line)));
                                    }
                                    continue;
                                }
                            }
                            if !shares {
                                continue;
                            }
                            if let Some(time) = r.time {
                                let host =
                                    r.host.clone().or_else(|| ctx.path_host.map(String::from));
                                out.context.push((
                                    ContextRecord {
                                        kind: ContextKind::AppRecord,
                                        time,
                                        time_anchor: TimeAnchor::LogRecord,
                                        source: ctx.source.to_string(),
                                        summary: r
                                            .message
                                            .clone()
                                            .unwrap_or_else(|| "(no message)".into()),
                                        status: None,
                                        client_addr: None,
                                        user_agent: r.user_agent.clone(),
                                        host,
                                        code_path: r.code_path.clone(),
                                        ids: r.ids.clone(),
                                        idempotency_token: r.idempotency_token.clone(),
                                        evidence: ctx.evidence(n),
                                    },
                                    r.code_path.logger.clone(),
                                    r.pid.clone(),
                                ));
                                if ctx.quotes {
                                    out.quotes.push((n, quote(line)));
                                }
                            }
                        }
                        Parsed::Access(a) => {
                            let aids = access_ids(&a, ctx.roles);
                            if !aids.values().any(|v| ids.contains(v)) {
                                continue;
                            }
                            let Some(time) = a.time else { continue };
                            let route = a
                                .target
                                .as_deref()
                                .map(|t| t.split('?').next().unwrap_or(t).to_string());
                            let summary = match (&a.method, &route) {
                                (Some(m), Some(r)) => format!("{m} {r}"),
                                _ => a.request_line.clone().unwrap_or_else(|| "-".into()),
                            };
                            out.context.push((
                                ContextRecord {
                                    kind: ContextKind::InboundRequest,
                                    time,
                                    time_anchor: a.time_anchor.unwrap_or(TimeAnchor::RequestEnd),
                                    source: ctx.source.to_string(),
                                    summary,
                                    status: a.status,
                                    client_addr: a
                                        .forwarded_for
                                        .as_deref()
                                        .and_then(first_addr)
                                        .or(a.remote_addr.clone()),
                                    user_agent: a.user_agent.clone(),
                                    host: a
                                        .vhost
                                        .clone()
                                        .or_else(|| ctx.path_host.map(String::from)),
                                    code_path: CodePath::default(),
                                    ids: aids,
                                    idempotency_token: a
                                        .fields
                                        .get("http_i_twilio_idempotency_token")
                                        .cloned(),
                                    evidence: ctx.evidence(n),
                                },
                                None,
                                None,
                            ));
                            if ctx.quotes {
                                out.quotes.push((n, quote(line)));
                            }
                        }
                    }
                }
            },
        );
    };
    if p1.chunks.is_empty() {
        if let Ok((mut reader, _)) = input::open_counted(&src.path, &count) {
            scan(&mut out, &mut reader, 0);
        }
        return out;
    }
    let parts: Vec<Pass2> = p1
        .chunks
        .par_iter()
        .map(|c| {
            let mut part = Pass2::default();
            if let Ok(mut r) = input::open_range_counted(&src.path, c.start, c.len, &count) {
                scan(&mut part, &mut r, c.lines_before);
            }
            part
        })
        .collect();
    for mut part in parts {
        out.outcomes.append(&mut part.outcomes);
        out.context.append(&mut part.context);
        out.quotes.append(&mut part.quotes);
    }
    out
}

fn first_addr(xff: &str) -> Option<String> {
    xff.split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(String::from)
}

thread_local! {
    /// Each worker thread's shared texts.
    static SHARED: std::cell::RefCell<Interner> = std::cell::RefCell::new(Interner::default());
}

/// `text` as a [`Shared`] string: repeated values (format, source, URL,
/// account, host, User-Agent, logger, file names) come back as clones of
/// one allocation, so a hundred thousand POSTs do not hold a hundred
/// thousand copies of each.
fn share(text: &str) -> Shared {
    SHARED.with(|cell| cell.borrow_mut().get(text))
}

#[derive(Clone, Copy)]
struct LineCtx<'a> {
    /// Keep evidence lines' text.
    quotes: bool,
    /// Which access-log fields hold ids.
    roles: &'a Roles,
    label: &'a str,
    source: &'a str,
    path_host: Option<&'a str>,
    region: &'a str,
}

static MESSAGES_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/]+)?/2010-04-01/Accounts/([A-Za-z0-9]+)/Messages\.json$",
    )
    .expect("static regex")
});
static SID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:SM|MM)[0-9a-fA-F]{32}$").expect("static regex"));
static LIBRARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"twilio-(?:python|node|java|ruby|php|go|csharp|cli)/[0-9][0-9A-Za-z.\-]*")
        .expect("static regex")
});

/// The Account SID when `target` (path or URL, query allowed) is the
/// create-message endpoint.
pub fn messages_endpoint(target: &str) -> Option<String> {
    let path = target.split(['?', '#']).next().unwrap_or(target);
    MESSAGES_PATH
        .captures(path)
        .map(|c| c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default())
}

/// `twilio-python/9.3.7` from a User-Agent.
pub fn library_of(user_agent: &str) -> Option<String> {
    LIBRARY.find(user_agent).map(|m| m.as_str().to_string())
}

/// [`library_of`], shared, without an intermediate copy.
fn shared_library(user_agent: &str) -> Option<Shared> {
    LIBRARY.find(user_agent).map(|m| share(m.as_str()))
}

/// Decode an `application/x-www-form-urlencoded` body into pairs.
pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Classify a failure text the app logged.
pub fn classify_failure(text: &str) -> Failure {
    let l = text.to_ascii_lowercase();
    // A failure before the request left (name lookup, connect): Twilio never
    // saw it, even when the words say "timeout" (`dial tcp: lookup …: i/o
    // timeout`, urllib3's `ConnectTimeoutError`, `connect timed out`).
    let before_sending = [
        "dial tcp",
        "lookup ",
        "connecttimeout",
        "connect timed out",
        "connection to api.twilio.com timed out",
        "name or service not known",
        "nameresolution",
        "failed to resolve",
        "getaddrinfo",
        "no such host",
        "enotfound",
        "eai_again",
    ];
    if before_sending.iter().any(|w| l.contains(w)) {
        return Failure::Connection(text.to_string());
    }
    if l.contains("timed out")
        || l.contains("timeout")
        || l.contains("deadline exceeded")
        || l.contains("etimedout")
        || l.contains("esockettimedout")
    {
        Failure::Timeout(text.to_string())
    } else if l.contains("reset")
        || l.contains("refused")
        || l.contains("broken pipe")
        || l.contains("econn")
        || l.contains("connection aborted")
        || l.contains("connection closed")
        || l.contains("eof")
    {
        Failure::Connection(text.to_string())
    } else {
        Failure::Error(text.to_string())
    }
}

/// Whether pass 2 can find anything in a file read with `parser`: an
/// access-log format without any id field (plain `combined`, say) never
/// shares an id with a POST, so its file need not be read again.
fn can_link(catalog: &Catalog, parser: ParserId) -> bool {
    match parser {
        ParserId::Json | ParserId::Line(_) | ParserId::Logfmt | ParserId::Auto => true,
        ParserId::Access(i) => catalog.access.get(i).is_none_or(|g| g.has_id_field()),
    }
}

/// An access line's ids, from the fields the roles table names for each
/// (in its order, a site's `[[role]]` entries first). The request id falls
/// back to the line's own: the server's id the template chose (among the
/// strong sources, which are therefore not read here by name) or a JSON
/// access log's.
fn access_ids(a: &AccessLine, roles: &Roles) -> Ids {
    let read = |role: Role| {
        roles
            .id_sources(role)
            .iter()
            .filter(|s| !(role == Role::RequestId && s.strong))
            .find_map(|s| {
                let v = a.fields.get(&s.field).filter(|v| !v.is_empty())?;
                if s.traceparent {
                    v.split('-').nth(1).map(String::from)
                } else {
                    Some(v.clone())
                }
            })
    };
    Ids {
        request_id: read(Role::RequestId).or_else(|| a.request_id.clone()),
        trace_id: read(Role::TraceId),
        span_id: read(Role::SpanId),
        job_id: read(Role::JobId),
        twilio_request_id: read(Role::TwilioRequestId),
    }
}

impl LineCtx<'_> {
    fn evidence(&self, line: u64) -> Evidence {
        Evidence {
            file: share(self.label),
            line,
        }
    }

    /// An egress-proxy (or any access-log) line of a POST to the Messages API.
    fn access_obs(&self, a: &AccessLine, n: u64, format: &str) -> Option<Result<Obs, String>> {
        let (Some(target), Some(method)) = (a.target.as_deref(), a.method.as_deref()) else {
            // A request line that is no `METHOD target PROTOCOL` (binary
            // junk) but names the endpoint could hide a POST: say so.
            let line = a.request_line.as_deref().unwrap_or("");
            return line.contains("Messages.json").then(|| {
                Err("request line naming Messages.json could not be read: not counted".into())
            });
        };
        let Some(account) = messages_endpoint(target) else {
            // A POST naming the endpoint with bytes that are no URL
            // (binary junk, invalid UTF-8) could be a create: say so.
            let path = target.split(['?', '#']).next().unwrap_or(target);
            let junk = path
                .chars()
                .any(|c| c == '\u{fffd}' || c.is_control() || c.is_whitespace());
            return (method.eq_ignore_ascii_case("POST") && path.contains("Messages.json") && junk)
                .then(|| {
                    Err(
                        "POST naming Messages.json with unreadable bytes in its path: not counted"
                            .into(),
                    )
                });
        };
        if !method.eq_ignore_ascii_case("POST") {
            // GET, DELETE …: not a create. A method that is no HTTP token
            // (binary junk) could hide a POST: say so.
            if method.bytes().all(|b| b.is_ascii_alphabetic()) && !method.is_empty() {
                return None;
            }
            return Some(Err(format!(
                "request to Messages.json with an unreadable method {method:?}: not counted"
            )));
        }
        let Some(time) = a.time else {
            return Some(Err(
                "POST to Messages.json without a readable timestamp: not counted".into(),
            ));
        };
        let mut recipient = None;
        let mut from = None;
        let mut body = None;
        // The form body when logged; else the query string (some clients
        // and proxies put the parameters there).
        let params = a
            .request_body
            .as_deref()
            .or_else(|| target.split_once('?').map(|(_, q)| q));
        if let Some(b) = params {
            for (k, v) in form_pairs(b) {
                match k.as_str() {
                    "To" => recipient = crate::phone::normalize_phone(&v, self.region).or(Some(v)),
                    "From" => from = Some(v),
                    "Body" => body = Some(share(&v)),
                    _ => {}
                }
            }
        }
        let sid = a
            .fields
            .iter()
            .filter(|(k, _)| {
                k.contains("sid") || k.starts_with("upstream_http") || k.starts_with("sent_http")
            })
            .map(|(_, v)| v)
            .find(|v| SID.is_match(v))
            .cloned();
        let failure = match a.status {
            Some(499) => Some(Failure::Timeout(
                "the client closed the connection before the response (nginx 499)".into(),
            )),
            // nothing was answered: the client went away first (Envoy's
            // `0 DC`, Squid's `TCP_MISS_ABORTED/000`)
            Some(0) => Some(Failure::Timeout(
                "the client gave up before any response (status 0/000)".into(),
            )),
            // the proxy gave up waiting for Twilio: the request may have
            // created a message all the same
            Some(504) => Some(Failure::Timeout(
                "the proxy timed out waiting for Twilio's answer (504)".into(),
            )),
            _ => None,
        };
        let client = a.remote_addr.as_deref().map(share);
        Some(Ok(Obs {
            attempt: Box::new(Attempt {
                time,
                time_anchor: a.time_anchor.unwrap_or(TimeAnchor::RequestEnd),
                observer: Observer::EgressProxy,
                format: share(format),
                source: share(self.source),
                method: share("POST"),
                url: share(target),
                account_sid: Some(share(&account)),
                recipient,
                from,
                body,
                sid,
                status: a.status,
                failure,
                duration_ms: a.duration_ms,
                host: client.clone(),
                client_addr: client,
                code_path: CodePath::default(),
                ids: access_ids(a, self.roles),
                user_agent: a.user_agent.as_deref().map(share),
                library: a.user_agent.as_deref().and_then(shared_library),
                evidence: vec![self.evidence(n)],
            }),
            kind: ObsKind::Full,
            file: self.label.into(),
            line: n,
            logger: None,
            pid: None,
        }))
    }

    /// An app record of a call to the Messages API (request, response or
    /// both), or — when `outcome_ok` is false — only an outcome record.
    fn app_obs(
        &self,
        r: &AppRecord,
        n: u64,
        format: &str,
        need_url: bool,
    ) -> Option<Result<Obs, String>> {
        if r.webhook {
            return None;
        }
        let url = r.url.as_deref();
        let account = url.and_then(messages_endpoint);
        // A bare status is only an outcome of a Twilio call when the record
        // says so; an app's own "request finished 200" must not close a call.
        let twilio_words = |s: &str| {
            let l = s.to_ascii_lowercase();
            l.contains("twilio") || l.contains("sms") || l.contains("message")
        };
        let status_is_twilio = r.status.is_some()
            && (url.is_some()
                || r.twilio_call
                || r.message.as_deref().is_some_and(twilio_words)
                || r.code_path.logger.as_deref().is_some_and(twilio_words));
        let has_outcome = status_is_twilio || r.sid.is_some() || r.error.is_some();
        let kind = match (&account, has_outcome) {
            (Some(_), true) => ObsKind::Full,
            (Some(_), false) => ObsKind::Request,
            (None, true) if !need_url && url.is_none() => ObsKind::Outcome,
            _ => return None,
        };
        if let Some(m) = &r.method {
            if !m.eq_ignore_ascii_case("POST") {
                return None;
            }
        }
        let Some(time) = r.time else {
            return Some(Err(
                "record of a Twilio call without a readable timestamp: not counted".into(),
            ));
        };
        let sid = r.sid.clone().filter(|s| SID.is_match(s));
        let failure = r.error.as_deref().map(classify_failure);
        let anchor = match kind {
            ObsKind::Request => TimeAnchor::RequestStart,
            ObsKind::Full if r.duration_ms.is_some() => TimeAnchor::RequestEnd,
            _ => TimeAnchor::LogRecord,
        };
        Some(Ok(Obs {
            attempt: Box::new(Attempt {
                time,
                time_anchor: anchor,
                observer: Observer::App,
                format: share(format),
                source: share(self.source),
                method: share("POST"),
                url: share(url.unwrap_or_default()),
                account_sid: account.as_deref().map(share),
                recipient: r.to.as_deref().and_then(|t| {
                    crate::phone::normalize_phone(t, self.region).or(Some(t.to_string()))
                }),
                from: r.from.clone(),
                body: r.body.as_deref().map(share),
                sid,
                status: r.status,
                failure,
                duration_ms: r.duration_ms,
                host: r.host.as_deref().or(self.path_host).map(share),
                client_addr: None,
                code_path: r.code_path.clone(),
                ids: r.ids.clone(),
                user_agent: r.user_agent.as_deref().map(share),
                library: r.user_agent.as_deref().and_then(shared_library),
                evidence: vec![self.evidence(n)],
            }),
            kind,
            file: self.label.into(),
            line: n,
            logger: r.code_path.logger.as_deref().map(share),
            // records of one call come from one thread: concurrent calls
            // of a thread pool are kept apart by it
            pid: match (&r.pid, &r.thread) {
                (Some(p), Some(t)) => Some(format!("{p}/{t}")),
                (None, Some(t)) => Some(t.clone()),
                (p, None) => p.clone(),
            },
        }))
    }
}

/// Merge an outcome (or a second record of the same call) into an attempt.
fn merge_into(a: &mut Attempt, o: &Attempt) {
    if a.sid.is_none() {
        a.sid.clone_from(&o.sid);
    }
    if o.status.is_some() {
        a.status = o.status;
    }
    if o.failure.is_some() {
        a.failure.clone_from(&o.failure);
    }
    if a.duration_ms.is_none() {
        a.duration_ms = o.duration_ms.or_else(|| {
            let d = (o.time.nanos - a.time.nanos) as f64 / 1e6;
            (d >= 0.0).then_some(d)
        });
    }
    if a.recipient.is_none() {
        a.recipient.clone_from(&o.recipient);
    }
    if a.body.is_none() {
        a.body.clone_from(&o.body);
    }
    if a.from.is_none() {
        a.from.clone_from(&o.from);
    }
    if a.code_path.is_empty() {
        a.code_path = o.code_path.clone();
    }
    if a.user_agent.is_none() {
        a.user_agent.clone_from(&o.user_agent);
        a.library.clone_from(&o.library);
    }
    a.ids.fill_from(&o.ids);
    a.evidence.extend(o.evidence.iter().cloned());
    a.evidence.sort();
    a.evidence.dedup();
}

/// Link the yields of every file (from this run or from map files) into
/// attempts, context and coverage. The result does not depend on the order
/// of the yields.
pub fn assemble(mut yields: Vec<FileYield>) -> Extraction {
    yields.sort_by(|a, b| a.summary.file.cmp(&b.summary.file));
    let mut ex = Extraction::default();
    // Sized once: these hold every observation, and growing them by
    // doubling would copy them and keep the old buffers around meanwhile.
    let (n_app, n_proxy) =
        yields
            .iter()
            .flat_map(|y| y.observations.iter())
            .fold((0, 0), |(app, proxy), o| match o.attempt.observer {
                Observer::App => (app + 1, proxy),
                Observer::EgressProxy => (app, proxy + 1),
            });
    let mut app_obs: Vec<Obs> = Vec::with_capacity(n_app);
    let mut attempts: Vec<Box<Attempt>> = Vec::with_capacity(n_proxy);
    let mut samples: BTreeMap<String, Vec<(i64, Evidence)>> = BTreeMap::new();
    let mut source_meta: BTreeMap<String, SourceMeta> = BTreeMap::new();
    let mut context_raw: Vec<ContextRecord> = Vec::new();
    for y in yields {
        let label = y.summary.file.clone();
        let sname = input::source_name(&label);
        let meta = source_meta
            .entry(sname.clone())
            .or_insert_with(|| SourceMeta {
                files: Vec::new(),
                host: input::host_from_path(&label),
                format: y.summary.format.clone(),
                observes_posts: false,
                lines: 0,
            });
        meta.files.push(label.clone());
        let file = share(&label);
        meta.observes_posts |= y.observations.iter().any(|o| o.kind != ObsKind::Outcome);
        meta.lines += y.summary.lines;
        let s = samples.entry(sname).or_default();
        for (t, n) in &y.samples {
            s.push((
                *t,
                Evidence {
                    file: file.clone(),
                    line: *n,
                },
            ));
        }
        drop(y.samples);
        for (n, q) in y.quotes {
            ex.quotes.insert(
                Evidence {
                    file: file.clone(),
                    line: n,
                },
                q,
            );
        }
        for o in y.observations {
            match o.attempt.observer {
                Observer::EgressProxy => attempts.push(o.attempt),
                Observer::App => app_obs.push(o),
            }
        }
        context_raw.extend(y.context);
        ex.problems.extend(y.problems);
        ex.files.push(y.summary);
    }
    ex.problems.sort();
    ex.problems.dedup();

    // Link app records into attempts, in time order.
    app_obs.sort_by(|a, b| {
        (a.attempt.time.nanos, &a.file, a.line).cmp(&(b.attempt.time.nanos, &b.file, b.line))
    });
    // (attempt, still open, file, line, logger, pid)
    let mut linked: Vec<Linked> = Vec::with_capacity(app_obs.len());
    // Indices of the still-open entries of `linked`, in order: searching
    // only these keeps linking linear in practice (closed calls are many).
    let mut open_list: Vec<usize> = Vec::new();
    let mut unlinked_outcomes: Vec<Obs> = Vec::new();
    for o in app_obs {
        // An open request this record belongs to: shares an id (preferring
        // the same file), or for id-less loggers the same file, logger and
        // process within a few lines.
        let open = open_list.iter().rev().copied().find(|&i| {
            let (a, _, file, line, logger, pid) = &linked[i];
            if !o.attempt.ids.is_empty() && a.ids.shares_any(&o.attempt.ids) {
                return true;
            }
            o.attempt.ids.is_empty()
                && a.ids.is_empty()
                && *file == o.file
                && o.line > *line
                && o.line <= line + ADJACENT_LINES
                && *logger == o.logger
                && *pid == o.pid
        });
        let mut close = |i: usize, linked: &mut Vec<Linked>, o: &Obs| {
            merge_into(&mut linked[i].0, &o.attempt);
            linked[i].1 = false;
            if let Some(p) = open_list.iter().rposition(|&j| j == i) {
                open_list.remove(p);
            }
        };
        match o.kind {
            ObsKind::Request => {
                open_list.push(linked.len());
                linked.push((o.attempt, true, o.file, o.line, o.logger, o.pid));
            }
            ObsKind::Full => match open {
                Some(i) => close(i, &mut linked, &o),
                None => linked.push((o.attempt, false, o.file, o.line, o.logger, o.pid)),
            },
            ObsKind::Outcome => match open {
                Some(i) => close(i, &mut linked, &o),
                None => unlinked_outcomes.push(o),
            },
        }
    }
    attempts.reserve_exact(linked.len());
    for (a, ..) in linked {
        attempts.push(a);
    }
    for o in unlinked_outcomes {
        // An outcome we could not tie to a call stays visible as context.
        let a = o.attempt;
        context_raw.push(ContextRecord {
            kind: ContextKind::AppRecord,
            time: a.time,
            time_anchor: TimeAnchor::LogRecord,
            source: a.source.to_string(),
            summary: match (&a.sid, a.status, &a.failure) {
                (Some(s), _, _) => format!("outcome record naming {s}"),
                (_, Some(st), _) => format!("outcome record with status {st}"),
                (_, _, Some(f)) => format!("failure record: {}", failure_text(f)),
                _ => "outcome record".into(),
            },
            status: a.status,
            client_addr: None,
            user_agent: a.user_agent.as_deref().map(String::from),
            host: a.host.as_deref().map(String::from),
            code_path: a.code_path.clone(),
            ids: a.ids.clone(),
            idempotency_token: None,
            evidence: a.evidence.first().cloned().unwrap_or(Evidence {
                file: "".into(),
                line: 0,
            }),
        });
    }
    // Sorted as boxes (cheap to move), then unboxed into a vector of the
    // exact size.
    attempts.sort_by(|a, b| (a.time.nanos, &a.evidence).cmp(&(b.time.nanos, &b.evidence)));
    ex.attempts = attempts.into_iter().map(|a| *a).collect();
    settle_outcome_lines(&mut ex);
    let mut context: Vec<ContextRecord> = context_raw;
    context.sort_by(|a, b| (a.time.nanos, &a.evidence).cmp(&(b.time.nanos, &b.evidence)));
    context.dedup_by(|a, b| a.evidence == b.evidence);
    ex.context = context;

    for (name, meta) in source_meta {
        let mut s = samples.remove(&name).unwrap_or_default();
        s.sort();
        ex.coverage.push(coverage_of(name, meta, &s));
    }
    ex
}

/// An attempt being assembled: still open (waiting for its outcome), and
/// where its request record was (file, line, logger, process).
type Linked = (
    Box<Attempt>,
    bool,
    String,
    u64,
    Option<Shared>,
    Option<String>,
);

/// A failure in words.
pub fn failure_text(f: &Failure) -> &str {
    match f {
        Failure::Timeout(s) | Failure::Connection(s) | Failure::Error(s) => s,
    }
}

/// Token ids at least this long are found in buffers through the q-gram
/// filter of [`IdNeedle`] (8-byte grams, probed every 9 bytes or more).
const GRAM_MIN_ID: usize = 16;

/// Up to this many shorter token ids, buffers are searched for them with
/// one Aho-Corasick DFA; above, the DFA would grow too big and the NFA is
/// slow (~100 MB/s), so buffers are walked token by token instead.
const DFA_MAX_IDS: usize = 5_000;

/// Finds the lines that may carry one of the ids pass 1 found. A false hit
/// costs a parse; a miss would lose a linked record, so every id is always
/// found where it stands as a token of its own (between quotes, spaces,
/// `=`, `,` …) or as a `-`-separated part of one (a W3C `traceparent`):
/// that is where a log record's id value stands, and only records whose
/// parsed ids equal a wanted id are linked. Ids with bytes outside
/// `[A-Za-z0-9_-]` are found anywhere.
///
/// Whole buffers are searched for long ids with a q-gram filter: the 8
/// bytes at every `step`-th offset are looked up in a two-probe Bloom
/// filter of every 8-gram of every id (`step` is short enough that each
/// occurrence of an id covers one such offset). Lines around its hits are
/// then checked exactly, token by token against a hash set. This costs one
/// table probe per `step` bytes instead of an automaton step per byte,
/// whatever the number of ids. Shorter ids (whose grams would be too
/// common) are searched for as before pass 2 had the filter.
pub struct IdNeedle {
    /// Ids made of token bytes only.
    set: std::collections::HashSet<Vec<u8>, BuildFx>,
    /// `lens[n]`: some id in `set` is `n` bytes long.
    lens: Vec<bool>,
    /// Buffer prefilter for the ids in `set` that are at least
    /// [`GRAM_MIN_ID`] long.
    grams: Option<Grams>,
    /// Buffer search for the shorter ids in `set`.
    short: Short,
    /// The ids with other bytes, matched as substrings (with the length of
    /// the longest).
    rest: Option<(AhoCorasick, usize)>,
}

/// How buffers are searched for token ids shorter than [`GRAM_MIN_ID`].
enum Short {
    /// There are none.
    None,
    /// A DFA over them (substrings: a superset of their token hits), and
    /// the length of the longest.
    Automaton(AhoCorasick, usize),
    /// Many: the buffer is walked token by token.
    Walk,
}

/// The q-gram Bloom filter of [`IdNeedle`].
struct Grams {
    /// Gram length (1..=8; 8 for ids of [`GRAM_MIN_ID`] bytes or more).
    q: usize,
    /// Distance between probed offsets: the shortest id's length − q + 1.
    step: usize,
    /// Keeps the low `q` bytes of a little-endian word.
    mask: u64,
    /// log2 of the table's size in bits.
    bits: u32,
    table: Vec<u64>,
}

const GRAM_K1: u64 = 0x9e37_79b9_7f4a_7c15;
const GRAM_K2: u64 = 0xc2b2_ae3d_27d4_eb4f;

impl Grams {
    fn new(ids: &[&[u8]]) -> Option<Grams> {
        let min = ids.iter().map(|i| i.len()).min()?;
        let q = (min / 2).clamp(1, 8);
        let step = min + 1 - q;
        let entries: usize = ids.iter().map(|i| i.len() + 1 - q).sum();
        // About 64 bits per gram (two probes: ~0.1 % false hits per
        // probe), at most 8 MiB.
        let bits = entries
            .saturating_mul(64)
            .clamp(1 << 12, 1 << 26)
            .next_power_of_two()
            .trailing_zeros();
        let mask = if q >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * q)) - 1
        };
        let mut g = Grams {
            q,
            step,
            mask,
            bits,
            table: vec![0; (1usize << bits) / 64],
        };
        for id in ids {
            for gram in id.windows(q) {
                let w = word(gram) & mask;
                let (a, b) = g.slots(w);
                g.set(a);
                g.set(b);
            }
        }
        Some(g)
    }

    fn slots(&self, w: u64) -> (usize, usize) {
        let shift = 64 - self.bits;
        (
            (w.wrapping_mul(GRAM_K1) >> shift) as usize,
            ((w ^ (w >> 29)).wrapping_mul(GRAM_K2) >> shift) as usize,
        )
    }

    fn set(&mut self, slot: usize) {
        if let Some(t) = self.table.get_mut(slot / 64) {
            *t |= 1 << (slot % 64);
        }
    }

    fn get(&self, slot: usize) -> bool {
        self.table
            .get(slot / 64)
            .is_some_and(|t| t & (1 << (slot % 64)) != 0)
    }

    fn probe(&self, w: u64) -> bool {
        let (a, b) = self.slots(w);
        self.get(a) && self.get(b)
    }

    /// The first probed offset whose gram may belong to an id: never past
    /// the end of the first id occurrence in `hay`.
    fn find(&self, hay: &[u8]) -> Option<usize> {
        let mut p = 0usize;
        while let Some(w8) = hay.get(p..p + 8) {
            if self.probe(word(w8) & self.mask) {
                return Some(p);
            }
            p += self.step;
        }
        while let Some(w) = hay.get(p..p + self.q) {
            if self.probe(word(w) & self.mask) {
                return Some(p);
            }
            p += self.step;
        }
        None
    }
}

/// Up to 8 bytes as a little-endian word (missing bytes zero).
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(w)
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl IdNeedle {
    /// A needle for `ids`; `None` when there are none.
    pub fn new(ids: &BTreeSet<String>) -> Option<IdNeedle> {
        Self::build(ids, DFA_MAX_IDS)
    }

    /// [`IdNeedle::new`], with the most short ids searched for with a DFA.
    fn build(ids: &BTreeSet<String>, dfa_max: usize) -> Option<IdNeedle> {
        if ids.is_empty() {
            return None;
        }
        let mut set = std::collections::HashSet::with_hasher(BuildFx);
        let mut lens = vec![false; 257];
        let mut long: Vec<&[u8]> = Vec::new();
        let mut short: Vec<&str> = Vec::new();
        let mut others = Vec::new();
        for id in ids {
            let b = id.as_bytes();
            if !b.is_empty() && b.len() <= 256 && b.iter().all(|&c| token_byte(c)) {
                if let Some(l) = lens.get_mut(b.len()) {
                    *l = true;
                }
                set.insert(b.to_vec());
                if b.len() >= GRAM_MIN_ID {
                    long.push(b);
                } else {
                    short.push(id.as_str());
                }
            } else if !b.is_empty() && !b.contains(&b'\n') && !b.contains(&b'\r') {
                // (an id with a line break never stands within one line)
                others.push(id.as_str());
            }
        }
        let longest = |v: &[&str]| v.iter().map(|o| o.len()).max().unwrap_or(0);
        let short = if short.is_empty() {
            Short::None
        } else if short.len() <= dfa_max {
            // Ids are mostly hex or base64: a prefilter on their first bytes
            // fires all the time, so search with the automaton alone.
            match aho_corasick::AhoCorasickBuilder::new()
                .prefilter(false)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&short)
            {
                Ok(a) => Short::Automaton(a, longest(&short)),
                Err(_) => Short::Walk,
            }
        } else {
            Short::Walk
        };
        let rest = if others.is_empty() {
            None
        } else {
            let n = longest(&others);
            aho_corasick::AhoCorasick::new(&others).ok().map(|a| (a, n))
        };
        Some(IdNeedle {
            grams: Grams::new(&long),
            set,
            lens,
            short,
            rest,
        })
    }

    /// The first token (or `-`-separated part of one) of `hay` that is an
    /// id of `set`.
    fn token_hit(&self, hay: &[u8]) -> Option<usize> {
        let hit = |s: usize, e: usize| -> bool {
            self.lens.get(e - s).copied().unwrap_or(false)
                && hay.get(s..e).is_some_and(|t| self.set.contains(t))
        };
        let mut i = 0;
        while i < hay.len() {
            if !hay.get(i).copied().is_some_and(token_byte) {
                i += 1;
                continue;
            }
            let start = i;
            while hay.get(i).copied().is_some_and(token_byte) {
                i += 1;
            }
            if hit(start, i) {
                return Some(start);
            }
            // The parts between dashes (a traceparent's trace id).
            let run = hay.get(start..i).unwrap_or_default();
            if memchr::memchr(b'-', run).is_some() {
                let mut off = start;
                for part in run.split(|&b| b == b'-') {
                    let end = off + part.len();
                    if !part.is_empty() && hit(off, end) {
                        return Some(off);
                    }
                    off = end + 1;
                }
            }
        }
        None
    }
}

impl input::Needle for IdNeedle {
    fn find_in(&self, hay: &[u8]) -> Option<usize> {
        let by_grams = self.grams.as_ref().and_then(|g| g.find(hay));
        // A match of another id that starts before the gram hit ends
        // within that id's length of it: no need to search further.
        let upto = |longest: usize| {
            let end = by_grams.map_or(hay.len(), |p| hay.len().min(p + longest));
            hay.get(..end).unwrap_or(hay)
        };
        let by_short = match &self.short {
            Short::None => None,
            Short::Automaton(a, longest) => a.find(upto(*longest)).map(|m| m.start()),
            // A token cut at the window's end is at worst a false hit.
            Short::Walk => self.token_hit(upto(GRAM_MIN_ID)),
        };
        let by_rest = self
            .rest
            .as_ref()
            .and_then(|(a, longest)| a.find(upto(*longest)).map(|m| m.start()));
        [by_grams, by_short, by_rest].into_iter().flatten().min()
    }

    fn line_matches(&self, line: &[u8]) -> bool {
        (!self.set.is_empty() && self.token_hit(line).is_some())
            || self
                .rest
                .as_ref()
                .is_some_and(|(a, _)| a.find(line).is_some())
    }
}

/// A small fast hasher for the id set (FxHash's multiply-rotate): ids are
/// not attacker-chosen keys here, and SipHash would dominate the search.
#[derive(Default, Clone, Copy)]
pub struct BuildFx;

/// See [`BuildFx`].
#[derive(Default)]
pub struct Fx(u64);

impl std::hash::BuildHasher for BuildFx {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Smallest hole worth reporting, whatever the source's rate.
const MIN_GAP_NANOS: i64 = 5 * 60 * 1_000_000_000;
/// A hole is this many times the source's median spacing between dated samples.
const GAP_FACTOR: i64 = 30;

/// What is known of one log source before its coverage is measured.
struct SourceMeta {
    files: Vec<String>,
    host: Option<String>,
    format: String,
    observes_posts: bool,
    lines: u64,
}

fn coverage_of(source: String, meta: SourceMeta, samples: &[(i64, Evidence)]) -> SourceCoverage {
    let SourceMeta {
        files,
        host,
        format,
        observes_posts,
        lines,
    } = meta;
    let mut gaps = Vec::new();
    if samples.len() >= 3 {
        let mut deltas: Vec<i64> = samples.windows(2).map(|w| w[1].0 - w[0].0).collect();
        deltas.sort_unstable();
        let median = deltas[deltas.len() / 2];
        let threshold = (median.saturating_mul(GAP_FACTOR)).max(MIN_GAP_NANOS);
        for w in samples.windows(2) {
            if w[1].0 - w[0].0 > threshold {
                gaps.push(Gap {
                    from: w[0].0,
                    to: w[1].0,
                    before: w[0].1.clone(),
                    after: w[1].1.clone(),
                });
            }
        }
    }
    SourceCoverage {
        source,
        files,
        host,
        format,
        observes_posts,
        lines,
        first: samples.first().map(|s| s.0),
        last: samples.last().map(|s| s.0),
        gaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_recognised_in_paths_and_urls() {
        let acct = "AC0123456789abcdef0123456789abcdef";
        assert_eq!(
            messages_endpoint(&format!("/2010-04-01/Accounts/{acct}/Messages.json")).as_deref(),
            Some(acct)
        );
        assert_eq!(
            messages_endpoint(&format!(
                "https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages.json?x=1"
            ))
            .as_deref(),
            Some(acct)
        );
        assert!(messages_endpoint(&format!(
            "/2010-04-01/Accounts/{acct}/Messages/SM0123456789abcdef0123456789abcdef.json"
        ))
        .is_none());
        assert!(messages_endpoint("/twilio/status").is_none());
        assert!(messages_endpoint(&format!("/2010-04-01/Accounts/{acct}/Calls.json")).is_none());
    }

    #[test]
    fn form_bodies_decode() {
        let pairs = form_pairs("To=%2B14155550134&From=%2B14155552345&Body=Your+code+is+12%2634");
        assert_eq!(pairs[0], ("To".into(), "+14155550134".into()));
        assert_eq!(pairs[2], ("Body".into(), "Your code is 12&34".into()));
        assert_eq!(
            form_pairs("Body=100%"),
            vec![("Body".into(), "100%".into())]
        );
    }

    #[test]
    fn failures_classified() {
        assert!(matches!(
            classify_failure("ReadTimeout: Read timed out. (read timeout=10)"),
            Failure::Timeout(_)
        ));
        assert!(matches!(
            classify_failure("ECONNRESET: socket hang up"),
            Failure::Connection(_)
        ));
        assert!(matches!(
            classify_failure("TwilioRestException: 21211 invalid To"),
            Failure::Error(_)
        ));
    }

    #[test]
    fn libraries_from_user_agents() {
        assert_eq!(
            library_of("twilio-python/9.3.7 (Linux x86_64) Python/3.11.9").as_deref(),
            Some("twilio-python/9.3.7")
        );
        assert_eq!(
            library_of("twilio-java/10.1.0 (Linux amd64) java/17.0.10").as_deref(),
            Some("twilio-java/10.1.0")
        );
        assert_eq!(library_of("curl/8.0"), None);
    }

    #[test]
    fn gaps_follow_the_source_rate() {
        let ev = |l| Evidence {
            file: "a".into(),
            line: l,
        };
        let s: Vec<(i64, Evidence)> = (0..40)
            .map(|i| {
                let t = if i < 20 { i * 20 } else { i * 20 + 3600 };
                (t as i64 * 1_000_000_000, ev(i as u64 + 1))
            })
            .collect();
        let meta = SourceMeta {
            files: vec![],
            host: None,
            format: "x".into(),
            observes_posts: true,
            lines: 40,
        };
        let c = coverage_of("a".into(), meta, &s);
        assert_eq!(c.gaps.len(), 1);
        assert_eq!(c.gaps[0].before.line, 20);
        assert!(c.covers(100 * 1_000_000_000, 0));
        assert!(!c.covers((19 * 20 + 1000) * 1_000_000_000, 0));
    }

    fn chunk_corpus(dir: &std::path::Path) -> Vec<Source> {
        chunk_corpus_with(dir, "req")
    }

    /// `rid`: what the request ids start with (8 digits follow).
    fn chunk_corpus_with(dir: &std::path::Path, rid: &str) -> Vec<Source> {
        let acct = "AC7d2c1f0e9b8a47c6b5a4d3e2f1a0b9c8";
        let mut access = String::new();
        let mut app = String::new();
        for i in 0..3000u64 {
            let t = format!(
                "20/Nov/2026:1{}:{:02}:{:02} +0000",
                i / 3600,
                i / 60 % 60,
                i % 60
            );
            if i % 37 == 5 {
                access.push_str(&format!("10.0.1.21 - - [{t}] \"POST /2010-04-01/Accounts/{acct}/Messages.json HTTP/1.1\" 201 812 \"-\" \"twilio-go/1.23.0\"\n"));
            } else {
                access.push_str(&format!(
                    "203.0.113.9 - - [{t}] \"GET /a/{i} HTTP/1.1\" 200 12 \"-\" \"curl/8.5.0\"\n"
                ));
            }
            let ts = 1_795_192_400 + i as i64;
            match i % 41 {
                3 => app.push_str(&format!("{{\"level\":\"info\",\"ts\":{ts}.0,\"logger\":\"worker.sms\",\"msg\":\"twilio request\",\"method\":\"POST\",\"url\":\"https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages.json\",\"to\":\"+14155550{:03}\",\"request_id\":\"{rid}{i:08}\"}}\n", i % 1000)),
                4 => app.push_str(&format!("{{\"level\":\"info\",\"ts\":{ts}.5,\"logger\":\"worker.sms\",\"msg\":\"twilio response\",\"request_id\":\"{rid}{:08}\",\"status\":201,\"sid\":\"SM{i:032x}\"}}\n", i - 1)),
                // id-less request records, answered on a later line
                20 => app.push_str(&format!("{{\"level\":\"info\",\"ts\":{ts}.0,\"logger\":\"legacy.sms\",\"msg\":\"twilio request\",\"method\":\"POST\",\"url\":\"https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages.json\",\"to\":\"+14155551{:03}\"}}\n", i % 1000)),
                22 => app.push_str(&format!("{{\"level\":\"info\",\"ts\":{ts}.0,\"logger\":\"legacy.sms\",\"msg\":\"twilio message sent\",\"status\":201,\"sid\":\"SM{i:032x}\"}}\n")),
                _ => app.push_str(&format!("{{\"level\":\"info\",\"ts\":{ts}.0,\"logger\":\"worker.jobs\",\"msg\":\"job started\",\"request_id\":\"job{i}\"}}\n")),
            }
        }
        let mut out = Vec::new();
        for (name, text) in [("access.log", access), ("worker.log", app)] {
            let p = dir.join(name);
            std::fs::write(&p, &text).expect("write");
            out.push(Source::file(name.to_string(), p, text.len() as u64));
        }
        out
    }

    fn run_split(sources: &[Source], split: Split, threads: usize) -> Extraction {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            assemble(yields_split(
                sources,
                &Catalog::builtin(),
                &Config::default(),
                &Progress::hidden(),
                &BTreeSet::new(),
                split,
            ))
        })
    }

    #[test]
    fn chunked_reading_finds_what_a_whole_file_read_finds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sources = chunk_corpus(dir.path());
        let whole = run_split(&sources, Split::default(), 1);
        let tiny = Split {
            above: 0,
            chunk: 4096,
        };
        let chunked = run_split(&sources, tiny, 2);
        assert!(whole.attempts.len() > 100, "{}", whole.attempts.len());
        assert!(whole
            .attempts
            .iter()
            .any(|a| a.sid.is_some() && a.code_path.logger.as_deref() == Some("legacy.sms")));
        assert_eq!(
            format!("{:?}", whole.attempts),
            format!("{:?}", chunked.attempts)
        );
        assert_eq!(
            format!("{:?}", whole.context),
            format!("{:?}", chunked.context)
        );
        assert_eq!(whole.quotes, chunked.quotes);
        let counts = |e: &Extraction| {
            e.files
                .iter()
                .map(|f| (f.lines, f.bytes, f.candidates, f.posts))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&whole), counts(&chunked));
        // Chunks depend on the file only: any thread count, same bytes.
        let one = run_split(&sources, tiny, 1);
        assert_eq!(
            format!("{:?}", one.attempts),
            format!("{:?}", chunked.attempts)
        );
        assert_eq!(
            format!("{:?}", one.coverage),
            format!("{:?}", chunked.coverage)
        );
    }

    /// A CRI log (containerd) whose POST lines are split into pieces, some
    /// inside `Messages.json`, with stderr pieces in between: (the file, the
    /// piece lines of each POST).
    fn split_cri_log(dir: &std::path::Path) -> (Vec<Source>, Vec<Vec<u64>>) {
        let acct = "AC7d2c1f0e9b8a47c6b5a4d3e2f1a0b9c8";
        let mut text = String::new();
        let mut n = 0u64;
        let mut posts = Vec::new();
        let mut put = |text: &mut String, stream: &str, tag: &str, body: &str| {
            n += 1;
            text.push_str(&format!(
                "2026-11-20T14:{:02}:{:02}.{n:06}Z {stream} {tag} {body}\n",
                n / 3600 % 60,
                n / 60 % 60
            ));
            n
        };
        for i in 0..400u64 {
            let line = format!(
                "{{\"time\":\"2026-11-20T14:12:{:02}.{i:03}Z\",\"level\":\"INFO\",\"msg\":\"twilio send\",\"method\":\"POST\",\"url\":\"https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages.json\",\"to\":\"+14155550{:03}\",\"status\":201,\"sid\":\"SM{i:032x}\"}}",
                i % 60,
                i % 1000
            );
            match i % 4 {
                0 => {
                    posts.push(vec![put(&mut text, "stdout", "F", &line)]);
                }
                _ => {
                    // cut into i % 4 + 1 pieces, the first cut inside Messages.json
                    let at = line.find("Messages.json").expect("url") + 5;
                    let (a, rest) = line.split_at(at);
                    let mut lines = vec![put(&mut text, "stdout", "P", a)];
                    put(&mut text, "stderr", "P", "a warning ");
                    put(&mut text, "stderr", "F", "in two pieces");
                    let k = (i % 4) as usize;
                    let step = rest.len() / k;
                    for j in 0..k {
                        let piece = if j + 1 == k {
                            &rest[j * step..]
                        } else {
                            &rest[j * step..(j + 1) * step]
                        };
                        let tag = if j + 1 == k { "F" } else { "P" };
                        lines.push(put(&mut text, "stdout", tag, piece));
                    }
                    posts.push(lines);
                }
            }
            for _ in 0..5 {
                put(
                    &mut text,
                    "stdout",
                    "F",
                    "{\"level\":\"INFO\",\"msg\":\"GET /healthz\"}",
                );
            }
        }
        let p = dir.join("0.log");
        std::fs::write(&p, &text).expect("write");
        (
            vec![Source::file("0.log".into(), p, text.len() as u64)],
            posts,
        )
    }

    #[test]
    fn split_lines_are_joined_alike_whole_and_in_chunks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (sources, posts) = split_cri_log(dir.path());
        let whole = run_split(&sources, Split::default(), 1);
        let evidence = |e: &Extraction| {
            let mut v: Vec<Vec<u64>> = e
                .attempts
                .iter()
                .map(|a| a.evidence.iter().map(|e| e.line).collect())
                .collect();
            v.sort();
            v
        };
        let mut want = posts.clone();
        want.sort();
        assert_eq!(evidence(&whole), want);
        assert!(whole.problems.is_empty(), "{:?}", whole.problems);
        // chunks cut every 4 KiB fall inside piece sequences: the cuts move
        let tiny = Split {
            above: 0,
            chunk: 4096,
        };
        let chunked = run_split(&sources, tiny, 2);
        assert_eq!(evidence(&chunked), want);
        assert_eq!(
            format!("{:?}", whole.attempts),
            format!("{:?}", chunked.attempts)
        );
        assert_eq!(whole.quotes, chunked.quotes);
        let counts = |e: &Extraction| {
            e.files
                .iter()
                .map(|f| (f.lines, f.bytes, f.candidates, f.posts, f.unparsed()))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&whole), counts(&chunked));
        assert!(chunked.problems.is_empty(), "{:?}", chunked.problems);
    }

    #[test]
    fn firehose_records_written_back_to_back_are_read_one_by_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let acct = "AC7d2c1f0e9b8a47c6b5a4d3e2f1a0b9c8";
        let mut gz = Vec::new();
        let mut plain = Vec::new();
        for i in 0..50u64 {
            let msg = format!("[INFO]\\t2026-11-20T14:13:{:02}.377Z\\td4f16801-f05c-4a2d-bef2-474cf9a31b{i:02}\\tPOST https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages.json to=+141555501{i:02} status=201 sid=SM{i:032x}\\n", i % 60);
            let rec = format!("{{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"482911736054\",\"logGroup\":\"/aws/lambda/sms\",\"logStream\":\"2026/11/20/[$LATEST]ed22\",\"subscriptionFilters\":[\"f\"],\"logEvents\":[{{\"id\":\"1\",\"timestamp\":1795183990377,\"message\":\"START RequestId: x\\n\"}},{{\"id\":\"2\",\"timestamp\":1795183990377,\"message\":\"{msg}\"}}]}}");
            // Firehose's S3 objects: one gzip member per record
            let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            std::io::Write::write_all(&mut e, rec.as_bytes()).expect("gzip");
            e.finish().expect("gzip");
            plain.extend_from_slice(rec.as_bytes());
        }
        let mut sources = Vec::new();
        for (name, bytes) in [("fh.gz", &gz), ("fh.json", &plain)] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).expect("write");
            sources.push(Source::file(name.into(), p, bytes.len() as u64));
        }
        // each record is within the line bound, the (one) line ten times over it
        let cfg = Config {
            max_line: plain.len() / 10,
            ..Config::default()
        };
        let ex = extract(&sources, &Catalog::builtin(), &cfg, &Progress::hidden());
        for name in ["fh.gz", "fh.json"] {
            let found: Vec<&Attempt> = ex
                .attempts
                .iter()
                .filter(|a| &*a.evidence[0].file == name)
                .collect();
            assert_eq!(found.len(), 50, "{name}");
            assert!(found
                .iter()
                .all(|a| a.evidence.len() == 1 && a.evidence[0].line == 1));
            assert!(found.iter().all(|a| a.sid.is_some()));
        }
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert!(ex.files.iter().all(|f| f.lines == 1 && f.candidates == 50));
    }

    #[test]
    fn long_and_short_request_ids_link_the_same_responses() {
        let linked = |rid: &str| {
            let dir = tempfile::tempdir().expect("temp dir");
            let sources = chunk_corpus_with(dir.path(), rid);
            let tiny = Split {
                above: 0,
                chunk: 4096,
            };
            let whole = run_split(&sources, Split::default(), 1);
            let chunked = run_split(&sources, tiny, 2);
            assert_eq!(
                format!("{:?}", whole.attempts),
                format!("{:?}", chunked.attempts)
            );
            whole
                .attempts
                .iter()
                .filter(|a| a.code_path.logger.as_deref() == Some("worker.sms"))
                .map(|a| (a.recipient.clone(), a.sid.clone(), a.evidence.len()))
                .collect::<Vec<_>>()
        };
        // 11-byte ids go to the automaton, 21-byte ones to the gram filter.
        let short = linked("req");
        let long = linked("r0123456789ab");
        assert!(short.len() > 50, "{}", short.len());
        assert!(short.iter().all(|(_, sid, ev)| sid.is_some() && *ev == 2));
        assert_eq!(short, long);
    }

    #[test]
    fn pass_two_skips_only_formats_without_id_fields() {
        use crate::access::{AccessGrammar, Escape};
        let mut catalog = Catalog::builtin();
        let combined = catalog
            .access
            .iter()
            .position(|g| g.name() == "nginx:combined")
            .expect("built-in combined");
        assert!(!can_link(&catalog, ParserId::Access(combined)));
        assert!(can_link(&catalog, ParserId::Json));
        for (i, var) in ["$http_x_request_id", "$request_id", "$http_traceparent"]
            .iter()
            .enumerate()
        {
            let g = AccessGrammar::compile_nginx(
                &format!("t{i}"),
                &format!("$remote_addr [$time_local] \"$request\" $status {var}"),
                Escape::Default,
            )
            .expect("compiles");
            catalog.access.push(g);
            assert!(
                can_link(&catalog, ParserId::Access(catalog.access.len() - 1)),
                "{var}"
            );
        }
    }

    #[test]
    fn pass_two_reads_a_format_whose_id_field_has_a_sites_role() {
        use crate::access::{load_grammar_text, AccessGrammar, Escape};
        let mut catalog = Catalog::builtin();
        catalog.access.push(
            AccessGrammar::compile_nginx(
                "edge",
                r#"$remote_addr [$time_local] "$request" $status $http_x_txn_id"#,
                Escape::Default,
            )
            .expect("compiles"),
        );
        let edge = ParserId::Access(catalog.access.len() - 1);
        assert!(!can_link(&catalog, edge));
        let set = load_grammar_text(
            "site.toml",
            "[[role]]\nrole = \"request_id\"\nnginx = [\"$http_x_txn_id\"]\n",
        )
        .expect("loads");
        catalog.roles = Roles::with_user(set.roles);
        catalog.roles.apply(&mut catalog.access);
        assert!(can_link(&catalog, edge));
        let a = catalog.access[catalog.access.len() - 1]
            .parse(b"10.0.0.5 [20/Nov/2026:10:00:01 +0000] \"POST /orders HTTP/1.1\" 200 txn-7f3a")
            .expect("parses");
        assert_eq!(
            access_ids(&a, &catalog.roles).request_id.as_deref(),
            Some("txn-7f3a")
        );
        assert_eq!(access_ids(&a, Roles::builtin()), {
            // the template's own request id is the fallback
            Ids {
                request_id: Some("txn-7f3a".into()),
                ..Ids::default()
            }
        });
        let mut bare = a.clone();
        bare.request_id = None;
        assert!(access_ids(&bare, Roles::builtin()).is_empty());
        assert_eq!(
            access_ids(&bare, &catalog.roles).request_id.as_deref(),
            Some("txn-7f3a")
        );
    }

    /// `access_ids` as it was written in Rust before the roles table.
    fn access_ids_before_the_table(a: &AccessLine) -> Ids {
        let f = |k: &str| a.fields.get(k).filter(|v| !v.is_empty()).cloned();
        let trace = f("http_traceparent")
            .and_then(|tp| tp.split('-').nth(1).map(String::from))
            .or_else(|| f("http_x_b3_traceid"))
            .or_else(|| f("http_x_trace_id"))
            .or_else(|| f("http_x_amzn_trace_id"));
        Ids {
            request_id: f("http_x_request_id")
                .or_else(|| f("http_x_correlation_id"))
                .or_else(|| a.request_id.clone()),
            trace_id: trace,
            span_id: None,
            job_id: f("http_x_job_id"),
            twilio_request_id: f("upstream_http_twilio_request_id")
                .or_else(|| f("sent_http_twilio_request_id")),
        }
    }

    #[test]
    fn the_built_in_roles_read_the_ids_they_read_before() {
        let names = [
            "http_x_request_id",
            "http_x_correlation_id",
            "http_traceparent",
            "http_x_b3_traceid",
            "http_x_trace_id",
            "http_x_amzn_trace_id",
            "http_x_job_id",
            "upstream_http_twilio_request_id",
            "sent_http_twilio_request_id",
            "request_id",
            "req_id",
            "env_UNIQUE_ID",
        ];
        // every subset of the id fields, present, empty, or a traceparent
        // with and without its parts; and with or without the line's own id
        for mask in 0u32..1 << (names.len() + 1) {
            for variant in 0..3 {
                let mut a = AccessLine::default();
                for (i, n) in names.iter().enumerate() {
                    if mask & (1 << i) == 0 {
                        continue;
                    }
                    let v = match (variant, *n) {
                        (1, "http_traceparent") => "notraceparent".to_string(),
                        (_, "http_traceparent") => {
                            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string()
                        }
                        (2, _) if i % 3 == 0 => String::new(),
                        _ => format!("{n}-{i}"),
                    };
                    a.fields.insert(n.to_string(), v);
                }
                if mask & (1 << names.len()) != 0 {
                    a.request_id = Some("own".into());
                }
                assert_eq!(
                    access_ids(&a, Roles::builtin()),
                    access_ids_before_the_table(&a),
                    "{:?}",
                    a.fields
                );
            }
        }
    }

    #[test]
    fn many_ids_are_found_token_by_token_where_they_stand() {
        use crate::input::Needle;
        let mut ids = BTreeSet::new();
        for i in 0..300u64 {
            ids.insert(format!(
                "{:016x}{:016x}",
                i.wrapping_mul(0x9e3779b97f4a7c15),
                i
            ));
            ids.insert(format!("job-{i:06}"));
            ids.insert(format!("Qx{i}_base64-ish-{i}"));
        }
        ids.insert("ab@cd.ef123456".to_string());
        ids.insert("short1".to_string());
        for dfa_max in [0, usize::MAX] {
            let needle = IdNeedle::build(&ids, dfa_max).expect("ids");
            for id in &ids {
                let lines = [
                    format!(r#"{{"level":"info","request_id":"{id}","msg":"x"}}"#),
                    format!("X-Request-ID: {id}"),
                    format!("rid={id}&y=2"),
                    format!("10.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 0 {id}"),
                ];
                for l in &lines {
                    let at = l.find(id.as_str()).expect("id in line");
                    assert!(needle.line_matches(l.as_bytes()), "{l}");
                    let found = needle.find_in(l.as_bytes());
                    assert!(found.is_some_and(|p| p < at + id.len()), "{l}: {found:?}");
                    // The buffer search never goes past the line of an id.
                    let buf = format!("{}\n{l}\n", "x".repeat(300));
                    let found = needle.find_in(buf.as_bytes());
                    assert!(found.is_some_and(|p| p <= 301 + l.len()), "{l}: {found:?}");
                }
            }
            let hex = ids.iter().find(|i| i.len() == 32).expect("hex id");
            let tp = format!("traceparent: 00-{hex}-0123456789abcdef-01");
            assert!(needle.line_matches(tp.as_bytes()));
            assert!(needle.find_in(tp.as_bytes()).is_some());
            for l in [
                "{\"level\":\"info\",\"msg\":\"nothing here\",\"request_id\":\"zzzzzzzzzzzzzzzz\"}",
                "job-9999999 Qx_base64",
                // inside a longer token: not where a record's id stands
                "xjob-000001 job-0000011",
            ] {
                assert!(!needle.line_matches(l.as_bytes()), "{l}");
            }
        }
    }

    /// What [`IdNeedle`] is meant to find, the slow way: ids of token bytes
    /// as whole tokens or `-`-separated parts of tokens, the others
    /// anywhere.
    fn naive_line_has_id(ids: &BTreeSet<String>, line: &[u8]) -> bool {
        let line = String::from_utf8_lossy(line);
        let tokens: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .collect();
        ids.iter().any(|id| {
            let tokenish = !id.is_empty()
                && id.len() <= 256
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if tokenish {
                tokens
                    .iter()
                    .any(|t| *t == id || t.split('-').any(|p| p == id))
            } else {
                line.contains(id.as_str())
            }
        })
    }

    proptest::proptest! {
        #[test]
        fn id_search_finds_exactly_the_lines_a_naive_search_finds(
            raw_ids in proptest::collection::vec(
                proptest::prop_oneof![
                    "[0-9a-f]{16}",
                    "[0-9a-f]{32}",
                    "[0-9a-f]{6,12}",
                    "job-[0-9a-z]{4,10}",
                    "RQ[0-9a-f]{32}",
                    "[a-z]{2,5}[=.@][0-9]{4,8}",
                ],
                1..40,
            ),
            picks in proptest::collection::vec(
                (0usize..64, 0usize..12, proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::strategy::Just(b'a'), proptest::strategy::Just(b'0'),
                        proptest::strategy::Just(b'-'), proptest::strategy::Just(b'"'),
                        proptest::strategy::Just(b' '), proptest::strategy::Just(b'\n'),
                        proptest::strategy::Just(b'='), proptest::strategy::Just(b'f'),
                        proptest::strategy::Just(b'_'), proptest::strategy::Just(b'\r'),
                    ],
                    0..6,
                )),
                0..80,
            ),
        ) {
            use crate::input::Needle;
            let ids: BTreeSet<String> = raw_ids.into_iter().collect();
            let id_list: Vec<&String> = ids.iter().collect();
            // A buffer of ids, their pieces and delimiters.
            let mut data = Vec::new();
            for (which, cut, glue) in &picks {
                if let Some(id) = id_list.get(which % (id_list.len() + 8)) {
                    let b = id.as_bytes();
                    match cut % 4 {
                        0 => data.extend_from_slice(&b[cut % b.len()..]),
                        1 => data.extend_from_slice(&b[..b.len() - cut % b.len()]),
                        _ => data.extend_from_slice(b),
                    }
                }
                data.extend_from_slice(glue);
            }
            for dfa_max in [0, usize::MAX] {
            let needle = IdNeedle::build(&ids, dfa_max).expect("ids");
            let mut seen = Vec::new();
            let end = input::scan_lines_with(
                &data[..],
                1 << 20,
                0,
                &needle,
                u64::MAX / 2,
                &[],
                |n, _line, kind| {
                    if kind.candidate {
                        seen.push(n);
                    }
                },
            );
            let mut want = Vec::new();
            let mut n = 0u64;
            for line in data.split(|&b| b == b'\n') {
                n += 1;
                if naive_line_has_id(&ids, line) {
                    want.push(n);
                }
            }
            proptest::prop_assert_eq!(&seen, &want);
            proptest::prop_assert!(end.lines <= n);
            for (i, line) in data.split(|&b| b == b'\n').enumerate() {
                proptest::prop_assert_eq!(
                    needle.line_matches(line),
                    naive_line_has_id(&ids, line),
                    "line {}", i + 1
                );
            }
            }
        }
    }
}
