//! Masking phone numbers and bodies (on request) in everything the
//! renderers write; credentials are scrubbed first, always, by
//! [`crate::scrub::scrub`].

use std::sync::LazyLock;

use regex::Regex;

use crate::scrub::scrub;

/// Mask a phone number: `+14155550134` → `+1415•••0134`. Keeps a channel
/// prefix (`whatsapp:`). Text that is not a number is masked whole except
/// its last two characters.
pub fn mask_phone(s: &str) -> String {
    let (prefix, rest) = match s.rfind(':') {
        Some(i) => s.split_at(i + 1),
        None => ("", s),
    };
    let (plus, digits) = match rest.strip_prefix('+') {
        Some(d) => ("+", d),
        None => ("", rest),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n = digits.len();
        let (head, tail) = if n >= 9 {
            (4, 4)
        } else if n >= 5 {
            (2, 2)
        } else {
            (0, 0)
        };
        let h = digits.get(..head).unwrap_or("");
        let t = digits.get(n - tail..).unwrap_or("");
        return format!("{prefix}{plus}{h}•••{t}");
    }
    let chars: Vec<char> = s.chars().collect();
    let keep: String = chars.iter().skip(chars.len().saturating_sub(2)).collect();
    format!("•••{keep}")
}

/// 32-bit FNV-1a.
fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// A short stable stand-in for a message body: `body#3f2a91c0` (FNV-1a).
pub fn body_hash(body: &str) -> String {
    format!("body#{:08x}", fnv1a(body))
}

static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\+|%2[Bb])(\d{7,15})\b").expect("static regex"));
static BODY_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(\bBody=|"body"\s*:\s*")([^&\s"]+)"#).expect("static regex")
});

/// Applies the output policy to strings: credentials always, phones and
/// bodies when `redact`.
pub(crate) struct Sanitizer {
    pub redact: bool,
    /// Known bodies, longest first, to find them inside free text.
    bodies: Vec<String>,
}

impl Sanitizer {
    pub fn new(redact: bool, mut bodies: Vec<String>) -> Sanitizer {
        bodies.retain(|b| b.chars().count() >= 4);
        bodies.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        bodies.dedup();
        Sanitizer { redact, bodies }
    }

    /// Free text from logs or built from them.
    pub fn text(&self, s: &str) -> String {
        let mut out = scrub(s).into_owned();
        if self.redact {
            for b in &self.bodies {
                if out.contains(b.as_str()) {
                    out = out.replace(b.as_str(), &body_hash(b));
                }
                let plus = b.replace(' ', "+");
                if plus != *b && out.contains(plus.as_str()) {
                    out = out.replace(plus.as_str(), &body_hash(b));
                }
            }
            out = BODY_PARAM
                .replace_all(&out, |c: &regex::Captures| {
                    let v = c.get(2).map_or("", |m| m.as_str());
                    if v.starts_with("body#") {
                        c.get(0).map_or(String::new(), |m| m.as_str().to_string())
                    } else {
                        let key = c.get(1).map_or("", |m| m.as_str());
                        // A form value is percent-encoded: hash the text it
                        // stands for, so it matches the body's hash elsewhere.
                        let text = if key.eq_ignore_ascii_case("body=") {
                            crate::extract::form_pairs(&format!("b={v}"))
                                .pop()
                                .map(|(_, t)| t)
                                .unwrap_or_else(|| v.to_string())
                        } else {
                            v.to_string()
                        };
                        format!("{key}{}", body_hash(&text))
                    }
                })
                .into_owned();
            out = PHONE
                .replace_all(&out, |c: &regex::Captures| {
                    let digits = c.get(2).map_or("", |m| m.as_str());
                    let lead = c.get(1).map_or("", |m| m.as_str());
                    let masked = mask_phone(&format!("+{digits}"));
                    format!("{lead}{}", masked.trim_start_matches('+'))
                })
                .into_owned();
        }
        out
    }

    /// A phone number field.
    pub fn phone(&self, s: &str) -> String {
        if self.redact {
            mask_phone(&scrub(s))
        } else {
            scrub(s).into_owned()
        }
    }

    /// A body field.
    pub fn body(&self, s: &str) -> String {
        if self.redact {
            body_hash(s)
        } else {
            scrub(s).into_owned()
        }
    }

    pub fn opt_text(&self, s: &Option<String>) -> Option<String> {
        s.as_deref().map(|v| self.text(v))
    }
}
