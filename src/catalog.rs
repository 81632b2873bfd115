//! The formats a run knows (the user's grammars, the built-ins and JSON),
//! and per-file format detection from the first lines.

use std::path::Path;

use crate::access::{self, AccessGrammar, Dialect};
use crate::applog::{self, JsonLine};
use crate::formats::schema::Form;
use crate::formats::wrap::{self, Inner};
use crate::formats::{line, logfmt, Formats};
use crate::record::{AccessLine, AppRecord};

/// Lines read from the top of a file to choose its format.
pub const DETECT_LINES: usize = 64;

/// Which parser a file is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParserId {
    /// An access-log grammar, by index into [`Catalog::access`].
    Access(usize),
    /// JSON records (application logs or JSON access logs).
    Json,
    /// A text line grammar, by index into the formats' `lines`.
    Line(usize),
    /// logfmt `key=value` records.
    Logfmt,
    /// Each line on its own: wrappers peeled, then whichever format reads it
    /// (container streams, syslog files, drains that mix several formats).
    Auto,
}

/// One line, parsed (short-lived: one per line read).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// An access-log line.
    Access(AccessLine),
    /// A JSON application record.
    App(AppRecord),
}

/// Every format of a run.
pub struct Catalog {
    /// Access grammars: the user's first, then the built-ins.
    pub access: Vec<AccessGrammar>,
    /// How many of `access` came from the user.
    pub user_count: usize,
    /// Logger, line and wrapper definitions (the user's and the built-ins).
    pub formats: Formats,
    /// The grammar files loaded, in order (explicit, then search path).
    pub files: Vec<String>,
    /// Which access-log field carries which role (the user's `[[role]]`
    /// entries and the built-ins).
    pub roles: access::Roles,
}

/// Why a grammar file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct GrammarFileError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

/// A file's detected format, and whether it reads the lines only in part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The parser.
    pub id: ParserId,
    /// When an access grammar leaves text unread at the end of most lines:
    /// how many fields it reads, and the 0-based index of such a line.
    pub partial: Option<(usize, usize)>,
    /// For a file of wrapped lines ([`ParserId::Auto`]): the wrapper (index
    /// into the formats' `wrappers`) around most of its first lines.
    pub wrapper: Option<usize>,
}

/// The grammar search path: every file in the directories (or the files)
/// listed in `$SIDTRACE_GRAMMARS` (colon-separated), then in
/// `~/.config/sidtrace/grammars/` (`$XDG_CONFIG_HOME` when set). Files in a
/// directory are taken in name order; files that hold no grammar are skipped.
pub fn search_path_files() -> Vec<String> {
    let mut places: Vec<std::path::PathBuf> = Vec::new();
    if let Some(v) = std::env::var_os("SIDTRACE_GRAMMARS") {
        places.extend(std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
    if let Some(c) = config {
        places.push(c.join("sidtrace").join("grammars"));
    }
    let mut out = Vec::new();
    for p in places {
        if p.is_dir() {
            let Ok(rd) = std::fs::read_dir(&p) else {
                continue;
            };
            let mut files: Vec<std::path::PathBuf> = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file())
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| f.to_string_lossy().into_owned()));
        } else if p.is_file() {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}

impl Catalog {
    /// The built-ins only.
    pub fn builtin() -> Catalog {
        Catalog {
            access: access::builtin(),
            user_count: 0,
            formats: Formats::builtin(),
            files: Vec::new(),
            roles: access::Roles::builtin().clone(),
        }
    }

    /// The built-ins, the user's `--grammar` files (nginx or Apache configs,
    /// or grammar files of ours) and the grammar search path.
    pub fn with_user_files(files: &[String]) -> Result<Catalog, GrammarFileError> {
        let mut user = Vec::new();
        let mut defs = Vec::new();
        let mut roles = Vec::new();
        let mut loaded = Vec::new();
        let searched = search_path_files();
        let explicit = files.len();
        for (i, f) in files.iter().chain(searched.iter()).enumerate() {
            let bytes = crate::input::read_all(Path::new(f)).map_err(|e| GrammarFileError {
                file: f.clone(),
                message: format!("cannot read: {e}"),
            })?;
            let text = String::from_utf8_lossy(&bytes);
            let set = match access::load_grammar_text(f, &text) {
                Ok(set) => set,
                // a file in a grammar directory that holds no grammar (a
                // README) is passed over; a broken grammar never is
                Err(e) if i >= explicit && e.message.starts_with("no grammar found") => continue,
                Err(e) => {
                    return Err(GrammarFileError {
                        file: f.clone(),
                        message: e.to_string(),
                    })
                }
            };
            user.extend(set.access);
            roles.extend(set.roles);
            defs.push(set.defs);
            loaded.push(f.clone());
        }
        let user_count = user.len();
        user.extend(access::builtin());
        let roles = access::Roles::with_user(roles);
        roles.apply(&mut user);
        Ok(Catalog {
            access: user,
            user_count,
            formats: Formats::new(defs),
            files: loaded,
            roles,
        })
    }

    /// The display name of a parser.
    pub fn name(&self, id: ParserId) -> String {
        match id {
            ParserId::Access(i) => self
                .access
                .get(i)
                .map(|g| g.name().to_string())
                .unwrap_or_default(),
            ParserId::Json => "json".to_string(),
            ParserId::Line(i) => self
                .formats
                .lines
                .get(i)
                .map(|l| format!("line:{}", l.name))
                .unwrap_or_default(),
            ParserId::Logfmt => "logfmt".to_string(),
            ParserId::Auto => "auto".to_string(),
        }
    }

    /// Parse one line with the file's parser. A line wrapped by a known
    /// wrapper (a container runtime's, syslog's, a cloud export's) is peeled
    /// first; a line the file's parser cannot read is tried with every
    /// format (a drain or container stream mixes several), so that a
    /// candidate line is lost only when no format reads it.
    pub fn parse(&self, id: ParserId, line: &[u8]) -> Result<Vec<Parsed>, String> {
        self.read(id, line, true)
    }

    /// [`Catalog::parse`]; with `text_ok` false, a line no format reads is
    /// an error rather than a record holding only its text (for `formats
    /// check`, which says how well the formats read a file).
    pub fn read(&self, id: ParserId, line: &[u8], text_ok: bool) -> Result<Vec<Parsed>, String> {
        if let Some(v) = self.parse_wrapped(line) {
            return Ok(v);
        }
        let first = if id == ParserId::Auto {
            Err("no known format reads this line".to_string())
        } else {
            self.parse_as(id, line)
        };
        match first {
            Ok(v) if !v.is_empty() => Ok(v),
            other => match self.parse_any(line, text_ok) {
                Some(v) => Ok(v),
                None => other.and_then(|v| {
                    if v.is_empty() {
                        Err("no record in this line".to_string())
                    } else {
                        Ok(v)
                    }
                }),
            },
        }
    }

    /// Parse one line with one parser, no fallbacks.
    pub fn parse_as(&self, id: ParserId, line: &[u8]) -> Result<Vec<Parsed>, String> {
        match id {
            ParserId::Access(i) => {
                let g = self.access.get(i).ok_or("no such grammar")?;
                g.parse(line)
                    .map(|a| vec![Parsed::Access(a)])
                    .map_err(|e| format!("{} (format {})", e, g.name()))
            }
            ParserId::Json => applog::parse_json_line(line, &self.formats)
                .map(parsed_of)
                .map_err(|e| e.to_string()),
            ParserId::Line(i) => {
                let def = self.formats.lines.get(i).ok_or("no such line grammar")?;
                let text = String::from_utf8_lossy(line);
                line::parse(def, text.trim_end_matches('\r'), &self.formats)
                    .map(parsed_of)
                    .ok_or_else(|| format!("does not match line format {}", def.name))
            }
            ParserId::Logfmt => {
                let text = String::from_utf8_lossy(line);
                logfmt::parse(&text, 2)
                    .map(|m| parsed_of(applog::records_of(m, &self.formats, None, Form::Logfmt)))
                    .ok_or_else(|| "not a logfmt line".to_string())
            }
            ParserId::Auto => self
                .parse_any(line, true)
                .ok_or_else(|| "no known format reads this line".to_string()),
        }
    }

    /// Peel the wrappers off a line and parse what is inside. `None` when no
    /// wrapper matches.
    fn parse_wrapped(&self, line: &[u8]) -> Option<Vec<Parsed>> {
        if self.formats.wrappers.is_empty() {
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let pieces = wrap::peel(&self.formats, text.trim_end_matches('\r'))?;
        Some(self.parse_peeled(pieces))
    }

    /// Parse what wrappers held (the records of [`wrap::peel`], or the
    /// pieces of a split line [`wrap::joined`]): the wrapper's time and host
    /// go where the inner record has none.
    pub fn parse_peeled(&self, pieces: Vec<wrap::Peeled>) -> Vec<Parsed> {
        let mut out = Vec::new();
        for p in pieces {
            let recs = match p.inner {
                Inner::Object(o) => {
                    parsed_of(applog::records_of(o, &self.formats, p.time, Form::Json))
                }
                Inner::Text(t) => self.parse_any(t.as_bytes(), true).unwrap_or_default(),
            };
            for mut r in recs {
                match &mut r {
                    Parsed::App(a) => {
                        if a.time.is_none() {
                            a.time = p.time;
                        }
                        if a.host.is_none() {
                            a.host.clone_from(&p.host);
                        }
                    }
                    Parsed::Access(a) => {
                        if a.time.is_none() {
                            a.time = p.time;
                            a.time_anchor = Some(crate::model::TimeAnchor::LogRecord);
                        }
                    }
                }
                out.push(r);
            }
        }
        out
    }

    /// Whichever format reads this line: JSON, an access grammar that reads
    /// all of it, a line grammar, logfmt; with `text_ok`, else the text
    /// itself as a record's message (so a sentence naming the endpoint is
    /// still seen).
    pub fn parse_any(&self, line: &[u8], text_ok: bool) -> Option<Vec<Parsed>> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() {
            return None;
        }
        if applog::looks_like_json(line) {
            if let Ok(v) = applog::parse_json_line(line, &self.formats) {
                if !v.is_empty() {
                    return Some(parsed_of(v));
                }
            }
        }
        for g in &self.access {
            if let Ok(a) = g.parse(line) {
                if access::is_exact(&a) {
                    return Some(vec![Parsed::Access(a)]);
                }
            }
        }
        for def in &self.formats.lines {
            if let Some(v) = line::parse(def, text, &self.formats) {
                return Some(parsed_of(v));
            }
        }
        if let Some(m) = logfmt::parse(text, 2) {
            let v = applog::records_of(m, &self.formats, None, Form::Logfmt);
            if !v.is_empty() {
                return Some(parsed_of(v));
            }
        }
        if !text_ok {
            return None;
        }
        let mut m = serde_json::Map::new();
        m.insert(
            "message".into(),
            serde_json::Value::String(text.trim().to_string()),
        );
        let v = applog::records_of(m, &self.formats, None, Form::Logfmt);
        (!v.is_empty()).then(|| parsed_of(v))
    }

    /// Choose a file's format from its first lines: the parser that reads
    /// the most of them wins (a line read with leftover text counts less
    /// than an exact one); ties go to the user's grammars, then to the more
    /// specific grammar. `None` when nothing reads any line.
    pub fn detect(&self, lines: &[&[u8]]) -> Option<ParserId> {
        self.detect_in("", lines).map(|d| d.id)
    }

    /// [`Catalog::detect`] for the file at `label`: when an nginx and an
    /// Apache grammar read its lines equally well (`combined` is the same
    /// text in both), a path that names one (`/nginx/`, `apache2`, `httpd`)
    /// decides, since nginx logs a request at its end and Apache at its
    /// start; otherwise nginx, the more common front and proxy. Files whose
    /// lines are mostly wrapped (container, syslog, cloud exports) are read
    /// line by line ([`ParserId::Auto`]).
    pub fn detect_in(&self, label: &str, lines: &[&[u8]]) -> Option<Detection> {
        let path = label.to_ascii_lowercase();
        let hint = if path.contains("apache") || path.contains("httpd") {
            Some(Dialect::Apache)
        } else {
            Some(Dialect::Nginx)
        };
        let lines: Vec<&[u8]> = lines
            .iter()
            .copied()
            .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
            .take(DETECT_LINES)
            .collect();
        if lines.is_empty() {
            return None;
        }
        let wrapped = lines
            .iter()
            .filter(|l| self.parse_wrapped(l).is_some_and(|v| !v.is_empty()))
            .count();
        if wrapped * 2 >= lines.len() {
            let mut by_wrapper: Vec<usize> = vec![0; self.formats.wrappers.len()];
            for l in &lines {
                let text = String::from_utf8_lossy(l);
                if let Some(w) = wrap::outer(&self.formats, text.trim_end_matches('\r')) {
                    by_wrapper[w] += 1;
                }
            }
            let wrapper = (0..by_wrapper.len())
                .filter(|&w| by_wrapper[w] > 0)
                .max_by_key(|&w| (by_wrapper[w], std::cmp::Reverse(w)));
            return Some(Detection {
                id: ParserId::Auto,
                partial: None,
                wrapper,
            });
        }
        // (score, user grammar, hinted dialect, specificity, id)
        let mut best: Option<(u64, bool, bool, usize, ParserId)> = None;
        type Cand = (u64, bool, bool, usize, ParserId);
        fn consider(best: &mut Option<Cand>, cand: Cand) {
            if cand.0 == 0 {
                return;
            }
            let better = match best {
                None => true,
                Some(b) => (cand.0, cand.1, cand.2, cand.3) > (b.0, b.1, b.2, b.3),
            };
            if better {
                *best = Some(cand);
            }
        }
        let json_hits = lines
            .iter()
            .filter(|l| applog::looks_like_json(l))
            .filter(|l| applog::parse_json_line(l, &self.formats).is_ok_and(|v| !v.is_empty()))
            .count() as u64;
        consider(&mut best, (json_hits * 2, false, false, 0, ParserId::Json));
        let mut inexact_of = vec![0usize; self.access.len()];
        for (i, g) in self.access.iter().enumerate() {
            let mut score = 0u64;
            for l in &lines {
                if let Ok(a) = g.parse(l) {
                    if access::is_exact(&a) {
                        score += 2;
                    } else {
                        score += 1;
                        inexact_of[i] += 1;
                    }
                }
            }
            let hinted = hint.is_some_and(|h| g.dialect() == h);
            consider(
                &mut best,
                (
                    score,
                    i < self.user_count,
                    hinted,
                    g.specificity(),
                    ParserId::Access(i),
                ),
            );
        }
        // every head line read exactly already: no text grammar can do
        // better, and their patterns need not be compiled for this file
        let perfect = best.as_ref().is_some_and(|b| b.0 >= 2 * lines.len() as u64);
        for (i, def) in self.formats.lines.iter().enumerate().filter(|_| !perfect) {
            let score = lines
                .iter()
                .filter(|l| {
                    let t = String::from_utf8_lossy(l);
                    def.regex.is_match(t.trim_end_matches('\r'))
                })
                .count() as u64
                * 2;
            consider(
                &mut best,
                (
                    score,
                    false,
                    false,
                    def.regex.as_str().len(),
                    ParserId::Line(i),
                ),
            );
        }
        let logfmt_hits = lines
            .iter()
            .filter(|_| !perfect)
            .filter(|l| logfmt::parse(&String::from_utf8_lossy(l), 2).is_some())
            .count() as u64;
        // logfmt reads any `a=b c=d` text: it wins only over nothing better
        consider(
            &mut best,
            (logfmt_hits * 2, false, false, 0, ParserId::Logfmt),
        );
        let id = best?.4;
        let partial = match id {
            ParserId::Access(i) if inexact_of[i] * 2 > lines.len() => {
                let g = &self.access[i];
                let first = lines
                    .iter()
                    .position(|l| g.parse(l).is_ok_and(|a| !access::is_exact(&a)))
                    .unwrap_or(0);
                Some((g.field_count(), first))
            }
            _ => None,
        };
        Some(Detection {
            id,
            partial,
            wrapper: None,
        })
    }
}

fn parsed_of(v: Vec<JsonLine>) -> Vec<Parsed> {
    v.into_iter()
        .map(|j| match j {
            JsonLine::App(a) => Parsed::App(a),
            JsonLine::Access(a) => Parsed::Access(a),
        })
        .collect()
}
