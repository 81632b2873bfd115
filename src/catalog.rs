//! The formats a run knows (the user's grammars, the built-ins and JSON),
//! and per-file format detection from the first lines.

use std::path::Path;

use crate::access::{self, AccessGrammar, Dialect, GrammarSet};
use crate::applog::{self, JsonLine};
use crate::record::{AccessLine, AppRecord, JsonKeyMap};

/// Lines read from the top of a file to choose its format.
pub const DETECT_LINES: usize = 64;

/// Which parser a file is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParserId {
    /// An access-log grammar, by index into [`Catalog::access`].
    Access(usize),
    /// JSON records (application logs or JSON access logs).
    Json,
}

/// One line, parsed.
#[derive(Debug, Clone)]
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
    /// A site's JSON key names.
    pub json_maps: Vec<JsonKeyMap>,
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

impl Catalog {
    /// The built-ins only.
    pub fn builtin() -> Catalog {
        Catalog {
            access: access::builtin(),
            user_count: 0,
            json_maps: Vec::new(),
        }
    }

    /// The built-ins plus the user's `--grammar` files (nginx or Apache
    /// configs, or grammar files of ours).
    pub fn with_user_files(files: &[String]) -> Result<Catalog, GrammarFileError> {
        let mut user = Vec::new();
        let mut maps = Vec::new();
        for f in files {
            let bytes = crate::input::read_all(Path::new(f)).map_err(|e| GrammarFileError {
                file: f.clone(),
                message: format!("cannot read: {e}"),
            })?;
            let text = String::from_utf8_lossy(&bytes);
            let set: GrammarSet =
                access::load_grammar_text(f, &text).map_err(|e| GrammarFileError {
                    file: f.clone(),
                    message: e.to_string(),
                })?;
            if set.access.is_empty() && set.json.is_empty() {
                return Err(GrammarFileError {
                    file: f.clone(),
                    message: "no log_format, LogFormat or grammar found in it".into(),
                });
            }
            user.extend(set.access);
            maps.extend(set.json);
        }
        let user_count = user.len();
        user.extend(access::builtin());
        Ok(Catalog {
            access: user,
            user_count,
            json_maps: maps,
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
        }
    }

    /// Parse one line with one parser. JSON lines may hold several records
    /// (an OTLP envelope); access lines give one.
    pub fn parse(&self, id: ParserId, line: &[u8]) -> Result<Vec<Parsed>, String> {
        match id {
            ParserId::Access(i) => {
                let g = self.access.get(i).ok_or("no such grammar")?;
                g.parse(line)
                    .map(|a| vec![Parsed::Access(a)])
                    .map_err(|e| format!("{} (format {})", e, g.name()))
            }
            ParserId::Json => applog::parse_json_line(line, &self.json_maps)
                .map(|v| {
                    v.into_iter()
                        .map(|j| match j {
                            JsonLine::App(a) => Parsed::App(a),
                            JsonLine::Access(a) => Parsed::Access(a),
                        })
                        .collect()
                })
                .map_err(|e| e.to_string()),
        }
    }

    /// Choose a file's format from its first lines: the parser that reads
    /// the most of them wins (a line read with leftover text counts less
    /// than an exact one); ties go to the user's grammars, then to the more
    /// specific grammar. `None` when nothing reads any line.
    pub fn detect(&self, lines: &[&[u8]]) -> Option<ParserId> {
        self.detect_in("", lines)
    }

    /// [`Catalog::detect`] for the file at `label`: when an nginx and an
    /// Apache grammar read its lines equally well (`combined` is the same
    /// text in both), a path that names one (`/nginx/`, `apache2`, `httpd`)
    /// decides, since nginx logs a request at its end and Apache at its
    /// start; otherwise nginx, the more common front and proxy.
    pub fn detect_in(&self, label: &str, lines: &[&[u8]]) -> Option<ParserId> {
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
        // (score, user grammar, specificity, id)
        let mut best: Option<(u64, bool, usize, ParserId)> = None;
        let json_hits = lines
            .iter()
            .filter(|l| applog::looks_like_json(l))
            .filter(|l| applog::parse_json_line(l, &self.json_maps).is_ok())
            .count() as u64;
        if json_hits > 0 {
            best = Some((json_hits * 2, false, 0, ParserId::Json));
        }
        for (i, g) in self.access.iter().enumerate() {
            let mut score = 0u64;
            for l in &lines {
                if let Ok(a) = g.parse(l) {
                    score += if !access::is_exact(&a) { 1 } else { 2 };
                }
            }
            if score == 0 {
                continue;
            }
            let cand = (
                score,
                i < self.user_count,
                g.specificity(),
                ParserId::Access(i),
            );
            let hinted = |id: ParserId| match (id, hint) {
                (ParserId::Access(k), Some(h)) => {
                    self.access.get(k).is_some_and(|g| g.dialect() == h)
                }
                _ => false,
            };
            let better = match &best {
                None => true,
                Some(b) => (cand.0, cand.1, hinted(cand.3), cand.2) > (b.0, b.1, hinted(b.3), b.2),
            };
            if better {
                best = Some(cand);
            }
        }
        best.map(|b| b.3)
    }
}
