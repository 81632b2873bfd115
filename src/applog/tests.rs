use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::formats::{Defs, Formats, SitePaths};

fn builtin() -> &'static Formats {
    static F: std::sync::OnceLock<Formats> = std::sync::OnceLock::new();
    F.get_or_init(Formats::builtin)
}

fn site(keys: BTreeMap<String, Vec<String>>) -> Formats {
    Formats::new(vec![Defs {
        paths: vec![SitePaths {
            logger: "*".into(),
            fields: keys,
            origin: "site.toml".into(),
        }],
        ..Defs::default()
    }])
}
use crate::model::{Precision, Stamp, TimeAnchor};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/applog/");
const SM: &str = "SM5f2c0a4b9e8d7c6b5a4f3e2d1c0b9a8f";
const URL: &str =
    "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

fn lines(name: &str) -> Vec<Vec<u8>> {
    let data = std::fs::read(format!("{DATA}{name}")).unwrap();
    let mut out: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    out
}

fn line(name: &str, n: usize) -> Vec<u8> {
    lines(name).swap_remove(n - 1)
}

fn app(l: &[u8]) -> AppRecord {
    let mut v = parse_json_line(l, builtin()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.len(), 1);
    match v.remove(0) {
        JsonLine::App(a) => a,
        JsonLine::Access(a) => panic!("expected an app record, got {a:?}"),
    }
}

fn acc(l: &[u8]) -> AccessLine {
    let mut v = parse_json_line(l, builtin()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.len(), 1);
    match v.remove(0) {
        JsonLine::Access(a) => a,
        JsonLine::App(a) => panic!("expected an access line, got {a:?}"),
    }
}

fn rfc(s: Option<Stamp>) -> String {
    s.map(|s| s.to_rfc3339()).unwrap_or_default()
}

fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}

// ---------------------------------------------------------------------------
// Logger styles from the corpus

#[test]
fn humanlog_zap() {
    let a = app(&line("humanlog_sample-zap.log", 1));
    assert_eq!(a.style, "zap");
    assert_eq!(rfc(a.time), "2024-11-12T05:13:36.574Z");
    assert_eq!(a.time.unwrap().offset_minutes, Some(540));
    assert_eq!(a.code_path.caller, s("zap/main.go:84"));
    assert_eq!(a.message, s("Slow response detected"));
    assert_eq!(a.url, s("/api/users"));
    assert_eq!(a.duration_ms, Some(5042.0));
    let b = app(&line("humanlog_sample-zap.log", 2));
    assert_eq!(b.status, Some(500));
    assert_eq!(b.error, s("Internal server error"));
    assert_eq!(b.ids.trace_id, s("35155a4b79bd19f6"));
    assert_eq!(b.level, s("error"));
}

#[test]
fn humanlog_zerolog() {
    let a = app(&line("humanlog_sample-zerolog-json.log", 1));
    assert_eq!(a.style, "zerolog");
    assert_eq!(rfc(a.time), "2024-11-12T05:17:27Z");
    assert_eq!(a.time.unwrap().precision, Precision::Seconds);
    assert_eq!(a.method, s("PUT"));
    assert_eq!(a.url, s("/api/orders"));
    assert_eq!(a.status, Some(400));
    assert_eq!(a.duration_ms, Some(288.0));
    assert_eq!(
        a.code_path.caller,
        s("/Users/kev/go/src/loggen/loggers/go/zerolog/main.go:54")
    );
    assert_eq!(a.message, s("API request processed"));
}

#[test]
fn humanlog_pino() {
    let a = app(&line("humanlog_sample-pino.log", 1));
    assert_eq!(a.style, "pino");
    assert_eq!(rfc(a.time), "2024-11-12T06:01:56.698Z");
    assert_eq!(a.level, s("30"));
    assert_eq!(a.host, s("my-service"));
    assert_eq!(a.pid, s("843"));
    assert_eq!(a.ids.request_id, s("3006516524087886121"));
    // pino's `req` serializer describes the inbound request, not a call
    assert_eq!(a.method, None);
    assert_eq!(a.inbound_method, s("PUT"));
    assert_eq!(a.inbound_path, s("/api/users"));
    // the inbound client's User-Agent is no User-Agent of a Twilio call
    assert_eq!(a.user_agent, None);
    assert_eq!(a.code_path.logger, s("my-app"));
    let b = app(&line("humanlog_sample-pino.log", 2));
    // `res.statusCode` is the app's own answer to the inbound request
    assert_eq!(b.status, None);
    assert_eq!(b.duration_ms, None);
}

#[test]
fn humanlog_bunyan() {
    let a = app(&line("humanlog_sample-bunyan.log", 1));
    assert_eq!(a.style, "bunyan");
    assert_eq!(rfc(a.time), "2024-11-12T06:53:28.255010Z");
    assert_eq!(a.time.unwrap().precision, Precision::Micros);
    assert_eq!(a.error, s("ValidationError: Invalid input parameters"));
    assert_eq!(a.code_path.caller, s("src/components/cache/handler.js:315"));
    assert_eq!(a.code_path.function, s("processRequest"));
    assert_eq!(a.code_path.logger, s("api-service"));
    assert_eq!(a.host, s("server-744"));
    assert_eq!(a.pid, s("26406"));
    assert_eq!(a.level, s("50"));
}

#[test]
fn humanlog_winston_logback_log4j2_serilog() {
    let w = app(&line("humanlog_sample-winston.log", 1));
    assert_eq!(w.style, "winston");
    assert_eq!(w.message, s("System resources running low"));
    assert_eq!(rfc(w.time), "2024-11-12T05:59:27.393652Z");
    assert_eq!(w.host, s("server-104"));
    assert_eq!(w.pid, s("99151"));

    let lb = app(&line("humanlog_sample-logback-json.log", 1));
    assert_eq!(lb.style, "logstash-logback");
    assert_eq!(lb.level, s("DEBUG"));
    assert_eq!(
        lb.code_path.logger,
        s("org.example.repository.ProductRepository")
    );
    assert_eq!(lb.code_path.function, s("saveData"));
    assert_eq!(lb.code_path.caller, s("ProductRepository.java:296"));
    assert_eq!(lb.ids.request_id, s("REQ-130c769d2c367b69"));
    assert_eq!(lb.message, s("Processing item {} of {}"));

    let l4 = app(&line("humanlog_sample-log4j2-json.log", 1));
    assert_eq!(l4.style, "log4j2");
    assert_eq!(
        l4.code_path.logger,
        s("org.example.security.AuthenticationManager")
    );
    assert_eq!(l4.code_path.function, s("processAuthenticationManager"));
    assert_eq!(l4.code_path.caller, s("AuthenticationManager.java:314"));
    assert_eq!(l4.ids.request_id, s("REQ-3c35eb5e2a2ebe5d"));
    assert_eq!(
        l4.status, None,
        "contextMap.status SUCCESS is no HTTP status"
    );
    let l4e = app(&line("humanlog_sample-log4j2-json.log", 2));
    assert_eq!(
        l4e.error,
        s("java.lang.RuntimeException: Unexpected error occurred")
    );

    let se = app(&line("humanlog_sample-serilog-json.log", 2));
    assert_eq!(se.style, "serilog");
    assert_eq!(se.level, s("ERR"));
    assert_eq!(se.message, s("Failed to process request 55dc2339b6325a42"));
    assert_eq!(
        se.error,
        s("System.InvalidOperationException: Operation failed due to invalid state")
    );
    assert_eq!(se.ids.request_id, s("55dc2339b6325a42"));
    assert_eq!(se.time.unwrap().offset_minutes, Some(540));
}

#[test]
fn humanlog_structured_and_console_prefix() {
    let o = app(&line("humanlog_sample-opentelemetry-structured.log", 1));
    assert_eq!(o.style, "json");
    assert_eq!(o.method, s("DELETE"));
    assert_eq!(o.url, s("/api/v1/users"));
    assert_eq!(o.status, Some(403));
    assert_eq!(o.duration_ms, Some(214.0));
    assert_eq!(
        o.user_agent,
        s("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36")
    );

    // structlog ConsoleRenderer: text, then a JSON dict; the time is in the prefix.
    let c = app(&line("humanlog_sample-structlog.log", 1));
    assert_eq!(rfc(c.time), "2024-11-15T20:12:10Z");
    assert_eq!(c.time.unwrap().offset_minutes, None);
    assert_eq!(c.duration_ms, Some(621.0));
    assert_eq!(c.ids.request_id, s("req-6e1c17b84ab23d53"));
}

#[test]
fn lnav_bunyan_pino_tracing_ecs() {
    let b = app(&line("lnav_logfile_bunyan.0", 3));
    assert_eq!(b.style, "bunyan");
    assert_eq!(rfc(b.time), "2023-03-24T14:26:16.243Z");
    assert_eq!(b.time.unwrap().precision, Precision::Millis);
    assert_eq!(
        b.code_path.caller,
        s("/Users/trentm/tm/node-bunyan/examples/src.js:20")
    );
    assert_eq!(b.code_path.function, s("Wuzzle.woos"));
    assert_eq!(b.code_path.logger, s("renovate"));
    assert_eq!(b.host, s("renovate-gitlab-67c4bcb5-9ggbv"));
    assert_eq!(b.pid, s("7"));

    let p = app(&line("lnav_logfile_pino.0", 1));
    assert_eq!(p.style, "pino");
    assert_eq!(rfc(p.time), "2025-04-24T22:08:37.537Z");
    assert_eq!(p.ids.trace_id, s("c759f29f5f1e2162be56f32dd1e77fce"));
    assert_eq!(p.ids.span_id, s("17c4a60ca4297cf1"));
    assert_eq!(p.host, s("7d82d3f28bad"));
    assert_eq!(p.message, s("Charge request received."));

    let t = app(&line("lnav_logfile_rust_tracing.0", 1));
    assert_eq!(t.style, "tracing");
    assert_eq!(t.message, s("preparing to shave yaks"));
    assert_eq!(t.code_path.logger, s("fmt_json"));
    assert_eq!(t.level, s("INFO"));
    assert_eq!(rfc(t.time), "2025-10-28T19:15:10.821315Z");

    let e = app(&line("lnav_logfile_ecs_log.json", 1));
    assert_eq!(e.style, "ecs");
    assert_eq!(e.level, s("debug"));
    assert_eq!(e.code_path.logger, s("app"));
    assert_eq!(e.code_path.function, s("main"));
    assert_eq!(e.code_path.caller, s("es_logger.py:42"));
    assert_eq!(e.pid, s("9159"));
    assert_eq!(e.message, s("this is a debug message num=39"));
}

#[test]
fn lnav_otel_envelope_gives_one_record_per_log_record() {
    let all = lines("lnav_logfile_otel_collector.jsonl");
    let counts: Vec<usize> = all
        .iter()
        .map(|l| parse_json_line(l, builtin()).unwrap().len())
        .collect();
    assert_eq!(counts, vec![3, 2, 3, 1, 1, 1]);
    let recs = parse_json_line(&all[0], builtin()).unwrap();
    let JsonLine::App(a) = &recs[0] else {
        panic!("app")
    };
    assert_eq!(a.style, "otel");
    assert_eq!(a.time.unwrap().nanos, 1_700_000_000_000_000_000);
    assert_eq!(a.time.unwrap().precision, Precision::Nanos);
    assert_eq!(a.message, s("Processing payment request"));
    assert_eq!(a.level, s("INFO"));
    assert_eq!(a.ids.trace_id, s("5b8aa5a2d2c872e8321cf37308d69df2"));
    assert_eq!(a.ids.span_id, s("051581bf3cb55c13"));
    assert_eq!(a.host, s("prod-01"));
    assert_eq!(a.code_path.logger, s("com.example.payment"));
    let JsonLine::App(last) = &parse_json_line(&all[4], builtin()).unwrap()[0] else {
        panic!("app")
    };
    assert_eq!(last.level, None);
    assert_eq!(last.host, None);
}

#[test]
fn lnav_caddy_prefixed() {
    let all = lines("lnav_logfile_caddy_log.0");
    let a = app(&all[0]);
    assert_eq!(a.style, "zap");
    assert_eq!(
        a.message,
        s("maxprocs: Leaving GOMAXPROCS=12: CPU quota undefined")
    );
    assert_eq!(a.time.unwrap().nanos / 1000, 1_761_019_822_315_275);
    let access: Vec<AccessLine> = all
        .iter()
        .filter_map(|l| match parse_json_line(l, builtin()).unwrap().remove(0) {
            JsonLine::Access(x) => Some(x),
            JsonLine::App(_) => None,
        })
        .collect();
    assert!(!access.is_empty());
    let x = &access[0];
    assert_eq!(x.method, s("GET"));
    assert_eq!(x.target, s("/"));
    assert_eq!(x.status, Some(304));
    assert_eq!(x.remote_addr, s("172.19.0.1"));
    assert_eq!(x.request_line, s("GET / HTTP/1.1"));
    assert_eq!(x.time_anchor, Some(TimeAnchor::RequestEnd));
    assert!((x.duration_ms.unwrap() - 1.674508).abs() < 1e-9);
    assert_eq!(
        x.user_agent,
        s("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:142.0) Gecko/20100101 Firefox/142.0")
    );
}

#[test]
fn lnav_invalid_lines_error_and_neighbours_parse() {
    for (file, bad) in [
        ("lnav_logfile_invalid_json.json", 3usize),
        ("lnav_logfile_invalid_json2.json", 3),
        ("lnav_logfile_json_invalid.json", 5),
    ] {
        for (i, l) in lines(file).iter().enumerate() {
            let r = parse_json_line(l, builtin());
            if i + 1 == bad {
                let e = r.unwrap_err();
                assert!(e.offset.is_some(), "{file}:{}", i + 1);
                assert!(e.to_string().starts_with("invalid JSON at byte "));
            } else {
                assert!(r.is_ok(), "{file}:{} {r:?}", i + 1);
            }
        }
    }
    let a = app(&line("lnav_logfile_invalid_json.json", 2));
    assert_eq!(a.message, s("Starting up service"));
    assert_eq!(a.level, s("INFO"));
    assert_eq!(rfc(a.time), "2013-09-06T20:00:49.124817Z");
    // the cut-off record of invalid_json2 ends after `"msg":`
    let l = line("lnav_logfile_invalid_json2.json", 3);
    let e = parse_json_line(&l, builtin()).unwrap_err();
    // serde_json points at the last byte it read before running out
    assert_eq!(e.offset, Some(l.len() - 1));
    assert!(e.message.contains("EOF"), "{}", e.message);
}

#[test]
fn lnav_generic_json() {
    let all = lines("lnav_logfile_json.json");
    assert!(all.iter().all(|l| parse_json_line(l, builtin()).is_ok()));
    let first = app(&all[0]);
    assert_eq!(first.code_path.logger, s("com.example.foo.bar.bazzer"));
    assert_eq!(first.level, s("TRACE"));
    assert_eq!(first.style, "json");
    assert_eq!(app(&all[1]).code_path.logger, s("com.example.demoµs"));
    assert_eq!(app(&all[5]).time, None, "ts xxx");
    assert_eq!(rfc(app(&all[8]).time), "2013-09-06T22:01:00Z");
}

#[test]
fn angle_grinder_and_hl_files() {
    let p = lines("ag_test_partial_json.log");
    let first = app(&p[0]);
    assert_eq!(first.message, s("A thing happened"));
    assert_eq!(first.level, s("info"));
    let last = app(&p[5]);
    assert_eq!(last.level, None);
    assert_eq!(last.message, None);

    let long = app(&line("ag_long_lines.log", 1));
    assert_eq!(long.style, "structlog");
    assert!(long
        .message
        .unwrap()
        .starts_with("wow thats a alot of fields"));
    assert_eq!(long.host, s("127.0.0.1"));
    assert_eq!(rfc(long.time), "2018-03-09T18:52:16.611872Z");

    for l in lines("hl_pretty_json.log") {
        assert!(!looks_like_json(&l));
        assert!(parse_json_line(&l, builtin()).is_err());
    }
    let m = lines("hl_multiline_json.log");
    assert!(parse_json_line(&m[0], builtin())
        .unwrap_err()
        .offset
        .is_some());
    assert_eq!(
        parse_json_line(&m[1], builtin()).unwrap_err().message,
        "not a JSON object"
    );
    let mixed = lines("hl_mixed_valid_invalid.log");
    assert_eq!(app(&mixed[0]).message, s("valid"));
    assert!(parse_json_line(&mixed[1], builtin()).is_err());
    assert!(!looks_like_json(&mixed[1]));
    assert_eq!(app(&mixed[2]).message, s("valid again"));
}

#[test]
fn matomo_access_json() {
    let n = acc(&line("matomo_nginx_json.log", 1));
    assert_eq!(n.vhost, s("www.piwik.org"));
    assert_eq!(n.status, Some(200));
    assert_eq!(n.bytes_sent, Some(192));
    assert_eq!(n.remote_addr, s("1.2.3.4"));
    assert_eq!(rfc(n.time), "2013-10-10T14:52:00Z");
    assert_eq!(n.time.unwrap().offset_minutes, Some(120));
    assert_eq!(n.time_anchor, Some(TimeAnchor::RequestEnd));
    assert!(n.target.unwrap().starts_with("/piwik.php?action_name="));
    assert_eq!(n.referer, s("http://clearcode.cc/"));

    let c = acc(&line("matomo_caddy_json.log", 1));
    assert_eq!(c.method, s("GET"));
    assert_eq!(c.target, s("/beta/"));
    assert_eq!(c.status, Some(200));
    assert_eq!(c.vhost, s("example.com"));
    assert_eq!(c.protocol, s("HTTP/2.0"));
    assert_eq!(c.bytes_sent, Some(3609));
    assert_eq!(c.time.unwrap().nanos, 1_703_373_474_815_560_800);
    assert_eq!(
        c.fields.get("request.tls.server_name"),
        Some(&"example.com".to_string())
    );

    let t = acc(&line("matomo_traefik_json.log", 1));
    assert_eq!(t.target, s("/my/app/auth?id=1234&user=dude"));
    assert_eq!(t.status, Some(200));
    assert_eq!(t.duration_ms, Some(10002.425284));
    assert_eq!(t.time_anchor, Some(TimeAnchor::RequestStart));
    assert_eq!(rfc(t.time), "2023-08-11T11:39:21.773360139Z");
    assert_eq!(t.remote_addr, s("1.2.3.4"));
    assert_eq!(t.remote_user, None);
    assert_eq!(t.user_agent, s("Prometheus/2.40.5"));
    assert_eq!(t.upstream_status, s("504"));
}

// ---------------------------------------------------------------------------
// Twilio calls written by hand, one style each

fn call(n: usize) -> Vec<u8> {
    line("twilio_calls.jsonl", n)
}

#[test]
fn logrus_request_record() {
    let a = app(&call(1));
    assert_eq!(a.style, "logrus");
    assert_eq!(a.method, s("POST"));
    assert_eq!(a.url, s(URL));
    assert_eq!(a.to, s("+14155550134"));
    assert_eq!(a.ids.request_id, s("req-4b1e"));
    assert_eq!(a.ids.job_id, s("7f3c9a"));
    assert_eq!(a.code_path.caller, s("/app/notify/sms.go:88"));
    assert_eq!(
        a.code_path.function,
        s("example.com/app/notify.(*Sender).Send")
    );
    assert_eq!(a.sid, None);
    assert!(!a.webhook);
    assert_eq!(a.time.unwrap().precision, Precision::Seconds);
}

#[test]
fn slog_response_record() {
    let a = app(&call(2));
    assert_eq!(a.style, "slog");
    assert_eq!(a.status, Some(201));
    assert_eq!(a.sid, s(SM));
    assert_eq!(a.duration_ms, Some(412.0));
    assert_eq!(a.code_path.caller, s("/app/notify/sms.go:97"));
    assert_eq!(rfc(a.time), "2026-11-20T14:03:07.412345678Z");
    assert_eq!(a.time.unwrap().offset_minutes, Some(-300));
}

#[test]
fn python_json_logger_failure_record() {
    let a = app(&call(3));
    assert_eq!(a.style, "python-json-logger");
    assert_eq!(
        a.error,
        s("requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.twilio.com', port=443): Read timed out. (read timeout=10)")
    );
    assert_eq!(a.ids.job_id, s("c0ffee-1"));
    assert_eq!(a.code_path.logger, s("app.notify"));
    assert_eq!(a.code_path.function, s("send_reminder"));
    assert_eq!(a.code_path.caller, s("tasks.py:42"));
    assert_eq!(rfc(a.time), "2026-11-20T14:03:17.905Z");
    assert_eq!(a.time.unwrap().offset_minutes, None);
}

#[test]
fn logback_webhook_record() {
    let a = app(&call(4));
    assert_eq!(a.style, "logstash-logback");
    assert!(a.webhook);
    assert_eq!(a.sid, None);
    assert_eq!(a.ids.request_id, s("req-9d2"));
    assert_eq!(
        a.idempotency_token,
        s("3f1e9c2a-7d4b-4e2f-9a51-0c8b6d2e4f10")
    );
    assert_eq!(
        a.code_path.logger,
        s("com.example.sms.StatusCallbackController")
    );
    assert_eq!(a.to, s("+14155550134"));
    assert_eq!(a.time.unwrap().offset_minutes, Some(60));
}

#[test]
fn ecs_response_record() {
    let a = app(&call(5));
    assert_eq!(a.style, "ecs");
    assert_eq!(a.method, s("POST"));
    assert_eq!(a.url, s(URL));
    assert_eq!(a.status, Some(201));
    assert_eq!(a.sid, s(SM));
    assert_eq!(a.duration_ms, Some(455.0));
    assert_eq!(a.ids.request_id, s("req-4b1e"));
    assert_eq!(a.ids.trace_id, s("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(
        a.user_agent,
        s("twilio-python/9.3.7 (Linux x86_64) Python/3.11.9")
    );
    assert_eq!(a.code_path.caller, s("sms.py:61"));
    assert_eq!(a.body, None, "a JSON response body is not the sent text");
}

#[test]
fn twilio_library_debug_messages() {
    let r = app(&call(6));
    assert_eq!(r.method, s("POST"));
    assert_eq!(r.url, s(URL));
    assert_eq!(r.code_path.logger, s("twilio.http_client"));
    let resp = app(&call(7));
    assert_eq!(resp.status, Some(201));
    let node = app(&call(8));
    assert_eq!(node.style, "pino");
    assert_eq!(node.method, s("POST"));
    assert_eq!(node.url, s(URL));
    assert_eq!(node.ids.request_id, s("req-77"));
}

#[test]
fn message_status_is_not_http_status() {
    let a = app(&call(9));
    assert_eq!(a.style, "zap");
    assert_eq!(a.status, None);
    assert_eq!(a.sid, s(SM));
    assert_eq!(a.duration_ms, Some(412.0));
    assert_eq!(a.code_path.caller, s("notify/sms.go:42"));
}

#[test]
fn webhooks_never_give_a_sid() {
    let a = app(&call(10));
    assert!(a.webhook);
    assert_eq!(a.sid, None);
    assert_eq!(a.body, s("STOP"));
    assert_eq!(a.from, s("+14155550134"));
    let b = app(&call(11));
    assert!(b.webhook);
    assert_eq!(b.sid, None);
}

#[test]
fn ids_from_jid_traceparent_and_twilio_headers() {
    let a = app(&call(12));
    assert_eq!(a.ids.job_id, s("b4a577edbccf1d805744efa9"));
    assert_eq!(a.ids.trace_id, s("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(a.ids.span_id, s("00f067aa0ba902b7"));
    let b = app(&call(13));
    assert_eq!(b.status, Some(201));
    assert_eq!(
        b.ids.twilio_request_id,
        s("RQb54d7f05d29e83bc89889cc136bcd99d")
    );
}

#[test]
fn sid_in_text_duration_units_and_error_objects() {
    let a = app(&call(14));
    assert_eq!(a.sid, s(SM));
    assert_eq!(a.duration_ms, Some(850.0));
    assert_eq!(
        a.error,
        s("ReadTimeout: HTTPSConnectionPool(host='api.twilio.com', port=443): Read timed out. (read timeout=10)")
    );
}

#[test]
fn nginx_escape_json_template_is_an_access_line() {
    let x = acc(&call(15));
    assert_eq!(x.method, s("POST"));
    assert_eq!(
        x.target,
        s("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json")
    );
    assert_eq!(x.protocol, s("HTTP/1.1"));
    assert_eq!(x.status, Some(201));
    assert_eq!(x.bytes_sent, Some(812));
    assert_eq!(x.duration_ms, Some(412.0));
    assert_eq!(x.upstream_addr, s("54.172.60.0:443"));
    assert_eq!(x.upstream_response_time, s("0.410"));
    assert_eq!(x.request_id, s("a1b2"));
    assert_eq!(
        x.request_body,
        s("To=%2B14155550134&From=%2B14155550100&Body=Your+code+is+123456")
    );
    assert_eq!(rfc(x.time), "2026-11-20T14:03:07Z");
    assert_eq!(x.time_anchor, Some(TimeAnchor::RequestEnd));
    assert_eq!(x.fields.get("remote_addr"), Some(&"10.0.3.7".to_string()));
}

#[test]
fn syslog_prefix_gives_the_time() {
    let l = call(16);
    assert!(looks_like_json(&l));
    let a = app(&l);
    assert_eq!(rfc(a.time), "2026-11-20T14:03:13Z");
    assert_eq!(a.ids.request_id, s("req-5"));
}

// ---------------------------------------------------------------------------
// Site key maps, odd shapes, robustness

#[test]
fn site_key_maps_come_first() {
    let mut keys = BTreeMap::new();
    keys.insert(
        "to".to_string(),
        vec!["payload.recipient_phone".to_string()],
    );
    keys.insert("request_id".to_string(), vec!["ctx.rid".to_string()]);
    keys.insert("time".to_string(), vec!["when".to_string()]);
    keys.insert("sid".to_string(), vec!["twilio_result.id".to_string()]);
    let maps = site(keys);
    let l = format!(
        r#"{{"when":"2026-11-20T14:00:00Z","time":"2020-01-01T00:00:00Z","ctx":{{"rid":"r-1"}},"request_id":"other","payload":{{"recipient_phone":"(415) 555-0134"}},"twilio_result":{{"id":"{SM}"}}}}"#
    );
    let JsonLine::App(a) = parse_json_line(l.as_bytes(), &maps).unwrap().remove(0) else {
        panic!("app")
    };
    assert_eq!(rfc(a.time), "2026-11-20T14:00:00Z");
    assert_eq!(a.ids.request_id, s("r-1"));
    assert_eq!(a.to, s("(415) 555-0134"));
    assert_eq!(a.sid, s(SM));
}

#[test]
fn dotted_and_nested_keys_are_one_path() {
    let a = app(br#"{"log":{"level":"warn"},"message":"m","ecs":{"version":"8"}}"#);
    let b = app(br#"{"log.level":"warn","message":"m","ecs.version":"8"}"#);
    assert_eq!(a.level, s("warn"));
    assert_eq!(a.level, b.level);
    assert_eq!(a.style, "ecs");
    assert_eq!(b.style, "ecs");
}

#[test]
fn time_encodings() {
    let t = |l: &str| app(l.as_bytes()).time;
    assert_eq!(
        t(r#"{"ts":1700000000,"msg":"x"}"#).unwrap().precision,
        Precision::Seconds
    );
    assert_eq!(
        t(r#"{"time":"1700000000123","msg":"x"}"#).unwrap().nanos,
        1_700_000_000_123_000_000
    );
    assert_eq!(
        t(r#"{"timestamp":1700000000123456,"msg":"x"}"#)
            .unwrap()
            .precision,
        Precision::Micros
    );
    assert_eq!(
        t(r#"{"instant":{"epochSecond":1700000000,"nanoOfSecond":123456789},"message":"x"}"#)
            .unwrap()
            .nanos,
        1_700_000_000_123_456_789
    );
    assert_eq!(
        t(r#"{"timeMillis":1700000000123,"message":"x"}"#)
            .unwrap()
            .nanos,
        1_700_000_000_123_000_000
    );
    assert_eq!(
        rfc(t(
            r#"{"T":"2021-02-05T12:41:48.053-0700","L":"DEBUG","M":"x"}"#
        )),
        "2021-02-05T19:41:48.053Z"
    );
    assert_eq!(
        t(r#"{"timeUnixNano":"0","observedTimeUnixNano":"1700000000000000001","body":{"stringValue":"x"}}"#)
            .unwrap()
            .nanos,
        1_700_000_000_000_000_001
    );
}

#[test]
fn docker_json_file_lines_are_unwrapped() {
    let l = br#"{"log":"{\"level\":\"info\",\"msg\":\"hi\",\"caller\":\"a.go:1\"}\n","stream":"stdout","time":"2026-11-20T14:00:00.123456789Z"}"#;
    let mut v = crate::catalog::Catalog::builtin()
        .parse(crate::catalog::ParserId::Json, l)
        .unwrap();
    let crate::catalog::Parsed::App(a) = v.remove(0) else {
        panic!("app")
    };
    assert_eq!(a.message, s("hi"));
    assert_eq!(a.style, "zap");
    assert_eq!(rfc(a.time), "2026-11-20T14:00:00.123456789Z");
}

#[test]
fn robustness() {
    // fragments, non-objects, empty
    for bad in [
        &b"{"[..],
        b"\"key\": 1,",
        b"}",
        b"[1,2]",
        b"\"str\"",
        b"",
        b"   \r",
        b"{\"a\":1} trailing",
        b"{\"n\":1e400}",
    ] {
        assert!(parse_json_line(bad, builtin()).is_err(), "{bad:?}");
    }
    // deep nesting hits serde_json's limit: an error, not a crash
    let deep = format!("{}{}", "{\"a\":".repeat(5000), "}".repeat(5000));
    assert!(parse_json_line(deep.as_bytes(), builtin()).is_err());
    let deep_arr = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_json_line(deep_arr.as_bytes(), builtin()).is_err());
    // invalid UTF-8 and CRLF
    let a = app(b"{\"msg\":\"caf\xe9\",\"level\":\"info\"}\r");
    assert_eq!(a.message, s("caf\u{fffd}"));
    // duplicate keys: the last wins
    assert_eq!(app(br#"{"msg":"a","msg":"b"}"#).message, s("b"));
    // wrong types for known keys
    let w = app(br#"{"msg":5,"level":true,"status":"abc","time":{"x":1},"to":["+1415"],"sid":7,"error":false,"caller":{"f":1},"duration":"fast"}"#);
    assert_eq!(w.message, s("5"));
    assert_eq!(w.status, None);
    assert_eq!(w.time, None);
    assert_eq!(w.to, s("+1415"));
    assert_eq!(w.sid, None);
    assert_eq!(w.error, None);
    assert_eq!(w.code_path.caller, None);
    assert_eq!(w.duration_ms, None);
    // huge integers become floats; no panic
    let h =
        app(br#"{"ts":123456789012345678901234567890,"status":1e300,"pid":18446744073709551616}"#);
    assert_eq!(h.time, None);
    assert_eq!(h.status, None);
    // the error offset counts from the start of the line, prefix included:
    // byte 14 is the `}` found where `e` of `true` was expected
    let e = parse_json_line(b"INFO {\"a\": tru}", builtin()).unwrap_err();
    assert_eq!(e.offset, Some(14));
}

#[test]
fn looks_like_json_cases() {
    assert!(looks_like_json(br#"{"a":1}"#));
    assert!(looks_like_json(b"caddy  | {\"a\":1}\r"));
    assert!(looks_like_json(b"{}"));
    assert!(!looks_like_json(b"{"));
    assert!(!looks_like_json(b"plain text"));
    assert!(!looks_like_json(b"x {1}"));
    let long_prefix = format!("{}{{\"a\":1}}", "x".repeat(300));
    assert!(!looks_like_json(long_prefix.as_bytes()));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = looks_like_json(&bytes);
        let _ = parse_json_line(&bytes, builtin());
    }

    #[test]
    fn arbitrary_json_shapes_never_panic(
        keys in proptest::collection::vec("[a-zA-Z_.@-]{1,12}", 0..12),
        vals in proptest::collection::vec(prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| if f.is_finite() { f.to_string() } else { "0".into() }),
            "[ -~]{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just("null".to_string()),
            Just("{\"message\":{\"x\":[1,2]}}".to_string()),
            Just("[\"a\",{\"b\":1}]".to_string()),
        ], 0..12),
    ) {
        let body: Vec<String> = keys
            .iter()
            .zip(vals.iter())
            .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
            .collect();
        let line = format!("{{{}}}", body.join(","));
        prop_assert!(parse_json_line(line.as_bytes(), builtin()).is_ok());
    }
}

#[test]
fn message_call_beats_a_relative_route() {
    let l = format!(
        r#"{{"level":"info","time":"2026-11-20T14:00:00Z","msg":"POST {URL}","method":"GET","url":"/signup"}}"#
    );
    let a = app(l.as_bytes());
    assert_eq!(a.method, s("POST"));
    assert_eq!(a.url, s(URL));
    // an absolute URL key stays
    let b = app(
        br#"{"msg":"POST https://example.com/x","method":"PUT","url":"https://api.example.com/y"}"#,
    );
    assert_eq!(b.method, s("PUT"));
    assert_eq!(b.url, s("https://api.example.com/y"));
}

#[test]
fn app_record_with_access_like_keys_stays_an_app_record() {
    let a = app(br#"{"msg":"handled","ip":"10.0.0.1","path":"/signup","status":200}"#);
    assert_eq!(a.status, Some(200));
    assert_eq!(a.message, s("handled"));
}

#[test]
fn tracing_flattened_event() {
    let a = app(br#"{"timestamp":"2026-11-20T14:00:00.000001Z","level":"INFO","message":"sent","target":"app::sms","threadId":"ThreadId(1)","filename":"src/sms.rs","line_number":42}"#);
    assert_eq!(a.style, "tracing");
    assert_eq!(a.code_path.logger, s("app::sms"));
    assert_eq!(a.code_path.caller, s("src/sms.rs:42"));
    assert_eq!(a.message, s("sent"));
}

#[test]
fn site_map_duration_with_units() {
    let mut keys = BTreeMap::new();
    keys.insert("duration_ms".to_string(), vec!["timing.total".to_string()]);
    let maps = site(keys);
    let JsonLine::App(a) = parse_json_line(br#"{"msg":"x","timing":{"total":"1m2s"}}"#, &maps)
        .unwrap()
        .remove(0)
    else {
        panic!("app")
    };
    assert_eq!(a.duration_ms, Some(62_000.0));
}

#[test]
fn hl_kitchen_sink_style_record_with_bytes_sent_is_an_app_record() {
    let a = app(br#"{"ts": "2025-04-01T09:01:12.333Z", "level": "info", "msg": "request completed", "caller": "api/handler.go:45", "logger": "api", "status": 200, "latency_ms": 45.7, "bytes_sent": 8192, "compressed": true}"#);
    assert_eq!(a.style, "zap");
    assert_eq!(a.status, Some(200));
    assert_eq!(a.duration_ms, Some(45.7));
    assert_eq!(a.code_path.logger, s("api"));
}

#[test]
fn form_encoded_request_body_gives_to_from_body() {
    let a = app(br#"{"level":"debug","msg":"twilio request","request_body":"To=%2B14155550134&From=%2B14155550100&Body=Your+code+is+123%25+ok"}"#);
    assert_eq!(a.to, s("+14155550134"));
    assert_eq!(a.from, s("+14155550100"));
    assert_eq!(a.body, s("Your code is 123% ok"));
    assert!(!a.webhook);
    // a raw form string under `body` is not taken as the text itself
    let b = app(br#"{"msg":"x","body":"To=whatsapp%3A%2B14155550134&Body=hi%ZZ"}"#);
    assert_eq!(b.to, s("whatsapp:+14155550134"));
    assert_eq!(b.body, s("hi%ZZ"));
    // a webhook's form body marks the record as a webhook
    let c = app(br#"{"msg":"callback","body":"MessageSid=SM5f2c0a4b9e8d7c6b5a4f3e2d1c0b9a8f&MessageStatus=delivered&To=%2B1415"}"#);
    assert!(c.webhook);
    assert_eq!(c.sid, None);
}

#[test]
fn otel_data_model_record_with_attribute_map() {
    let l = format!(
        r#"{{"Timestamp":"2026-11-20T14:03:07.123456789Z","SeverityText":"INFO","Body":"sent","TraceId":"5b8aa5a2d2c872e8321cf37308d69df2","Attributes":{{"http.request.method":"POST","url.full":"{URL}","http.response.status_code":201}},"Resource":{{"host.name":"app-3"}}}}"#
    );
    let a = app(l.as_bytes());
    assert_eq!(a.style, "otel");
    assert_eq!(a.message, s("sent"));
    assert_eq!(a.body, None);
    assert_eq!(a.method, s("POST"));
    assert_eq!(a.url, s(URL));
    assert_eq!(a.status, Some(201));
    assert_eq!(a.host, s("app-3"));
    assert_eq!(a.ids.trace_id, s("5b8aa5a2d2c872e8321cf37308d69df2"));
    assert_eq!(a.time.unwrap().precision, Precision::Nanos);
}
