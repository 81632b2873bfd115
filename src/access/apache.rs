//! Apache: the `LogFormat` string grammar (`%` directives with modifiers and
//! `{arg}`, literal text) and the reader for `LogFormat`/`CustomLog` lines.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_till1, take_while1};
use nom::character::complete::{anychar, char as ch};
use nom::combinator::{map, opt, value};
use nom::multi::many0;
use nom::sequence::{delimited, preceded, tuple};
use nom::IResult;

use crate::model::TimeAnchor;

use super::roles::Roles;
use super::strftime::StrfSpec;
use super::template::{Field, Kind, Step, Unescape};
use super::{AccessGrammar, Dialect, GrammarError};

/// A parsed `%` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive<'a> {
    /// `{arg}` when given.
    pub arg: Option<&'a str>,
    /// The directive letter(s): `h`, `s`, `^ti` …
    pub letter: String,
    /// `>` was given (final request).
    pub final_req: bool,
}

/// One piece of a `LogFormat` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Lit(String),
    Dir(Directive<'a>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Modifier<'a> {
    Final,
    Original,
    Status,
    Arg(&'a str),
}

/// `{arg}`
pub(crate) fn arg(i: &str) -> IResult<&str, &str> {
    delimited(ch('{'), take_till(|c| c == '}'), ch('}'))(i)
}

/// Status conditions and `<`/`>`/`{…}` in any order, as mod_log_config allows.
fn modifier(i: &str) -> IResult<&str, Modifier<'_>> {
    alt((
        value(Modifier::Final, ch('>')),
        value(Modifier::Original, ch('<')),
        value(
            Modifier::Status,
            tuple((
                opt(ch('!')),
                take_while1(|c: char| c.is_ascii_digit() || c == ','),
            )),
        ),
        value(Modifier::Status, ch('!')),
        map(arg, Modifier::Arg),
    ))(i)
}

/// `%…x`
pub(crate) fn directive(i: &str) -> IResult<&str, Directive<'_>> {
    let (i, mods) = preceded(ch('%'), many0(modifier))(i)?;
    let (i, letter) = alt((
        map(alt((tag("^ti"), tag("^to"))), str::to_string),
        map(anychar, |c| c.to_string()),
    ))(i)?;
    let mut d = Directive {
        arg: None,
        letter,
        final_req: false,
    };
    for m in mods {
        match m {
            Modifier::Final => d.final_req = true,
            Modifier::Arg(a) => d.arg = Some(a),
            Modifier::Original | Modifier::Status => {}
        }
    }
    Ok((i, d))
}

/// Literal text with mod_log_config's `\n`, `\t`, `\\`.
pub(crate) fn literal(i: &str) -> IResult<&str, String> {
    map(take_till1(|c| c == '%'), |s: &str| {
        let mut out = String::with_capacity(s.len());
        let mut cs = s.chars();
        while let Some(c) = cs.next() {
            if c == '\\' {
                match cs.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('\\') => out.push('\\'),
                    Some(o) => {
                        out.push('\\');
                        out.push(o);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    })(i)
}

/// One piece: `%%`, a directive, or literal text.
pub(crate) fn piece(i: &str) -> IResult<&str, Piece<'_>> {
    alt((
        value(Piece::Lit("%".to_string()), tag("%%")),
        map(directive, Piece::Dir),
        map(literal, Piece::Lit),
    ))(i)
}

fn header_key(prefix: &str, h: &str) -> String {
    let mut s = String::from(prefix);
    s.extend(h.chars().map(|c| match c {
        '-' => '_',
        c => c.to_ascii_lowercase(),
    }));
    s
}

fn bytes(strong: bool, dash_zero: bool) -> Kind {
    Kind::Bytes { strong, dash_zero }
}

/// Field name and structural kind of a directive; `Err` names an unknown
/// one. The parts the roles table names (client, ids, headers, durations,
/// virtual host) are [`Kind::Other`] here: [`field_of`] gives their role.
fn base_field(d: &Directive<'_>) -> Result<Field, String> {
    let a = d.arg.unwrap_or("");
    let named = |p: &str| {
        if a.is_empty() {
            p.to_string()
        } else {
            format!("{p}_{a}")
        }
    };
    let (name, kind, spaces) = match d.letter.as_str() {
        "a" if a == "c" => ("peer_addr".to_string(), Kind::Other, 0),
        "a" => ("remote_addr".to_string(), Kind::Other, 0),
        "A" => ("local_addr".to_string(), Kind::Other, 0),
        "b" => ("body_bytes_sent".to_string(), bytes(true, true), 0),
        "B" => ("body_bytes_sent".to_string(), bytes(true, false), 0),
        "C" => (header_key("cookie_", a), Kind::Other, 0),
        "D" => ("request_time_us".to_string(), Kind::Other, 0),
        "e" => (format!("env_{a}"), Kind::Other, 0),
        "f" => ("filename".to_string(), Kind::Other, 0),
        "h" => ("remote_host".to_string(), Kind::Other, 0),
        "H" => ("protocol".to_string(), Kind::Protocol, 0),
        "i" => (header_key("http_", a), Kind::Other, 0),
        "I" => ("bytes_received".to_string(), Kind::Number, 0),
        "k" => ("keepalive".to_string(), Kind::Number, 0),
        "l" => ("remote_logname".to_string(), Kind::Other, 0),
        "L" => ("log_id".to_string(), Kind::Other, 0),
        "m" => ("method".to_string(), Kind::Method, 0),
        "n" => (format!("note_{a}"), Kind::Other, 0),
        "o" => (header_key("sent_http_", a), Kind::Other, 0),
        "O" => ("bytes_sent".to_string(), bytes(false, false), 0),
        "p" => (named("port"), Kind::Number, 0),
        "P" => (named("pid"), Kind::Other, 0),
        "q" => ("query".to_string(), Kind::QueryWithMark, 0),
        "r" => ("request".to_string(), Kind::Request, 0),
        "R" => ("handler".to_string(), Kind::Other, 0),
        "s" if d.final_req => ("status".to_string(), Kind::Status(true), 0),
        "s" => ("original_status".to_string(), Kind::Status(false), 0),
        "S" => ("bytes_transferred".to_string(), Kind::Number, 0),
        "t" if a.is_empty() => (
            "time".to_string(),
            Kind::TimeClf(TimeAnchor::RequestStart),
            1,
        ),
        "t" => {
            let spec = StrfSpec::compile(a)?;
            let spaces = spec.spaces();
            (format!("time_{a}"), Kind::TimeStrf(spec), spaces)
        }
        "T" => match a {
            "" | "s" => ("request_time".to_string(), Kind::Other, 0),
            "ms" => ("request_time_ms".to_string(), Kind::Other, 0),
            "us" => ("request_time_us".to_string(), Kind::Other, 0),
            other => return Err(format!("unknown %{{{other}}}T unit")),
        },
        "u" => ("remote_user".to_string(), Kind::RemoteUser, 0),
        "U" => ("path".to_string(), Kind::Path, 0),
        "v" => ("server_name".to_string(), Kind::Other, 0),
        "V" => ("server_name_used".to_string(), Kind::Other, 0),
        "X" => ("connection_status".to_string(), Kind::Other, 0),
        "^ti" => (header_key("trailer_in_", a), Kind::Other, 0),
        "^to" => (header_key("trailer_out_", a), Kind::Other, 0),
        "{" => return Err("unterminated `%{`".to_string()),
        other => return Err(format!("unknown directive %{other}")),
    };
    Ok(Field { name, kind, spaces })
}

/// Field name and kind of a directive, its role from `roles`.
fn field_of(d: &Directive<'_>, roles: &Roles) -> Result<Field, String> {
    let mut f = base_field(d)?;
    if let Some(k) = roles.apache(&f.name) {
        f.kind = k;
    }
    Ok(f)
}

/// The field name of one directive written alone (`%{X-Request-ID}i` is
/// `http_x_request_id`), for the roles table.
pub(crate) fn directive_field(text: &str) -> Result<String, String> {
    match directive(text) {
        Ok(("", d)) => base_field(&d).map(|f| f.name),
        _ => Err("not one Apache directive like %{X-Request-ID}i".to_string()),
    }
}

/// Compile a `LogFormat` string with the built-in roles.
pub(crate) fn compile(name: &str, format: &str) -> Result<AccessGrammar, GrammarError> {
    compile_with(name, format, Roles::builtin())
}

/// Compile a `LogFormat` string (already unquoted from the config), the
/// fields' roles from `roles`.
pub(crate) fn compile_with(
    name: &str,
    format: &str,
    roles: &Roles,
) -> Result<AccessGrammar, GrammarError> {
    let mut steps = Vec::new();
    let mut rest = format;
    while !rest.is_empty() {
        let at = format.len() - rest.len();
        match piece(rest) {
            Ok((r, p)) => {
                match p {
                    Piece::Lit(l) => steps.push(Step::Lit(l.into_bytes())),
                    Piece::Dir(d) => {
                        let f = field_of(&d, roles)
                            .map_err(|m| GrammarError::at(name, format, at, m))?;
                        steps.push(Step::Field(f));
                    }
                }
                rest = r;
            }
            Err(_) => {
                return Err(GrammarError::at(
                    name,
                    format,
                    at,
                    "incomplete `%` directive",
                ));
            }
        }
    }
    AccessGrammar::from_steps(name, Dialect::Apache, format, steps, Unescape::Apache)
}

/// Split one Apache config line into words; `"…"` strings are unquoted
/// (`\"` → `"`, `\\` kept for the format's own escapes).
fn words(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cs = line.chars().peekable();
    while let Some(&c) = cs.peek() {
        if c.is_whitespace() {
            cs.next();
            continue;
        }
        if c == '"' || c == '\'' {
            let open = c;
            cs.next();
            let mut s = String::new();
            while let Some(c) = cs.next() {
                if c == '\\' {
                    match cs.peek() {
                        Some(&n) if n == open => {
                            s.push(n);
                            cs.next();
                        }
                        _ => s.push('\\'),
                    }
                } else if c == open {
                    break;
                } else {
                    s.push(c);
                }
            }
            out.push((s, true));
        } else {
            let mut s = String::new();
            while let Some(&c) = cs.peek() {
                if c.is_whitespace() {
                    break;
                }
                s.push(c);
                cs.next();
            }
            out.push((s, false));
        }
    }
    out
}

/// The `LogFormat` (and inline `CustomLog`) formats of an Apache config.
pub(crate) fn load_config(label: &str, text: &str) -> Result<Vec<AccessGrammar>, GrammarError> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut start_line = 0;
    for (n, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start_line = n + 1;
        }
        // A continued line goes on with the next line's text, its
        // indentation dropped.
        let raw = if logical.is_empty() {
            raw
        } else {
            raw.trim_start()
        };
        if let Some(cont) = raw.strip_suffix('\\') {
            logical.push_str(cont);
            continue;
        }
        logical.push_str(raw);
        let line = std::mem::take(&mut logical);
        let w = words(line.trim());
        let Some((directive, _)) = w.first() else {
            continue;
        };
        if directive.starts_with('#') {
            continue;
        }
        let d = directive.to_ascii_lowercase();
        let (format, name) = match d.as_str() {
            "logformat" => match (w.get(1), w.get(2)) {
                (Some((f, _)), Some((nick, _))) => (f.clone(), format!("apache:{nick}")),
                (Some((f, _)), None) => (f.clone(), "apache:default".to_string()),
                _ => {
                    return Err(GrammarError::in_file(
                        label,
                        start_line,
                        "LogFormat without a format",
                    ))
                }
            },
            "customlog" => match w.get(2) {
                Some((f, true)) if f.contains('%') => {
                    let path = w.get(1).map(|p| p.0.as_str()).unwrap_or("");
                    (f.clone(), format!("apache:customlog:{path}"))
                }
                _ => continue,
            },
            _ => continue,
        };
        let g = compile(&name, &format).map_err(|e| e.with_file(label, start_line))?;
        out.push(g);
    }
    Ok(out)
}
