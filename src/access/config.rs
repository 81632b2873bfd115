//! Grammar files: our TOML format (also used for the built-ins), and nginx
//! or Apache configs as people have them.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::formats::{DefTables, Defs};

use super::roles::{self, RoleEntry, RoleToml, Roles};
use super::{apache, nginx, AccessGrammar, Escape, GrammarError};

/// Grammars loaded from one file.
#[derive(Debug, Clone, Default)]
pub struct GrammarSet {
    /// Access-log formats (their fields given the built-in roles and the
    /// file's own).
    pub access: Vec<AccessGrammar>,
    /// `[[role]]` entries: which of a site's variables or headers carries
    /// which role. [`Roles::with_user`] merges them with the built-in table;
    /// [`Roles::apply`] gives them to formats from other files.
    pub roles: Vec<RoleEntry>,
    /// Logger, line and wrapper definitions and site paths.
    pub defs: Defs,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    access: Vec<AccessDef>,
    #[serde(default)]
    role: Vec<RoleToml>,
    #[serde(default)]
    json: Vec<JsonDef>,
    #[serde(default)]
    logger: Vec<crate::formats::schema::LoggerToml>,
    #[serde(default)]
    line: Vec<crate::formats::schema::LineToml>,
    #[serde(default)]
    wrapper: Vec<crate::formats::schema::WrapperToml>,
    #[serde(default)]
    paths: Vec<BTreeMap<String, toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessDef {
    name: String,
    dialect: String,
    #[serde(default)]
    escape: Option<String>,
    format: String,
    /// Free text shown to people; not used for parsing.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDef {
    name: String,
    #[serde(default)]
    keys: BTreeMap<String, OneOrMany>,
}

/// Our field names a `[[json]]` key map may set (the older form of
/// `[[paths]]`, kept: a site's file that works keeps working); each is a
/// role of the same name but `duration_ms`.
const JSON_FIELDS: &[&str] = &[
    "time",
    "level",
    "message",
    "logger",
    "function",
    "caller",
    "host",
    "pid",
    "request_id",
    "trace_id",
    "span_id",
    "job_id",
    "method",
    "url",
    "status",
    "sid",
    "to",
    "from",
    "body",
    "duration_ms",
    "error",
    "user_agent",
];

fn parse_toml(label: &str, text: &str) -> Result<GrammarSet, GrammarError> {
    let def: FileDef = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or("").matches('\n').count() + 1);
        GrammarError {
            source: label.to_string(),
            line,
            position: None,
            format: None,
            message: e.message().to_string(),
        }
    })?;
    let mut set = GrammarSet {
        roles: roles::compile_entries(label, def.role)?,
        ..GrammarSet::default()
    };
    let merged;
    let own_roles = if set.roles.is_empty() {
        Roles::builtin()
    } else {
        merged = Roles::with_user(set.roles.clone());
        &merged
    };
    for a in def.access {
        let g = match a.dialect.as_str() {
            "nginx" => {
                let escape = match a.escape.as_deref() {
                    None | Some("default") => Escape::Default,
                    Some("json") => Escape::Json,
                    Some("none") => Escape::None,
                    Some(other) => {
                        return Err(GrammarError::plain(
                            label,
                            format!("access grammar {}: unknown escape `{other}`", a.name),
                        ))
                    }
                };
                nginx::compile_with(&format!("nginx:{}", a.name), &a.format, escape, own_roles)
            }
            "apache" => {
                if a.escape.is_some() {
                    return Err(GrammarError::plain(
                        label,
                        format!("access grammar {}: `escape` is for nginx only", a.name),
                    ));
                }
                apache::compile_with(&format!("apache:{}", a.name), &a.format, own_roles)
            }
            other => {
                return Err(GrammarError::plain(
                    label,
                    format!(
                        "access grammar {}: dialect must be nginx or apache, not `{other}`",
                        a.name
                    ),
                ))
            }
        };
        set.access.push(g.map_err(|mut e| {
            e.message = format!("{}: {}", e.source, e.message);
            e.source = label.to_string();
            e
        })?);
    }
    let tables = DefTables {
        logger: def.logger,
        line: def.line,
        wrapper: def.wrapper,
        paths: def.paths,
    };
    set.defs = tables
        .compile(label)
        .map_err(|m| GrammarError::plain(label, m))?;
    for j in def.json {
        let mut keys = BTreeMap::new();
        for (k, v) in j.keys {
            if !JSON_FIELDS.contains(&k.as_str()) {
                return Err(GrammarError::plain(
                    label,
                    format!("json map {}: unknown field `{k}`", j.name),
                ));
            }
            let v = match v {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) => v,
            };
            keys.insert(k, v);
        }
        set.defs.paths.push(crate::formats::SitePaths {
            logger: "*".to_string(),
            fields: keys,
            origin: format!("{label} (json map {})", j.name),
        });
    }
    Ok(set)
}

/// What kind of grammar text this is.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Toml,
    Nginx,
    Apache,
}

fn sniff(text: &str) -> Option<Kind> {
    let code_lines = || {
        text.lines()
            .map(str::trim_start)
            .filter(|l| !l.starts_with('#'))
    };
    let tables = [
        "[[access]]",
        "[[role]]",
        "[[json]]",
        "[[logger]]",
        "[[line]]",
        "[[wrapper]]",
        "[[paths]]",
    ];
    if code_lines().any(|l| tables.iter().any(|t| l.starts_with(t))) {
        return Some(Kind::Toml);
    }
    if code_lines().any(|l| l.starts_with("log_format") || l.contains(" log_format ")) {
        return Some(Kind::Nginx);
    }
    if code_lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("logformat") || l.starts_with("customlog")
    }) {
        return Some(Kind::Apache);
    }
    None
}

/// Load a user's `--grammar` file: an nginx config (`log_format`
/// directives), an Apache config (`LogFormat`, inline `CustomLog`), or our
/// TOML grammar file. `label` names the file in messages.
pub fn load_grammar_text(label: &str, text: &str) -> Result<GrammarSet, GrammarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let set = match sniff(text) {
        Some(Kind::Toml) => parse_toml(label, text)?,
        Some(Kind::Nginx) => GrammarSet {
            access: nginx::load_config(label, text)?,
            ..GrammarSet::default()
        },
        Some(Kind::Apache) => GrammarSet {
            access: apache::load_config(label, text)?,
            ..GrammarSet::default()
        },
        None => {
            return Err(GrammarError {
                source: label.to_string(),
                line: None,
                position: None,
                format: None,
                message: "no grammar found: expected nginx `log_format` directives, Apache \
                          `LogFormat` lines, or a TOML file with [[access]], [[role]], [[logger]], \
                          [[line]], [[wrapper]] or [[paths]] tables"
                    .to_string(),
            })
        }
    };
    let d = &set.defs;
    if set.access.is_empty()
        && set.roles.is_empty()
        && d.loggers.is_empty()
        && d.lines.is_empty()
        && d.wrappers.is_empty()
        && d.paths.is_empty()
    {
        return Err(GrammarError::in_file(
            label,
            1,
            "the file defines no grammar",
        ));
    }
    Ok(set)
}

/// The built-in grammar files, embedded.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "grammars/nginx.toml",
        include_str!("../../grammars/nginx.toml"),
    ),
    (
        "grammars/apache.toml",
        include_str!("../../grammars/apache.toml"),
    ),
];

/// The built-in access grammars, compiled from `grammars/` by the same code
/// as a user's. (A built-in that failed to compile would be dropped; a test
/// checks they all compile.)
pub fn builtin() -> Vec<AccessGrammar> {
    BUILTIN_FILES
        .iter()
        .filter_map(|(label, text)| parse_toml(label, text).ok())
        .flat_map(|s| s.access)
        .collect()
}

#[cfg(test)]
pub(crate) fn builtin_sets() -> Vec<Result<GrammarSet, GrammarError>> {
    BUILTIN_FILES
        .iter()
        .map(|(label, text)| parse_toml(label, text))
        .collect()
}
