use std::collections::BTreeSet;
use std::fs;

use crate::util::*;

fn expected_posts() -> Vec<(String, String, u64)> {
    let text = fs::read_to_string(root().join("samples/expected-posts.tsv")).expect("manifest");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut it = l.split('\t');
            let kind = it.next().unwrap().to_string();
            let file = it.next().unwrap().to_string();
            let line = it.next().unwrap().parse().unwrap();
            (kind, file, line)
        })
        .collect()
}

fn sample_extract(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["extract", "--quiet"];
    args.extend(SAMPLE_GRAMMARS);
    args.extend(extra);
    args.push("samples/logs");
    run(&args)
}

#[test]
fn extract_on_samples_lists_exactly_the_posts_they_contain() {
    let out = sample_extract(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let attempts = json_lines(&stdout(&out));
    let expected = expected_posts();

    // Every line the generator wrote for a POST is cited, and nothing else.
    let cited: BTreeSet<(String, u64)> = attempts
        .iter()
        .flat_map(|a| a["evidence"].as_array().unwrap().clone())
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: BTreeSet<(String, u64)> = expected.iter().map(|(_, f, l)| (f.clone(), *l)).collect();
    let missing: Vec<_> = want.difference(&cited).collect();
    let extra: Vec<_> = cited.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );

    // One attempt per proxy line and per app request record: the app's
    // response and failure records are linked to their request, not counted.
    let requests = expected
        .iter()
        .filter(|(k, ..)| k == "app_request" || k == "post")
        .count();
    assert_eq!(attempts.len(), requests);

    for a in &attempts {
        assert_eq!(a["method"], "POST");
        assert!(
            a["url"].as_str().unwrap().ends_with("/Messages.json"),
            "{a}"
        );
        assert!(
            a["recipient"].as_str().unwrap().starts_with("+1415555"),
            "{a}"
        );
        assert!(a["time"]["nanos"].as_i64().is_some());
        match a["observer"].as_str().unwrap() {
            "egress_proxy" => {
                assert_eq!(a["evidence"].as_array().unwrap().len(), 1);
                assert!(a["client_addr"].as_str().unwrap().starts_with("10.0.1."));
                assert!(a["library"].as_str().unwrap().starts_with("twilio-"));
            }
            "app" => {
                assert!(
                    a["code_path"].is_object(),
                    "app attempts carry a code path: {a}"
                );
            }
            other => panic!("observer {other}"),
        }
    }
}

#[test]
fn extract_links_a_timeout_and_its_retry() {
    let out = sample_extract(&["--to", "(415) 555-0101"]);
    let attempts = json_lines(&stdout(&out));
    let app: Vec<_> = attempts.iter().filter(|a| a["observer"] == "app").collect();
    let proxy: Vec<_> = attempts
        .iter()
        .filter(|a| a["observer"] == "egress_proxy")
        .collect();
    assert_eq!(app.len(), 2, "{attempts:#?}");
    assert_eq!(proxy.len(), 2);
    assert_eq!(app[0]["failure"]["kind"], "timeout");
    assert!(app[0]["sid"].is_null());
    assert_eq!(app[1]["status"], 201);
    assert!(app[1]["sid"].as_str().unwrap().starts_with("SM"));
    assert_eq!(proxy[0]["status"], 499);
    assert_eq!(app[0]["ids"]["job_id"], app[1]["ids"]["job_id"]);
}

#[test]
fn extract_output_is_the_same_for_any_thread_count() {
    let one = sample_extract(&["-j", "1"]);
    let two = sample_extract(&["-j", "2"]);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn extract_filters_by_time() {
    let all = json_lines(&stdout(&sample_extract(&[])));
    let some = json_lines(&stdout(&sample_extract(&[
        "--since",
        "2026-11-20T14:00:00Z",
        "--until",
        "2026-11-20T15:00:00Z",
    ])));
    assert!(!some.is_empty() && some.len() < all.len());
    let lo = 1_795_183_200_000_000_000i64; // 2026-11-20T14:00:00Z
    for a in &some {
        let t = a["time"]["nanos"].as_i64().unwrap();
        assert!((lo..lo + 3_600_000_000_000).contains(&t));
    }
}

const ACCT: &str = "AC0123456789abcdef0123456789abcdef";
const SID1: &str = "SM0123456789abcdef0123456789abcd01";

fn egress_conf(dir: &std::path::Path) -> String {
    let p = dir.join("egress.conf");
    fs::write(
        &p,
        "log_format egress '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent $request_time \"$http_user_agent\" \"$request_body\"';\n",
    )
    .unwrap();
    p.to_string_lossy().into_owned()
}

fn egress_lines() -> String {
    let ua = "twilio-python/9.3.7 (Linux x86_64) Python/3.11.9";
    let mut s = String::new();
    // 1: a create: counted
    s += &format!("10.0.0.5 - {ACCT} [20/Nov/2026:14:00:00 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 201 812 0.412 \"{ua}\" \"To=%2B14155550134&From=%2B14155552345&Body=Hi+there\"\n");
    // 2: a list GET: not a POST
    s += &format!("10.0.0.5 - {ACCT} [20/Nov/2026:14:00:01 +0000] \"GET /2010-04-01/Accounts/{ACCT}/Messages.json?To=%2B14155550134 HTTP/1.1\" 200 812 0.100 \"{ua}\" \"-\"\n");
    // 3: an update of one message (redaction): not a create
    s += &format!("10.0.0.5 - {ACCT} [20/Nov/2026:14:00:02 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages/{SID1}.json HTTP/1.1\" 200 812 0.100 \"{ua}\" \"Body=\"\n");
    // 4: a call: not a message
    s += &format!("10.0.0.5 - {ACCT} [20/Nov/2026:14:00:03 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Calls.json HTTP/1.1\" 201 812 0.300 \"{ua}\" \"To=%2B14155550134\"\n");
    // 5: a status callback arriving at the app: not outbound
    s += &format!("54.244.51.3 - - [20/Nov/2026:14:00:04 +0000] \"POST /twilio/status HTTP/1.1\" 204 0 0.010 \"TwilioProxy/1.1\" \"MessageSid={SID1}&MessageStatus=delivered&To=%2B14155550134\"\n");
    // 6: a second create, 429: counted (a request without a record)
    s += &format!("10.0.0.6 - {ACCT} [20/Nov/2026:14:00:05 +0000] \"POST /2010-04-01/Accounts/{ACCT}/Messages.json HTTP/1.1\" 429 120 0.050 \"{ua}\" \"To=%28415%29+555-0199&From=%2B14155552345&Body=x\"\n");
    s
}

#[test]
fn only_creates_of_messages_are_outbound_posts() {
    let dir = tempfile::tempdir().unwrap();
    let conf = egress_conf(dir.path());
    fs::write(dir.path().join("egress.log"), egress_lines()).unwrap();
    let out = run_in(
        dir.path(),
        &["extract", "--quiet", "--grammar", &conf, "egress.log"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let attempts = json_lines(&stdout(&out));
    let lines: Vec<u64> = attempts
        .iter()
        .map(|a| a["evidence"][0]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 6]);
    assert_eq!(attempts[0]["recipient"], "+14155550134");
    assert_eq!(attempts[0]["body"], "Hi there");
    assert_eq!(attempts[0]["account_sid"], ACCT);
    assert_eq!(attempts[0]["duration_ms"], 412.0);
    assert_eq!(attempts[0]["library"], "twilio-python/9.3.7");
    assert_eq!(
        attempts[1]["recipient"], "+14155550199",
        "national numbers read in the default region"
    );
    assert_eq!(attempts[1]["status"], 429);
}

#[test]
fn app_records_of_webhooks_and_fetches_are_not_posts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json");
    let lines = [
        format!(
            r#"{{"time":"2026-11-20T14:00:00Z","level":"info","msg":"twilio request","method":"POST","url":"{url}","to":"+14155550134","request_id":"req-000001"}}"#
        ),
        format!(
            r#"{{"time":"2026-11-20T14:00:01Z","level":"info","msg":"twilio response","status":201,"sid":"{SID1}","request_id":"req-000001"}}"#
        ),
        format!(
            r#"{{"time":"2026-11-20T14:00:02Z","level":"info","msg":"status callback","MessageSid":"{SID1}","MessageStatus":"delivered","To":"+14155550134","url":"{url}"}}"#
        ),
        format!(
            r#"{{"time":"2026-11-20T14:00:03Z","level":"info","msg":"fetched","method":"GET","url":"{url}"}}"#
        ),
        format!(
            r#"{{"time":"2026-11-20T14:00:04Z","level":"info","msg":"delivered {SID1} to the phone"}}"#
        ),
    ];
    fs::write(dir.path().join("app.log"), lines.join("\n") + "\n").unwrap();
    let out = run_in(dir.path(), &["extract", "--quiet", "app.log"]);
    let attempts = json_lines(&stdout(&out));
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    let a = &attempts[0];
    assert_eq!(a["sid"], SID1);
    assert_eq!(a["status"], 201);
    let ev: Vec<u64> = a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ev,
        vec![1, 2],
        "request and response records are one attempt"
    );
}

#[test]
fn compression_is_recognised_by_content_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let conf = egress_conf(dir.path());
    let plain = egress_lines();
    let half = plain.len() / 2;
    let cut = plain[..half].rfind('\n').unwrap() + 1;
    let mut multi = gzip(&plain.as_bytes()[..cut]);
    multi.extend(gzip(&plain.as_bytes()[cut..]));
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("plain.log", plain.as_bytes().to_vec()),
        ("rotated.log.2.gz", gzip(plain.as_bytes())),
        ("multi-member.log.gz", multi),
        ("app.log-20261120.zst", zstd(plain.as_bytes())),
        ("gzip-without-extension.log", gzip(plain.as_bytes())),
    ];
    let mut outputs = Vec::new();
    for (name, bytes) in &files {
        fs::write(dir.path().join(name), bytes).unwrap();
        let out = run_in(
            dir.path(),
            &["extract", "--quiet", "--grammar", &conf, name],
        );
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let norm: Vec<(u64, String)> = json_lines(&stdout(&out))
            .iter()
            .map(|a| {
                (
                    a["evidence"][0]["line"].as_u64().unwrap(),
                    a["recipient"].to_string(),
                )
            })
            .collect();
        outputs.push(norm);
    }
    assert_eq!(outputs[0].len(), 2);
    for o in &outputs[1..] {
        assert_eq!(o, &outputs[0]);
    }
}

#[test]
fn standard_input_is_read_with_dash() {
    let dir = tempfile::tempdir().unwrap();
    let conf = egress_conf(dir.path());
    let out = assert_cmd::Command::cargo_bin("sidtrace")
        .unwrap()
        .current_dir(dir.path())
        .args(["extract", "--quiet", "--grammar", &conf, "-"])
        .write_stdin(gzip(egress_lines().as_bytes()))
        .output()
        .unwrap();
    let attempts = json_lines(&stdout(&out));
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["evidence"][0]["file"], "-");
}

#[test]
fn a_grammar_file_maps_a_sites_own_json_keys() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("acme.toml"),
        r#"
[[json]]
name = "acme"
[json.keys]
time = ["when"]
request_id = ["ctx.rid"]
url = ["call.target"]
method = ["call.verb"]
to = ["call.dest"]
sid = ["result.ref"]
status = ["result.code"]
"#,
    )
    .unwrap();
    let url = format!("https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json");
    let lines = [
        format!(
            r#"{{"when":"2026-11-20T14:00:00.250Z","what":"calling twilio","ctx":{{"rid":"rid-000042"}},"call":{{"verb":"POST","target":"{url}","dest":"415-555-0134"}}}}"#
        ),
        format!(
            r#"{{"when":"2026-11-20T14:00:00.700Z","what":"twilio answered","ctx":{{"rid":"rid-000042"}},"result":{{"code":201,"ref":"{SID1}"}}}}"#
        ),
    ];
    fs::write(dir.path().join("acme.log"), lines.join("\n") + "\n").unwrap();
    let out = run_in(
        dir.path(),
        &["extract", "--quiet", "--grammar", "acme.toml", "acme.log"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let attempts = json_lines(&stdout(&out));
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    let a = &attempts[0];
    assert_eq!(a["recipient"], "+14155550134");
    assert_eq!(a["sid"], SID1);
    assert_eq!(a["status"], 201);
    assert_eq!(a["ids"]["request_id"], "rid-000042");
    assert_eq!(a["time"]["nanos"], 1_795_183_200_250_000_000i64);
    assert_eq!(a["evidence"].as_array().unwrap().len(), 2);
}

#[test]
fn id_less_sdk_lines_are_linked_by_adjacency() {
    // twilio-python's own logger writes the request and the response as
    // separate records with no id: same file, logger and process link them.
    let dir = tempfile::tempdir().unwrap();
    let rec = |t: &str, name: &str, msg: &str| {
        format!(
            r#"{{"asctime": "2026-11-20 14:00:00,{t}", "name": "{name}", "levelname": "INFO", "message": "{msg}"}}"#
        )
    };
    let lines = [
        rec(
            "100",
            "twilio.http_client",
            "-- BEGIN Twilio API Request --",
        ),
        rec(
            "101",
            "twilio.http_client",
            &format!(
                "POST Request: https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json"
            ),
        ),
        rec("103", "twilio.http_client", "-- END Twilio API Request --"),
        rec(
            "500",
            "app.views",
            "Response Status Code: 500 from the page renderer",
        ),
        rec("600", "twilio.http_client", "Response Status Code: 201"),
    ];
    fs::write(dir.path().join("app.log"), lines.join("\n") + "\n").unwrap();
    let out = run_in(dir.path(), &["extract", "--quiet", "app.log"]);
    let attempts = json_lines(&stdout(&out));
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!(
        attempts[0]["status"], 201,
        "the other logger's line is not its response"
    );
    let ev: Vec<u64> = attempts[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(ev, vec![2, 5]);
}
