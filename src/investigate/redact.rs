//! Masking phone numbers and bodies (on request) and scrubbing credentials
//! (always) in everything the renderers write.

use std::sync::LazyLock;

use regex::Regex;

/// What replaces a credential.
pub const REDACTED: &str = "[REDACTED]";

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

static BASIC_BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(authorization\W{0,4})?\b(basic|bearer)(\s+)([A-Za-z0-9+/=._~-]{8,})")
        .expect("static regex")
});
static SID_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:AC|SK)[0-9a-fA-F]{32})(:|\s+|,\s*)[^@\s&,;]+").expect("static regex")
});
static NAMED_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)((?:auth[_-]?token|api[_-]?secret|api[_-]?key[_-]?secret|password|passwd|client[_-]?secret|secret)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+"#,
    )
    .expect("static regex")
});
static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(://[^/\s:@]+:)[^@\s/]+@").expect("static regex"));
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\+|%2[Bb])(\d{7,15})\b").expect("static regex"));
static BODY_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(\bBody=|"body"\s*:\s*")([^&\s"]+)"#).expect("static regex")
});

/// Replace credentials in a string that came from a log line with
/// `[REDACTED]`: `Authorization: Basic …`/`Bearer …` values, an Auth Token
/// or API key secret next to its `AC…`/`SK…` SID (`AC…:secret`, also a
/// `$remote_user` written that way), values after `AuthToken`,
/// `auth_token`, `api_secret`, `password` and the like, and the password
/// of a URL's `user:password@`.
pub fn scrub_credentials(s: &str) -> String {
    let s = BASIC_BEARER.replace_all(s, |c: &regex::Captures| {
        let whole = c.get(0).map_or("", |m| m.as_str());
        let value = c.get(4).map_or("", |m| m.as_str());
        // A credential, not a word: after `Authorization`, or not all letters.
        let header = c.get(1).is_some();
        if header || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
            format!(
                "{}{REDACTED}",
                whole.get(..whole.len() - value.len()).unwrap_or("")
            )
        } else {
            whole.to_string()
        }
    });
    let s = SID_SECRET.replace_all(&s, |c: &regex::Captures| {
        let secret = c.get(0).map_or("", |m| m.as_str());
        let sep = c.get(2).map_or("", |m| m.as_str());
        let sid = c.get(1).map_or("", |m| m.as_str());
        let rest = secret.get(sid.len() + sep.len()..).unwrap_or("");
        // A second SID after an account SID is not a secret (`AC…/SM…` never
        // reaches here, but `AC…, SM…` could): keep it.
        if sep != ":" && !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
            secret.to_string()
        } else {
            format!("{sid}{sep}{REDACTED}")
        }
    });
    let s = NAMED_SECRET.replace_all(&s, "${1}[REDACTED]");
    let s = URL_USERINFO.replace_all(&s, "${1}[REDACTED]@");
    s.into_owned()
}

/// [`scrub_credentials`] on every string of a JSON value (keys are kept).
pub fn scrub_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            let clean = scrub_credentials(s);
            if clean != *s {
                *s = clean;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(scrub_json),
        serde_json::Value::Object(m) => m.values_mut().for_each(scrub_json),
        _ => {}
    }
}

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
        let mut out = scrub_credentials(s);
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
            mask_phone(&scrub_credentials(s))
        } else {
            scrub_credentials(s)
        }
    }

    /// A body field.
    pub fn body(&self, s: &str) -> String {
        if self.redact {
            body_hash(s)
        } else {
            scrub_credentials(s)
        }
    }

    pub fn opt_text(&self, s: &Option<String>) -> Option<String> {
        s.as_deref().map(|v| self.text(v))
    }
}
