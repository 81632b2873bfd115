//! One flattened view of a JSON record: every key path (nested objects and
//! dotted keys alike) mapped to its value, built once per record.
//!
//! `{"log":{"level":"info"}}` and `{"log.level":"info"}` both give the path
//! `log.level`. When two spellings give the same path, the first one met in
//! breadth-first order wins (so a top-level dotted key beats a deeper nested
//! one). Duplicate keys inside one object are resolved by serde_json before
//! we see them: the last one wins.
//!
//! An array of objects gives each element's keys under the array's path,
//! the last element first (tracing's `spans`: the innermost span). A
//! value that is an array of scalars reads as its first element (Caddy and
//! Go `http.Header` write `"User-Agent":["…"]`).

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value};

/// Elements of an array of objects given paths (the last ones).
const MAX_ARRAY_OBJECTS: usize = 64;

/// Key paths of one record, plus an index by the record's leaf key names
/// normalised (lower case, `_`/`-`/`.` removed) for "this id anywhere".
pub(crate) struct View<'a> {
    exact: HashMap<String, &'a Value>,
    leaf: HashMap<String, &'a Value>,
    /// Every (path, value) in breadth-first order, objects included.
    order: Vec<(String, &'a Value)>,
}

/// Lower-case a key and drop separators: `X-Request-Id` → `xrequestid`.
pub(crate) fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

impl<'a> View<'a> {
    /// Flatten `root` breadth-first. Linear in the size of the record
    /// (paths are bounded by serde_json's nesting limit).
    pub(crate) fn new(root: &'a Map<String, Value>) -> View<'a> {
        let mut exact = HashMap::new();
        let mut leaf = HashMap::new();
        let mut order = Vec::new();
        let mut queue: VecDeque<(String, &'a Map<String, Value>)> = VecDeque::new();
        queue.push_back((String::new(), root));
        while let Some((prefix, map)) = queue.pop_front() {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let last = k.rsplit('.').next().unwrap_or(k);
                leaf.entry(normalise(last)).or_insert(v);
                exact.entry(path.clone()).or_insert(v);
                match v {
                    Value::Object(inner) => queue.push_back((path.clone(), inner)),
                    // an array of objects (tracing's `spans`): each element
                    // under the array's path, the last one first
                    Value::Array(items) => {
                        for item in items.iter().rev().take(MAX_ARRAY_OBJECTS) {
                            if let Value::Object(inner) = item {
                                queue.push_back((path.clone(), inner));
                            }
                        }
                    }
                    _ => {}
                }
                order.push((path, v));
            }
        }
        View { exact, leaf, order }
    }

    /// The value at an exact path, if present and not null.
    pub(crate) fn get(&self, path: &str) -> Option<&'a Value> {
        self.exact.get(path).copied().filter(|v| !v.is_null())
    }

    /// True when the path exists (even as null).
    pub(crate) fn has(&self, path: &str) -> bool {
        self.exact.contains_key(path)
    }

    /// First path of `paths` whose value reads as text.
    pub(crate) fn text(&self, paths: &[&str]) -> Option<String> {
        paths.iter().find_map(|p| self.get(p).and_then(text_of))
    }

    /// First normalised leaf name of `names` whose value reads as text.
    pub(crate) fn leaf_text(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .find_map(|n| self.leaf.get(*n).copied().and_then(text_of))
    }

    /// Every (path, value) pair, breadth-first.
    pub(crate) fn entries(&self) -> &[(String, &'a Value)] {
        &self.order
    }
}

/// A scalar as text: strings as they are (empty → `None`), numbers and
/// booleans printed; an array reads as its first scalar; objects and null
/// are not text.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => a.first().and_then(|x| match x {
            Value::Array(_) => None,
            other => text_of(other),
        }),
        _ => None,
    }
}

/// A value as a finite number: JSON numbers, or strings holding one.
pub(crate) fn number_of(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}
