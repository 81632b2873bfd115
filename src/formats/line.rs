//! Text line grammars (`[[line]]`): a regex with named captures; captures
//! named after a role give it, the `rest` capture is read further as logfmt
//! or JSON, and the whole is mapped like a structured record.

use serde_json::{Map, Value};

use super::schema::{LineDef, RestAs};
use super::{logfmt, Formats};
use crate::applog::{self, JsonLine};
use crate::model::{Precision, Stamp};

/// Read `text` with `def`. `None` when the pattern does not match.
pub fn parse(def: &LineDef, text: &str, formats: &Formats) -> Option<Vec<JsonLine>> {
    let caps = def.regex.captures(text)?;
    let mut map = Map::new();
    let mut line_time = None;
    for name in def.regex.capture_names().flatten() {
        let Some(m) = caps.name(name) else { continue };
        let v = m.as_str();
        if name == "time" {
            line_time = time_of(v, def.time_format.as_deref(), formats.default_year);
            if line_time.is_none() {
                map.insert("time".into(), Value::String(v.to_string()));
            }
            continue;
        }
        if Some(name) == def.rest.as_deref() {
            continue;
        }
        map.insert(name.to_string(), Value::String(v.to_string()));
    }
    if let Some(rest) = def.rest.as_deref().and_then(|r| caps.name(r)) {
        let rest = rest.as_str();
        let extra = match def.rest_as {
            RestAs::Logfmt => logfmt::parse(rest, 1),
            RestAs::Json => match serde_json::from_str::<Value>(rest.trim()) {
                Ok(Value::Object(o)) => Some(o),
                _ => None,
            },
        };
        match extra {
            Some(extra) => {
                for (k, v) in extra {
                    map.entry(k).or_insert(v);
                }
            }
            None => {
                map.entry("message".to_string())
                    .or_insert_with(|| Value::String(rest.to_string()));
            }
        }
    }
    let def_logger = def
        .logger
        .as_deref()
        .and_then(|n| formats.logger(n))
        .or_else(|| formats.generic(def.kind));
    let v = applog::view::View::new(&map);
    let form = match def.rest_as {
        RestAs::Json => crate::formats::schema::Form::Json,
        RestAs::Logfmt => crate::formats::schema::Form::Logfmt,
    };
    let def_logger = match def.logger {
        Some(_) => def_logger,
        // keys the rest brought may name a more specific logger
        None => applog::app::detect_kind(formats, &v, def.kind, form).or(def_logger),
    }?;
    let mut rec = applog::record_with(&v, def_logger, formats, line_time);
    if let JsonLine::Access(a) = &mut rec {
        if line_time.is_some() && a.time == line_time {
            a.time_anchor = Some(def.time_anchor);
        }
    }
    Some(vec![rec])
}

/// A time capture: with the definition's strftime format, else any common
/// notation.
pub fn time_of(s: &str, format: Option<&str>, default_year: i32) -> Option<Stamp> {
    let s = s.trim();
    let Some(f) = format else {
        return crate::time::parse_iso8601(s).or_else(|| crate::time::parse_any(s));
    };
    let precision = precision_of(s);
    if f.contains("%z") || f.contains("%:z") || f.contains("%#z") {
        let t = chrono::DateTime::parse_from_str(s, f).ok()?;
        let nanos = t.timestamp_nanos_opt()?;
        return Some(Stamp::new(
            nanos,
            precision,
            Some(t.offset().local_minus_utc() / 60),
        ));
    }
    let has_year = f.contains("%Y") || f.contains("%y") || f.contains("%G") || f.contains("%s");
    let naive = if has_year {
        chrono::NaiveDateTime::parse_from_str(s, f).ok()?
    } else {
        chrono::NaiveDateTime::parse_from_str(&format!("{default_year} {s}"), &format!("%Y {f}"))
            .ok()?
    };
    let nanos = naive.and_utc().timestamp_nanos_opt()?;
    let utc = f.ends_with('Z') || s.ends_with('Z');
    Some(Stamp::new(nanos, precision, utc.then_some(0)))
}

/// How finely a time text is written: digits after the last `.` or `,`
/// that follows the seconds.
fn precision_of(s: &str) -> Precision {
    let frac = s
        .rfind(['.', ','])
        .map(|p| s[p + 1..].bytes().take_while(u8::is_ascii_digit).count())
        .unwrap_or(0);
    match frac {
        0 => Precision::Seconds,
        1..=3 => Precision::Millis,
        4..=6 => Precision::Micros,
        _ => Precision::Nanos,
    }
}
