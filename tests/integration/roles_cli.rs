//! Access-log roles from data: a site's own header given a role in a
//! grammar file (`[[role]]`) is read as that id by `extract`, and pass 2
//! links the records that carry it.

use std::fs;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::{json, Value};

use crate::util::{json_lines, run_in, stderr, stdout};

const ACCT: &str = "AC0123456789abcdef0123456789abcdef";

/// `extract --map` output: file name → (context records, the attempts'
/// ids).
fn map_of(out: &Output) -> Vec<(String, Vec<Value>, Vec<Value>)> {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    json_lines(&stdout(out))
        .into_iter()
        .filter(|y| y.get("summary").is_some())
        .map(|y| {
            let ids = y["observations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| o["attempt"]["ids"].clone())
                .collect();
            (
                y["summary"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                y["context"].as_array().cloned().unwrap_or_default(),
                ids,
            )
        })
        .collect()
}

fn context_of<'a>(map: &'a [(String, Vec<Value>, Vec<Value>)], file: &str) -> &'a [Value] {
    map.iter()
        .find(|(f, _, _)| f == file)
        .map(|(_, c, _)| c.as_slice())
        .unwrap_or_else(|| panic!("no {file} in {map:?}"))
}

const TXN_ROLE: &str = r#"
[[role]]
role = "request_id"
nginx = ["$http_x_txn_id"]
apache = ["%{X-Txn-Id}i"]
"#;

/// An egress proxy and a web front logging a site's own transaction id
/// header, and an app log carrying the same id.
fn txn_site(dir: &Path) {
    fs::write(
        dir.join("nginx.conf"),
        "log_format site '$remote_addr - $remote_user [$time_local] \"$request\" $status '\n    \
         '$body_bytes_sent \"$http_user_agent\" $request_time $http_x_txn_id';\n",
    )
    .unwrap();
    fs::write(
        dir.join("egress.log"),
        format!(
            "10.0.1.21 - - [20/Nov/2026:14:12:01 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 201 873 \"twilio-python/9.3.7\" 0.490 txn-7f3a\n"
        ),
    )
    .unwrap();
    fs::write(
        dir.join("web.log"),
        "10.0.0.9 - - [20/Nov/2026:14:12:00 +0000] \"POST /orders HTTP/1.1\" 200 12 \"Mozilla/5.0\" 1.200 txn-7f3a\n\
         10.0.0.9 - - [20/Nov/2026:14:12:02 +0000] \"GET /health HTTP/1.1\" 200 2 \"kube-probe/1.29\" 0.001 -\n",
    )
    .unwrap();
    fs::write(
        dir.join("app.log"),
        "{\"time\":\"2026-11-20T14:12:00.500Z\",\"level\":\"info\",\"msg\":\"order paid\",\"request_id\":\"txn-7f3a\"}\n\
         {\"time\":\"2026-11-20T14:12:00.600Z\",\"level\":\"info\",\"msg\":\"order paid\",\"request_id\":\"txn-0000\"}\n",
    )
    .unwrap();
}

#[test]
fn a_sites_request_id_header_given_its_role_is_reported_and_linked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    txn_site(d);
    fs::write(d.join("roles.toml"), TXN_ROLE).unwrap();
    let logs = ["egress.log", "web.log", "app.log"];
    let extract = |grammars: &[&str], map: bool| {
        let mut args = vec!["extract", "--quiet"];
        if map {
            args.push("--map");
        }
        for g in grammars {
            args.extend(["--grammar", g]);
        }
        args.extend(logs);
        run_in(d, &args)
    };

    // the POST carries the site's id as its request id
    let out = extract(&["nginx.conf", "roles.toml"], false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let attempts = json_lines(&stdout(&out));
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!(attempts[0]["ids"], json!({ "request_id": "txn-7f3a" }));
    assert_eq!(attempts[0]["duration_ms"], 490.0);

    // pass 2 finds the app record and the inbound request with that id (the
    // web front's format now has an id field, so its file is read again)
    let map = map_of(&extract(&["nginx.conf", "roles.toml"], true));
    let app = context_of(&map, "app.log");
    assert_eq!(app.len(), 1, "{app:#?}");
    assert_eq!(app[0]["kind"], "app_record");
    assert_eq!(app[0]["ids"]["request_id"], "txn-7f3a");
    assert_eq!(app[0]["evidence"]["line"], 1);
    let web = context_of(&map, "web.log");
    assert_eq!(web.len(), 1, "{web:#?}");
    assert_eq!(web[0]["kind"], "inbound_request");
    assert_eq!(web[0]["summary"], "POST /orders");
    assert_eq!(web[0]["ids"]["request_id"], "txn-7f3a");

    // the same role from the grammar search path
    let search = dir.path().join("grammars");
    fs::create_dir_all(&search).unwrap();
    fs::write(search.join("roles.toml"), TXN_ROLE).unwrap();
    let found = Command::cargo_bin("sidtrace")
        .unwrap()
        .current_dir(d)
        .env_remove("SIDTRACE_THREADS")
        .env("XDG_CONFIG_HOME", d.join(".no-such-config"))
        .env("SIDTRACE_GRAMMARS", &search)
        .args([
            "extract",
            "--quiet",
            "--grammar",
            "nginx.conf",
            "egress.log",
        ])
        .output()
        .unwrap();
    assert_eq!(found.status.code(), Some(0), "{}", stderr(&found));
    assert_eq!(
        json_lines(&stdout(&found))[0]["ids"],
        json!({ "request_id": "txn-7f3a" })
    );

    // without the role the header is no id: nothing to link, and the web
    // front's file is not read again
    let bare = map_of(&extract(&["nginx.conf"], true));
    let egress = bare.iter().find(|(f, _, _)| f == "egress.log").unwrap();
    assert_eq!(egress.2, vec![Value::Null], "{bare:?}");
    assert!(context_of(&bare, "app.log").is_empty(), "{bare:?}");
    assert!(context_of(&bare, "web.log").is_empty(), "{bare:?}");

    // `sidtrace formats` lists the site's roles with their file
    let listed = run_in(d, &["formats", "--grammar", "roles.toml"]);
    let text = stdout(&listed);
    let roles: Vec<&str> = text.lines().filter(|l| l.starts_with("role:")).collect();
    assert_eq!(roles.len(), 1, "{text}");
    assert!(
        roles[0].starts_with("role:request_id")
            && roles[0].contains("user")
            && roles[0].contains("$http_x_txn_id %{X-Txn-Id}i")
            && roles[0].ends_with("[roles.toml]"),
        "{}",
        roles[0]
    );
    // the built-in table is not listed as the user's
    let plain = stdout(&run_in(d, &["formats"]));
    assert!(!plain.contains("role:"), "{plain}");
}

#[test]
fn a_sites_correlation_header_given_the_trace_id_role_is_read_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("apache.conf"),
        "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b %D \\\"%{X-Correlation-ID}i\\\"\" egress\n",
    )
    .unwrap();
    fs::write(
        d.join("roles.toml"),
        "[[role]]\nrole = \"trace_id\"\napache = [\"%{X-Correlation-ID}i\"]\n",
    )
    .unwrap();
    fs::write(
        d.join("egress.log"),
        format!(
            "10.0.1.21 - - [20/Nov/2026:14:12:01 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 201 873 412000 \"corr-51c2\"\n"
        ),
    )
    .unwrap();
    fs::write(
        d.join("app.log"),
        "{\"time\":\"2026-11-20T14:12:00.500Z\",\"level\":\"info\",\"msg\":\"sending sms\",\"trace_id\":\"corr-51c2\"}\n",
    )
    .unwrap();
    let extract = |grammars: &[&str]| {
        let mut args = vec!["extract", "--quiet", "--map"];
        for g in grammars {
            args.extend(["--grammar", g]);
        }
        args.extend(["egress.log", "app.log"]);
        map_of(&run_in(d, &args))
    };

    let map = extract(&["apache.conf", "roles.toml"]);
    let egress = map.iter().find(|(f, _, _)| f == "egress.log").unwrap();
    assert_eq!(
        egress.2,
        vec![json!({ "trace_id": "corr-51c2" })],
        "{map:?}"
    );
    let app = context_of(&map, "app.log");
    assert_eq!(app.len(), 1, "{app:#?}");
    assert_eq!(app[0]["ids"]["trace_id"], "corr-51c2");

    // built in, X-Correlation-ID is a request id
    let map = extract(&["apache.conf"]);
    let egress = map.iter().find(|(f, _, _)| f == "egress.log").unwrap();
    assert_eq!(
        egress.2,
        vec![json!({ "request_id": "corr-51c2" })],
        "{map:?}"
    );
}
