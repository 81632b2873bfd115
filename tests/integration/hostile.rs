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
    let out = limited(
        dir.path(),
        &[
            "extract",
            "-j",
            "1",
            "--max-line-length",
            "1048576",
            "big.log",
        ],
    );
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
    let out = limited(
        dir.path(),
        &[
            "extract",
            "-j",
            "1",
            "--max-line-length",
            "1048576",
            "bomb.log.gz",
        ],
    );
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
