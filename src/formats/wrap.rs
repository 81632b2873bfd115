//! Wrappers (`[[wrapper]]`): the text container runtimes, syslog and cloud
//! exporters put around an application's line. A wrapper is peeled before
//! format detection; wrappers nest (syslog inside a Docker line).

use serde_json::{Map, Value};

use super::schema::{Partial, WrapMatch, WrapperDef};
use super::Formats;
use crate::applog::view::{text_of, View};
use crate::model::Stamp;

/// How deep wrappers may nest.
const MAX_DEPTH: usize = 4;

/// What is inside a wrapper.
#[derive(Debug, Clone, PartialEq)]
pub enum Inner {
    /// A line of text (any format).
    Text(String),
    /// A structured record the wrapper holds as an object.
    Object(Map<String, Value>),
}

/// One inner record, peeled.
#[derive(Debug, Clone, PartialEq)]
pub struct Peeled {
    /// The inner text or object.
    pub inner: Inner,
    /// The wrapper's time (the outermost that had one is kept last).
    pub time: Option<Stamp>,
    /// The wrapper's host.
    pub host: Option<String>,
    /// True when this piece continues in the next line.
    pub partial: bool,
    /// The wrappers peeled, outermost first (`cri>syslog-3164`).
    pub chain: String,
    /// The stream the outermost wrapper says the piece belongs to (its
    /// `partial.group`: `stdout`, `stderr`), for joining pieces.
    pub group: Option<String>,
}

/// Peel every wrapper off one line. `None` when no wrapper matches; an
/// array wrapper (`each`) gives several records.
pub fn peel(formats: &Formats, line: &str) -> Option<Vec<Peeled>> {
    if formats.wrappers.is_empty() {
        return None;
    }
    let (_, first) = peel_once(formats, line)?;
    Some(first.into_iter().map(|p| nest(formats, p)).collect())
}

/// Peel the wrappers nested inside `p`'s inner text.
fn nest(formats: &Formats, mut p: Peeled) -> Peeled {
    for _ in 1..MAX_DEPTH {
        let Inner::Text(t) = &p.inner else { break };
        let Some((_, mut more)) = peel_once(formats, t) else {
            break;
        };
        if more.len() != 1 {
            break;
        }
        let q = more.remove(0);
        p.chain = format!("{}>{}", p.chain, q.chain);
        p.inner = q.inner;
        p.time = q.time.or(p.time);
        p.host = q.host.or(p.host);
        p.partial = p.partial || q.partial;
    }
    p
}

/// Which wrapper (index into `formats.wrappers`) peels the outside of
/// `line`, if any.
pub fn outer(formats: &Formats, line: &str) -> Option<usize> {
    peel_once(formats, line).map(|(i, _)| i)
}

/// One piece of a line a wrapper can split (container runtimes cut long
/// lines): `line` peeled by wrapper `w` alone, nothing nested peeled. `None`
/// when `w` does not read it or gives no single record.
pub fn piece(formats: &Formats, w: usize, line: &str) -> Option<Peeled> {
    let def = formats.wrappers.get(w)?;
    let json = match def.matcher {
        WrapMatch::Json { .. } => json_of(line),
        WrapMatch::Pattern(_) => None,
    };
    let mut got = peel_with(def, formats, line, &json)?;
    if got.len() != 1 {
        return None;
    }
    got.pop()
}

/// The record the pieces of one split line make: `text`, their inner texts
/// joined, with the wrappers nested inside it peeled; the time, host and
/// stream of the `first` piece.
pub fn joined(formats: &Formats, first: &Peeled, text: String) -> Peeled {
    nest(
        formats,
        Peeled {
            inner: Inner::Text(text),
            time: first.time,
            host: first.host.clone(),
            partial: false,
            chain: first.chain.clone(),
            group: first.group.clone(),
        },
    )
}

fn json_of(line: &str) -> Option<Value> {
    let t = line.trim_start();
    if t.starts_with('{') && t.trim_end().ends_with('}') {
        serde_json::from_str::<Value>(t.trim_end()).ok()
    } else {
        None
    }
}

fn peel_once(formats: &Formats, line: &str) -> Option<(usize, Vec<Peeled>)> {
    // the line is read as JSON only when a JSON wrapper's keys are in it
    let mut json: Option<Option<Value>> = None;
    for (i, w) in formats.wrappers.iter().enumerate() {
        let got = match &w.matcher {
            WrapMatch::Pattern(_) => peel_with(w, formats, line, &None),
            WrapMatch::Json { all, .. } if all.iter().all(|p| key_written(line, p)) => {
                let json = json.get_or_insert_with(|| json_of(line));
                peel_with(w, formats, line, json)
            }
            WrapMatch::Json { .. } => None,
        };
        if let Some(v) = got {
            return Some((i, v));
        }
    }
    None
}

/// Whether the first key of `path` (`a` of `a.b`, which also finds the key
/// `"a.b"`) is written in `line` as a quoted key's start.
fn key_written(line: &str, path: &str) -> bool {
    let key = path.split('.').next().unwrap_or(path);
    let b = line.as_bytes();
    key.is_empty()
        || memchr::memmem::find_iter(b, key.as_bytes()).any(|i| i > 0 && b[i - 1] == b'"')
}

fn peel_with(
    w: &WrapperDef,
    formats: &Formats,
    line: &str,
    json: &Option<Value>,
) -> Option<Vec<Peeled>> {
    match (&w.matcher, json) {
        (WrapMatch::Pattern(re), _) => pattern(w, re, line, formats),
        (WrapMatch::Json { all, any }, Some(Value::Object(root))) => {
            let v = View::new(root);
            let hit =
                all.iter().all(|p| v.has(p)) && (any.is_empty() || any.iter().any(|p| v.has(p)));
            if hit {
                object(w, root, &v)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn pattern(
    w: &WrapperDef,
    re: &regex::Regex,
    line: &str,
    formats: &Formats,
) -> Option<Vec<Peeled>> {
    let c = re.captures(line)?;
    // an optional `inner` that took no part in the match is empty
    let inner = c.name("inner").map_or("", |m| m.as_str());
    let time = c.name("time").and_then(|m| {
        super::line::time_of(m.as_str(), w.time_format.as_deref(), formats.default_year)
    });
    let host = c.name("host").map(|m| m.as_str().to_string());
    let partial = match &w.partial {
        Partial::Marker { key, value, .. } => c.name(key).is_some_and(|m| m.as_str() == value),
        Partial::Unterminated { .. } => !inner.ends_with('\n'),
        Partial::None => false,
    };
    let group = w
        .partial
        .group()
        .and_then(|g| c.name(g))
        .map(|m| m.as_str().to_string());
    Some(vec![Peeled {
        inner: Inner::Text(inner.trim_end_matches(['\n', '\r']).to_string()),
        time,
        host,
        partial,
        chain: w.name.clone(),
        group,
    }])
}

fn first_text(v: &View<'_>, paths: &[String]) -> Option<String> {
    paths.iter().find_map(|p| v.get(p).and_then(text_of))
}

fn time_in(v: &View<'_>, w: &WrapperDef) -> Option<Stamp> {
    w.time
        .iter()
        .find_map(|p| v.get(p))
        .and_then(|t| crate::applog::app::stamp_of(t, w.time_unit))
}

fn object(w: &WrapperDef, root: &Map<String, Value>, v: &View<'_>) -> Option<Vec<Peeled>> {
    let host = first_text(v, &w.host);
    if let Some(each) = &w.each {
        let items = v.get(each)?.as_array()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Value::Object(o) = item else { continue };
            let iv = View::new(o);
            let Some(inner) = inner_of(w, &iv) else {
                continue;
            };
            out.push(Peeled {
                partial: false,
                time: time_in(&iv, w).or_else(|| time_in(v, w)),
                host: host.clone(),
                inner,
                chain: w.name.clone(),
                group: None,
            });
        }
        return Some(out);
    }
    let _ = root;
    let inner = inner_of(w, v)?;
    let partial = match (&w.partial, &inner) {
        (Partial::Unterminated { .. }, Inner::Text(_)) => w
            .inner
            .iter()
            .find_map(|p| v.get(p).and_then(Value::as_str))
            .is_some_and(|s| !s.ends_with('\n')),
        (Partial::Marker { key, value, .. }, _) => {
            v.get(key).and_then(text_of).is_some_and(|s| &s == value)
        }
        _ => false,
    };
    let group = w.partial.group().and_then(|g| v.get(g)).and_then(text_of);
    Some(vec![Peeled {
        inner,
        time: time_in(v, w),
        host,
        partial,
        chain: w.name.clone(),
        group,
    }])
}

fn inner_of(w: &WrapperDef, v: &View<'_>) -> Option<Inner> {
    for p in &w.inner {
        match v.get(p) {
            Some(Value::String(s)) => {
                return Some(Inner::Text(s.trim_end_matches(['\n', '\r']).to_string()))
            }
            Some(Value::Object(o)) => return Some(Inner::Object(o.clone())),
            Some(Value::Array(a)) if a.iter().all(|x| x.is_u64()) => {
                // journald writes a MESSAGE that is no valid UTF-8 as bytes
                let bytes: Vec<u8> = a
                    .iter()
                    .filter_map(|x| x.as_u64())
                    .map(|b| b as u8)
                    .collect();
                return Some(Inner::Text(
                    String::from_utf8_lossy(&bytes)
                        .trim_end_matches(['\n', '\r'])
                        .to_string(),
                ));
            }
            _ => continue,
        }
    }
    None
}
