//! Property tests (issue 5, "Fuzzing and properties"):
//! (a) a record rendered with a built-in format, escaped the way nginx or
//!     Apache escapes, parses back to the same fields;
//! (b) the `Messages.json` prefilter never hides a POST the full parser
//!     would find, and extraction finds exactly the POSTs a line-by-line
//!     full parse finds;
//! (c) investigate's report does not depend on file order or thread count.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;

use sidtrace::access::{self, AccessGrammar, Dialect, Escape};
use sidtrace::catalog::{Catalog, Parsed, ParserId};
use sidtrace::extract::{self, messages_endpoint, PREFILTER};
use sidtrace::input::Source;
use sidtrace::progress::Progress;
use sidtrace::record::AccessLine;

// ---------------------------------------------------------------- records

/// One request, with every value a built-in format may log.
#[derive(Debug, Clone)]
struct Rec {
    addr: String,
    user: Option<String>,
    epoch: i64,
    offset_min: i32,
    method: String,
    target: String,
    protocol: String,
    status: u16,
    bytes: u64,
    referer: Option<String>,
    user_agent: Option<String>,
    xff: Option<String>,
    request_time_ms: u32,
    upstream_addr: String,
    upstream_status: String,
    upstream_time: String,
    request_id: String,
    body: Option<String>,
    vhost: String,
    port: u16,
}

impl Rec {
    fn request_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.protocol)
    }

    fn clf_time(&self) -> String {
        let off = FixedOffset::east_opt(self.offset_min * 60).expect("valid offset");
        let t = DateTime::from_timestamp(self.epoch, 0)
            .expect("valid time")
            .with_timezone(&off);
        t.format("%d/%b/%Y:%H:%M:%S %z").to_string()
    }
}

/// Text with everything the escapers must handle: quotes, backslashes,
/// controls, DEL, non-ASCII, spaces.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just(' '),
            1 => prop::char::range('\u{0}', '\u{1f}'),
            1 => Just('\u{7f}'),
            1 => prop::char::range('\u{80}', '\u{2fff}'),
            1 => Just('😀'),
            1 => prop::sample::select(vec!['/', '-', '.', '[', ']', '{', '}', '%', '=', '&', ':']),
        ],
        1..24,
    )
    .prop_map(|v| v.into_iter().collect::<String>())
    .prop_filter("`-` means absent", |s| s != "-")
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._@]{1,12}".prop_filter("`-` means absent", |s| s != "-")
}

fn account() -> impl Strategy<Value = String> {
    "AC[0-9a-f]{32}"
}

/// A request target: a Twilio create-message path (sometimes absolute,
/// sometimes with a query), a lookalike, or any path with odd characters.
fn target() -> impl Strategy<Value = String> {
    let odd = prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just('%'),
            1 => Just('?'),
            1 => prop::char::range('\u{1}', '\u{1f}'),
            1 => prop::char::range('\u{a0}', '\u{2fff}'),
        ],
        0..20,
    )
    .prop_map(|v| format!("/{}", v.into_iter().collect::<String>()));
    prop_oneof![
        2 => (account(), prop::option::of("[A-Za-z0-9=&]{0,12}")).prop_map(|(a, q)| {
            let p = format!("/2010-04-01/Accounts/{a}/Messages.json");
            match q { Some(q) => format!("{p}?{q}"), None => p }
        }),
        1 => account().prop_map(|a| format!("https://api.twilio.com/2010-04-01/Accounts/{a}/Messages.json")),
        1 => account().prop_map(|a| format!("/2010-04-01/Accounts/{a}/Messages")),
        1 => account().prop_map(|a| format!("/2010-04-01/Accounts/{a}/Calls.json")),
        1 => account().prop_map(|a| format!("/2010-04-01/Accounts/{a}/Messages%2Ejson")),
        2 => odd,
    ]
}

fn rec() -> impl Strategy<Value = Rec> {
    let who = (
        prop_oneof![
            "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}",
            "[0-9a-f]{1,4}(:[0-9a-f]{1,4}){7}",
            Just("::1".to_string()),
        ],
        prop::option::of(token()),
        // 2001-09-09 .. 2037-12-31
        1_000_000_000i64..2_145_916_800,
        prop::sample::select(vec![0, -420, 330, 225, 60, -300, 840, -720]),
    );
    let req = (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
        target(),
        prop::sample::select(vec!["HTTP/1.0", "HTTP/1.1", "HTTP/2.0"]),
        100u16..600,
        0u64..10_000_000_000,
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(prop_oneof![
            Just("203.0.113.9, 10.0.0.1".to_string()),
            text()
        ]),
    );
    let up = (
        0u32..100_000,
        prop_oneof![
            Just("10.0.0.1:443".to_string()),
            Just("10.0.0.1:443, 10.0.0.2:443".to_string()),
            Just("10.0.0.1:443 : 10.0.0.3:443".to_string()),
        ],
        prop::sample::select(vec!["201", "502, 201", "400"]),
        prop::sample::select(vec!["0.120", "0.001, 0.340", "1.000"]),
        "[0-9a-f]{32}",
        prop::option::of(text()),
        "[a-z][a-z0-9.-]{0,15}",
        1u16..,
    );
    (who, req, up).prop_map(|(w, r, u)| Rec {
        addr: w.0,
        user: w.1,
        epoch: w.2,
        offset_min: w.3,
        method: r.0.to_string(),
        target: r.1,
        protocol: r.2.to_string(),
        status: r.3,
        bytes: r.4,
        referer: r.5,
        user_agent: r.6,
        xff: r.7,
        request_time_ms: u.0,
        upstream_addr: u.1,
        upstream_status: u.2.to_string(),
        upstream_time: u.3.to_string(),
        request_id: u.4,
        body: u.5,
        vhost: u.6,
        port: u.7,
    })
}

// ---------------------------------------------------------------- writers

/// nginx `escape=default`: `"`, `\`, bytes below 0x20 and from 0x7F as `\xHH`.
fn esc_nginx(s: &str) -> String {
    let mut o = String::new();
    for &b in s.as_bytes() {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            o.push_str(&format!("\\x{b:02X}"));
        } else {
            o.push(b as char);
        }
    }
    o
}

/// nginx `escape=json`: JSON string escapes, bytes from 0x80 raw.
fn esc_json(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// Apache `ap_escape_logitem`: `\"`, `\\`, `\n`/`\r`/`\t`, other
/// non-printable bytes as `\xhh`.
fn esc_apache(s: &str) -> String {
    let mut o = String::new();
    for &b in s.as_bytes() {
        match b {
            b'"' => o.push_str("\\\""),
            b'\\' => o.push_str("\\\\"),
            b'\n' => o.push_str("\\n"),
            b'\r' => o.push_str("\\r"),
            b'\t' => o.push_str("\\t"),
            0x20..=0x7e => o.push(b as char),
            _ => o.push_str(&format!("\\x{b:02x}")),
        }
    }
    o
}

/// The value of an nginx variable for `r`, unescaped (`None`: written `-`).
fn nginx_var(r: &Rec, name: &str) -> Option<String> {
    Some(match name {
        "remote_addr" => r.addr.clone(),
        "remote_user" => return r.user.clone(),
        "time_local" => r.clf_time(),
        "request" => r.request_line(),
        "status" => r.status.to_string(),
        "body_bytes_sent" | "bytes_sent" => r.bytes.to_string(),
        "http_referer" => return r.referer.clone(),
        "http_user_agent" => return r.user_agent.clone(),
        "http_x_forwarded_for" => return r.xff.clone(),
        "request_time" => format!(
            "{}.{:03}",
            r.request_time_ms / 1000,
            r.request_time_ms % 1000
        ),
        "upstream_addr" => r.upstream_addr.clone(),
        "upstream_status" => r.upstream_status.clone(),
        "upstream_response_time" => r.upstream_time.clone(),
        "request_id" | "req_id" => r.request_id.clone(),
        "request_body" => return r.body.clone(),
        "request_length" | "upstream_response_length" => "512".into(),
        "proxy_upstream_name" => "default-svc-80".into(),
        "proxy_alternative_upstream_name" => return None,
        "host" | "server_name" => r.vhost.clone(),
        _ => return None,
    })
}

fn render_nginx(format: &str, r: &Rec, esc: fn(&str) -> String) -> String {
    let b = format.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                let end = format[i..].find('}').map(|e| i + e).expect("closed ${");
                (&format[i + 2..end], end + 1)
            } else {
                let len = format[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(format.len() - i - 1);
                (&format[i + 1..i + 1 + len], i + 1 + len)
            };
            match nginx_var(r, name) {
                Some(v) => out.push_str(&esc(&v)),
                None => out.push('-'),
            }
            i = next;
        } else {
            let c = format[i..].chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn apache_var(r: &Rec, name: &str) -> Option<String> {
    Some(match name {
        "h" | "a" => r.addr.clone(),
        "l" => return None,
        "u" => return r.user.clone(),
        "t" => format!("[{}]", r.clf_time()),
        "r" => r.request_line(),
        ">s" | "s" => r.status.to_string(),
        "b" => {
            if r.bytes == 0 {
                return None;
            }
            r.bytes.to_string()
        }
        "O" | "B" => r.bytes.to_string(),
        "I" => "512".into(),
        "D" => (u64::from(r.request_time_ms) * 1000).to_string(),
        "v" => r.vhost.clone(),
        "p" => r.port.to_string(),
        "{Referer}i" => return r.referer.clone(),
        "{User-Agent}i" => return r.user_agent.clone(),
        _ => return None,
    })
}

fn render_apache(format: &str, r: &Rec) -> String {
    let mut out = String::new();
    let mut chars = format.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let rest = &format[i + 1..];
        let mut len = 0;
        if rest.starts_with('>') || rest.starts_with('<') {
            len += 1;
        }
        if rest[len..].starts_with('{') {
            len += rest[len..].find('}').expect("closed %{") + 1;
        }
        len += 1; // the letter
        let name = rest[..len].trim_start_matches(['<']);
        let v = apache_var(r, name);
        match v {
            Some(v) if name == "t" => out.push_str(&v),
            Some(v) => out.push_str(&esc_apache(&v)),
            None => out.push('-'),
        }
        for _ in 0..len {
            chars.next();
        }
    }
    out
}

fn render(g: &AccessGrammar, r: &Rec) -> String {
    match g.dialect() {
        Dialect::Nginx => render_nginx(g.format_text(), r, esc_nginx),
        Dialect::Apache => render_apache(g.format_text(), r),
    }
}

// ---------------------------------------------------------------- checks

/// Compare every field the format logs with what was rendered.
fn check_fields(g: &AccessGrammar, r: &Rec, a: &AccessLine) -> Result<(), TestCaseError> {
    let f = g.format_text();
    let has = |s: &str| f.contains(s);
    prop_assert!(access::is_exact(a), "trailing text: {:?}", a.fields);
    prop_assert_eq!(a.remote_addr.as_deref(), Some(r.addr.as_str()));
    if has("$remote_user") || has("%u") {
        prop_assert_eq!(&a.remote_user, &r.user);
    }
    let t = a.time.as_ref().expect("a time");
    prop_assert_eq!(t.nanos, r.epoch * 1_000_000_000);
    prop_assert_eq!(t.offset_minutes, Some(r.offset_min));
    let request = r.request_line();
    prop_assert_eq!(a.request_line.as_deref(), Some(request.as_str()));
    prop_assert_eq!(a.method.as_deref(), Some(r.method.as_str()));
    prop_assert_eq!(a.target.as_deref(), Some(r.target.as_str()));
    prop_assert_eq!(a.protocol.as_deref(), Some(r.protocol.as_str()));
    prop_assert_eq!(a.status, Some(r.status));
    prop_assert_eq!(a.bytes_sent, Some(r.bytes));
    if has("Referer") || has("$http_referer") {
        prop_assert_eq!(&a.referer, &r.referer);
    }
    if has("User-Agent") || has("$http_user_agent") {
        prop_assert_eq!(&a.user_agent, &r.user_agent);
    }
    if has("$http_x_forwarded_for") {
        prop_assert_eq!(&a.forwarded_for, &r.xff);
    }
    if has("$request_time") || has("%D") {
        let d = a.duration_ms.expect("a duration");
        prop_assert!((d - f64::from(r.request_time_ms)).abs() < 1e-6, "{d}");
    }
    if has("$upstream_addr") {
        prop_assert_eq!(a.upstream_addr.as_deref(), Some(r.upstream_addr.as_str()));
        prop_assert_eq!(
            a.upstream_status.as_deref(),
            Some(r.upstream_status.as_str())
        );
        prop_assert_eq!(
            a.upstream_response_time.as_deref(),
            Some(r.upstream_time.as_str())
        );
    }
    if has("$request_id") {
        prop_assert_eq!(a.request_id.as_deref(), Some(r.request_id.as_str()));
    }
    if has("$request_body") {
        prop_assert_eq!(&a.request_body, &r.body);
    }
    if has("%v") {
        prop_assert_eq!(a.vhost.as_deref(), Some(r.vhost.as_str()));
    }
    Ok(())
}

fn builtin(name: &str) -> AccessGrammar {
    access::builtin()
        .into_iter()
        .find(|g| g.name() == name)
        .unwrap_or_else(|| panic!("built-in {name}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// (a) nginx `escape=default` and Apache escaping, the main built-ins.
    #[test]
    fn rendered_records_parse_back(r in rec()) {
        for name in [
            "nginx:combined",
            "nginx:main",
            "nginx:egress",
            "apache:combined",
            "apache:vhost_combined",
            "apache:combined_duration",
        ] {
            let g = builtin(name);
            let line = render(&g, &r);
            let a = g.parse(line.as_bytes());
            prop_assert!(a.is_ok(), "{name}: {line:?}: {a:?}");
            check_fields(&g, &r, &a.expect("parsed"))?;
        }
    }

    /// (a) The same formats written with nginx `escape=json`.
    #[test]
    fn json_escaped_records_parse_back(r in rec()) {
        for name in ["nginx:combined", "nginx:main", "nginx:egress"] {
            let text = builtin(name).format_text().to_string();
            let g = AccessGrammar::compile_nginx(name, &text, Escape::Json).expect("compiles");
            let line = render_nginx(&text, &r, esc_json);
            let a = g.parse(line.as_bytes());
            prop_assert!(a.is_ok(), "{name}: {line:?}: {a:?}");
            check_fields(&g, &r, &a.expect("parsed"))?;
        }
    }
}

// ------------------------------------------------------- (b) prefilter

/// True when a full parse of the line gives an outbound POST to the
/// Messages API (what extraction turns into an attempt).
fn is_post(p: &Parsed) -> bool {
    match p {
        Parsed::Access(a) => {
            a.time.is_some()
                && a.method
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                && a.target.as_deref().and_then(messages_endpoint).is_some()
        }
        Parsed::App(r) => {
            !r.webhook
                && r.time.is_some()
                && r.url.as_deref().and_then(messages_endpoint).is_some()
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case("POST"))
        }
    }
}

fn contains(line: &[u8], lit: &[u8]) -> bool {
    line.windows(lit.len()).any(|w| w == lit)
}

/// A JSON application record of an outgoing call, written the way common
/// loggers write it (serde-style, `\/` like PHP, `\uXXXX` for non-ASCII
/// like Python's `ensure_ascii`).
fn json_record(r: &Rec, style: u8) -> String {
    let time = DateTime::from_timestamp(r.epoch, 0)
        .expect("valid time")
        .to_rfc3339();
    let url = if r.target.starts_with('/') {
        format!("https://api.twilio.com{}", r.target)
    } else {
        r.target.clone()
    };
    let rec = serde_json::json!({
        "time": time,
        "level": "info",
        "msg": "twilio request",
        "method": r.method,
        "url": url,
        "request_id": r.request_id,
    });
    let text = serde_json::to_string(&rec).expect("serialises");
    match style % 3 {
        0 => text,
        1 => text.replace('/', "\\/"),
        _ => text
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    let mut b = [0u16; 2];
                    c.encode_utf16(&mut b)
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect()
                }
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// (b) Every line of every built-in format (and JSON app records): when
    /// any parser finds a POST to Messages.json in it, the prefilter
    /// literal is in the raw line.
    #[test]
    fn prefilter_never_hides_a_post(r in rec(), style in any::<u8>()) {
        let catalog = Catalog::builtin();
        let mut lines: Vec<String> = catalog.access.iter().map(|g| render(g, &r)).collect();
        lines.push(json_record(&r, style));
        for line in &lines {
            let mut ids: Vec<ParserId> = (0..catalog.access.len()).map(ParserId::Access).collect();
            ids.push(ParserId::Json);
            for id in ids {
                if let Ok(parsed) = catalog.parse(id, line.as_bytes()) {
                    if parsed.iter().any(is_post) {
                        prop_assert!(
                            contains(line.as_bytes(), PREFILTER),
                            "{} found a POST the prefilter skips: {line:?}",
                            catalog.name(id)
                        );
                    }
                }
            }
        }
    }
}

/// Lines of one file in one format; which lines a line-by-line full parse
/// (with the parser detection picks) reads as POSTs; which lines extraction
/// cites as attempts.
fn extraction_vs_full_parse(dir: &Path, lines: &[String]) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let path = dir.join("access.log");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let catalog = Catalog::builtin();
    let heads: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).take(64).collect();
    let mut want = BTreeSet::new();
    if let Some(id) = catalog.detect(&heads) {
        for (i, l) in lines.iter().enumerate() {
            if let Ok(p) = catalog.parse(id, l.as_bytes()) {
                if p.iter().any(is_post) {
                    want.insert(i as u64 + 1);
                }
            }
        }
    }
    let size = std::fs::metadata(&path).expect("stat").len();
    let label = path.to_string_lossy().into_owned();
    let sources = vec![Source::file(label.clone(), path, size)];
    let x = extract::extract(
        &sources,
        &catalog,
        &extract::Config::default(),
        &Progress::hidden(),
    );
    let got = x
        .attempts
        .iter()
        .flat_map(|a| a.evidence.iter())
        .filter(|e| *e.file == *label)
        .map(|e| e.line)
        .collect();
    (want, got)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// (b) Extraction over a file finds exactly the POSTs a line-by-line
    /// full parse of it finds.
    #[test]
    fn extraction_finds_what_the_full_parse_finds(
        recs in prop::collection::vec(rec(), 1..40),
        fmt in prop::sample::select(vec![
            "nginx:combined", "nginx:egress", "apache:combined", "apache:vhost_combined", "json",
        ]),
        style in any::<u8>(),
    ) {
        let lines: Vec<String> = if fmt == "json" {
            recs.iter().map(|r| json_record(r, style)).collect()
        } else {
            let g = builtin(fmt);
            recs.iter().map(|r| render(&g, r)).collect()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let (want, got) = extraction_vs_full_parse(dir.path(), &lines);
        // The full parse itself finds the POSTs that were written.
        let written: BTreeSet<u64> = recs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.method == "POST" && messages_endpoint(&r.target).is_some())
            .map(|(i, _)| i as u64 + 1)
            .collect();
        prop_assert_eq!(&want, &written, "{}", fmt);
        prop_assert_eq!(want, got, "{}", fmt);
    }
}

// --------------------------------------------- (c) order and threads

#[derive(Debug, Clone)]
struct Send {
    to: usize,
    offset_s: i64,
    sid: String,
    dup: bool,
}

fn scenario() -> impl Strategy<Value = Vec<Send>> {
    prop::collection::vec(
        (0usize..3, 0i64..7200, "[0-9a-f]{32}", any::<bool>()).prop_map(|(to, o, h, dup)| Send {
            to,
            offset_s: o,
            sid: format!("SM{h}"),
            dup,
        }),
        1..8,
    )
}

const ACCT: &str = "ACe268443e43d93dab7ebef303bbe9642f";
const NUMBERS: [&str; 3] = ["+14155550134", "+14155550188", "+447700900123"];

/// Write the scenario as two egress log files, an app log and a Twilio
/// export; return the log paths and the Twilio path.
fn write_scenario(dir: &Path, sends: &[Send]) -> (Vec<String>, String) {
    let base: i64 = 1_795_600_000; // 2026-11-25
    let mut egress = [Vec::new(), Vec::new()];
    let mut app = Vec::new();
    let mut csv = String::from(
        "From,To,Body,Status,SentDate,ApiVersion,NumSegments,ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit\n",
    );
    let mut n = 0;
    for (i, s) in sends.iter().enumerate() {
        let copies = if s.dup { 2 } else { 1 };
        for c in 0..copies {
            n += 1;
            let t = base + s.offset_s + c * 9;
            let to = NUMBERS[s.to];
            let body = format!("Your code is {:06}", i * 7919 % 1_000_000);
            let form = format!(
                "To=%2B{}&From=%2B14155552345&Body={}",
                &to[1..],
                body.replace(' ', "+")
            );
            let rid = format!("{:032x}", n * 1_000_003);
            let r = Rec {
                addr: "10.1.0.7".into(),
                user: None,
                epoch: t,
                offset_min: 0,
                method: "POST".into(),
                target: format!("/2010-04-01/Accounts/{ACCT}/Messages.json"),
                protocol: "HTTP/1.1".into(),
                status: 201,
                bytes: 812,
                referer: None,
                user_agent: Some("twilio-python/9.3.7 (Linux x86_64) Python/3.12.3".into()),
                xff: None,
                request_time_ms: 180,
                upstream_addr: "54.172.60.1:443".into(),
                upstream_status: "201".into(),
                upstream_time: "0.176".into(),
                request_id: rid.clone(),
                body: Some(form),
                vhost: "api.twilio.com".into(),
                port: 443,
            };
            let sid = if c == 0 {
                s.sid.clone()
            } else {
                format!("MM{}", &s.sid[2..])
            };
            egress[(i + c as usize) % 2].push((t, render(&builtin("nginx:egress"), &r)));
            let stamp = DateTime::from_timestamp(t, 0).expect("time").to_rfc3339();
            app.push((
                t,
                serde_json::json!({
                    "time": stamp, "level": "info", "msg": "sent sms",
                    "request_id": rid, "sid": sid, "to": to, "status": 201,
                })
                .to_string(),
            ));
            let date = DateTime::from_timestamp(t + 1, 0)
                .expect("time")
                .to_rfc2822();
            csv.push_str(&format!(
                "+14155552345,{to},\"{body}\",delivered,\"{date}\",2010-04-01,1,,{ACCT},{sid},outbound-api,-0.00790,USD\n"
            ));
        }
    }
    let mut paths = Vec::new();
    for (i, mut lines) in egress.into_iter().enumerate() {
        lines.sort();
        let p = dir.join(format!("egress-{i}.log"));
        let text: String = lines.into_iter().map(|(_, l)| l + "\n").collect();
        std::fs::write(&p, text).expect("write");
        paths.push(p.to_string_lossy().into_owned());
    }
    app.sort();
    let p = dir.join("app.log");
    std::fs::write(
        &p,
        app.into_iter().map(|(_, l)| l + "\n").collect::<String>(),
    )
    .expect("write");
    paths.push(p.to_string_lossy().into_owned());
    let tw = dir.join("twilio.csv");
    std::fs::write(&tw, csv).expect("write");
    (paths, tw.to_string_lossy().into_owned())
}

fn investigate(paths: &[String], twilio: &str, threads: &str, format: &str) -> Vec<u8> {
    let mut args: Vec<String> = [
        "sidtrace",
        "investigate",
        "-q",
        "-j",
        threads,
        "--format",
        format,
        "--twilio",
        twilio,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(paths.iter().cloned());
    let cli = <sidtrace::cli::Cli as clap::Parser>::try_parse_from(&args).expect("valid arguments");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    sidtrace::app::run(cli.command, &mut out, &mut err).expect("runs");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// (c) The same report whatever the order of the paths and the number
    /// of threads.
    #[test]
    fn report_does_not_depend_on_order_or_threads(sends in scenario(), perm in any::<prop::sample::Index>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut sends = sends;
        sends[0].dup = true;
        let (paths, twilio) = write_scenario(dir.path(), &sends);
        let mut orders = vec![paths.clone()];
        let mut rev = paths.clone();
        rev.reverse();
        orders.push(rev);
        let mut rot = paths.clone();
        rot.rotate_left(perm.index(paths.len()));
        orders.push(rot);
        for format in ["json", "text"] {
            let reference = investigate(&paths, &twilio, "1", format);
            // The duplicated message is in the report.
            prop_assert!(String::from_utf8_lossy(&reference).contains(&sends[0].sid[2..]));
            for order in &orders {
                for threads in ["1", "2"] {
                    let got = investigate(order, &twilio, threads, format);
                    prop_assert!(
                        got == reference,
                        "{format}, -j {threads}, order {order:?}:\n{}\n---- vs ----\n{}",
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&reference)
                    );
                }
            }
        }
    }
}

#[test]
fn renderers_write_what_the_servers_write() {
    assert_eq!(esc_nginx("a\"b\\c\u{1}é"), "a\\x22b\\x5Cc\\x01\\xC3\\xA9");
    assert_eq!(esc_apache("a\"b\\c\u{1}\n"), "a\\\"b\\\\c\\x01\\n");
    assert_eq!(esc_json("a\"\u{1}é"), "a\\\"\\u0001é");
}
