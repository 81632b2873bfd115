//! Formats as data from the command line: the built-in definitions' samples,
//! a site's grammar file found on the search path and used by `extract` and
//! `investigate`, and a format that reads only part of its lines.

use std::fs;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

use crate::util::{json_lines, run, run_in, stderr, stdout};

const ACCT: &str = "AC0123456789abcdef0123456789abcdef";

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Run in `dir` with `$SIDTRACE_GRAMMARS` set.
fn run_with_grammars(dir: &Path, grammars: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("sidtrace")
        .expect("binary built")
        .current_dir(dir)
        .env_remove("SIDTRACE_THREADS")
        .env("XDG_CONFIG_HOME", dir.join(".no-such-config"))
        .env("SIDTRACE_GRAMMARS", grammars)
        .args(args)
        .output()
        .expect("sidtrace runs")
}

#[test]
fn every_built_in_definition_passes_its_samples() {
    let out = run(&["formats", "test"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    let last = text.lines().last().unwrap_or_default();
    let passed: usize = last
        .split(" passed")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(passed >= 200, "{last}");
    assert!(last.ends_with(" 0 failed"), "{last}");
}

/// A site's grammar: a JSON logger of its own and a text line format whose
/// rest is logfmt, each with a sample.
const SITE_GRAMMAR: &str = r#"
[[logger]]
name = "acme-events"
description = "Acme's event logger"
match_all = ["evt", "ts_ms"]
priority = 500
time_unit = "ms"
[logger.fields]
time = ["ts_ms"]
message = ["evt"]
to = ["payload.phone"]
url = ["call.endpoint"]
method = ["call.verb"]
sid = ["result.msg_id"]
status = ["result.http"]
request_id = ["ctx.rid"]
[[logger.sample]]
line = '''{"ts_ms":1795183928750,"evt":"sms.sent","call":{"verb":"POST","endpoint":"https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"},"payload":{"phone":"+14155550134"},"result":{"msg_id":"SM0a1b2c3d4e5f60718293a4b5c6d7e8f9","http":201}}'''
expect = { time = "2026-11-20T14:12:08.750Z", to = "+14155550134", sid = "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9", status = 201, method = "POST" }

[[line]]
name = "acme-text"
description = "Acme's text log: time, ACME, level, then key=value pairs"
pattern = '''^(?P<time>\d{4}-\d\d-\d\dT\S+) ACME (?P<level>[A-Z]+) (?P<rest>.*)$'''
rest = "rest"
rest_as = "logfmt"
[[line.sample]]
line = '''2026-11-20T14:13:00.100Z ACME INFO evt=twilio.call url=https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json to=+14155550177 status=201 sid=SM1a1b2c3d4e5f60718293a4b5c6d7e8f9'''
expect = { level = "INFO", to = "+14155550177", status = 201, sid = "SM1a1b2c3d4e5f60718293a4b5c6d7e8f9" }
"#;

fn site(dir: &Path) -> std::path::PathBuf {
    let g = dir.join("grammars");
    fs::create_dir_all(&g).unwrap();
    fs::write(g.join("acme.toml"), SITE_GRAMMAR).unwrap();
    // a file that holds no grammar is passed over in a grammar directory
    fs::write(g.join("README.txt"), "our formats\n").unwrap();
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    fs::write(
        logs.join("events.log"),
        format!(
            concat!(
                r#"{{"ts_ms":1795183920000,"evt":"order.paid","ctx":{{"rid":"r-1"}}}}"#,
                "\n",
                r#"{{"ts_ms":1795183928750,"evt":"sms.sent","ctx":{{"rid":"r-1"}},"call":{{"verb":"POST","endpoint":"https://api.twilio.com/2010-04-01/Accounts/{a}/Messages.json"}},"payload":{{"phone":"+14155550134"}},"result":{{"msg_id":"SM0a1b2c3d4e5f60718293a4b5c6d7e8f9","http":201}}}}"#,
                "\n",
                r#"{{"ts_ms":1795183929750,"evt":"sms.sent","ctx":{{"rid":"r-2"}},"call":{{"verb":"POST","endpoint":"https://api.twilio.com/2010-04-01/Accounts/{a}/Messages.json"}},"payload":{{"phone":"+14155550134"}},"result":{{"msg_id":"SM2a1b2c3d4e5f60718293a4b5c6d7e8f9","http":201}}}}"#,
                "\n"
            ),
            a = ACCT
        ),
    )
    .unwrap();
    fs::write(
        logs.join("app.log"),
        format!(
            "2026-11-20T14:12:59.000Z ACME INFO evt=boot version=3.2\n\
             2026-11-20T14:13:00.100Z ACME INFO evt=twilio.call url=https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json to=+14155550177 status=201 sid=SM1a1b2c3d4e5f60718293a4b5c6d7e8f9\n"
        ),
    )
    .unwrap();
    g
}

#[test]
fn a_site_grammar_on_the_search_path_is_listed_tested_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let g = site(dir.path());

    let listed = run_with_grammars(dir.path(), &g, &["formats"]);
    let text = stdout(&listed);
    assert_eq!(code(&listed), 0, "{}", stderr(&listed));
    let acme: Vec<&str> = text.lines().filter(|l| l.contains("acme")).collect();
    assert_eq!(acme.len(), 2, "{text}");
    assert!(
        acme.iter()
            .all(|l| l.contains("user") && l.contains("acme.toml")),
        "{acme:?}"
    );

    let file = g.join("acme.toml");
    let tested = run_in(dir.path(), &["formats", "test", file.to_str().unwrap()]);
    assert_eq!(
        stdout(&tested).trim(),
        "2 passed, 0 failed",
        "{}",
        stdout(&tested)
    );

    let ex = run_with_grammars(dir.path(), &g, &["extract", "--quiet", "logs"]);
    assert_eq!(code(&ex), 0, "{}", stderr(&ex));
    let got: Vec<(String, String, u64)> = json_lines(&stdout(&ex))
        .iter()
        .map(|a| {
            (
                a["recipient"].as_str().unwrap_or_default().to_string(),
                a["sid"].as_str().unwrap_or_default().to_string(),
                a["evidence"][0]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "+14155550134".into(),
                "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
                2
            ),
            (
                "+14155550134".into(),
                "SM2a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
                3
            ),
            (
                "+14155550177".into(),
                "SM1a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
                2
            ),
        ]
    );

    // without the search path, nothing reads the site's lines as POSTs, and
    // the lines naming Messages.json are reported, not lost
    let bare = run_in(dir.path(), &["extract", "--quiet", "logs/events.log"]);
    assert_eq!(code(&bare), 3, "{}", stdout(&bare));

    let inv = run_with_grammars(
        dir.path(),
        &g,
        &[
            "investigate",
            "--format",
            "json",
            "--to",
            "+14155550134",
            "logs",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&inv.stdout).expect("JSON report");
    let requests = report["incidents"][0]["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(requests.len(), 2, "{report}");
    assert_eq!(
        report["incidents"][0]["verdict"], "multiple_requests",
        "{report}"
    );
}

#[test]
fn a_format_that_reads_only_the_first_fields_is_said() {
    let dir = tempfile::tempdir().unwrap();
    // an egress proxy's own format (combined, then $request_time,
    // $upstream_status and a transaction id header), read without its
    // log_format: combined matches only the first 8 fields, and the fields
    // it drops are the ones a verdict needs
    let mut text = String::new();
    for i in 0..6 {
        text.push_str(&format!(
            "10.0.1.21 - - [20/Nov/2026:14:12:0{i} +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 201 873 \"-\" \"twilio-python/9.3.7\" 0.49{i} 201 txn-{i}\n"
        ));
    }
    fs::write(dir.path().join("egress.log"), text).unwrap();
    let out = run_in(dir.path(), &["extract", "--quiet", "egress.log"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    let check = run_in(dir.path(), &["formats", "check", "egress.log"]);
    let said = stdout(&check);
    assert!(
        said.contains("matches only the first 8 fields of most lines"),
        "{said}"
    );
    // its POSTs carry no recipient: said, not dropped in silence
    let inv = run_in(
        dir.path(),
        &[
            "investigate",
            "--format",
            "json",
            "--to",
            "+14155550134",
            "egress.log",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&inv.stdout).expect("JSON report");
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with(
            "6 POST attempt(s) seen in egress.log (format nginx:combined) carry no recipient"
        )),
        "{notes:?}"
    );
    // with the site's log_format, every field is read and nothing is said
    fs::write(
        dir.path().join("nginx.conf"),
        "log_format egress '$remote_addr - $remote_user [$time_local] \"$request\" $status '\n    \
         '$body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time $upstream_status $http_x_txn_id';\n",
    )
    .unwrap();
    let with = run_in(
        dir.path(),
        &[
            "extract",
            "--quiet",
            "--grammar",
            "nginx.conf",
            "egress.log",
        ],
    );
    assert_eq!(code(&with), 0, "{}", stderr(&with));
    let first = &json_lines(&stdout(&with))[0];
    assert_eq!(first["duration_ms"], 490.0, "{first}");
}

#[test]
fn look_alikes_are_counted_by_kind_in_the_summary_and_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let ua = "twilio-python/9.3.7 (Linux x86_64) Python/3.12.1";
    let text = format!(
        "10.0.1.21 - - [20/Nov/2026:14:12:08 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 201 873 \"-\" \"{ua}\"\n\
         10.0.1.21 - - [20/Nov/2026:14:12:09 +0000] \"GET /2010-04-01/Accounts/{ACCT}/Messages.json?To=%2B14155550134 HTTP/1.1\" 200 2311 \"-\" \"{ua}\"\n\
         10.0.1.21 - - [20/Nov/2026:14:12:10 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Calls.json HTTP/1.1\" 201 912 \"https://example.com/Messages.json\" \"{ua}\"\n"
    );
    fs::write(dir.path().join("access.log"), text).unwrap();
    let out = run_in(dir.path(), &["extract", "access.log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_lines(&stdout(&out)).len(), 1);
    assert!(
        stderr(&out).contains(
            "lines naming Messages.json that are no create-message POST: get_message 1, other_resource 1"
        ),
        "{}",
        stderr(&out)
    );
    let inv = run_in(
        dir.path(),
        &[
            "investigate",
            "--format",
            "json",
            "--to",
            "+14155550134",
            "access.log",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&inv.stdout).expect("JSON report");
    assert_eq!(
        report["inputs"]["lookalikes"],
        serde_json::json!({"get_message": 1, "other_resource": 1}),
        "{}",
        report["inputs"]
    );
    let text = run_in(
        dir.path(),
        &["investigate", "--to", "+14155550134", "access.log"],
    );
    assert!(
        stdout(&text).contains("no create-message POST: get_message 1, other_resource 1"),
        "{}",
        stdout(&text)
    );
}
