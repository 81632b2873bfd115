//! Formats as data: the logger, line and wrapper definitions of `grammars/`
//! (embedded) and of the user's grammar files, compiled once per run.
//!
//! A structured record (a JSON object, a logfmt line, the captures of a
//! text line) is mapped onto the common vocabulary by a [`LoggerDef`]:
//! which logger wrote it is told by each definition's `match_*` keys, in
//! priority order, and each role is looked up along the definition's paths,
//! then the site's `[[paths]]`, then the generic definition's.

pub mod line;
pub mod logfmt;
pub mod samples;
pub mod schema;
pub mod wrap;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use schema::{Defs, Kind, LineDef, LoggerDef, SitePaths, WrapperDef};

/// The built-in definition files, embedded. Each is compiled by the same code
/// as a user's file; a test checks that all compile and their samples pass.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "grammars/access-json.toml",
        include_str!("../../grammars/access-json.toml"),
    ),
    (
        "grammars/loggers.toml",
        include_str!("../../grammars/loggers.toml"),
    ),
    (
        "grammars/text.toml",
        include_str!("../../grammars/text.toml"),
    ),
    ("grammars/sdk.toml", include_str!("../../grammars/sdk.toml")),
    (
        "grammars/proxies.toml",
        include_str!("../../grammars/proxies.toml"),
    ),
    (
        "grammars/wrappers.toml",
        include_str!("../../grammars/wrappers.toml"),
    ),
];

/// The name of the generic application definition every other inherits.
pub const GENERIC_APP: &str = "json";
/// The name of the generic access definition.
pub const GENERIC_ACCESS: &str = "json-access";

/// Tables of a grammar file that this module reads (the `[[access]]`
/// templates are compiled by `access`).
#[derive(Deserialize, Default)]
pub struct DefTables {
    #[serde(default)]
    pub(crate) logger: Vec<schema::LoggerToml>,
    #[serde(default)]
    pub(crate) line: Vec<schema::LineToml>,
    #[serde(default)]
    pub(crate) wrapper: Vec<schema::WrapperToml>,
    #[serde(default)]
    pub(crate) paths: Vec<BTreeMap<String, toml::Value>>,
}

impl DefTables {
    /// Compile every table; `origin` names the file.
    pub fn compile(self, origin: &str) -> Result<Defs, String> {
        let mut d = Defs::default();
        for t in self.logger {
            d.loggers.push(schema::logger(t, origin)?);
        }
        for t in self.line {
            d.lines.push(schema::line(t, origin)?);
        }
        for t in self.wrapper {
            d.wrappers.push(schema::wrapper(t, origin)?);
        }
        for mut t in self.paths {
            let logger = match t.remove("logger") {
                Some(toml::Value::String(s)) => s,
                None => "*".to_string(),
                Some(_) => return Err("paths: `logger` must be a string".into()),
            };
            let mut fields = BTreeMap::new();
            for (k, v) in t {
                let v = match v {
                    toml::Value::String(s) => schema::OneOrMany::One(s),
                    toml::Value::Array(a) => schema::OneOrMany::Many(
                        a.into_iter()
                            .map(|x| match x {
                                toml::Value::String(s) => Ok(s),
                                _ => Err(format!("paths {logger}: `{k}` must list strings")),
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return Err(format!("paths {logger}: `{k}` must be a string or a list")),
                };
                fields.insert(k, v);
            }
            d.paths.push(schema::paths(logger, fields, origin)?);
        }
        Ok(d)
    }
}

/// Every definition of a run, compiled and ordered.
#[derive(Debug, Clone, Default)]
pub struct Formats {
    /// Logger definitions, highest priority first (stable).
    pub loggers: Vec<LoggerDef>,
    /// Line grammars, user's first, then by priority.
    pub lines: Vec<LineDef>,
    /// Wrappers, highest priority first.
    pub wrappers: Vec<WrapperDef>,
    /// Site paths.
    pub paths: Vec<SitePaths>,
    /// The year for times written without one (syslog's `Nov 20 14:12:08`).
    pub default_year: i32,
    generic_app: Option<usize>,
    generic_access: Option<usize>,
}

/// The built-in definitions, compiled (cached for the process).
pub fn builtin_defs() -> &'static [Result<Defs, String>] {
    static CELL: std::sync::OnceLock<Vec<Result<Defs, String>>> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        BUILTIN_FILES
            .iter()
            .map(|(label, text)| {
                let t: DefTables = toml::from_str(text).map_err(|e| format!("{label}: {e}"))?;
                t.compile(label).map_err(|e| format!("{label}: {e}"))
            })
            .collect()
    })
}

impl Formats {
    /// The user's definitions (first, so a site's logger of the same name
    /// replaces the built-in) and the built-ins.
    pub fn new(user: Vec<Defs>) -> Formats {
        // a site's logger replaces every built-in definition of its name (a
        // name may have several definitions: one logger, several shapes)
        let user_names: std::collections::BTreeSet<String> = user
            .iter()
            .flat_map(|d| d.loggers.iter().map(|l| l.name.clone()))
            .collect();
        let mut f = Formats::default();
        for d in user {
            f.loggers.extend(d.loggers);
            f.lines.extend(d.lines);
            f.wrappers.extend(d.wrappers);
            f.paths.extend(d.paths);
        }
        for d in builtin_defs().iter().filter_map(|r| r.as_ref().ok()) {
            let d = d.clone();
            f.loggers.extend(
                d.loggers
                    .into_iter()
                    .filter(|l| !user_names.contains(&l.name)),
            );
            f.lines.extend(d.lines);
            f.wrappers.extend(d.wrappers);
            f.paths.extend(d.paths);
        }
        f.loggers.sort_by_key(|d| std::cmp::Reverse(d.priority));
        f.lines.sort_by_key(|d| std::cmp::Reverse(d.priority));
        f.wrappers.sort_by_key(|d| std::cmp::Reverse(d.priority));
        f.default_year = {
            use chrono::Datelike;
            chrono::Utc::now().year()
        };
        f.generic_app = f.loggers.iter().position(|l| l.name == GENERIC_APP);
        f.generic_access = f.loggers.iter().position(|l| l.name == GENERIC_ACCESS);
        f
    }

    /// The built-ins only.
    pub fn builtin() -> Formats {
        Formats::new(Vec::new())
    }

    /// A logger definition by name.
    pub fn logger(&self, name: &str) -> Option<&LoggerDef> {
        self.loggers.iter().find(|l| l.name == name)
    }

    /// The generic definition of a kind.
    pub fn generic(&self, kind: Kind) -> Option<&LoggerDef> {
        let i = match kind {
            Kind::App => self.generic_app,
            Kind::Access => self.generic_access,
        }?;
        self.loggers.get(i)
    }

    /// The site paths that apply to `logger`.
    pub fn site_paths<'a>(&'a self, logger: &'a str) -> impl Iterator<Item = &'a SitePaths> + 'a {
        self.paths
            .iter()
            .filter(move |p| p.logger == "*" || p.logger == logger)
    }
}

#[cfg(test)]
mod tests {
    /// The built-ins are compiled lazily at run time; here every one is
    /// compiled and checked as a user's file would be.
    #[test]
    fn every_built_in_definition_compiles_with_every_check() {
        for r in super::schema::check_builtins() {
            if let Err(e) = r {
                panic!("{e}");
            }
        }
    }
}
