//! Access-log grammars: nginx `log_format` and Apache `LogFormat` strings
//! compiled into line parsers, the built-in grammars (data files under
//! `grammars/`), the roles table that says which variable or header is a
//! request id, trace id, client, upstream or duration (also data), and the
//! loader for a user's `--grammar` file.
//!
//! This module owns turning one access-log line into an [`AccessLine`]. It
//! does not read files, detect formats over many lines, or decide what a
//! line means; it never prints and never panics on input.
//!
//! ## Trailing text
//! A line that matches the whole template and then goes on after a space
//! ("combined plus extra fields") is accepted; the extra text is kept in
//! `fields["_trailing"]` ([`TRAILING`]). [`is_exact`] tells whether a parse
//! consumed the whole line, so detection can prefer an exact grammar.

mod apache;
mod config;
mod nginx;
mod roles;
mod strftime;
mod template;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::record::AccessLine;

pub use config::{builtin, load_grammar_text, GrammarSet};
pub use roles::{IdSource, Role, RoleEntry, Roles, ID_ROLES};
pub use template::{split_request, TRAILING};

use template::{Step, Template, Unescape};

/// Which server's template language a grammar was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// nginx `log_format`.
    Nginx,
    /// Apache httpd `LogFormat`.
    Apache,
}

/// nginx `escape=` mode of a `log_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Escape {
    /// `\xHH` for controls, `"`, `\` and bytes ≥0x7F.
    #[default]
    Default,
    /// JSON string escapes.
    Json,
    /// No escaping at all.
    None,
}

impl Escape {
    fn unescape(self) -> Unescape {
        match self {
            Escape::Default => Unescape::NginxDefault,
            Escape::Json => Unescape::Json,
            Escape::None => Unescape::Raw,
        }
    }
}

/// A compiled access-log format.
#[derive(Debug, Clone)]
pub struct AccessGrammar {
    name: String,
    dialect: Dialect,
    format: String,
    template: Template,
}

/// Where and why a line did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Byte offset in the line up to which it matched.
    pub offset: usize,
    /// What the grammar expected there.
    pub expected: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "matched up to byte {}, expected {}",
            self.offset, self.expected
        )
    }
}

impl std::error::Error for LineError {}

/// A format (or grammar file) that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    /// The grammar's name or the file's label.
    pub source: String,
    /// 1-based line in the file, when the problem is in a file.
    pub line: Option<usize>,
    /// Byte position in the format text, when known.
    pub position: Option<usize>,
    /// The format text concerned, when known.
    pub format: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl GrammarError {
    pub(crate) fn at(name: &str, format: &str, pos: usize, message: impl Into<String>) -> Self {
        GrammarError {
            source: name.to_string(),
            line: None,
            position: Some(pos),
            format: Some(format.to_string()),
            message: message.into(),
        }
    }

    pub(crate) fn in_file(label: &str, line: usize, message: impl Into<String>) -> Self {
        GrammarError {
            source: label.to_string(),
            line: Some(line),
            position: None,
            format: None,
            message: message.into(),
        }
    }

    pub(crate) fn plain(label: &str, message: impl Into<String>) -> Self {
        GrammarError {
            source: label.to_string(),
            line: None,
            position: None,
            format: None,
            message: message.into(),
        }
    }

    pub(crate) fn with_file(mut self, label: &str, line: usize) -> Self {
        self.message = format!("{}: {}", self.source, self.message);
        self.source = label.to_string();
        self.line = Some(line);
        self
    }
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(p), Some(t)) = (self.position, &self.format) {
            write!(f, " at position {p} of format `{t}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for GrammarError {}

impl AccessGrammar {
    pub(crate) fn from_steps(
        name: &str,
        dialect: Dialect,
        format: &str,
        steps: Vec<Step>,
        unescape: Unescape,
    ) -> Result<AccessGrammar, GrammarError> {
        let steps = Template::normalize(steps);
        if !steps.iter().any(|s| matches!(s, Step::Field(_))) {
            return Err(GrammarError::at(name, format, 0, "format has no fields"));
        }
        // Two fields with nothing between them can only be told apart for
        // the path-then-query shapes.
        for pair in steps.windows(2) {
            if let [Step::Field(_), Step::Field(b)] = pair {
                use template::Kind::*;
                if !matches!(b.kind, IsArgs | Args | QueryWithMark) {
                    return Err(GrammarError::at(
                        name,
                        format,
                        format.find(b.name.as_str()).unwrap_or(0),
                        format!(
                            "field `{}` follows another field with no text between",
                            b.name
                        ),
                    ));
                }
            }
        }
        Ok(AccessGrammar {
            name: name.to_string(),
            dialect,
            format: format.to_string(),
            template: Template { steps, unescape },
        })
    }

    /// The name, like `nginx:combined` or `apache:vhost_combined`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template language.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The format text as written.
    pub fn format_text(&self) -> &str {
        &self.format
    }

    /// Compile an nginx `log_format` body (`$x`, `${x}`, literal text).
    pub fn compile_nginx(
        name: &str,
        format: &str,
        escape: Escape,
    ) -> Result<AccessGrammar, GrammarError> {
        nginx::compile(name, format, escape)
    }

    /// Compile an Apache `LogFormat` string (unquoted: `"` not `\"`).
    pub fn compile_apache(name: &str, format: &str) -> Result<AccessGrammar, GrammarError> {
        apache::compile(name, format)
    }

    /// Parse one line (a trailing `\r`/`\n` is ignored). Text after a full
    /// match goes to `fields["_trailing"]`; see [`is_exact`].
    pub fn parse(&self, line: &[u8]) -> Result<AccessLine, LineError> {
        self.template.parse(line)
    }

    /// True when a field of the format holds an id (`$request_id`,
    /// `%{UNIQUE_ID}e`, an `X-Request-ID` or `traceparent` header, any
    /// field the roles table gives an id role): what tells whether a line
    /// of this format can ever carry a given id.
    pub fn has_id_field(&self) -> bool {
        self.template.steps.iter().any(|s| match s {
            Step::Field(f) => matches!(&f.kind, template::Kind::Role(r) if r.role.id().is_some()),
            Step::Lit(_) => false,
        })
    }

    /// Give the fields the roles `roles` names (see [`Roles::apply`]).
    pub(crate) fn apply_roles(&mut self, roles: &Roles) {
        for s in &mut self.template.steps {
            if let Step::Field(f) = s {
                let role = match self.dialect {
                    Dialect::Nginx => roles.nginx(&f.name),
                    Dialect::Apache => roles.apache(&f.name),
                };
                if let Some(k) = role {
                    f.kind = k;
                }
            }
        }
    }

    /// How many fields the format has.
    pub fn field_count(&self) -> usize {
        self.template
            .steps
            .iter()
            .filter(|s| matches!(s, template::Step::Field(_)))
            .count()
    }

    /// Tie-breaker for detection: literal bytes plus four per field.
    pub fn specificity(&self) -> usize {
        self.template.specificity()
    }
}

/// True when the parse consumed the whole line (no trailing text).
pub fn is_exact(line: &AccessLine) -> bool {
    !line.fields.contains_key(TRAILING)
}

/// Split an `$upstream_*` value into groups (` : `, an internal redirect)
/// of servers (`, `, the next server tried).
pub fn split_upstream(s: &str) -> Vec<Vec<String>> {
    s.split(" : ")
        .map(|g| g.split(", ").map(|v| v.trim().to_string()).collect())
        .collect()
}
