//! nginx: the `log_format` body grammar (`$var`, `${var}`, literal text) and
//! the reader for `log_format` directives in an nginx config.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1, take_while1};
use nom::combinator::map;
use nom::sequence::{delimited, preceded};
use nom::IResult;

use crate::model::TimeAnchor;

use super::roles::Roles;
use super::template::{Field, Kind, Step};
use super::{AccessGrammar, Escape, GrammarError};

/// One piece of a `log_format` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Lit(&'a str),
    Var(&'a str),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `$name`
pub(crate) fn plain_var(i: &str) -> IResult<&str, &str> {
    preceded(tag("$"), take_while1(is_name_char))(i)
}

/// `${name}`
pub(crate) fn braced_var(i: &str) -> IResult<&str, &str> {
    delimited(tag("${"), take_while1(is_name_char), tag("}"))(i)
}

/// Literal text up to the next `$`.
pub(crate) fn literal(i: &str) -> IResult<&str, &str> {
    take_till1(|c| c == '$')(i)
}

/// One piece: a variable or literal text.
pub(crate) fn piece(i: &str) -> IResult<&str, Piece<'_>> {
    alt((
        map(braced_var, Piece::Var),
        map(plain_var, Piece::Var),
        map(literal, Piece::Lit),
    ))(i)
}

/// Split a format body into pieces, or say where it is broken.
pub(crate) fn pieces(format: &str) -> Result<Vec<Piece<'_>>, (usize, String)> {
    let mut out = Vec::new();
    let mut rest = format;
    while !rest.is_empty() {
        match piece(rest) {
            Ok((r, p)) => {
                out.push(p);
                rest = r;
            }
            Err(_) => {
                let at = format.len() - rest.len();
                let msg = if rest.starts_with("${") {
                    "unterminated or empty `${…}` variable".to_string()
                } else {
                    "`$` not followed by a variable name".to_string()
                };
                return Err((at, msg));
            }
        }
    }
    Ok(out)
}

/// The name of one nginx variable written `$name` or `${name}` (the
/// whole text), for the roles table.
pub(crate) fn variable_name(text: &str) -> Option<String> {
    match alt((braced_var, plain_var))(text) {
        Ok(("", name)) => Some(name.to_string()),
        _ => None,
    }
}

/// What an nginx variable means to us, with the built-in roles.
#[cfg(test)]
pub(crate) fn var_kind(name: &str) -> Kind {
    var_kind_in(Roles::builtin(), name)
}

/// What an nginx variable means to us: its role in `roles`, else its part
/// of the line's structure.
pub(crate) fn var_kind_in(roles: &Roles, name: &str) -> Kind {
    if let Some(k) = roles.nginx(name) {
        return k;
    }
    match name {
        "remote_user" => Kind::RemoteUser,
        "time_local" => Kind::TimeClf(TimeAnchor::RequestEnd),
        "time_iso8601" => Kind::TimeIso,
        "msec" => Kind::TimeMsec,
        "request" => Kind::Request,
        "request_method" => Kind::Method,
        "request_uri" => Kind::Target,
        "uri" | "document_uri" => Kind::Path,
        "args" | "query_string" => Kind::Args,
        "is_args" => Kind::IsArgs,
        "server_protocol" => Kind::Protocol,
        "status" => Kind::Status(true),
        "body_bytes_sent" => Kind::Bytes {
            strong: true,
            dash_zero: false,
        },
        "bytes_sent" => Kind::Bytes {
            strong: false,
            dash_zero: false,
        },
        "request_length"
        | "connection"
        | "connection_requests"
        | "pid"
        | "server_port"
        | "remote_port"
        | "content_length" => Kind::Number,
        n if n.starts_with("upstream_") && !n.starts_with("upstream_http_") => Kind::UpstreamOther,
        _ => Kind::Other,
    }
}

/// Compile a `log_format` body with the built-in roles.
pub(crate) fn compile(
    name: &str,
    format: &str,
    escape: Escape,
) -> Result<AccessGrammar, GrammarError> {
    compile_with(name, format, escape, Roles::builtin())
}

/// Compile a `log_format` body, the fields' roles from `roles`.
pub(crate) fn compile_with(
    name: &str,
    format: &str,
    escape: Escape,
    roles: &Roles,
) -> Result<AccessGrammar, GrammarError> {
    let pieces = pieces(format).map_err(|(at, msg)| GrammarError::at(name, format, at, msg))?;
    let steps = pieces
        .into_iter()
        .map(|p| match p {
            Piece::Lit(l) => Step::Lit(l.as_bytes().to_vec()),
            Piece::Var(v) => Step::Field(Field {
                name: v.to_string(),
                kind: var_kind_in(roles, v),
                spaces: 0,
            }),
        })
        .collect();
    AccessGrammar::from_steps(
        name,
        super::Dialect::Nginx,
        format,
        steps,
        escape.unescape(),
    )
}

/// A token of nginx config syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Semi,
    Brace,
}

/// Tokenize nginx config text: words, quoted strings (single or double,
/// backslash escapes), `;`, braces, `#` comments. Tokens carry their line.
fn tokenize(text: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            ';' => {
                chars.next();
                out.push((Tok::Semi, line));
            }
            '{' | '}' => {
                chars.next();
                out.push((Tok::Brace, line));
            }
            '"' | '\'' => {
                let open = c;
                let start = line;
                chars.next();
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some(n @ ('"' | '\'' | '\\')) => s.push(n),
                            Some(n) => {
                                s.push('\\');
                                s.push(n);
                            }
                            None => {}
                        },
                        c if c == open => break,
                        c => {
                            if c == '\n' {
                                line += 1;
                            }
                            s.push(c);
                        }
                    }
                }
                out.push((Tok::Word(s), start));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == ';' || c == '{' || c == '}' {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push((Tok::Word(s), line));
            }
        }
    }
    out
}

/// The `log_format` directives of an nginx config, compiled.
pub(crate) fn load_config(label: &str, text: &str) -> Result<Vec<AccessGrammar>, GrammarError> {
    let toks = tokenize(text);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some((tok, line)) = toks.get(i) {
        let is_log_format = matches!(tok, Tok::Word(w) if w == "log_format");
        if !is_log_format {
            i += 1;
            continue;
        }
        let line = *line;
        let mut args = Vec::new();
        i += 1;
        loop {
            match toks.get(i) {
                Some((Tok::Word(w), _)) => args.push(w.clone()),
                Some((Tok::Semi, _)) => break,
                _ => {
                    return Err(GrammarError::in_file(
                        label,
                        line,
                        "log_format directive not terminated by `;`",
                    ))
                }
            }
            i += 1;
        }
        i += 1;
        let mut args = args.into_iter();
        let Some(name) = args.next() else {
            return Err(GrammarError::in_file(
                label,
                line,
                "log_format without a name",
            ));
        };
        let mut rest: Vec<String> = args.collect();
        let mut escape = Escape::Default;
        if let Some(first) = rest.first() {
            if let Some(e) = first.strip_prefix("escape=") {
                escape = match e {
                    "default" => Escape::Default,
                    "json" => Escape::Json,
                    "none" => Escape::None,
                    other => {
                        return Err(GrammarError::in_file(
                            label,
                            line,
                            format!("unknown escape={other} in log_format {name}"),
                        ))
                    }
                };
                rest.remove(0);
            }
        }
        if rest.is_empty() {
            return Err(GrammarError::in_file(
                label,
                line,
                format!("log_format {name} has no format string"),
            ));
        }
        let body = rest.concat();
        let g = compile(&format!("nginx:{name}"), &body, escape)
            .map_err(|e| e.with_file(label, line))?;
        out.push(g);
    }
    Ok(out)
}
