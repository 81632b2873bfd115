//! Small scenarios in other shapes than the samples: other loggers, other
//! formats, other Twilio exports, end to end.

use std::fs;

use crate::util::*;

const ACCT: &str = "AC0123456789abcdef0123456789abcdef";

/// Run `investigate --format json` in `dir` and return its only incident.
fn only_incident(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["investigate", "--quiet", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incs = r["incidents"].as_array().unwrap();
    assert_eq!(incs.len(), 1, "{r:#}");
    incs[0].clone()
}

/// A webhook Twilio delivered twice (same idempotency token) to an Apache
/// front, a Node app logging with pino that answered each delivery, and
/// the REST API's list page as Twilio's records.
#[test]
fn a_webhook_delivered_twice_behind_apache_with_pino_logs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("logs/api-1/apache2")).unwrap();
    fs::create_dir_all(d.join("logs/api-1/app")).unwrap();
    fs::write(
        d.join("apache.conf"),
        "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\" %{X-Request-ID}i %{I-Twilio-Idempotency-Token}i\" twilio_front\n",
    )
    .unwrap();
    let token = "a1b2c3d4-e5f6-47a8-9b0c-d1e2f3a4b5c6";
    let mut front = String::new();
    for (i, (sec, rid)) in [(0, "req-7f3a91"), (15, "req-8c2b07")].iter().enumerate() {
        front += &format!(
            "54.244.51.{} - - [20/Nov/2026:12:00:{sec:02} +0000] \"POST /twilio/inbound HTTP/1.1\" 200 0 \"-\" \"TwilioProxy/1.1\" {rid} {token}\n",
            3 + i
        );
    }
    front.insert_str(0, "203.0.113.9 - - [20/Nov/2026:11:59:58 +0000] \"GET /health HTTP/1.1\" 200 2 \"-\" \"curl/8.0\" req-000001 -\n");
    fs::write(d.join("logs/api-1/apache2/access.log"), front).unwrap();

    let url = format!("https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json");
    let sids = [
        "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa01",
        "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa02",
    ];
    let base: i64 = 1_795_176_000_000; // 2026-11-20T12:00:00Z in ms
    let mut app = String::new();
    for (i, (off, rid)) in [(400i64, "req-7f3a91"), (15_400, "req-8c2b07")]
        .iter()
        .enumerate()
    {
        app += &format!(
            r#"{{"level":30,"time":{},"pid":77,"hostname":"api-1","reqId":"{rid}","msg":"inbound sms","req":{{"method":"POST","url":"/twilio/inbound"}}}}"#,
            base + off - 300
        );
        app.push('\n');
        app += &format!(
            r#"{{"level":30,"time":{},"pid":77,"hostname":"api-1","reqId":"{rid}","msg":"POST {url}","to":"+14155550199","body":"Thanks, we got your reply."}}"#,
            base + off
        );
        app.push('\n');
        app += &format!(
            r#"{{"level":30,"time":{},"pid":77,"hostname":"api-1","reqId":"{rid}","msg":"twilio message created","sid":"{}","statusCode":201,"responseTime":212}}"#,
            base + off + 212,
            sids[i]
        );
        app.push('\n');
    }
    fs::write(d.join("logs/api-1/app/api.log"), app).unwrap();

    let msg = |sid: &str, created: &str| {
        format!(
            r#"{{"account_sid":"{ACCT}","api_version":"2010-04-01","body":"Thanks, we got your reply.","date_created":"{created}","date_sent":"{created}","date_updated":"{created}","direction":"outbound-api","error_code":null,"error_message":null,"from":"+14155552345","messaging_service_sid":null,"num_media":"0","num_segments":"1","price":"-0.00790","price_unit":"USD","sid":"{sid}","status":"delivered","to":"+14155550199","uri":"/2010-04-01/Accounts/{ACCT}/Messages/{sid}.json"}}"#
        )
    };
    let page = format!(
        "{{\n  \"end\": 1,\n  \"messages\": [\n    {},\n    {}\n  ],\n  \"next_page_uri\": null,\n  \"page\": 0,\n  \"page_size\": 50,\n  \"start\": 0\n}}\n",
        msg(sids[1], "Fri, 20 Nov 2026 12:00:15 +0000"),
        msg(sids[0], "Fri, 20 Nov 2026 12:00:00 +0000")
    );
    fs::write(d.join("page.json"), page).unwrap();

    let inc = &only_incident(
        d,
        &["--grammar", "apache.conf", "--twilio", "page.json", "logs"],
    );
    assert_eq!(inc["recipient"], "+14155550199");
    assert_eq!(inc["verdict"], "multiple_requests");
    assert_eq!(
        inc["cause"], "duplicate_inbound",
        "{:#}",
        inc["explanation"]
    );
    let explanation = inc["explanation"].to_string();
    assert!(
        explanation.contains(token) || explanation.contains("idempotency"),
        "{explanation}"
    );
    for (q, sid) in inc["requests"].as_array().unwrap().iter().zip(sids) {
        assert_eq!(q["sid"], sid);
        assert_eq!(q["inbound"]["route"], "POST /twilio/inbound");
        assert_eq!(q["host"], "api-1");
    }
}

/// A Java service logging ECS (dotted and nested keys) retries after a
/// read timeout; the only Twilio records are a Console CSV re-saved by a
/// spreadsheet (columns reordered, dates reformatted), so requests are
/// joined by recipient and time, not SID.
#[test]
fn an_ecs_retry_joined_by_time_with_a_resaved_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("logs/billing-7")).unwrap();
    let url = format!("https://api.twilio.com/2010-04-01/Accounts/{ACCT}/Messages.json");
    let rec = |ts: &str, extra: &str| {
        format!(
            r#"{{"@timestamp":"{ts}","log.level":"info","message":"twilio call","ecs.version":"1.6.0","log":{{"logger":"com.acme.billing.SmsGateway","origin":{{"function":"sendReceipt","file":{{"name":"SmsGateway.java","line":88}}}}}},"trace.id":"4bf92f3577b34da6a3ce929d0e0e4736","host.name":"billing-7",{extra}}}"#
        )
    };
    let lines = [
        rec(
            "2026-11-20T09:15:00.100Z",
            &format!(r#""http.request.method":"POST","url.full":"{url}","to":"+1 (415) 555-0177""#),
        ),
        rec(
            "2026-11-20T09:15:10.105Z",
            r#""error.type":"java.net.SocketTimeoutException","error.message":"Read timed out""#,
        ),
        rec(
            "2026-11-20T09:15:11.000Z",
            &format!(r#""http.request.method":"POST","url.full":"{url}","to":"+1 (415) 555-0177""#),
        ),
        rec(
            "2026-11-20T09:15:11.400Z",
            r#""http.response.status_code":201"#,
        ),
    ];
    fs::write(d.join("logs/billing-7/app.json"), lines.join("\n") + "\n").unwrap();
    // Spreadsheet re-save: columns reordered, every field quoted, dates as M/D/YYYY H:MM:SS.
    let csv = "\"Sid\",\"To\",\"From\",\"Body\",\"Status\",\"SentDate\",\"Direction\"\n\
\"SM0000000000000000000000000000aa02\",\"+14155550177\",\"+14155552345\",\"Your receipt #4411, paid.\",\"delivered\",\"11/20/2026 9:15:12\",\"outbound-api\"\n\
\"SM0000000000000000000000000000aa01\",\"+14155550177\",\"+14155552345\",\"Your receipt #4411, paid.\",\"delivered\",\"11/20/2026 9:15:04\",\"outbound-api\"\n";
    fs::write(d.join("export.csv"), csv).unwrap();

    let inc = &only_incident(d, &["--twilio", "export.csv", "logs"]);
    assert_eq!(
        inc["verdict"], "multiple_requests",
        "{:#}",
        inc["explanation"]
    );
    assert_eq!(inc["cause"], "retry", "{:#}", inc["explanation"]);
    let reqs = inc["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["failure"]["kind"], "timeout");
    assert_eq!(reqs[0]["match"]["by"], "recipient_time");
    assert_eq!(
        reqs[0]["match"]["record"],
        "SM0000000000000000000000000000aa01"
    );
    assert_eq!(
        reqs[1]["match"]["record"],
        "SM0000000000000000000000000000aa02"
    );
    assert!(
        reqs[0]["code_path"]
            .as_str()
            .unwrap()
            .contains("sendReceipt"),
        "{}",
        reqs[0]["code_path"]
    );
}
