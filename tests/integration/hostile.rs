//! Hostile input, faults and secrets (issue 5): every test runs the binary
//! on files it writes, and checks the exit status, the message (file and
//! line) and that the good lines around the bad one were still read.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::util::*;

const ACCT: &str = "AC0123456789abcdef0123456789abcdef";
const UA: &str = "twilio-python/9.3.7 (Linux x86_64) Python/3.11.9";

/// An nginx `combined` line of an outbound POST at second `sec` past 14:00,
/// to `to` (URL-encoded) in the query.
fn post(sec: u32, to: &str) -> String {
    format!(
        "10.0.0.5 - - [20/Nov/2026:14:{:02}:{:02} +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json?To={to} HTTP/1.1\" 201 812 \"-\" \"{UA}\"",
        sec / 60,
        sec % 60
    )
}

fn posts(range: std::ops::Range<u32>) -> String {
    range.map(|i| post(i, "%2B14155550134") + "\n").collect()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = dir.join(name).parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(dir.join(name), bytes).unwrap();
}

/// (file, line) of every attempt's first evidence.
fn cited(out: &Output) -> Vec<(String, u64)> {
    json_lines(&stdout(out))
        .iter()
        .map(|a| {
            (
                a["evidence"][0]["file"].as_str().unwrap().to_string(),
                a["evidence"][0]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn lines_of(out: &Output, file: &str) -> Vec<u64> {
    let mut v: Vec<u64> = cited(out)
        .into_iter()
        .filter(|(f, _)| f == file)
        .map(|(_, l)| l)
        .collect();
    v.sort_unstable();
    v
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

// ---------------------------------------------------------------- compression

#[test]
fn gzip_followed_by_garbage_keeps_every_line_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = gzip(posts(0..20).as_bytes());
    gz.extend_from_slice(b"\x00\x00garbage after the stream\xff\xfe\n");
    write(dir.path(), "trail.log.gz", &gz);
    write(dir.path(), "good.log", posts(0..2));
    let out = run_in(dir.path(), &["extract", "trail.log.gz", "good.log"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("trail.log.gz"), "{err}");
    assert!(err.contains("corrupt") || err.contains("garbage"), "{err}");
    assert_eq!(lines_of(&out, "trail.log.gz"), (1..=20).collect::<Vec<_>>());
    assert_eq!(lines_of(&out, "good.log"), vec![1, 2]);
}

#[test]
fn a_zero_length_gz_is_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "access.log.1.gz", b"");
    write(dir.path(), "access.log", posts(0..3));
    let out = run_in(dir.path(), &["extract", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "./access.log"), vec![1, 2, 3]);
    assert!(stderr(&out).contains("read 2 file(s)"), "{}", stderr(&out));
}

#[test]
fn a_zstd_frame_cut_short_keeps_the_lines_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let text = posts(0..3000);
    let z = zstd(text.as_bytes());
    write(dir.path(), "cut.log.zst", &z[..z.len() * 2 / 3]);
    write(dir.path(), "good.log", posts(0..2));
    let out = run_in(dir.path(), &["extract", "cut.log.zst", "good.log"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    let read = lines_of(&out, "cut.log.zst");
    assert!(err.contains("cut.log.zst:"), "{err}");
    assert!(
        err.contains("ends early") || err.contains("corrupt"),
        "{err}"
    );
    assert!(read.len() > 100 && read.len() < 3000, "{}", read.len());
    // The lines read are the first ones, without a hole.
    assert_eq!(read, (1..=read.len() as u64).collect::<Vec<_>>());
    assert_eq!(lines_of(&out, "good.log"), vec![1, 2]);
}

#[test]
fn bzip2_and_xz_cut_short_keep_the_lines_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let text = posts(0..3000);
    let bz = crate::util::bzip2(text.as_bytes());
    let x = crate::util::xz(text.as_bytes());
    write(dir.path(), "cut.log.bz2", &bz[..bz.len() * 2 / 3]);
    write(dir.path(), "cut.log.xz", &x[..x.len() * 2 / 3]);
    let out = run_in(dir.path(), &["extract", "cut.log.bz2", "cut.log.xz"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    for name in ["cut.log.bz2", "cut.log.xz"] {
        assert!(err.contains(&format!("{name}:")), "{err}");
        let read = lines_of(&out, name);
        assert!(read.len() < 3000, "{name}: {}", read.len());
        // The lines read are the first ones, without a hole.
        assert_eq!(read, (1..=read.len() as u64).collect::<Vec<_>>(), "{name}");
    }
}

#[test]
fn text_that_starts_like_bzip2_is_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("BZh9 is not a bzip2 header here\n");
    text.push_str(&posts(0..3));
    write(dir.path(), "access.log", text);
    let out = run_in(dir.path(), &["extract", "access.log"]);
    assert_eq!(
        lines_of(&out, "access.log"),
        vec![2, 3, 4],
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_file_named_gz_that_is_plain_text_is_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "access.log.2.gz", posts(0..4));
    let out = run_in(dir.path(), &["extract", "access.log.2.gz"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "access.log.2.gz"), vec![1, 2, 3, 4]);
}

// ---------------------------------------------------------------- bytes

/// Replace the `nth` occurrence of `field` in `line` with bytes that are not
/// UTF-8 around it.
fn corrupt(line: &str, field: &str) -> Vec<u8> {
    let i = line
        .find(field)
        .unwrap_or_else(|| panic!("{field} in {line}"));
    let mut v = line.as_bytes()[..i].to_vec();
    v.extend_from_slice(b"\xff\xfe");
    v.extend_from_slice(field.as_bytes());
    v.extend_from_slice(b"\xc3\x28\x80");
    v.extend_from_slice(&line.as_bytes()[i + field.len()..]);
    v
}

/// For each field, a file `<tag><i>.log`: a good line, the line with that
/// field corrupted, a good line. The good lines are read; the bad one is
/// read or cited with its line number; the run never crashes.
fn every_field_of(tag: &str, good: &dyn Fn(u32) -> String, fields: &[&str], args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let name = format!("{tag}{i}.log");
        let mut bytes = (good(1) + "\n").into_bytes();
        bytes.extend(corrupt(&good(2), f));
        bytes.push(b'\n');
        bytes.extend((good(3) + "\n").into_bytes());
        write(dir.path(), &name, bytes);
        names.push(name);
    }
    let mut a: Vec<&str> = vec!["extract", "-j", "1"];
    a.extend(args);
    a.extend(names.iter().map(String::as_str));
    let out = run_in(dir.path(), &a);
    let err = stderr(&out);
    assert!(code(&out) == 0 || code(&out) == 3, "{err}");
    for (name, f) in names.iter().zip(fields) {
        let read = lines_of(&out, name);
        assert!(
            read.contains(&1) && read.contains(&3),
            "{tag} {f:?}: good lines of {name} read: {read:?}\n{err}"
        );
        assert!(
            read.contains(&2) || err.contains(&format!("{name}:2")),
            "{tag} {f:?}: the bad line of {name} is read or cited: {read:?}\n{err}"
        );
    }
}

#[test]
fn invalid_utf8_in_every_field_of_nginx_combined() {
    every_field_of(
        "nginx",
        &|i| post(i, "%2B14155550134"),
        &[
            "10.0.0.5",
            " - ",
            "20/Nov/2026",
            "POST",
            "/2010-04-01",
            "To=",
            "HTTP/1.1",
            " 201 ",
            " 812 ",
            "\"-\"",
            "twilio-python",
        ],
        &[],
    );
}

fn egress_grammar(dir: &Path) -> String {
    let p = dir.join("egress.conf");
    fs::write(
        &p,
        "log_format egress '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent $request_time \"$http_user_agent\" \"$http_authorization\" \"$request_body\"';\n",
    )
    .unwrap();
    p.to_string_lossy().into_owned()
}

fn egress(i: u32, user: &str, auth: &str, body: &str) -> String {
    format!(
        "10.0.0.6 - {user} [20/Nov/2026:14:00:{i:02} +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 201 812 0.412 \"{UA}\" \"{auth}\" \"{body}\""
    )
}

#[test]
fn invalid_utf8_in_every_field_of_an_nginx_egress_format() {
    let dir = tempfile::tempdir().unwrap();
    let g = egress_grammar(dir.path());
    every_field_of(
        "egress",
        &|i| {
            egress(
                i,
                ACCT,
                "-",
                "To=%2B14155550134&From=%2B14155552345&Body=Hi+there",
            )
        },
        &[
            "10.0.0.6",
            ACCT,
            "20/Nov",
            "POST",
            "Messages.json",
            " 201 ",
            "0.412",
            "Python",
            "\"-\"",
            "Body=Hi",
            "To=",
        ],
        &["--grammar", &g],
    );
}

fn apache_line(i: u32, ua: &str) -> String {
    format!(
        "api.example.com:443 10.0.0.7 - - [20/Nov/2026:15:00:{i:02} +0100] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json?To=%2B14155550134 HTTP/1.1\" 201 812 \"-\" \"{ua}\""
    )
}

#[test]
fn invalid_utf8_in_every_field_of_apache_vhost_combined() {
    every_field_of(
        "apache",
        &|i| apache_line(i, UA),
        &[
            "api.example.com",
            ":443",
            "10.0.0.7",
            "20/Nov",
            "+0100",
            "POST",
            "Accounts",
            " 201 ",
            " 812 ",
            "\"-\"",
            "Linux",
        ],
        &[],
    );
}

fn json_line(i: u32, extra: &str) -> String {
    format!(
        r#"{{"time":"2026-11-20T14:00:{i:02}Z","level":"info","logger":"app.sms","msg":"twilio request","method":"POST","url":"https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json","to":"+14155550134","body":"Hello there","request_id":"req-{i:06}"{extra}}}"#
    )
}

#[test]
fn invalid_utf8_in_every_field_of_a_json_record() {
    every_field_of(
        "json",
        &|i| json_line(i, ""),
        &[
            "2026-11-20",
            "\"level\"",
            "info",
            "app.sms",
            "twilio request",
            "\"POST\"",
            "api.twilio",
            "+1415",
            "Hello",
            "req-",
        ],
        &[],
    );
}

#[test]
fn nul_bytes_in_a_line_and_a_run_of_nuls_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = posts(0..2).into_bytes();
    bytes.extend(
        post(2, "%2B14155550134")
            .replace("Linux", "Li\0nux")
            .into_bytes(),
    );
    bytes.push(b'\n');
    // A crash leaves a preallocated tail of NULs, then the log goes on.
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    bytes.push(b'\n');
    bytes.extend(posts(3..5).into_bytes());
    write(dir.path(), "a.log", bytes);
    let out = run_in(dir.path(), &["extract", "a.log"]);
    assert!(code(&out) == 0 || code(&out) == 3, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "a.log"), vec![1, 2, 3, 5, 6]);
}

#[test]
fn a_bom_at_the_start_of_a_log_file_is_not_part_of_the_first_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nginx.log", format!("\u{feff}{}", posts(0..3)));
    write(
        dir.path(),
        "app.log",
        format!("\u{feff}{}\n{}\n", json_line(1, ""), json_line(2, "")),
    );
    let out = run_in(dir.path(), &["extract", "nginx.log", "app.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "nginx.log"), vec![1, 2, 3]);
    assert_eq!(lines_of(&out, "app.log"), vec![1, 2]);
}

#[test]
fn crlf_line_endings_in_a_json_log() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.log",
        format!("{}\r\n{}\r\n", json_line(1, ""), json_line(2, "")),
    );
    let out = run_in(dir.path(), &["extract", "app.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "app.log"), vec![1, 2]);
}

#[test]
fn a_64_mib_line_is_capped_reported_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = posts(0..2).into_bytes();
    bytes.extend(std::iter::repeat_n(b'A', 64 << 20));
    bytes.extend_from_slice(b" Messages.json\n");
    bytes.extend(posts(2..4).into_bytes());
    write(dir.path(), "big.log", bytes);
    // Under an address-space limit far below the line's size, the run can
    // only finish if the line is never held whole.
    let out = extract_capped(dir.path(), "big.log");
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("big.log:3: 1 line(s) longer than 1048576 bytes"),
        "{err}"
    );
    assert_eq!(lines_of(&out, "big.log"), vec![1, 2, 4, 5]);
}

/// Run sidtrace under `ulimit -v` (address space) of 48 MiB more than an
/// idle run needs, so holding a 64 MiB buffer fails.
fn limited(dir: &Path, args: &[&str]) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("sidtrace");
    let mut script = format!("ulimit -v {} && exec '{}'", LIMIT_KB, bin.display());
    for a in args {
        script.push_str(&format!(" '{a}'"));
    }
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap()
}

const LIMIT_KB: u64 = 160 * 1024;

#[test]
fn a_decompression_bomb_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of zeros: 1024 gzip members of 1 MiB each, about 1 MB on disk.
    let member = gzip(&vec![0u8; 1 << 20]);
    let mut bomb = posts(0..1).into_bytes();
    bomb = gzip(&bomb);
    for _ in 0..1024 {
        bomb.extend_from_slice(&member);
    }
    bomb.extend(gzip(format!("\n{}", posts(1..2)).as_bytes()));
    write(dir.path(), "bomb.log.gz", &bomb);
    let out = extract_capped(dir.path(), "bomb.log.gz");
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("bomb.log.gz:2: 1 line(s) longer than"),
        "{err}"
    );
    assert_eq!(lines_of(&out, "bomb.log.gz"), vec![1, 3]);
}

#[test]
fn a_file_of_only_newlines_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "blank.log", "\n".repeat(50));
    write(dir.path(), "crlf.log", "\r\n".repeat(50));
    write(dir.path(), "good.log", posts(0..1));
    let out = run_in(
        dir.path(),
        &["extract", "blank.log", "crlf.log", "good.log"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "good.log"), vec![1]);
    assert!(stderr(&out).contains("101 line(s)"), "{}", stderr(&out));
}

#[test]
fn a_last_line_without_newline_in_a_gzip_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = posts(0..3);
    write(dir.path(), "a.log.gz", gzip(text.trim_end().as_bytes()));
    let out = run_in(dir.path(), &["extract", "a.log.gz"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "a.log.gz"), vec![1, 2, 3]);
}

// ---------------------------------------------------------------- escapes

#[test]
fn nginx_hex_escapes_in_the_request_line_and_user_agent() {
    let dir = tempfile::tempdir().unwrap();
    let esc = format!(
        "10.0.0.5 - - [20/Nov/2026:14:00:02 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json?To=%2B14155550134&x=\\x22q\\x22 HTTP/1.1\" 201 812 \"-\" \"twilio-python/9.3.7 \\x22quoted\\x22 caf\\xC3\\xA9\""
    );
    write(
        dir.path(),
        "a.log",
        format!("{}{esc}\n{}", posts(0..2), posts(3..4)),
    );
    let out = run_in(dir.path(), &["extract", "a.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "a.log"), vec![1, 2, 3, 4]);
    let a = json_lines(&stdout(&out));
    let third = a.iter().find(|a| a["evidence"][0]["line"] == 3).unwrap();
    assert_eq!(third["library"], "twilio-python/9.3.7");
    assert_eq!(third["recipient"], "+14155550134");
    let ua = third["user_agent"].as_str().unwrap();
    assert!(ua.contains("\"quoted\""), "{ua}");
}

#[test]
fn apache_backslash_quotes_in_the_request_line_and_user_agent() {
    let dir = tempfile::tempdir().unwrap();
    let esc = apache_line(2, "twilio-java/10.1.0 (\\\"quoted\\\") Java/17")
        .replace(" HTTP/1.1", "&q=\\\"x\\\" HTTP/1.1");
    write(
        dir.path(),
        "a.log",
        format!("{}\n{esc}\n{}\n", apache_line(1, UA), apache_line(3, UA)),
    );
    let out = run_in(dir.path(), &["extract", "a.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "a.log"), vec![1, 2, 3]);
    let a = json_lines(&stdout(&out));
    let second = a.iter().find(|a| a["evidence"][0]["line"] == 2).unwrap();
    assert_eq!(second["library"], "twilio-java/10.1.0");
    assert!(
        second["user_agent"]
            .as_str()
            .unwrap()
            .contains("(\"quoted\")"),
        "{second}"
    );
}

#[test]
fn tls_handshakes_dash_request_lines_and_status_000_are_lines_like_any() {
    let dir = tempfile::tempdir().unwrap();
    let junk = [
        "203.0.113.9 - - [20/Nov/2026:14:00:02 +0000] \"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\" 400 157 \"-\" \"-\"",
        "203.0.113.9 - - [20/Nov/2026:14:00:03 +0000] \"-\" 400 0 \"-\" \"-\"",
        "203.0.113.9 - - [20/Nov/2026:14:00:04 +0000] \"GET / HTTP/1.1\" 000 0 \"-\" \"-\"",
    ];
    let zero = post(5, "%2B14155550134").replace("\" 201 812", "\" 000 0");
    let text = format!(
        "{}{}\n{zero}\n{}",
        posts(0..2),
        junk.join("\n"),
        posts(6..7)
    );
    write(dir.path(), "a.log", text);
    let out = run_in(dir.path(), &["extract", "a.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 line(s) not parsed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lines_of(&out, "a.log"), vec![1, 2, 6, 7]);
    let a = json_lines(&stdout(&out));
    let z = a.iter().find(|a| a["evidence"][0]["line"] == 6).unwrap();
    assert!(
        z["failure"].is_object(),
        "a 000 is a request without a response: {z}"
    );
}

// ---------------------------------------------------------------- JSON

#[test]
fn a_json_record_cut_off_mid_string_is_cited_and_its_neighbours_read() {
    let dir = tempfile::tempdir().unwrap();
    let cut = json_line(2, "");
    let cut = &cut[..cut.find("Hello").unwrap() + 3];
    write(
        dir.path(),
        "app.log",
        format!("{}\n{cut}\n{}\n", json_line(1, ""), json_line(3, "")),
    );
    let out = run_in(dir.path(), &["extract", "app.log"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("app.log:2:"), "{}", stderr(&out));
    assert_eq!(lines_of(&out, "app.log"), vec![1, 3]);
}

#[test]
fn pretty_printed_json_is_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let v: serde_json::Value = serde_json::from_str(&json_line(1, "")).unwrap();
    write(
        dir.path(),
        "pretty.log",
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    );
    write(dir.path(), "good.log", posts(0..1));
    let out = run_in(dir.path(), &["extract", "pretty.log", "good.log"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("pretty.log"), "{err}");
    assert!(
        err.contains("1 of them mention Messages.json") || err.contains("pretty.log:"),
        "{err}"
    );
    assert_eq!(lines_of(&out, "good.log"), vec![1]);
}

#[test]
fn a_prefix_before_the_json_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "caddy  | {}\ncaddy  | {}\n",
        json_line(1, ""),
        json_line(2, "")
    );
    write(dir.path(), "compose.log", text);
    let out = run_in(dir.path(), &["extract", "compose.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines_of(&out, "compose.log"), vec![1, 2]);
}

#[test]
fn wrong_types_duplicate_keys_and_deep_nesting_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(",\"ctx\":{}1{}", "[".repeat(5000), "]".repeat(5000));
    let lines = [
        json_line(1, ""),
        json_line(2, ",\"status\":\"201\",\"pid\":[1],\"level\":30"),
        json_line(3, ",\"logger\":{\"name\":7},\"caller\":false"),
        json_line(4, ",\"to\":\"+14155550199\""),
        json_line(5, &deep),
        json_line(6, ",\"time\":null,\"ts\":1795183206.5"),
        json_line(7, ""),
    ];
    write(dir.path(), "app.log", lines.join("\n") + "\n");
    let out = run_in(dir.path(), &["extract", "-j", "1", "app.log"]);
    let err = stderr(&out);
    assert!(code(&out) == 0 || code(&out) == 3, "{err}");
    let read = lines_of(&out, "app.log");
    for n in 1..=7u64 {
        assert!(
            read.contains(&n) || err.contains(&format!("app.log:{n}:")),
            "line {n} read or cited: {read:?}\n{err}"
        );
    }
    assert!(read.contains(&1) && read.contains(&7));
    // Duplicate keys: one value wins, the same on every run.
    let a = json_lines(&stdout(&out));
    if let Some(dup) = a.iter().find(|a| a["evidence"][0]["line"] == 4) {
        let to = dup["recipient"].as_str().unwrap();
        assert!(to == "+14155550134" || to == "+14155550199", "{to}");
    }
}

// ---------------------------------------------------------------- Twilio exports

const SID_A: &str = "SM0123456789abcdef0123456789abcd01";
const SID_B: &str = "SM0123456789abcdef0123456789abcd02";

/// Run a complaint investigation of +14155550134 with `export` as the
/// Twilio file next to a log of one POST; the records the report lists as
/// (sid, date_sent, body, line).
fn records_read(name: &str, export: &[u8]) -> (Output, Vec<(String, String, String, u64)>) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, export);
    write(dir.path(), "a.log", posts(0..1));
    let out = run_in(
        dir.path(),
        &[
            "investigate",
            "--format",
            "json",
            "--twilio",
            name,
            "--to",
            "+14155550134",
            "a.log",
        ],
    );
    let r: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let recs = r["incidents"][0]["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|x| {
            (
                x["sid"].as_str().unwrap_or("").to_string(),
                x["date_sent"].as_str().unwrap_or("").to_string(),
                x["body"].as_str().unwrap_or("").to_string(),
                x["evidence"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    (out, recs)
}

fn rec(sid: &str, date: &str, body: &str, line: u64) -> (String, String, String, u64) {
    (sid.into(), date.into(), body.into(), line)
}

#[test]
fn twilio_csv_reordered_extra_columns_trailing_empty_column_bom_and_quoted_newlines() {
    let csv = format!(
        "\u{feff}Status,Sid,Body,Note,To,From,SentDate,\n\
         delivered,{SID_A},\"Hello\nthere, \"\"you\"\"\",x,+14155550134,+14155552345,\"Fri, 20 Nov 2026 14:00:00 +0000\",\n\
         delivered,{SID_B},\"Hello\nthere, \"\"you\"\"\",y,+14155550134,+14155552345,\"Fri, 20 Nov 2026 14:00:30 +0000\",\n"
    );
    let (out, recs) = records_read("messages.csv", csv.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let body = "Hello\nthere, \"you\"";
    assert_eq!(
        recs,
        vec![
            rec(SID_A, "2026-11-20T14:00:00Z", body, 2),
            rec(SID_B, "2026-11-20T14:00:30Z", body, 4)
        ]
    );
}

#[test]
fn twilio_csv_with_missing_columns() {
    let csv = format!(
        "Sid,To,SentDate\n{SID_A},+14155550134,\"Fri, 20 Nov 2026 14:00:00 +0000\"\n{SID_B},+14155550134,\"Fri, 20 Nov 2026 14:00:30 +0000\"\n"
    );
    let (out, recs) = records_read("messages.csv", csv.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        recs,
        vec![
            rec(SID_A, "2026-11-20T14:00:00Z", "", 2),
            rec(SID_B, "2026-11-20T14:00:30Z", "", 3)
        ]
    );
}

#[test]
fn twilio_csv_after_a_spreadsheet_resave() {
    // Every field quoted, CRLF, dates rewritten in the spreadsheet's way.
    let csv = format!(
        "\"From\",\"To\",\"Body\",\"Status\",\"SentDate\",\"Sid\"\r\n\
         \"+14155552345\",\"+14155550134\",\"Hi\",\"delivered\",\"2026-11-20 14:00:00\",\"{SID_A}\"\r\n\
         \"+14155552345\",\"+14155550134\",\"Hi\",\"delivered\",\"11/20/2026 14:00:30\",\"{SID_B}\"\r\n"
    );
    let (out, recs) = records_read("messages.csv", csv.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        recs,
        vec![
            rec(SID_A, "2026-11-20T14:00:00Z", "Hi", 2),
            rec(SID_B, "2026-11-20T14:00:30Z", "Hi", 3)
        ]
    );
}

#[test]
fn twilio_api_page_with_nulls_and_numbers_as_strings() {
    let page = format!(
        r#"{{"messages":[
{{"sid":"{SID_A}","to":"+14155550134","from":"+14155552345","body":"Hi","status":"delivered","direction":"outbound-api","date_created":"Fri, 20 Nov 2026 14:00:00 +0000","date_sent":null,"num_segments":"1","price":null,"error_code":"30003","error_message":null}},
{{"sid":"{SID_B}","to":"+14155550134","from":null,"body":null,"status":"sent","direction":"outbound-api","date_created":"Fri, 20 Nov 2026 14:00:30 +0000","date_sent":"Fri, 20 Nov 2026 14:00:31 +0000","num_segments":1,"price":"-0.0079","error_code":null}}
],"page":0,"page_size":50,"next_page_uri":null}}"#
    );
    let (out, recs) = records_read("page.json", page.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sids: Vec<&str> = recs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(sids, vec![SID_A, SID_B]);
    assert_eq!(recs[1].1, "2026-11-20T14:00:31Z");
}

#[test]
fn a_twilio_csv_row_that_cannot_be_read_is_cited_and_the_others_kept() {
    let csv = format!(
        "Sid,To,SentDate,Body\n{SID_A},+14155550134,\"Fri, 20 Nov 2026 14:00:00 +0000\",a\nnot-a-sid,+14155550134,yesterday,a\n{SID_B},+14155550134,\"Fri, 20 Nov 2026 14:00:30 +0000\",a\n"
    );
    let (out, recs) = records_read("messages.csv", csv.as_bytes());
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("messages.csv:3"), "{}", stderr(&out));
    let lines: Vec<u64> = recs.iter().map(|r| r.3).collect();
    assert_eq!(lines, vec![2, 4]);
}

// ---------------------------------------------------------------- dates

#[test]
fn dst_changes_year_boundaries_odd_offsets_and_leap_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let at = |stamp: &str| {
        format!(
            "10.0.0.5 - - [{stamp}] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json?To=%2B14155550134 HTTP/1.1\" 201 812 \"-\" \"{UA}\""
        )
    };
    // (local stamp, the instant in UTC)
    let cases = [
        ("01/Nov/2026:01:59:59 -0400", "2026-11-01T05:59:59Z"),
        ("01/Nov/2026:01:00:01 -0500", "2026-11-01T06:00:01Z"),
        ("08/Mar/2026:01:59:59 -0500", "2026-03-08T06:59:59Z"),
        ("08/Mar/2026:03:00:00 -0400", "2026-03-08T07:00:00Z"),
        ("31/Dec/2026:23:59:59 +0000", "2026-12-31T23:59:59Z"),
        ("01/Jan/2027:00:00:01 +0000", "2027-01-01T00:00:01Z"),
        ("01/Jan/2027:05:30:02 +0530", "2027-01-01T00:00:02Z"),
        ("01/Jan/2027:03:45:03 +0345", "2027-01-01T00:00:03Z"),
        ("31/Dec/2016:23:59:60 +0000", "2017-01-01T00:00:00Z"),
    ];
    let text: String = cases.iter().map(|(s, _)| at(s) + "\n").collect();
    write(dir.path(), "a.log", text);
    let out = run_in(dir.path(), &["extract", "a.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got: Vec<(u64, i64)> = json_lines(&stdout(&out))
        .iter()
        .map(|a| {
            (
                a["evidence"][0]["line"].as_u64().unwrap(),
                a["time"]["nanos"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), cases.len(), "{got:?}");
    for (i, (stamp, utc)) in cases.iter().enumerate() {
        let want = chrono::DateTime::parse_from_rfc3339(utc)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap();
        let line = i as u64 + 1;
        let (_, nanos) = got.iter().find(|(l, _)| *l == line).unwrap();
        // A leap second is read as the last instant of its minute or the
        // first of the next: never dropped, never a day off.
        let slack = if stamp.contains(":60 ") {
            1_000_000_000
        } else {
            0
        };
        assert!((nanos - want).abs() <= slack, "{stamp}: {nanos} vs {want}");
    }
    // Output is in time order, so the year boundary sorts right.
    let times: Vec<i64> = got.iter().map(|g| g.1).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted);
}

// ---------------------------------------------------------------- the file system

#[test]
fn unreadable_files_symlink_loops_and_fifos_inside_a_directory() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    write(&logs, "a-good.log", posts(0..2));
    write(&logs, "b-locked.log", posts(2..3));
    let locked = logs.join("b-locked.log");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    // root reads anything: then the file is simply read.
    let still_readable = fs::read(&locked).is_ok();
    symlink("c-loop", logs.join("c-loop")).unwrap();
    fs::create_dir(logs.join("d-sub")).unwrap();
    symlink("..", logs.join("d-sub/up")).unwrap();
    let fifo = logs.join("e-fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let out = run_in(dir.path(), &["extract", "logs"]);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    assert_eq!(lines_of(&out, "logs/a-good.log"), vec![1, 2]);
    if still_readable {
        assert_eq!(lines_of(&out, "logs/b-locked.log"), vec![1]);
    } else {
        assert!(err.contains("logs/b-locked.log: cannot open"), "{err}");
    }
    assert!(
        err.contains("logs/c-loop: broken or looping symbolic link"),
        "{err}"
    );
    assert!(err.contains("logs/d-sub/up: symbolic link loop"), "{err}");
    if made {
        assert!(
            err.contains("logs/e-fifo: not a regular file"),
            "a FIFO in a directory is skipped, not waited on: {err}"
        );
    }
}

#[test]
fn a_file_still_being_appended_to_is_read_up_to_where_it_was() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.log");
    fs::write(&path, posts(0..500)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let path = path.clone();
        std::thread::spawn(move || {
            let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
            let mut i = 500u32;
            while !stop.load(Ordering::Relaxed) && i < 200_000 {
                f.write_all((post(i % 3600, "%2B14155550134") + "\n").as_bytes())
                    .unwrap();
                i += 1;
                if i % 50 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        })
    };
    let out = run_in(dir.path(), &["extract", "-j", "1", "live.log"]);
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let err = stderr(&out);
    // A line cut by the writer mid-write may be counted as not parsed.
    assert!(code(&out) == 0 || code(&out) == 3, "{err}");
    let read = lines_of(&out, "live.log");
    assert!(read.len() >= 500, "{}", read.len());
    assert_eq!(read[..500], (1..=500).collect::<Vec<_>>()[..]);
    let counted: u64 = err
        .split(" line(s);")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("line count in {err}"));
    assert!(
        counted >= read.len() as u64,
        "{counted} lines, {} posts",
        read.len()
    );
}

// ---------------------------------------------------------------- counting

#[test]
fn unparsed_lines_are_counted_per_file_and_format_in_every_summary() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}junk one\n{}junk POST /2010-04-01/Accounts/{ACCT}/Messages.json two\n{}junk three\n",
        posts(0..1),
        posts(1..2),
        posts(2..3)
    );
    write(dir.path(), "x.log", text);
    // nginx and Apache write `combined` alike: either may be named.
    let note = |s: &str| {
        ["nginx:combined", "apache:combined"].iter().any(|f| {
            s.contains(&format!(
                "x.log: 3 line(s) not parsed as {f}, 1 of them mention Messages.json; first at line(s) 2, 4, 6"
            ))
        })
    };
    let out = run_in(dir.path(), &["extract", "x.log"]);
    assert_eq!(code(&out), 3);
    assert!(note(&stderr(&out)), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("x.log:4: candidate line (mentions Messages.json) not parsed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lines_of(&out, "x.log"), vec![1, 3, 5]);
    for format in ["text", "markdown", "json"] {
        let out = run_in(
            dir.path(),
            &[
                "investigate",
                "-q",
                "--format",
                format,
                "--to",
                "+14155550134",
                "x.log",
            ],
        );
        assert_eq!(code(&out), 3, "{format}: {}", stderr(&out));
        let shown = if format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            v["inputs"]["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}\n",
                        p["file"].as_str().unwrap(),
                        p["message"].as_str().unwrap()
                    )
                })
                .collect()
        } else {
            stdout(&out)
        };
        assert!(note(&shown), "{format}: {shown}");
    }
}

// ---------------------------------------------------------------- faults

#[test]
fn a_closed_pipe_on_standard_output_ends_quietly_with_success() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.log", posts(0..3600).repeat(4));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sidtrace"))
        .args(["extract", "a.log"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut first = String::new();
        let mut r = BufReader::new(child.stdout.take().unwrap());
        r.read_line(&mut first).unwrap();
        assert!(first.contains("Messages.json"), "{first}");
        // `head -1`: the reader goes away.
    }
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(!err.to_lowercase().contains("pipe"), "{err}");
    assert!(!err.contains("cannot write"), "{err}");
}

fn tmp_leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect()
}

#[test]
fn ctrl_c_stops_cleanly_and_leaves_no_partial_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = String::new();
    for day in 10..20 {
        big += &posts(0..3600).replace("20/Nov/2026", &format!("{day}/Nov/2026"));
    }
    write(dir.path(), "big.log", &big);
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sidtrace"))
        .args([
            "investigate",
            "-j",
            "1",
            "--format",
            "markdown",
            "-o",
            "out.md",
            "big.log",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    let report = dir.path().join("out.md");
    match code(&out) {
        130 => {
            assert!(err.contains("sidtrace: interrupted"), "{err}");
            assert!(!report.exists(), "no partial report");
        }
        // The run finished before the signal: the report is whole.
        0 | 3 => {
            let text = fs::read_to_string(&report).unwrap();
            assert!(text.starts_with("# sidtrace"), "{text}");
            assert!(text.contains("Inputs: 1 file(s), 36000 line(s)"), "{text}");
        }
        other => panic!("exit {other}: {err}"),
    }
    assert!(tmp_leftovers(dir.path()).is_empty());
    assert_eq!(fs::read_to_string(dir.path().join("big.log")).unwrap(), big);
}

#[test]
fn inputs_are_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "logs/a.log", posts(0..5));
    write(dir.path(), "logs/b.log.gz", gzip(posts(5..9).as_bytes()));
    write(
        dir.path(),
        "twilio.csv",
        format!("Sid,To,SentDate\n{SID_A},+14155550134,\"Fri, 20 Nov 2026 14:00:00 +0000\"\n"),
    );
    let files = ["logs/a.log", "logs/b.log.gz", "twilio.csv"];
    let snapshot = || -> Vec<(Vec<u8>, std::time::SystemTime, u32)> {
        use std::os::unix::fs::PermissionsExt;
        files
            .iter()
            .map(|f| {
                let p = dir.path().join(f);
                let m = fs::metadata(&p).unwrap();
                (
                    fs::read(&p).unwrap(),
                    m.modified().unwrap(),
                    m.permissions().mode(),
                )
            })
            .collect()
    };
    let before = snapshot();
    let entries = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let listing = (entries(dir.path()), entries(&dir.path().join("logs")));
    for args in [
        vec!["extract", "logs"],
        vec!["investigate", "--twilio", "twilio.csv", "logs"],
        vec!["formats", "check", "logs"],
    ] {
        let out = run_in(dir.path(), &args);
        assert!(code(&out) <= 3, "{args:?}: {}", stderr(&out));
    }
    assert_eq!(snapshot(), before);
    assert_eq!(
        (entries(dir.path()), entries(&dir.path().join("logs"))),
        listing
    );
}

// ---------------------------------------------------------------- secrets

const BASIC: &str = "QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpzM2NyZXQ=";
const KEY_SECRET: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const AUTH_TOKEN: &str = "deadbeefdeadbeefdeadbeefdeadbeef";
const URL_PASSWORD: &str = "hunter2pass";
const ACCT_TOKEN: &str = "0badc0de0badc0de0badc0de0badc0de";

#[test]
fn no_output_ever_prints_a_credential_a_log_line_carried() {
    let dir = tempfile::tempdir().unwrap();
    let g = egress_grammar(dir.path());
    let key = "SK0123456789abcdef0123456789abcdef";
    let lines = [
        egress(
            1,
            &format!("{key}:{KEY_SECRET}"),
            &format!("Basic {BASIC}"),
            &format!("To=%2B14155550134&From=%2B14155552345&Body=Hi+there&AuthToken={AUTH_TOKEN}"),
        ),
        egress(
            2,
            ACCT,
            &format!("Basic {BASIC}"),
            "To=%2B14155550134&Body=Hi+there",
        )
        .replace(
            "POST /2010",
            &format!("POST https://{ACCT}:{URL_PASSWORD}@api.twilio.com/2010"),
        ),
    ];
    write(dir.path(), "egress.log", lines.join("\n") + "\n");
    let url = format!(
        "https://{ACCT}:{URL_PASSWORD}@api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json"
    );
    let app = [
        format!(
            r#"{{"time":"2026-11-20T14:00:03Z","level":"info","msg":"twilio request","method":"POST","url":"{url}","to":"+14155550134","body":"Hi there","request_id":"req-000003","authorization":"Basic {BASIC}","headers":{{"Authorization":"Basic {BASIC}"}},"auth_token":"{AUTH_TOKEN}"}}"#
        ),
        format!(
            r#"{{"time":"2026-11-20T14:00:04Z","level":"info","msg":"twilio response","status":201,"sid":"{SID_A}","request_id":"req-000003","client":"{ACCT}:{ACCT_TOKEN}"}}"#
        ),
    ];
    write(dir.path(), "app.log", app.join("\n") + "\n");
    write(
        dir.path(),
        "twilio.csv",
        format!("Sid,To,SentDate,Body\n{SID_A},+14155550134,\"Fri, 20 Nov 2026 14:00:04 +0000\",Hi there\n"),
    );
    let secrets = [BASIC, KEY_SECRET, AUTH_TOKEN, URL_PASSWORD, ACCT_TOKEN];
    let check = |args: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--grammar", &g, "egress.log", "app.log"]);
        let out = run_in(dir.path(), &a);
        assert!(code(&out) <= 3, "{args:?}: {}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        for s in secrets {
            assert!(!all.contains(s), "{args:?} prints {s}:\n{all}");
        }
        all
    };
    let ex = check(&["extract"]);
    assert_eq!(
        json_lines(
            ex.lines()
                .take_while(|l| l.starts_with('{'))
                .collect::<Vec<_>>()
                .join("\n")
                .as_str()
        )
        .len(),
        3,
        "{ex}"
    );
    for format in ["text", "json", "markdown"] {
        for redact in ["--redact", "--no-redact"] {
            let all = check(&[
                "investigate",
                "--twilio",
                "twilio.csv",
                "--to",
                "+14155550134",
                "--format",
                format,
                redact,
            ]);
            assert!(
                all.contains("egress.log"),
                "{format} cites the evidence: {all}"
            );
        }
        check(&["investigate", "--twilio", "twilio.csv", "--format", format]);
    }
}

// ---------------------------------------------------------------- redaction

#[test]
fn markdown_masks_by_default_text_and_json_say_whether_they_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.log",
        format!("{}\n{}\n", json_line(1, ""), json_line(2, "")),
    );
    let run = |extra: &[&str]| {
        let mut a = vec!["investigate", "-q", "--to", "+14155550134"];
        a.extend(extra);
        a.push("app.log");
        let out = run_in(dir.path(), &a);
        assert!(code(&out) <= 3, "{}", stderr(&out));
        stdout(&out)
    };
    let md = run(&["--format", "markdown"]);
    assert!(
        !md.contains("+14155550134") && !md.contains("Hello there"),
        "{md}"
    );
    assert!(md.contains("+1415•••0134"), "{md}");
    assert!(md.contains("masked"), "{md}");
    let md_open = run(&["--format", "markdown", "--no-redact"]);
    assert!(md_open.contains("+14155550134"), "{md_open}");
    assert!(md_open.contains("Not redacted"), "{md_open}");

    let text = run(&[]);
    assert!(
        text.lines().next().unwrap().contains("not redacted"),
        "{text}"
    );
    assert!(text.contains("+14155550134"));
    let text_r = run(&["--redact"]);
    assert!(
        text_r.lines().next().unwrap().contains(", redacted"),
        "{text_r}"
    );
    assert!(
        !text_r.contains("+14155550134") && !text_r.contains("Hello there"),
        "{text_r}"
    );

    let json: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(json["redacted"], false);
    let json_r = run(&["--format", "json", "--redact"]);
    let v: serde_json::Value = serde_json::from_str(&json_r).unwrap();
    assert_eq!(v["redacted"], true);
    assert!(
        !json_r.contains("+14155550134") && !json_r.contains("Hello there"),
        "{json_r}"
    );
}

/// `extract -j 1 --max-line-length 1048576 FILE` under the address-space limit.
fn extract_capped(dir: &Path, file: &str) -> Output {
    limited(
        dir,
        &["extract", "-j", "1", "--max-line-length", "1048576", file],
    )
}
