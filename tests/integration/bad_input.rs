use std::fs;

use crate::util::*;

const ACCT: &str = "AC0123456789abcdef0123456789abcdef";

fn post_line(sec: u32, to: &str) -> String {
    format!(
        "10.0.0.5 - - [20/Nov/2026:14:00:{sec:02} +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json?To={to} HTTP/1.1\" 201 812 \"-\" \"twilio-node/6.0.2 (linux x64) node/v20.11.1\""
    )
}

fn lines(n: u32) -> String {
    (0..n)
        .map(|i| post_line(i, "%2B14155550134") + "\n")
        .collect()
}

#[test]
fn truncated_gzip_keeps_the_lines_before_the_cut_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(40);
    let gz = gzip(text.as_bytes());
    fs::write(dir.path().join("cut.log.gz"), &gz[..gz.len() - 20]).unwrap();
    fs::write(dir.path().join("good.log"), lines(3)).unwrap();
    let out = run_in(dir.path(), &["extract", "cut.log.gz", "good.log"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cut.log.gz"), "{err}");
    assert!(
        err.contains("truncated") || err.contains("ends early"),
        "{err}"
    );
    let attempts = json_lines(&stdout(&out));
    let from_cut = attempts
        .iter()
        .filter(|a| a["evidence"][0]["file"] == "cut.log.gz")
        .count();
    assert!(
        from_cut >= 30,
        "most lines before the cut are read: {from_cut}"
    );
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a["evidence"][0]["file"] == "good.log")
            .count(),
        3
    );
}

#[test]
fn unreadable_and_missing_files_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.log"), lines(2)).unwrap();
    let out = run_in(dir.path(), &["extract", "missing.log", "good.log"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("missing.log"));
    assert_eq!(json_lines(&stdout(&out)).len(), 2);
}

#[test]
fn unknown_formats_count_their_candidate_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("garbage one\nPOST /2010-04-01/Accounts/{ACCT}/Messages.json in some odd format\n");
    fs::write(dir.path().join("odd.txt"), text).unwrap();
    let out = run_in(dir.path(), &["extract", "odd.txt"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("odd.txt"), "{err}");
    assert!(err.contains("unknown format"), "{err}");
    assert!(err.contains("1 of them mention Messages.json"), "{err}");
}

#[test]
fn overlong_lines_are_capped_and_cited() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(200_000);
    let text = format!(
        "{}\n{long}\n{}\n",
        post_line(1, "%2B14155550134"),
        post_line(2, "%2B14155550134")
    );
    fs::write(dir.path().join("a.log"), text).unwrap();
    let out = run_in(
        dir.path(),
        &["extract", "--max-line-length", "65536", "a.log"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("a.log:2: 1 line(s) longer than 65536 bytes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json_lines(&stdout(&out)).len(), 2);
}

#[test]
fn crlf_bom_and_a_last_line_without_newline() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\r\n{}\r\n{}",
        post_line(1, "%2B14155550134"),
        post_line(2, "%2B14155550134"),
        post_line(3, "%2B14155550134")
    );
    fs::write(dir.path().join("a.log"), text).unwrap();
    let out = run_in(dir.path(), &["extract", "--quiet", "a.log"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&stdout(&out)).len(), 3);
}

#[test]
fn a_file_of_only_newlines_and_an_empty_gz_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.log"), "\n\n\n").unwrap();
    fs::write(dir.path().join("zero.gz"), "").unwrap();
    fs::write(dir.path().join("good.log"), lines(1)).unwrap();
    let out = run_in(dir.path(), &["extract", "--quiet", "."]);
    assert_eq!(json_lines(&stdout(&out)).len(), 1);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(3));
}

#[test]
fn output_file_is_written_atomically_and_broken_pipes_are_quiet() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.log"), lines(5)).unwrap();
    let out = run_in(
        dir.path(),
        &["extract", "--quiet", "-o", "out.jsonl", "a.log"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let written = fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 5);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
