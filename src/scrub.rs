//! Credentials out of everything sidtrace writes.
//!
//! [`scrub`] is the one rule for what a credential looks like. Every output
//! path passes its text through it: `extract`'s JSON lines, map files (when
//! written and again when read), the quoted evidence lines and every other
//! string of a report in every format, and the messages on standard error.
//! Each shape it knows is a row of the table test below:
//!
//! * `Authorization` values: `Basic …`, `Bearer …` (any case, with the
//!   header name or without it), and any value of an `Authorization` field;
//! * URL userinfo: the password of `scheme://user:password@`, also
//!   percent-encoded (`https%3A%2F%2Fuser%3Apassword%40…`);
//! * Twilio Auth Tokens (32 hex digits) next to an `AC…` Account SID, and API
//!   key secrets (32 letters and digits) next to an `SK…` key SID, whatever
//!   separates them (`:`, a space, `, `, `","auth":"`, `%3A`); anything after
//!   `AC…:`/`SK…:`;
//! * the value of any field whose name says token, secret, password,
//!   passwd, auth, key, signature or credential (`"name":"value"`,
//!   `name=value`, `name: value`, form fields such as `Password` and
//!   `AuthToken`, `X-Twilio-Signature` headers, percent-encoded
//!   `auth_token%3D…`), with the quoting kept so that JSON stays valid;
//! * JWTs (`eyJ….….…`) and base64 text that decodes to `AC…:…`/`SK…:…`.
//!
//! Only the secret is replaced, by [`MASK`]: the field name, the `Basic`
//! scheme, the user of a URL and an `AC…`/`SK…` SID next to a secret stay,
//! so the evidence keeps its shape. Account SIDs, Message SIDs, phone
//! numbers and message text are never masked here (masking phones and
//! bodies is the reports' separate, optional redaction). Scrubbing
//! scrubbed text changes nothing for the shapes below (tested); on hostile
//! text a second scrub may mask more, never less.
//!
//! Design rationale: most text holds no credential, and every evidence
//! line and every string sidtrace writes is scrubbed, so one pass over the
//! bytes first notes the triggers each rule needs (`eyJ`, `basic`, `://`
//! and `@`, a name word, an `AC…`/`SK…` SID with something beside it that
//! could be a secret — not the SID of a `/Accounts/AC…/Messages` path), and
//! only those rules run; text with none comes back untouched and
//! unallocated. A test checks that this gives what running every rule
//! gives. Masking too much is the safe side: a field named `key` holding
//! something harmless is masked, a credential never shown.

use std::borrow::Cow;
use std::io;
use std::sync::LazyLock;

use regex::Regex;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

/// What replaces a credential.
pub const MASK: &str = "[REDACTED]";

/// `text` with every credential replaced by [`MASK`] (borrowed back
/// unchanged when it holds none).
pub fn scrub(text: &str) -> Cow<'_, str> {
    let wanted = triggered(text);
    let mut s = Cow::Borrowed(text);
    for (needs, rule) in RULES {
        // A mask adds no trigger, so what the input holds decides.
        if needs.iter().all(|&n| wanted & n != 0) {
            let edits = rule(&s);
            if !edits.is_empty() {
                s = Cow::Owned(apply(&s, edits));
            }
        }
    }
    s
}

/// [`scrub`] on every string of a JSON value, keys included.
pub fn scrub_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Cow::Owned(clean) = scrub(s) {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub_json),
        Value::Object(m) => {
            if m.keys().any(|k| matches!(scrub(k), Cow::Owned(_))) {
                let old = std::mem::take(m);
                for (k, mut val) in old {
                    scrub_json(&mut val);
                    m.insert(scrub(&k).into_owned(), val);
                }
            } else {
                m.values_mut().for_each(scrub_json);
            }
        }
        _ => {}
    }
}

/// Write `value` as compact JSON with every string (keys too) passed through
/// [`scrub`] on its way out: the document is never held whole.
pub fn to_writer<W: io::Write, T: Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Scrubbing::new(CompactFormatter));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// [`to_writer`], pretty-printed.
pub fn to_writer_pretty<W: io::Write, T: Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    let pretty = Scrubbing::new(PrettyFormatter::new());
    let mut ser = serde_json::Serializer::with_formatter(out, pretty);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// `value` written through the scrubbing JSON writer and read back: every
/// string of a typed value scrubbed (map files, as they are read).
pub fn rescrub<T: Serialize + DeserializeOwned>(value: T) -> io::Result<T> {
    let mut text = Vec::new();
    to_writer(&mut text, &value)?;
    drop(value);
    serde_json::from_slice(&text).map_err(io::Error::from)
}

/// A JSON formatter that collects each string as serde_json writes it and
/// writes it scrubbed; everything else goes to the formatter it wraps.
struct Scrubbing<F> {
    inner: F,
    string: String,
    /// Inside a string: serde_json writes a number map key as a string
    /// holding the number.
    in_string: bool,
}

impl<F> Scrubbing<F> {
    fn new(inner: F) -> Scrubbing<F> {
        Scrubbing {
            inner,
            string: String::new(),
            in_string: false,
        }
    }
}

/// Hand the layout (indentation, separators) to the wrapped formatter.
macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $name<W: ?Sized + io::Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.inner.$name(w $(, $arg)*)
        }
    )*};
}

/// Values: inside a string (a map key), into the string; else as the
/// wrapped formatter writes them.
macro_rules! value {
    ($($name:ident($ty:ty);)*) => {$(
        fn $name<W: ?Sized + io::Write>(&mut self, w: &mut W, v: $ty) -> io::Result<()> {
            if self.in_string {
                let mut text = Vec::new();
                self.inner.$name(&mut text, v)?;
                self.string.push_str(&String::from_utf8_lossy(&text));
                Ok(())
            } else {
                self.inner.$name(w, v)
            }
        }
    )*};
}

impl<F: Formatter> Formatter for Scrubbing<F> {
    value! {
        write_bool(bool);
        write_i8(i8);
        write_i16(i16);
        write_i32(i32);
        write_i64(i64);
        write_i128(i128);
        write_u8(u8);
        write_u16(u16);
        write_u32(u32);
        write_u64(u64);
        write_u128(u128);
        write_f32(f32);
        write_f64(f64);
        write_number_str(&str);
    }

    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
        write_raw_fragment(fragment: &str);
    }

    fn begin_string<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.string.clear();
        self.in_string = true;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        _: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.string.push_str(fragment);
        Ok(())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        _: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        self.string.push(match escape {
            CharEscape::Quote => '"',
            CharEscape::ReverseSolidus => '\\',
            CharEscape::Solidus => '/',
            CharEscape::Backspace => '\u{8}',
            CharEscape::FormFeed => '\u{c}',
            CharEscape::LineFeed => '\n',
            CharEscape::CarriageReturn => '\r',
            CharEscape::Tab => '\t',
            CharEscape::AsciiControl(b) => char::from(b),
        });
        Ok(())
    }

    fn end_string<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_string = false;
        serde_json::to_writer(w, scrub(&self.string).as_ref()).map_err(io::Error::from)
    }
}

// ---------------------------------------------------------------- rules

// Triggers: substrings without which a rule cannot match, one bit each.
const SID: u16 = 1;
const JWT: u16 = 1 << 1;
const B64: u16 = 1 << 2;
const AT: u16 = 1 << 3;
const SCHEME: u16 = 1 << 4;
const URL: u16 = 1 << 5;
const NAME: u16 = 1 << 6;

/// Does `s` start with `word` (lower case) in any case?
fn starts_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// The trigger bits `text` holds, in one pass over its bytes (most texts
/// are short, so a search with no set-up beats an automaton). `QUM`/`QUN`
/// and `U0s`/`U0t` begin base64 of `AC<hex>` and `SK<hex>`; the name words
/// are those `named_fields` looks for.
fn triggered(text: &str) -> u16 {
    // Bytes that can start a trigger; every other byte is passed over.
    const START: [bool; 256] = {
        let mut t = [false; 256];
        let starts = b"ASQUe@%:bBtTsSpPcCaAkK";
        let mut i = 0;
        while i < starts.len() {
            t[starts[i] as usize] = true;
            i += 1;
        }
        t
    };
    let b = text.as_bytes();
    let mut bits = 0;
    for i in 0..b.len() {
        if !START[usize::from(b[i])] {
            continue;
        }
        let r = &b[i..];
        bits |= match b[i] {
            b'A' | b'S' if (r.starts_with(b"AC") || r.starts_with(b"SK")) && sid_may_pair(b, i) => {
                SID
            }
            b'Q' if r.starts_with(b"QUM") || r.starts_with(b"QUN") => B64,
            b'U' if r.starts_with(b"U0s") || r.starts_with(b"U0t") => B64,
            b'e' if r.starts_with(b"eyJ") => JWT,
            b'@' => AT,
            b'%' if r.starts_with(b"%40") => AT,
            b'%' if starts_ci(r, b"%3a%2f%2f") => URL,
            b':' if r.starts_with(b"://") => URL,
            b'b' | b'B' if starts_ci(r, b"basic") || starts_ci(r, b"bearer") => SCHEME,
            _ => name(r),
        };
    }
    bits
}

/// Could the `AC…`/`SK…` SID at `b[i..]` have a secret beside it, as the
/// SID rules see one? A colon after it, or a run of 32 letters and digits
/// close enough after it (within the longest separator `next_to_sid`
/// allows) or before it. The SID in a URL path (`/Accounts/AC…/Messages`)
/// has none, and the rules' regexes are then not run at all.
fn sid_may_pair(b: &[u8], i: usize) -> bool {
    let sid = &b[i..];
    if sid.len() < 34 || !sid[2..34].iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let after = &sid[34..];
    if after.starts_with(b":") || starts_ci(after, b"%3a") {
        return true;
    }
    // 12 separators of up to 6 bytes (`\u0022`), a word, 12 more, the secret.
    let window = &after[..after.len().min(12 * 6 + 31 + 12 * 6 + 32)];
    let lead = &b[i.saturating_sub(32 + 12)..i];
    has_run(window, 32) || has_run(lead, 32)
}

/// Does `s` hold 32 letters and digits in a row?
fn has_run(s: &[u8], n: usize) -> bool {
    let mut run = 0;
    for &c in s {
        run = if c.is_ascii_alphanumeric() {
            run + 1
        } else {
            0
        };
        if run >= n {
            return true;
        }
    }
    false
}

/// [`NAME`] when `r` starts with a word a secret field's name holds.
fn name(r: &[u8]) -> u16 {
    const WORDS: [&[u8]; 8] = [
        b"token", b"secret", b"pass", b"pw", b"sig", b"cred", b"auth", b"key",
    ];
    let first = r.first().map_or(0, u8::to_ascii_lowercase);
    if WORDS.iter().any(|w| w[0] == first && starts_ci(r, w)) {
        NAME
    } else {
        0
    }
}

/// A replacement of `text[start..end]`.
struct Edit {
    start: usize,
    end: usize,
    with: Cow<'static, str>,
}

fn mask(start: usize, end: usize) -> Edit {
    Edit {
        start,
        end,
        with: Cow::Borrowed(MASK),
    }
}

/// Apply edits, sorted by start. An edit overlapping the one before it
/// masks what it covers beyond it.
fn apply(text: &str, edits: Vec<Edit>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        if e.end < e.start || e.end <= at {
            continue;
        }
        if e.start < at {
            out.push_str(MASK);
            at = e.end;
            continue;
        }
        out.push_str(&text[at..e.start]);
        out.push_str(&e.with);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

type Rule = fn(&str) -> Vec<Edit>;

/// In order, each with the triggers it needs: whole tokens first (JWTs,
/// `Basic` values, base64 pairs), then URL passwords, secrets next to
/// SIDs, and named fields last (they keep a SID or scheme at the start of a
/// value and mask the rest).
const RULES: [(&[u16], Rule); 7] = [
    (&[JWT], jwts),
    (&[SCHEME], auth_schemes),
    (&[B64], base64_pairs),
    (&[URL, AT], url_passwords),
    (&[SID], after_sid_colon),
    (&[SID], next_to_sid),
    (&[NAME], named_fields),
];

/// Does `s` start with a mask (left by an earlier rule or scrub)?
fn is_masked(s: &str) -> bool {
    s.starts_with(MASK)
}

/// Is `s` nothing but masks and spaces (so there is nothing left to mask)?
/// Text merely starting with a mask is not: `[REDACTED]hunter2` is masked
/// whole.
fn only_masks(s: &str) -> bool {
    s.replace(MASK, "").trim().is_empty()
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Twilio SID of any kind: two capital letters and 32 hex digits.
fn is_sid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 34 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase() && is_hex(&s[2..])
}

/// An E.164 number (`+…`, or `%2B…` in a form).
fn is_phone(s: &str) -> bool {
    let digits = s
        .strip_prefix('+')
        .or_else(|| s.strip_prefix("%2B"))
        .or_else(|| s.strip_prefix("%2b"));
    digits.is_some_and(|d| (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The character before byte `i`, if any.
fn before(s: &str, i: usize) -> Option<char> {
    s[..i].chars().next_back()
}

/// JWTs, whole: `eyJ<header>.<payload>.<signature>`.
fn jwts(s: &str) -> Vec<Edit> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*").expect("static regex")
    });
    RE.find_iter(s).map(|m| mask(m.start(), m.end())).collect()
}

/// `Basic …`/`Bearer …` values: masked after an `Authorization` name, or
/// when the value does not read as a word (`basic reminder` stays).
fn auth_schemes(s: &str) -> Vec<Edit> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        // The value is one token (base64 or token68: `=` only as padding).
        Regex::new(
            r"(?i)(basic|bearer)(?:[ \t]|\\t|\+|%20)+((?:\[REDACTED\]|[A-Za-z0-9+/._~%-])+=*)",
        )
        .expect("static regex")
    });
    let mut edits = Vec::new();
    for c in RE.captures_iter(s) {
        let (Some(scheme), Some(value)) = (c.get(1), c.get(2)) else {
            continue;
        };
        // A word ending in `basic` is not the scheme; a letter of an escape
        // (`\tBasic` inside a JSON string) does not count.
        let head = &s[..scheme.start()];
        let mut back = head.chars().rev();
        if back.next().is_some_and(|ch| ch.is_ascii_alphabetic()) && back.next() != Some('\\') {
            continue;
        }
        let v = value.as_str();
        // `Basic AC…:token` written out: the SID stays, the part after the
        // colon is masked by `after_sid_colon`.
        // A mask inside the value: a rule saw a name and its secret there
        // (`Basic sig=[REDACTED]`), nothing is left to do.
        if is_sid(v) || only_masks(v) || v.find(MASK).is_some_and(|i| i > 0) {
            continue;
        }
        // `Basic password=…`: a name and its `=`, left to `named_fields`.
        let next = s[value.end()..].bytes().next();
        if v.ends_with('=') && next.is_some_and(|b| !b" \t\r\n,;&|)}]<>".contains(&b)) {
            continue;
        }
        // `Basic user:password` written out: the password goes. A name and
        // its colon (`Bearer  X-Twilio-Signature: …`) is left to
        // `named_fields`.
        if s[value.end()..].starts_with(':') {
            let from = value.end() + 1;
            let end = unquoted_end(s, from);
            if end > from && !only_masks(&s[from..end]) {
                edits.push(mask(from, end));
            }
            continue;
        }
        if after_authorization(&s[..scheme.start()]) || reads_as_secret(v) {
            edits.push(mask(value.start(), value.end()));
        }
    }
    edits
}

/// Does `head` end with an `Authorization` name and its separator?
fn after_authorization(head: &str) -> bool {
    let mut h = head;
    loop {
        let t = h.trim_end_matches([' ', '\t', '"', '\'', ':', '=', '[', '{', '\\', '(']);
        let t = ["%20", "%22", "%27", "%3A", "%3a", "%3D", "%3d"]
            .iter()
            .find_map(|e| t.strip_suffix(e))
            .unwrap_or(t);
        if t.len() == h.len() {
            break;
        }
        h = t;
    }
    h.len() >= 13
        && h.get(h.len() - 13..)
            .is_some_and(|t| t.eq_ignore_ascii_case("authorization"))
}

/// A value that is not a plain word: it has a digit or symbol, or capitals
/// inside lower case (base64), and is at least 8 characters long.
fn reads_as_secret(v: &str) -> bool {
    if v.len() < 8 {
        return false;
    }
    let non_letter = v.bytes().any(|b| !b.is_ascii_alphabetic());
    let inner_upper = v.bytes().skip(1).any(|b| b.is_ascii_uppercase());
    let lower = v.bytes().any(|b| b.is_ascii_lowercase());
    non_letter || (inner_upper && lower)
}

/// Base64 text that decodes to `AC…:…` or `SK…:…` (a Basic value written
/// without its scheme).
/// Standard base64 with padding: the encoding of the Basic credentials the
/// scrub decodes (tests and the fuzz target plant credentials with it).
pub fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_pairs(s: &str) -> Vec<Edit> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_-]{44,}={0,2}").expect("static regex"));
    let mut edits = Vec::new();
    for m in RE.find_iter(s) {
        let mut start = m.start();
        // After a percent escape (`%20QUM…`) the run starts two hex digits early.
        if before(s, start) == Some('%') && s.len() >= start + 2 && is_hex(&s[start..start + 2]) {
            start += 2;
        }
        let run = &s[start..m.end()];
        if run.len() >= 47 && decodes_to_sid_pair(&run[..48.min(run.len())]) {
            edits.push(mask(start, m.end()));
        }
    }
    edits
}

/// Does base64 (standard or URL-safe) `b64` begin with `AC|SK`, 32 hex
/// digits and `:`?
fn decodes_to_sid_pair(b64: &str) -> bool {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut bytes = Vec::with_capacity(36);
    for chunk in b64.as_bytes().chunks(4) {
        if chunk.len() < 4 {
            break;
        }
        let mut n = 0u32;
        for &c in chunk {
            match val(c) {
                Some(v) => n = n << 6 | v,
                None => return false,
            }
        }
        bytes.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    bytes.len() >= 35
        && (bytes.starts_with(b"AC") || bytes.starts_with(b"SK"))
        && bytes[2..34].iter().all(u8::is_ascii_hexdigit)
        && bytes[34] == b':'
}

/// The password of `scheme://user:password@host`, plain or percent-encoded.
fn url_passwords(s: &str) -> Vec<Edit> {
    static PLAIN: LazyLock<Regex> = LazyLock::new(|| {
        // The password runs to the last `@` before the path: a password
        // holding a raw `@`, `?` or `#` is masked whole.
        Regex::new(r#"://[^\s/?#@:"'<>\\]*(?::|%3[Aa])([^\s/"'<>\\]*)@"#).expect("static regex")
    });
    static ENCODED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)%3A%2F%2F[^\s/?#&"'<>\\%]*%3A([^\s/?#&"'<>\\]*)%40"#)
            .expect("static regex")
    });
    let mut edits = Vec::new();
    for re in [&*PLAIN, &*ENCODED] {
        for c in re.captures_iter(s) {
            if let Some(p) = c.get(1) {
                if !only_masks(p.as_str()) {
                    edits.push(mask(p.start(), p.end()));
                }
            }
        }
    }
    edits.sort_by_key(|e| e.start);
    edits
}

/// Whatever follows `AC…:`/`SK…:` (a Basic pair written out, a
/// `$remote_user` holding `SID:secret`), unless it is another SID.
fn after_sid_colon(s: &str) -> Vec<Edit> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?:AC|SK)[0-9a-fA-F]{32}(?::|%3[Aa])((?:\[REDACTED\]|[^\s@&,;"'<>/\\|)\]}])+)"#,
        )
        .expect("static regex")
    });
    RE.captures_iter(s)
        .filter_map(|c| c.get(1))
        .filter(|v| !only_masks(v.as_str()) && !is_sid(v.as_str()))
        .map(|v| mask(v.start(), v.end()))
        .collect()
}

/// An Auth Token (32 hex digits) on either side of an `AC…` SID, or an API
/// key secret (32 letters and digits) after an `SK…` SID, with any
/// separator between them: punctuation, spaces, percent escapes, and at
/// most one short word (`AC…","auth":"…`; shorter than a secret, so that
/// a secret of letters only is not taken for it).
fn next_to_sid(s: &str) -> Vec<Edit> {
    // Punctuation and spaces, percent escapes, and JSON escapes (`\t`, `\"`).
    const SEP: &str = r"(?:%[0-9A-Fa-f]{2}|\\[tnrbf]|\\u[0-9A-Fa-f]{4}|[^A-Za-z0-9\n]){1,12}";
    static AFTER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?:AC[0-9a-fA-F]{{32}}{SEP}(?:([A-Za-z_-]{{1,31}}){SEP})?([0-9a-fA-F]{{32}})|SK[0-9a-fA-F]{{32}}{SEP}(?:([A-Za-z_-]{{1,31}}){SEP})?([A-Za-z0-9]{{32}}))(?:[^A-Za-z0-9]|$)"
        ))
        .expect("static regex")
    });
    static BEFORE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[^A-Za-z0-9%])([0-9a-fA-F]{32})(?:\\[tnrbf]|[^A-Za-z0-9\n%]){1,6}AC[0-9a-fA-F]{32}")
            .expect("static regex")
    });
    let mut edits: Vec<Edit> = AFTER
        .captures_iter(s)
        // The word between is no mask: a secret after a masked one is not
        // next to the SID (and a second scrub changes nothing).
        .filter(|c| {
            ![c.get(1), c.get(3)]
                .iter()
                .flatten()
                .any(|w| w.as_str() == "REDACTED")
        })
        .filter_map(|c| c.get(2).or_else(|| c.get(4)))
        .map(|v| mask(v.start(), v.end()))
        .collect();
    edits.extend(
        BEFORE
            .captures_iter(s)
            .filter_map(|c| c.get(1))
            .map(|v| mask(v.start(), v.end())),
    );
    edits.sort_by_key(|e| e.start);
    edits
}

/// The values of fields whose names say they hold a secret.
fn named_fields(s: &str) -> Vec<Edit> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?i)([a-z0-9_.-]*?(?:token|secret|pass|pw|sig|cred|auth|key)[a-z0-9_.-]*)((?:\\*["'`]|%2[27])?[ \t]*(?:=>|:=|[:=]|%3[ad])(?:[ \t]|%20)*)(\[[ \t]*)?(\\*["'`]|%2[27])?"#,
        )
        .expect("static regex")
    });
    let mut edits = Vec::new();
    let mut pos = 0;
    while let Some(c) = RE.captures_at(s, pos) {
        let (Some(whole), Some(name), Some(assign)) = (c.get(0), c.get(1), c.get(2)) else {
            break;
        };
        pos = whole.end().max(pos + 1);
        let mut n = name.as_str();
        // `%22auth_token%22`: the name starts after the escape's hex digits.
        if before(s, name.start()) == Some('%') && n.len() > 2 && is_hex(&n[..2]) {
            n = &n[2..];
        }
        if !is_secret_name(n) {
            continue;
        }
        // The value is scanned again for names (a value that is itself a
        // name, `sig= "auth_token":"…"`, is masked and so is the value
        // after that name); overlapping edits merge.
        let v0 = whole.end();
        // `token=[REDACTED]…`: the `[` is the mask's, not a list's.
        let open = c.get(4).filter(|_| !is_masked(&s[assign.end()..]));
        let v0 = if is_masked(&s[assign.end()..]) {
            assign.end()
        } else {
            v0
        };
        if let Some(open) = open {
            // A quote followed by JSON's punctuation, or never closed on its
            // line, is no opening quote (`pw="` ending a JSON string: the
            // quote ends the string); the value is then what follows it up
            // to a delimiter.
            let close = if ends_a_string(&s[v0..], open.as_str()) {
                v0
            } else {
                closing_quote(s, v0, open.as_str()).unwrap_or_else(|| unquoted_end(s, v0))
            };
            if let Some(m) = mask_value(&s[v0..close]) {
                edits.push(Edit {
                    start: v0,
                    end: close,
                    with: m,
                });
            }
            continue;
        }
        let end = unquoted_end(s, v0);
        let value = &s[v0..end];
        if only_masks(value) {
            continue;
        }
        // `Authorization: Token abc`: keep the scheme, mask what follows.
        if SCHEMES.iter().any(|w| value.eq_ignore_ascii_case(w)) {
            let gap = s[end..].len() - s[end..].trim_start_matches([' ', '\t', '+']).len();
            let gap = gap + percent_spaces(&s[end + gap..]);
            let v1 = end + gap;
            if gap > 0 {
                let end1 = unquoted_end(s, v1);
                if let Some(m) = mask_value(&s[v1..end1]) {
                    edits.push(Edit {
                        start: v1,
                        end: end1,
                        with: m,
                    });
                }
                continue;
            }
        }
        if let Some(m) = mask_value(value) {
            // A bare JSON value (`"token": 1234`) becomes a string, quoted
            // as the name was, so that JSON stays JSON.
            let q = assign.as_str();
            let quote = q.len() - q.trim_start_matches(['\\', '"', '\'', '`']).len();
            let q = &q[..quote];
            let with = if q.is_empty() || m.as_ref() != MASK {
                m
            } else {
                Cow::Owned(format!("{q}{m}{q}"))
            };
            edits.push(Edit {
                start: v0,
                end,
                with,
            });
        }
    }
    edits.sort_by_key(|e| e.start);
    edits
}

/// Authorization schemes kept in front of a masked value.
const SCHEMES: [&str; 9] = [
    "basic",
    "bearer",
    "token",
    "digest",
    "apikey",
    "key",
    "hmac",
    "negotiate",
    "ntlm",
];

/// Bytes of `%20` escapes at the start of `s`.
fn percent_spaces(s: &str) -> usize {
    let mut n = 0;
    while s
        .get(n..n + 3)
        .is_some_and(|e| e.eq_ignore_ascii_case("%20"))
    {
        n += 3;
    }
    n
}

/// Where an unquoted value starting at `from` ends.
fn unquoted_end(s: &str, from: usize) -> usize {
    const STOP_ESCAPES: [&str; 11] = [
        "%26", "%20", "%22", "%27", "%2C", "%3B", "%7D", "%5D", "%7C", "%0A", "%0D",
    ];
    let b = s.as_bytes();
    let mut i = from;
    while i < b.len() {
        if b[i..].starts_with(MASK.as_bytes()) {
            i += MASK.len();
            continue;
        }
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b'&' | b'"' | b'\'' | b'`' | b',' | b';' | b'{'
            | b'}' | b']' | b')' | b'<' | b'>' | b'\\' | b'|' => break,
            b'%' if s
                .get(i..i + 3)
                .is_some_and(|t| STOP_ESCAPES.iter().any(|e| t.eq_ignore_ascii_case(e))) =>
            {
                break
            }
            _ => i += 1,
        }
    }
    i
}

/// Does `rest`, after a quote, read as what follows the end of a JSON
/// string (`,"next":`, `}`, `]`)?
fn ends_a_string(rest: &str, quote: &str) -> bool {
    let r = rest.trim_start_matches([' ', '\t']);
    if r.starts_with(['}', ']']) {
        return true;
    }
    r.strip_prefix(',').is_some_and(|a| {
        let a = a.trim_start_matches([' ', '\t']);
        a.starts_with(quote) || a.starts_with(['{', '['])
    })
}

/// Where the value opened by `open` (a quote, maybe backslash-escaped, or
/// `%22`/`%27`) starting at `from` ends: at the matching quote on the same
/// line, if there is one.
fn closing_quote(s: &str, from: usize, open: &str) -> Option<usize> {
    let line_end = s[from..].find('\n').map_or(s.len(), |i| from + i);
    let body = &s[from..line_end];
    if open.starts_with('%') {
        let lower = body.to_ascii_lowercase();
        let want = open.to_ascii_lowercase();
        return lower.find(&want).map(|i| from + i);
    }
    let q = open.bytes().last()?;
    // A quote nested `escapes` levels deep closes with `escapes`
    // backslashes before it; literal backslashes before it come in
    // pairs per level (`\\"` closes at the top level, `\"` does not).
    let escapes = open.len() - 1;
    let b = body.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == q {
            let slashes = b[..i].iter().rev().take_while(|&&x| x == b'\\').count();
            if slashes < escapes {
                return Some(from + i - slashes);
            }
            if slashes % (2 * (escapes + 1)) == escapes {
                return Some(from + i - escapes);
            }
        }
    }
    None
}

/// The masked form of a secret field's value, or `None` to keep it: empty
/// and literal values (`null`, `true`, `-`), SIDs and phone numbers stay;
/// a SID or an authorization scheme at its start stays in front of the mask.
fn mask_value(v: &str) -> Option<Cow<'static, str>> {
    let t = v.trim();
    if only_masks(t)
        || is_sid(t)
        || is_phone(t)
        || ["null", "true", "false", "none", "nil", "-"]
            .iter()
            .any(|w| t.eq_ignore_ascii_case(w))
    {
        return None;
    }
    // `AC…:secret`, `Basic secret`: keep the SID or the scheme.
    let sid = t
        .get(..34)
        .filter(|p| is_sid(p) && (p.starts_with("AC") || p.starts_with("SK")));
    let keep = if t.len() > 34 && sid.is_some() {
        let after = &t[34..];
        let sep = after.len()
            - after
                .trim_start_matches(|c: char| !c.is_ascii_alphanumeric() && c != '[')
                .len();
        34 + sep
    } else {
        let word = t.len()
            - t.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let after = &t[word..];
        let gap = after.len() - after.trim_start_matches([' ', '\t', '+']).len();
        let gap = gap + percent_spaces(&after[gap..]);
        if gap > 0 && SCHEMES.iter().any(|w| t[..word].eq_ignore_ascii_case(w)) {
            word + gap
        } else {
            0
        }
    };
    if keep == 0 {
        return Some(Cow::Borrowed(MASK));
    }
    let rest = &t[keep..];
    if only_masks(rest) {
        return None;
    }
    let lead = &v[..v.len() - v.trim_start().len()];
    Some(Cow::Owned(format!("{lead}{}{MASK}", &t[..keep])))
}

/// Does a field name say it holds a secret? Token, secret, password,
/// passwd, passphrase, signature, credential anywhere in it; or a word of
/// it (split at punctuation and camelCase) that is auth, authorization,
/// key, pass, pwd, pw, sig, cred or creds. Idempotency keys and tokens are
/// evidence, not secrets.
fn is_secret_name(name: &str) -> bool {
    let flat: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if flat.contains("idempotency") {
        return false;
    }
    const ANYWHERE: [&str; 11] = [
        "token",
        "secret",
        "password",
        "passwd",
        "passphrase",
        "signature",
        "credential",
        "apikey",
        "authkey",
        "privatekey",
        "accesskey",
    ];
    if ANYWHERE.iter().any(|w| flat.contains(w)) {
        return true;
    }
    const WORDS: [&str; 9] = [
        "auth",
        "authorization",
        "key",
        "pass",
        "pwd",
        "pw",
        "sig",
        "cred",
        "creds",
    ];
    words(name).any(|w| WORDS.contains(&w.as_str()))
}

/// The words of an identifier, lower case: split at non-letters and where
/// a lower-case letter meets a capital (`authToken` → auth, token).
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphabetic() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "f3a9c0de5b7e41d2a8c6e0b4d1f29a77";
    const KEY_SID: &str = "SKfedcba9876543210fedcba9876543210";
    const KEY_SECRET: &str = "Zk3QwP9xLm2Vb7Rt5Ny8Hs4Jd6Fg1Ca0";
    const MSG_SID: &str = "SM00112233445566778899aabbccddeeff";
    /// base64 of `SID:TOKEN`.
    const BASIC: &str =
        "QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpmM2E5YzBkZTViN2U0MWQyYThjNmUwYjRkMWYyOWE3Nw==";
    /// base64 of `KEY_SID:KEY_SECRET`.
    const KEY_BASIC: &str =
        "U0tmZWRjYmE5ODc2NTQzMjEwZmVkY2JhOTg3NjU0MzIxMDpaazNRd1A5eExtMlZiN1J0NU55OEhzNEpkNkZnMUNhMA==";
    const JWT: &str =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJBQzAxMjMifQ.c2lnbmF0dXJlLXZhbHVlcw";
    const SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    const PASSWORD: &str = "hunter2-Pa55";

    /// (template, secret that must go, texts that must stay). `{sid}`,
    /// `{token}`, `{key_sid}`, `{key_secret}`, `{basic}`, `{key_basic}`,
    /// `{jwt}`, `{sig}`, `{pw}`, `{msg}` are filled in.
    const MASKED: &[(&str, &str, &[&str])] = &[
        // Authorization values, any case, with and without the header name.
        (
            "Authorization: Basic {basic}",
            "{basic}",
            &["Authorization: Basic "],
        ),
        ("authorization: basic {basic}", "{basic}", &["basic "]),
        (
            "AUTHORIZATION=Bearer ya29.a0AfH6SMBx3kQ",
            "ya29.a0AfH6SMBx3kQ",
            &["Bearer "],
        ),
        (r#"{"Authorization":"Bearer {jwt}"}"#, "{jwt}", &["Bearer "]),
        (
            r#"{"headers":{"Authorization":["Basic {basic}"]}}"#,
            "{basic}",
            &[],
        ),
        (
            r#"10.0.0.1 - - "POST /x HTTP/1.1" 201 "Basic {basic}""#,
            "{basic}",
            &[],
        ),
        (
            "Authorization: Token 0p4qu3T0k3nV4lu3",
            "0p4qu3T0k3nV4lu3",
            &["Token "],
        ),
        ("Authorization%3A%20Basic%20{basic}", "{basic}", &[]),
        (
            "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA",
            "dXNlcjpwYXNzd29yZA",
            &[],
        ),
        (
            r#"b'POST /x HTTP/1.1\r\nAuthorization: Basic {basic}\r\n'"#,
            "{basic}",
            &[],
        ),
        ("Basic {sid}:{token}", "{token}", &["{sid}"]),
        ("Authorization: Basic webuser:{pw}", "{pw}", &[]),
        ("password=[REDACTED]{pw}", "{pw}", &[]),
        ("{sid}:[REDACTED]{token}", "{token}", &["{sid}"]),
        (r#"sig= "auth_token":"{token}""#, "{token}", &[]),
        (
            "Bearer  X-Twilio-Signature: {sig}",
            "{sig}",
            &["X-Twilio-Signature"],
        ),
        // URL userinfo, plain and percent-encoded; the user (a SID) stays.
        (
            "POST https://{sid}:{token}@api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json",
            "{token}",
            &["https://{sid}:", "/Accounts/{sid}/Messages.json"],
        ),
        ("GET https://user:{pw}@example.com/x", "{pw}", &["user"]),
        (
            "https://user:p@ss{pw}@example.com/",
            "{pw}",
            &["@example.com/"],
        ),
        (
            "cb=https%3A%2F%2Fuser%3A{pw}%40example.com%2Fcb",
            "{pw}",
            &["user"],
        ),
        // Auth Tokens next to an Account SID, any separator.
        ("{sid}:{token}", "{token}", &["{sid}"]),
        ("{sid} {token}", "{token}", &["{sid}"]),
        ("{sid}, {token}", "{token}", &["{sid}"]),
        ("{sid}|{token}", "{token}", &["{sid}"]),
        ("{sid}/{token}", "{token}", &["{sid}"]),
        ("{sid}\t{token}", "{token}", &["{sid}"]),
        ("{sid}%3A{token}", "{token}", &["{sid}"]),
        ("{sid}%2C%20{token}", "{token}", &["{sid}"]),
        ("{token},{sid}", "{token}", &["{sid}"]),
        (r#"{"msg":"creds {sid} {token}"}"#, "{token}", &["{sid}"]),
        (
            r#"{"msg":"creds {sid}, {token}","n":1}"#,
            "{token}",
            &["{sid}"],
        ),
        (
            r#"{"account_sid":"{sid}","auth":"{token}"}"#,
            "{token}",
            &["{sid}"],
        ),
        (
            r#"{"account_sid":"{sid}","secret":"{token}"}"#,
            "{token}",
            &["{sid}"],
        ),
        // Named fields: JSON, form, query, header, logfmt, repr.
        (r#"{"token":"{token}"}"#, "{token}", &[r#""token":""#]),
        (r#"{"twilio_token":"{token}"}"#, "{token}", &[]),
        (r#"{"authToken": "{token}"}"#, "{token}", &[]),
        (r#"{"TWILIO_AUTH_TOKEN":"{token}"}"#, "{token}", &[]),
        (r#"{"token": 1234567890}"#, "1234567890", &[]),
        (r#"{"client":"{sid}:{token}"}"#, "{token}", &["{sid}"]),
        (
            "auth_token={token}&To=%2B14155550134",
            "{token}",
            &["To=%2B14155550134"],
        ),
        (
            "AccountSid={sid}&AuthToken={token}",
            "{token}",
            &["AccountSid={sid}"],
        ),
        (
            "To=%2B14155550134&Password={pw}&Body=Hi",
            "{pw}",
            &["Body=Hi", "%2B14155550134"],
        ),
        (
            "user_agent=twilio-java/10.1.0 password=hunter2hunter2",
            "hunter2hunter2",
            &["twilio-java/10.1.0"],
        ),
        (
            "q=auth_token%3D{token}%26To%3D%252B14155550134",
            "{token}",
            &["%252B14155550134"],
        ),
        ("%7B%22auth_token%22%3A%22{token}%22%7D", "{token}", &[]),
        (r#"password="{pw} and more""#, "{pw}", &[]),
        (
            "{'password': '{pw}', 'to': '+14155550134'}",
            "{pw}",
            &["+14155550134"],
        ),
        (r#":auth_token => "{token}""#, "{token}", &[]),
        ("client_secret: {key_secret}", "{key_secret}", &[]),
        (
            "{AuthToken:{token} AccountSid:{sid}}",
            "{token}",
            &["AccountSid:{sid}"],
        ),
        ("credentials={sid}:{token}", "{token}", &["{sid}"]),
        (r#"{"passwd":"x1"}"#, "x1", &[]),
        (
            r#"{"api_key":"{key_sid}","api_secret":"{key_secret}"}"#,
            "{key_secret}",
            &["{key_sid}"],
        ),
        (r#"{"key":"{key_secret}"}"#, "{key_secret}", &[]),
        // A JSON line quoted inside a JSON string.
        (
            r#"{"msg":"body {\"auth_token\":\"{token}\",\"to\":\"+14155550134\"}"}"#,
            "{token}",
            &["+14155550134"],
        ),
        // JSON escapes between a SID and its secret.
        (
            r#"{"msg":"{key_sid}\t{key_secret}"}"#,
            "{key_secret}",
            &["{key_sid}"],
        ),
        (r#"{"msg":"{sid}\"{token}"}"#, "{token}", &["{sid}"]),
        // API key secrets next to a key SID.
        ("{key_sid}:{key_secret}", "{key_secret}", &["{key_sid}"]),
        ("{key_sid} {key_secret}", "{key_secret}", &["{key_sid}"]),
        ("{key_sid}, {key_secret}", "{key_secret}", &["{key_sid}"]),
        ("{key_sid}|{key_secret}", "{key_secret}", &["{key_sid}"]),
        // A secret of letters only is no word between a SID and a secret.
        (
            "{key_sid}|GbpBUqOzmjMWTGLdUpIFYHFmsUOGTgYl 0123456789abcdef0123456789abcdef",
            "GbpBUqOzmjMWTGLdUpIFYHFmsUOGTgYl",
            &["{key_sid}"],
        ),
        (
            "Basic password=*_2o4IShYXSra3taS7",
            "*_2o4IShYXSra3taS7",
            &[],
        ),
        (
            r#"["{key_sid}","{key_secret}"]"#,
            "{key_secret}",
            &["{key_sid}"],
        ),
        // X-Twilio-Signature, in the ways headers get logged.
        (
            "X-Twilio-Signature: {sig}",
            "{sig}",
            &["X-Twilio-Signature: "],
        ),
        (r#"{"x-twilio-signature":"{sig}"}"#, "{sig}", &[]),
        ("{'X-Twilio-Signature': '{sig}'}", "{sig}", &[]),
        (r#"{"X-Twilio-Signature":["{sig}"]}"#, "{sig}", &[]),
        (
            "http_x_twilio_signature={sig} status=200",
            "{sig}",
            &["status=200"],
        ),
        // JWTs and base64 pairs without a name.
        ("access {jwt} granted", "{jwt}", &["access ", " granted"]),
        ("creds {basic}", "{basic}", &[]),
        (r#"{"authz":"{key_basic}"}"#, "{key_basic}", &[]),
    ];

    /// Text that must come out byte for byte.
    const KEPT: &[&str] = &[
        "POST /2010-04-01/Accounts/{sid}/Messages.json HTTP/1.1",
        "AccountSid={sid}&MessageSid={msg}&To=%2B14155550134&From=%2B14155552345&Body=Your+appointment+is+at+3pm",
        r#"{"account_sid":"{sid}","sid":"{msg}","to":"+14155550134","body":"Basic reminder: your appointment is tomorrow"}"#,
        "/2010-04-01/Accounts/{sid}/Messages/{msg}.json",
        "{sid}, {msg}",
        "{sid} {msg}",
        r#"{"api_key_sid":"{key_sid}","account_sid":"{sid}"}"#,
        "Your verification code is 123456",
        "Token of appreciation; the key to success; basic plan; bearer bonds",
        "I-Twilio-Idempotency-Token: 4f1c0de2-77aa-4b1e-9d0e-1f2a3b4c5d6e",
        r#"{"idempotency_key":"abc123abc123"}"#,
        "https://api.twilio.com:443/2010-04-01/Accounts/{sid}/Messages.json",
        r#"{"token":null,"auth":true,"password":""}"#,
        "whatsapp:+14155550134 +14155550134",
        "MG0123456789abcdef0123456789abcdef {key_sid}",
        "request_id=0123456789abcdef0123456789abcdef",
        "signal=SIGTERM author: Jane monkey=banana",
        "proof: yes; confidence: high; body: Hi there",
        "sidtrace: read 2 file(s), 10 line(s); 3 outbound POST attempt(s)",
        "tokens and keys and passwords, as words",
        // A name at the end of a JSON string: the quote after it ends the string.
        r#"{"msg":"retry with pw=","n":1}"#,
        "",
    ];

    fn fill(t: &str) -> String {
        t.replace("{sid}", SID)
            .replace("{token}", TOKEN)
            .replace("{key_sid}", KEY_SID)
            .replace("{key_secret}", KEY_SECRET)
            .replace("{key_basic}", KEY_BASIC)
            .replace("{basic}", BASIC)
            .replace("{jwt}", JWT)
            .replace("{sig}", SIGNATURE)
            .replace("{pw}", PASSWORD)
            .replace("{msg}", MSG_SID)
    }

    #[test]
    fn every_credential_shape_is_masked() {
        for (template, secret, keep) in MASKED {
            let input = fill(template);
            let secret = fill(secret);
            let out = scrub(&input);
            assert!(!out.contains(&secret), "{template}\n -> {out}");
            assert!(out.contains(MASK), "{template}\n -> {out}");
            for k in keep.iter() {
                assert!(out.contains(&fill(k)), "{template} lost {k}\n -> {out}");
            }
            // JSON stays JSON.
            if serde_json::from_str::<serde_json::Value>(&input).is_ok() {
                assert!(
                    serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                    "{template}\n -> {out}"
                );
            }
            // Scrubbing scrubbed text changes nothing.
            assert_eq!(scrub(&out), out, "{template}");
        }
    }

    #[test]
    fn sids_phones_bodies_and_words_are_kept() {
        for template in KEPT {
            let input = fill(template);
            assert_eq!(scrub(&input), input.as_str(), "{template}");
            assert!(matches!(scrub(&input), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn json_values_are_scrubbed_keys_and_all() {
        let mut v = serde_json::json!({
            "url": fill("https://{sid}:{token}@api.twilio.com/x"),
            "quotes": [[3, fill(r#"{"auth_token":"{token}"}"#)]],
            "nested": {"client": fill("{key_sid}:{key_secret}")},
            "to": "+14155550134",
        });
        if let Some(m) = v.as_object_mut() {
            m.insert(fill("{sid}:{token}"), serde_json::json!(1));
        }
        scrub_json(&mut v);
        let text = v.to_string();
        assert!(
            !text.contains(TOKEN) && !text.contains(KEY_SECRET),
            "{text}"
        );
        assert!(text.contains(SID) && text.contains(KEY_SID) && text.contains("+14155550134"));
        // The order of fields is kept.
        assert!(text.find("\"url\"") < text.find("\"to\""));
    }

    #[test]
    fn the_scrubbing_writer_writes_what_serde_json_writes() {
        let mut keyed = std::collections::BTreeMap::new();
        keyed.insert(7u64, fill("{sid}:{token}"));
        keyed.insert(8u64, "tab\there \"quoted\" \u{1}".to_string());
        let v = serde_json::json!({"a": [1, 2.5, -3, true, null], "b": {"c": "d\n"}});
        for (doc, plain) in [
            (
                serde_json::to_value(&keyed).unwrap_or_default(),
                serde_json::to_string(&keyed).unwrap_or_default(),
            ),
            (v.clone(), serde_json::to_string(&v).unwrap_or_default()),
        ] {
            let mut out = Vec::new();
            to_writer(&mut out, &doc).unwrap_or_default();
            let mut expected = doc.clone();
            scrub_json(&mut expected);
            assert_eq!(
                String::from_utf8_lossy(&out),
                expected.to_string(),
                "{plain}"
            );
            let mut pretty = Vec::new();
            to_writer_pretty(&mut pretty, &doc).unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&pretty),
                serde_json::to_string_pretty(&expected).unwrap_or_default()
            );
        }
        let mut out = Vec::new();
        to_writer(&mut out, &keyed).unwrap_or_default();
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with(r#"{"7":"AC"#) && !text.contains(TOKEN),
            "{text}"
        );
    }

    #[test]
    fn names_are_read_as_words() {
        for n in [
            "authToken",
            "X-Auth",
            "api_key",
            "apiKey",
            "KeySid",
            "sig",
            "Password",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "author",
            "monkey",
            "keyword",
            "signal",
            "IdempotencyKey",
            "oauth_provider",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    // ------------------------------------------------------------ property

    /// [`scrub`] without its triggers: every rule, always.
    fn every_rule(text: &str) -> String {
        let mut s = text.to_string();
        for (_, rule) in RULES {
            let edits = rule(&s);
            if !edits.is_empty() {
                s = apply(&s, edits);
            }
        }
        s
    }

    #[test]
    fn triggers_only_spare_work() {
        for t in MASKED.iter().map(|m| m.0).chain(KEPT.iter().copied()) {
            let input = fill(t);
            assert_eq!(scrub(&input), every_rule(&input), "{t}");
        }
    }

    use proptest::prelude::*;

    /// A credential planted in one of the shapes logs write them in:
    /// (the text to plant, the secret that must not survive).
    fn planted() -> impl Strategy<Value = (String, String)> {
        let hex32 = "[0-9a-f]{32}";
        let alnum32 = "[A-Za-z0-9]{32}";
        let sid = "AC[0-9a-f]{32}";
        let key_sid = "SK[0-9a-f]{32}";
        let password = "[A-Za-z0-9!#*._~-]{6,20}[0-9]";
        let sep = prop::sample::select(vec![
            ":",
            " ",
            ", ",
            "|",
            "/",
            "\t",
            "%3A",
            ";",
            "\",\"",
            "\",\"auth\":\"",
            " - ",
            "%20",
            " token=",
            "','",
        ]);
        let name = prop::sample::select(vec![
            "token",
            "auth_token",
            "AuthToken",
            "authToken",
            "twilio_token",
            "TWILIO_AUTH_TOKEN",
            "password",
            "Password",
            "passwd",
            "secret",
            "client_secret",
            "api_secret",
            "auth",
            "api_key",
            "apiKey",
            "X-Twilio-Signature",
            "signature",
            "credentials",
            "key",
            "pwd",
        ]);
        // (before the value, after it): the ways a name meets its value.
        let assign = prop::sample::select(vec![
            ("=", ""),
            (": ", ""),
            (":", ""),
            ("%3D", ""),
            ("=\"", "\""),
            ("\":\"", "\""),
            ("\": \"", "\""),
            ("': '", "'"),
            (" => \"", "\""),
            ("\\\":\\\"", "\\\""),
            ("%22%3A%22", "%22"),
            ("\":[\"", "\"]"),
        ]);
        prop_oneof![
            // An Auth Token or key secret next to its SID.
            (sid, sep.clone(), hex32).prop_map(|(a, s, t)| (format!("{a}{s}{t}"), t)),
            (key_sid, sep.clone(), alnum32).prop_map(|(k, s, t)| (format!("{k}{s}{t}"), t)),
            (hex32, ",", sid).prop_map(|(t, s, a)| (format!("{t}{s}{a}"), t)),
            // Any secret in a named field.
            (
                name.clone(),
                assign.clone(),
                prop_oneof![hex32, alnum32, password]
            )
                .prop_map(|(n, (a, z), v)| (format!("{n}{a}{v}{z}"), v)),
            // Authorization values.
            (
                sid,
                hex32,
                prop::sample::select(vec!["Authorization: Basic ", "basic ", "\"Basic "])
            )
                .prop_map(|(a, t, h)| {
                    let b = base64_encode(format!("{a}:{t}").as_bytes());
                    (format!("{h}{b}"), b)
                }),
            (key_sid, alnum32).prop_map(|(k, t)| {
                let b = base64_encode(format!("{k}:{t}").as_bytes());
                (format!("creds={b}"), b)
            }),
            (
                "[A-Za-z0-9_-]{8,40}",
                "[A-Za-z0-9_-]{8,40}",
                "[A-Za-z0-9_-]{8,40}"
            )
                .prop_map(|(h, p, g)| {
                    let jwt = format!("eyJ{h}.eyJ{p}.{g}");
                    (format!("Bearer {jwt}"), jwt)
                }),
            ("[a-z]{1,10}", password)
                .prop_map(|(u, p)| (format!("https://{u}:{p}@api.twilio.com/x"), p)),
            (sid, hex32)
                .prop_map(|(a, t)| (format!("https%3A%2F%2F{a}%3A{t}%40api.twilio.com"), t)),
            (sid, hex32).prop_map(|(a, t)| (
                format!(
                    "POST https://{a}:{t}@api.twilio.com/2010-04-01/Accounts/{a}/Messages.json"
                ),
                t
            )),
        ]
    }

    proptest! {
        /// Whatever line a credential is planted in, and however that line
        /// is then quoted (as is, or inside a JSON string), it is gone
        /// after a scrub, and the scrub is idempotent. (JSON stays valid for
        /// the shapes of the table; random text around them can make a
        /// quote in a JSON string read as an opening quote, which is why
        /// sidtrace scrubs its own JSON string by string.)
        #[test]
        fn planted_credentials_never_survive(
            (cred, secret) in planted(),
            before in r#"[a-zA-Z0-9 .,:;=/"'{}\[\]_%&+-]{0,40}"#,
            after in r#"[a-zA-Z0-9 .,:;=/"'{}\[\]_%&+-]{0,40}"#,
        ) {
            let line = format!("{before} {cred} {after}");
            let out = scrub(&line);
            prop_assert!(!out.contains(&secret), "{line}\n -> {out}");
            // The triggers only spare work: every rule run gives the same.
            prop_assert_eq!(&out, &every_rule(&line));
            prop_assert_eq!(scrub(&out), out.clone());
            let json = serde_json::json!({"msg": line}).to_string();
            let out = scrub(&json);
            prop_assert!(!out.contains(&secret), "{json}\n -> {out}");
            prop_assert_eq!(scrub(&out), out.clone());
            // And written by sidtrace's own JSON writer.
            let mut written = Vec::new();
            let doc = serde_json::json!({"msg": line});
            prop_assert!(to_writer(&mut written, &doc).is_ok());
            let back: serde_json::Value = serde_json::from_slice(&written)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(!back.to_string().contains(&secret), "{back}");
        }

        /// In plain text around it, the SID next to a secret, phone numbers
        /// and Message SIDs come out as they went in.
        #[test]
        fn sids_and_numbers_next_to_secrets_stay(
            sid in "AC[0-9a-f]{32}",
            msg in "SM[0-9a-f]{32}",
            token in "[0-9a-f]{32}",
            phone in "\\+1[2-9][0-9]{9}",
            words in "[a-z ]{0,30}",
        ) {
            let line = format!("{words} {sid}:{token} to {phone} sid {msg} {words}");
            let out = scrub(&line);
            prop_assert!(!out.contains(&token));
            for keep in [&sid, &msg, &phone] {
                prop_assert!(out.contains(keep.as_str()), "{line}\n -> {out}");
            }
        }
    }

    #[test]
    fn odd_text_never_panics() {
        for s in [
            "token=",
            "token=\"",
            "\"token\":\"\\",
            "%",
            "%2",
            "token%3D%2",
            "AC",
            "Basic ",
            "é token=é",
            "token=%e9%",
            "://:@",
            "Authorization: Basic",
            "eyJ..",
            "key=[REDACTED",
            "\\\\\\\"token\\\\\\\":\\\\\\\"x",
        ] {
            let once = scrub(s);
            assert_eq!(scrub(&once), once, "{s:?}");
        }
    }
}
