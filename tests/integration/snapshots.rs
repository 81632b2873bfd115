//! Snapshot tests of the text and Markdown reports on the samples: the
//! whole report, byte for byte. Run with `UPDATE_SNAPSHOTS=1` to rewrite
//! them after an intended change, then read the diff.

use std::fs;

use crate::util::*;

fn check(name: &str, args: &[&str]) {
    let mut all = vec!["investigate", "--quiet", "--twilio", "samples/twilio"];
    all.extend(SAMPLE_GRAMMARS);
    all.extend(args);
    all.push("samples/logs");
    let out = run(&all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = stdout(&out);
    let path = root().join("tests/integration/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &got).unwrap();
        return;
    }
    let want = fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1", path.display()));
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        panic!(
            "{name} differs from the snapshot at line {}:\n  got:  {:?}\n  want: {:?}\n(UPDATE_SNAPSHOTS=1 rewrites it)",
            first + 1,
            got.lines().nth(first),
            want.lines().nth(first)
        );
    }
}

#[test]
fn scan_text_report() {
    check("scan.txt", &[]);
}

#[test]
fn scan_markdown_report() {
    check("scan.md", &["--format", "markdown"]);
}

#[test]
fn complaint_text_report() {
    check("complaint-0104.txt", &["--to", "+14155550104"]);
}

#[test]
fn complaint_markdown_report() {
    check(
        "complaint-0104.md",
        &["--to", "(415) 555-0104", "--format", "markdown"],
    );
}
