//! logfmt: `key=value key="quoted value"` pairs (Go's slog TextHandler and
//! logrus TextFormatter, lograge, Heroku's router, Sidekiq's context), read
//! into a flat object whose keys are paths (`http.method=POST` is the path
//! `http.method`). Words that are no pair are kept, joined, as `_text`.

use serde_json::{Map, Value};

/// The key under which words that are no `key=value` pair are kept.
pub const TEXT_KEY: &str = "_text";

/// Read one line as logfmt. `None` unless it holds at least `min_pairs`
/// pairs and the pairs make up most of it (so a sentence with one `a=b` in
/// it is no logfmt line).
pub fn parse(line: &str, min_pairs: usize) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut text: Vec<String> = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    let mut pair_bytes = 0usize;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        // a key: up to `=` or a blank
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'"' {
            i += 1;
        }
        let key = &line[start..i];
        if i < b.len() && b[i] == b'=' && !key.is_empty() {
            i += 1;
            let (value, next) = value_at(line, i);
            i = next;
            pair_bytes += i - start;
            out.insert(key.to_string(), Value::String(value));
        } else {
            // a word (or a quoted phrase) that is no pair
            let (word, next) = if i < b.len() && b[i] == b'"' && i == start {
                value_at(line, i)
            } else {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                (line[start..i].to_string(), i)
            };
            i = next.max(start + 1);
            text.push(word);
        }
    }
    let non_blank = line.bytes().filter(|c| !c.is_ascii_whitespace()).count();
    if out.len() < min_pairs || pair_bytes * 2 < non_blank {
        return None;
    }
    if !text.is_empty() {
        out.insert(TEXT_KEY.to_string(), Value::String(text.join(" ")));
    }
    Some(out)
}

/// A value starting at byte `i`: quoted (Go `strconv.Quote` escapes
/// undone) or bare up to the next blank. Returns it and the next index.
fn value_at(line: &str, i: usize) -> (String, usize) {
    let b = line.as_bytes();
    if b.get(i) != Some(&b'"') {
        let mut j = i;
        while j < b.len() && !b[j].is_ascii_whitespace() {
            j += 1;
        }
        return (line[i..j].to_string(), j);
    }
    let mut out = String::new();
    let mut chars = line[i + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1 + k + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 'u')) => {
                    let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => out.push(ch),
                        None => {
                            out.push_str("\\u");
                            out.push_str(&hex);
                        }
                    }
                }
                Some((_, other)) => out.push(other),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    // unterminated quote: the rest of the line
    (out, line.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(m: &Map<String, Value>, k: &str) -> Option<String> {
        m.get(k).and_then(Value::as_str).map(str::to_string)
    }

    #[test]
    fn slog_text_handler_line() {
        let m = parse(
            r#"time=2026-11-20T14:12:08.750Z level=INFO msg="sms sent" to=+14155550134 http.status=201 err="read tcp: i/o \"timeout\"""#,
            2,
        )
        .unwrap();
        assert_eq!(s(&m, "time").as_deref(), Some("2026-11-20T14:12:08.750Z"));
        assert_eq!(s(&m, "msg").as_deref(), Some("sms sent"));
        assert_eq!(s(&m, "http.status").as_deref(), Some("201"));
        assert_eq!(s(&m, "err").as_deref(), Some(r#"read tcp: i/o "timeout""#));
        assert!(m.get(TEXT_KEY).is_none());
    }

    #[test]
    fn heroku_router_line() {
        let m = parse(
            r#"at=info method=POST path="/api/notify" host=app.example.com request_id=5f2c fwd="203.0.113.9" dyno=web.1 connect=0ms service=612ms status=201 bytes=411 protocol=https"#,
            2,
        )
        .unwrap();
        assert_eq!(s(&m, "path").as_deref(), Some("/api/notify"));
        assert_eq!(s(&m, "service").as_deref(), Some("612ms"));
        assert_eq!(s(&m, "status").as_deref(), Some("201"));
    }

    #[test]
    fn sentences_and_empty_values() {
        assert!(parse("Sending SMS to +14155550134 via a=b", 2).is_none());
        assert!(parse("just words here", 1).is_none());
        let m = parse("a= b=\"\" c=3 d=4 two words", 2).unwrap();
        assert_eq!(s(&m, "a").as_deref(), Some(""));
        assert_eq!(s(&m, "b").as_deref(), Some(""));
        assert_eq!(s(&m, TEXT_KEY).as_deref(), Some("two words"));
        // never panics on odd input
        for l in [
            "=",
            "\"",
            "a=\"",
            "\\",
            "a=\"\\u12\"",
            "é=ü \"x\" =y",
            "a=\"\\",
        ] {
            let _ = parse(l, 1);
        }
    }
}
