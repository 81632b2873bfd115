use std::collections::BTreeSet;
use std::fs;

use crate::util::*;

fn investigate(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["investigate", "--quiet", "--twilio", "samples/twilio"];
    args.extend(SAMPLE_GRAMMARS);
    args.extend(extra);
    args.push("samples/logs");
    run(&args)
}

fn report(extra: &[&str]) -> serde_json::Value {
    let mut a = vec!["--format", "json"];
    a.extend(extra);
    let out = investigate(&a);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

type Row = (String, String, String);

fn expected(scan_only: bool) -> BTreeSet<Row> {
    let text = fs::read_to_string(root().join("samples/expected-incidents.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| !scan_only || c[3] == "scan=yes")
        .map(|c| (c[0].to_string(), c[1].to_string(), c[2].to_string()))
        .collect()
}

fn rows(r: &serde_json::Value) -> BTreeSet<Row> {
    r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["recipient"].as_str().unwrap().to_string(),
                i["verdict"].as_str().unwrap().to_string(),
                i["cause"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_scan_of_the_samples_finds_each_incident_they_were_built_with() {
    let r = report(&[]);
    assert_eq!(rows(&r), expected(true));
    for inc in r["incidents"].as_array().unwrap() {
        assert!(!inc["sids"].as_array().unwrap().is_empty());
        for req in inc["requests"].as_array().unwrap() {
            assert!(req["time"].as_str().unwrap().ends_with('Z'));
            assert!(!req["evidence"].as_array().unwrap().is_empty(), "{req}");
            assert!(req.get("sid").is_some() && req.get("status").is_some());
        }
    }
}

#[test]
fn complaints_with_one_record_prove_one_request() {
    for to in ["+14155550104", "(415) 555-0110"] {
        let r = report(&["--to", to]);
        let incs = r["incidents"].as_array().unwrap();
        assert_eq!(incs.len(), 1, "{to}: {r:#}");
        assert_eq!(incs[0]["verdict"], "single_request", "{to}");
        assert_eq!(incs[0]["sids"].as_array().unwrap().len(), 1);
    }
    // The 429 before the success is shown, but it is not a duplicate.
    let r = report(&["--to", "+14155550110"]);
    let statuses: Vec<_> = r["incidents"][0]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["status"].clone())
        .collect();
    assert!(statuses.contains(&serde_json::json!(429)), "{statuses:?}");
}

#[test]
fn two_different_texts_are_not_a_duplicate() {
    let r = report(&["--to", "+14155550111"]);
    for inc in r["incidents"].as_array().unwrap() {
        assert_eq!(inc["verdict"], "single_request");
    }
}

#[test]
fn each_expected_complaint_gets_its_verdict_with_to() {
    for (to, verdict, cause) in expected(false) {
        if verdict == "-" {
            continue;
        }
        let r = report(&["--to", &to]);
        let got = rows(&r);
        assert!(
            got.contains(&(to.clone(), verdict.clone(), cause.clone())),
            "{to}: {got:?}"
        );
    }
}

#[test]
fn the_report_is_the_same_for_any_thread_count() {
    let a = investigate(&["--format", "json", "-j", "1"]);
    let b = investigate(&["--format", "json", "-j", "2"]);
    assert_eq!(a.stdout, b.stdout);
    let a = investigate(&["-j", "1"]);
    let b = investigate(&["-j", "2"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn markdown_masks_numbers_and_bodies_unless_asked() {
    let md = stdout(&investigate(&["--format", "markdown"]));
    assert!(
        !md.contains("+14155550101"),
        "phone numbers are masked in markdown"
    );
    assert!(md.contains("+1415•••0101"));
    assert!(
        !md.contains("Dr. Chen is tomorrow"),
        "bodies are masked in markdown"
    );
    let md = stdout(&investigate(&["--format", "markdown", "--no-redact"]));
    assert!(md.contains("+14155550101"));
    let json = stdout(&investigate(&["--format", "json", "--redact"]));
    assert!(!json.contains("+14155550101"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["redacted"], true);
}

#[test]
fn text_report_answers_first_and_summarises() {
    let text = stdout(&investigate(&[]));
    for verdict in ["multiple_requests", "twilio_side", "inconclusive"] {
        assert!(text.contains(verdict), "{verdict} in\n{text}");
    }
    assert!(
        text.contains("samples/logs/worker-1/"),
        "evidence cites files"
    );
}

#[test]
fn output_file_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.md");
    let t = target.to_string_lossy().into_owned();
    let out = investigate(&["--format", "markdown", "-o", &t]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("+1415•••0101"));
    let bad = run(&["investigate", "--window", "soon", "samples/logs"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--window"));
    let bad = run(&["investigate", "--sid", "SMnope", "samples/logs"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn without_twilio_records_the_logs_alone_answer() {
    let mut args = vec!["investigate", "--quiet", "--format", "json"];
    args.extend(SAMPLE_GRAMMARS);
    args.push("samples/logs");
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Every incident whose extra request succeeded (or timed out) shows up;
    // the 502 re-send, the 429 and the records no log saw cannot.
    let want: BTreeSet<Row> = expected(true)
        .into_iter()
        .filter(|(to, v, _)| v == "multiple_requests" && to != "+14155550105")
        .collect();
    assert_eq!(rows(&r), want);
    assert_eq!(r["twilio_given"], false);
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("Twilio's records would make them firmer"),
        "{notes}"
    );
}

#[test]
fn sid_and_time_bounds_pick_incidents() {
    let scan = report(&[]);
    let inc = scan["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["recipient"] == "+14155550103")
        .unwrap()
        .clone();
    let sid = inc["sids"][1].as_str().unwrap().to_string();
    let r = report(&["--sid", &sid]);
    assert_eq!(
        rows(&r),
        BTreeSet::from([(
            "+14155550103".into(),
            "multiple_requests".into(),
            "duplicate_job".into()
        )])
    );

    // Only the incidents between 16:00 and 17:00 UTC.
    let r = report(&[
        "--since",
        "2026-11-20T16:00:00Z",
        "--until",
        "2026-11-20T17:00:00Z",
    ]);
    let got: BTreeSet<String> = rows(&r).into_iter().map(|(to, ..)| to).collect();
    assert_eq!(
        got,
        BTreeSet::from([
            "+14155550105".to_string(),
            "+14155550106".into(),
            "+14155550107".into()
        ])
    );
}

#[test]
fn either_twilio_export_alone_gives_the_same_answers() {
    for export in [
        "samples/twilio/messages-console-export.csv",
        "samples/twilio/export_2026-11-20.json.gz",
    ] {
        let out = run(&sample_args(
            "investigate",
            &["--format", "json", "--twilio", export],
            &["samples/logs"],
        ));
        assert_eq!(out.status.code(), Some(0), "{export}: {}", stderr(&out));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows(&r), expected(true), "{export}");
    }
}

#[test]
fn twilio_exports_among_the_log_paths_are_not_read_as_logs() {
    let one = investigate(&["--format", "json"]);
    let args = sample_args(
        "investigate",
        &["--format", "json", "--twilio", "samples/twilio"],
        &["samples/logs", "samples/twilio"],
    );
    let both = run(&args);
    assert_eq!(both.status.code(), Some(0), "{}", stderr(&both));
    assert_eq!(one.stdout, both.stdout);
}
