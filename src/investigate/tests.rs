//! Tests of the investigation engine, on hand-built inputs.

use std::collections::BTreeMap;

use super::*;
use crate::model::{
    CodePath, ContextKind, Failure, Gap, Ids, Observer, Precision, Stamp, TimeAnchor,
};

const SEC: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
/// 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000 * SEC;
const TO: &str = "+14155550134";
const BODY: &str = "Your appointment is tomorrow at 9:00";

fn stamp(ms: i64, p: Precision) -> Stamp {
    Stamp::new(T0 + ms * MS, p, Some(0))
}

fn ev(file: &str, line: u64) -> Evidence {
    Evidence {
        file: file.into(),
        line,
    }
}

/// An app log record of a call, at `ms` after T0, on host web-1.
fn app(file: &str, line: u64, ms: i64) -> Attempt {
    Attempt {
        time: stamp(ms, Precision::Millis),
        time_anchor: TimeAnchor::LogRecord,
        observer: Observer::App,
        format: "json".into(),
        source: file.into(),
        method: "POST".into(),
        url: "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json".into(),
        account_sid: Some("AC00000000000000000000000000000001".into()),
        recipient: Some(TO.into()),
        from: None,
        body: Some(BODY.into()),
        sid: None,
        status: None,
        failure: None,
        duration_ms: None,
        host: Some("web-1".into()),
        client_addr: None,
        code_path: CodePath {
            logger: Some("app.notify".into()),
            function: Some("send_reminder".into()),
            caller: None,
        },
        ids: Ids::default(),
        user_agent: None,
        library: None,
        evidence: vec![ev(file, line)],
    }
}

/// An egress proxy access-log line (nginx: time at the end), no body.
fn proxy(file: &str, line: u64, end_ms: i64, dur_ms: f64, status: u16) -> Attempt {
    Attempt {
        time: stamp(end_ms, Precision::Millis),
        time_anchor: TimeAnchor::RequestEnd,
        observer: Observer::EgressProxy,
        format: "nginx:combined".into(),
        source: file.into(),
        recipient: None,
        body: None,
        status: Some(status),
        duration_ms: Some(dur_ms),
        host: Some("10.0.0.5".into()),
        client_addr: Some("10.0.0.5".into()),
        code_path: CodePath::default(),
        ..app(file, line, 0)
    }
}

fn sid(n: u32) -> String {
    format!("SM{n:032x}")
}

/// A Twilio record created `ms` after T0 (truncated to seconds, like Twilio).
fn rec(n: u32, ms: i64) -> TwilioRecord {
    let t = (T0 + ms * MS).div_euclid(SEC) * SEC;
    TwilioRecord {
        sid: sid(n).into(),
        account_sid: Some("AC00000000000000000000000000000001".into()),
        from: Some("+15005550006".into()),
        to: TO.into(),
        body: Some(BODY.into()),
        status: Some("delivered".into()),
        direction: Some("outbound-api".into()),
        date_created: Some(Stamp::new(t, Precision::Seconds, Some(0))),
        date_sent: Some(Stamp::new(t + SEC, Precision::Seconds, Some(0))),
        date_updated: None,
        num_segments: Some(1),
        error_code: None,
        messaging_service_sid: None,
        export: "api_page".into(),
        evidence: ev("messages.json", u64::from(n)),
    }
}

fn cover(source: &str, host: Option<&str>, from_ms: i64, to_ms: i64) -> SourceCoverage {
    SourceCoverage {
        source: source.into(),
        files: vec![source.into()],
        host: host.map(String::from),
        format: "json".into(),
        observes_posts: true,
        lines: 1000,
        first: Some(T0 + from_ms * MS),
        last: Some(T0 + to_ms * MS),
        gaps: Vec::new(),
    }
}

fn inbound(line: u64, ms: i64, route: &str, client: &str, request_id: &str) -> ContextRecord {
    ContextRecord {
        kind: ContextKind::InboundRequest,
        time: stamp(ms, Precision::Millis),
        time_anchor: TimeAnchor::RequestEnd,
        source: "front.log".into(),
        summary: route.into(),
        status: Some(200),
        client_addr: Some(client.into()),
        user_agent: Some("Mozilla/5.0".into()),
        host: Some("front-1".into()),
        code_path: CodePath::default(),
        ids: Ids {
            request_id: Some(request_id.into()),
            ..Ids::default()
        },
        idempotency_token: None,
        evidence: ev("front.log", line),
    }
}

fn inputs(attempts: Vec<Attempt>, twilio: Vec<TwilioRecord>) -> Inputs {
    Inputs {
        attempts,
        context: Vec::new(),
        twilio,
        twilio_given: true,
        coverage: vec![cover("app.log", Some("web-1"), -3_600_000, 3_600_000)],
        quotes: BTreeMap::new(),
        summary: InputSummary::default(),
    }
}

fn scan() -> Options {
    Options::default()
}

fn complaint() -> Options {
    Options {
        to: Some(TO.into()),
        ..Options::default()
    }
}

fn sent(file: &str, line: u64, ms: i64, n: u32) -> Attempt {
    Attempt {
        status: Some(201),
        sid: Some(sid(n)),
        duration_ms: Some(180.0),
        ..app(file, line, ms)
    }
}

fn json(r: &Report, redact: bool) -> String {
    let mut out = Vec::new();
    render(r, Format::Json, redact, &mut out).expect("render");
    String::from_utf8(out).expect("utf8")
}

fn all_formats(r: &Report, redact: bool) -> Vec<String> {
    [Format::Text, Format::Json, Format::Markdown]
        .into_iter()
        .map(|f| {
            let mut out = Vec::new();
            render(r, f, redact, &mut out).expect("render");
            String::from_utf8(out).expect("utf8")
        })
        .collect()
}

/// Timeout after 10 s, retried 0.6 s later; Twilio had created both.
fn retry_inputs() -> Inputs {
    let first = Attempt {
        failure: Some(Failure::Timeout("read timeout=10".into())),
        duration_ms: Some(10_000.0),
        ..app("app.log", 14, 0)
    };
    let second = sent("app.log", 15, 10_600, 2);
    inputs(vec![first, second], vec![rec(1, 300), rec(2, 10_800)])
}

#[test]
fn single_request_with_coverage_is_a_proof() {
    let i = inputs(vec![sent("app.log", 14, 0, 1)], vec![rec(1, 200)]);
    assert!(investigate(&i, &scan()).incidents.is_empty());
    let r = investigate(&i, &complaint());
    assert_eq!(r.incidents.len(), 1);
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::SingleRequest);
    assert!(inc.proof, "{}", inc.answer);
    assert!(inc.answer.contains("after Twilio"));
    assert_eq!(inc.cause, None);
}

#[test]
fn single_request_without_coverage_is_no_proof() {
    let mut i = inputs(vec![sent("app.log", 14, 0, 1)], vec![rec(1, 200)]);
    i.coverage = vec![cover("app.log", Some("web-1"), 5_000, 3_600_000)];
    let r = investigate(&i, &complaint());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::SingleRequest);
    assert!(!inc.proof);
    assert!(inc.answer.contains("not a proof"), "{}", inc.answer);
}

#[test]
fn retry_after_timeout() {
    let r = investigate(&retry_inputs(), &scan());
    assert_eq!(r.incidents.len(), 1);
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::MultipleRequests);
    assert_eq!(inc.cause, Some(Cause::Retry));
    assert_eq!(inc.sids, vec![sid(1), sid(2)]);
    let text = inc.explanation.join("\n");
    assert!(text.contains("timed out after 10.0 s"), "{text}");
    assert!(text.contains("app.log line 14"), "{text}");
    assert!(
        text.contains("600 ms later from the same code path"),
        "{text}"
    );
    assert_eq!(inc.requests[1].cause, Some(Cause::Retry));
    assert!(!inc.requests[0].extra);
    let m = inc.requests[0].matched.as_ref().expect("matched");
    assert_eq!(m.by, MatchBy::RecipientTime);
}

#[test]
fn duplicate_job_on_two_hosts() {
    let a = Attempt {
        ids: Ids {
            job_id: Some("job-77".into()),
            ..Ids::default()
        },
        ..sent("worker.log", 3, 0, 1)
    };
    let b = Attempt {
        host: Some("web-2".into()),
        ..Attempt {
            evidence: vec![ev("worker2.log", 9)],
            source: "worker2.log".into(),
            ..a.clone()
        }
    };
    let b = Attempt {
        time: stamp(300_000, Precision::Millis),
        sid: Some(sid(2)),
        ..b
    };
    let mut i = inputs(vec![a, b], vec![rec(1, 200), rec(2, 300_200)]);
    i.coverage
        .push(cover("worker2.log", Some("web-2"), -3_600_000, 3_600_000));
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.incidents[0].cause, Some(Cause::DuplicateJob));
    assert!(r.incidents[0].answer.contains("job job-77"));
}

#[test]
fn duplicate_job_restarted_on_one_worker() {
    let ids = Ids {
        job_id: Some("job-9".into()),
        ..Ids::default()
    };
    let a = Attempt {
        ids: ids.clone(),
        ..sent("app.log", 3, 0, 1)
    };
    let b = Attempt {
        ids: ids.clone(),
        ..sent("app.log", 30, 240_000, 2)
    };
    let started = |line, ms| ContextRecord {
        kind: ContextKind::AppRecord,
        time: stamp(ms, Precision::Millis),
        time_anchor: TimeAnchor::LogRecord,
        source: "app.log".into(),
        summary: "job started".into(),
        status: None,
        client_addr: None,
        user_agent: None,
        host: Some("web-1".into()),
        code_path: CodePath::default(),
        ids: ids.clone(),
        idempotency_token: None,
        evidence: ev("app.log", line),
    };
    let mut i = inputs(vec![a, b], vec![rec(1, 200), rec(2, 240_200)]);
    i.context = vec![started(2, -100), started(29, 239_900)];
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].cause, Some(Cause::DuplicateJob));
    assert!(
        r.incidents[0].answer.contains("app.log line 29"),
        "{}",
        r.incidents[0].answer
    );

    // Without the second "job started" record it is one run: repeated call.
    i.context.truncate(1);
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].cause, Some(Cause::RepeatedCall));
}

#[test]
fn duplicate_inbound_double_submit() {
    let with_req = |a: Attempt, id: &str| Attempt {
        ids: Ids {
            request_id: Some(id.into()),
            ..Ids::default()
        },
        ..a
    };
    let mut i = inputs(
        vec![
            with_req(sent("app.log", 5, 100, 1), "r-1"),
            with_req(sent("app.log", 8, 900, 2), "r-2"),
        ],
        vec![rec(1, 300), rec(2, 1_100)],
    );
    i.context = vec![
        inbound(40, 150, "POST /signup", "203.0.113.7", "r-1"),
        inbound(41, 950, "POST /signup", "203.0.113.7", "r-2"),
    ];
    let r = investigate(&i, &scan());
    let inc = &r.incidents[0];
    assert_eq!(inc.cause, Some(Cause::DuplicateInbound));
    assert!(inc.answer.contains("203.0.113.7"));
    let ib = inc.requests[0].inbound.as_ref().expect("inbound");
    assert_eq!(ib.route, "POST /signup");
    assert_eq!(ib.evidence, ev("front.log", 40));
}

#[test]
fn duplicate_inbound_webhook_delivered_twice() {
    let with_req = |a: Attempt, id: &str| Attempt {
        ids: Ids {
            request_id: Some(id.into()),
            ..Ids::default()
        },
        ..a
    };
    let mut i = inputs(
        vec![
            with_req(sent("app.log", 5, 100, 1), "r-1"),
            with_req(sent("app.log", 8, 16_000, 2), "r-2"),
        ],
        vec![rec(1, 300), rec(2, 16_200)],
    );
    let hook = |line, ms, client: &str, id: &str| ContextRecord {
        idempotency_token: Some("tok-123".into()),
        ..inbound(line, ms, "POST /sms/incoming", client, id)
    };
    i.context = vec![
        hook(40, 150, "54.1.1.1", "r-1"),
        hook(41, 16_050, "54.2.2.2", "r-2"),
    ];
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].cause, Some(Cause::DuplicateInbound));
    assert!(r.incidents[0].answer.contains("idempotency token"));
}

#[test]
fn multiple_code_paths() {
    let other = Attempt {
        code_path: CodePath {
            logger: Some("app.billing".into()),
            function: Some("notify_invoice".into()),
            caller: None,
        },
        ..sent("app.log", 9, 2_000, 2)
    };
    let i = inputs(
        vec![sent("app.log", 5, 0, 1), other],
        vec![rec(1, 200), rec(2, 2_200)],
    );
    let r = investigate(&i, &scan());
    let inc = &r.incidents[0];
    assert_eq!(inc.cause, Some(Cause::MultipleCodePaths));
    assert!(inc.answer.contains("notify_invoice"));
    assert_eq!(r.summary.per_code_path.len(), 1);
}

#[test]
fn repeated_call_in_one_request() {
    let ids = Ids {
        request_id: Some("r-1".into()),
        ..Ids::default()
    };
    let a = Attempt {
        ids: ids.clone(),
        ..sent("app.log", 5, 0, 1)
    };
    let b = Attempt {
        ids,
        ..sent("app.log", 6, 250, 2)
    };
    let r = investigate(&inputs(vec![a, b], vec![rec(1, 100), rec(2, 400)]), &scan());
    assert_eq!(r.incidents[0].cause, Some(Cause::RepeatedCall));
}

#[test]
fn no_context_gives_null_cause_with_reason() {
    let i = inputs(
        vec![sent("app.log", 5, 0, 1), sent("app.log", 6, 60_000, 2)],
        vec![rec(1, 100), rec(2, 60_100)],
    );
    let r = investigate(&i, &scan());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::MultipleRequests);
    assert_eq!(inc.cause, None);
    assert!(inc.answer.contains("do not tell why"), "{}", inc.answer);
    let j = json(&r, false);
    assert!(j.contains("\"cause\": null"));
}

#[test]
fn same_post_in_app_and_egress_logs_counted_once() {
    let mut i = inputs(
        vec![
            sent("app.log", 14, 0, 1),
            proxy("egress.log", 3, 190, 185.0, 201),
        ],
        vec![rec(1, 100)],
    );
    i.coverage
        .push(cover("egress.log", Some("proxy-1"), -3_600_000, 3_600_000));
    let r = investigate(&i, &complaint());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::SingleRequest);
    assert_eq!(inc.requests.len(), 1);
    assert_eq!(
        inc.requests[0].observers,
        vec![Observer::EgressProxy, Observer::App]
    );
    assert_eq!(inc.requests[0].evidence.len(), 2);
    assert!(inc.explanation.iter().any(|e| e.contains("counted once")));

    // Two POSTs seen by both logs stay two requests.
    i.attempts.push(sent("app.log", 20, 5_000, 2));
    i.attempts.push(proxy("egress.log", 4, 5_190, 185.0, 201));
    i.twilio.push(rec(2, 5_100));
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].requests.len(), 2);
    assert_eq!(r.incidents[0].verdict, Verdict::MultipleRequests);
}

#[test]
fn skewed_host_clock_is_corrected_from_sid_pairs() {
    let skew = 7_000;
    let web2 = |a: Attempt| Attempt {
        host: Some("web-2".into()),
        source: "app2.log".into(),
        ..a
    };
    // SID-confirmed pairs (other recipients) teach web-2's offset.
    let mut pairs = Vec::new();
    let mut recs = Vec::new();
    for (k, at) in [(10u32, -600_000i64), (11, -300_000), (12, 600_000)] {
        pairs.push(Attempt {
            recipient: Some(format!("+1415555{k:04}")),
            ..web2(sent("app2.log", u64::from(k), at + skew, k))
        });
        recs.push(TwilioRecord {
            to: format!("+1415555{k:04}").into(),
            ..rec(k, at + 150)
        });
    }
    // Two records 12 s apart, requests logged without SIDs on web-2.
    let q1 = web2(Attempt {
        status: Some(201),
        ..app("app2.log", 1, skew)
    });
    let q2 = web2(Attempt {
        status: Some(201),
        ..app("app2.log", 2, 12_000 + skew)
    });
    let mut attempts = vec![q1, q2];
    attempts.extend(pairs);
    recs.push(rec(1, 150));
    recs.push(rec(2, 12_150));
    let mut i = inputs(attempts, recs);
    i.coverage
        .push(cover("app2.log", Some("web-2"), -3_600_000, 3_600_000));
    let r = investigate(&i, &scan());
    let off = r
        .clock_offsets
        .iter()
        .find(|c| c.host == "web-2")
        .expect("offset");
    assert_eq!(off.pairs, 3);
    assert!(
        (off.offset_ms - (-skew + 500)).abs() <= 500,
        "{}",
        off.offset_ms
    );
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::MultipleRequests);
    let m1 = inc.requests[0].matched.as_ref().expect("m1");
    assert_eq!(m1.record, sid(1));
    assert_eq!(m1.confidence, Confidence::High);
    assert_eq!(inc.requests[1].matched.as_ref().expect("m2").record, sid(2));
}

#[test]
fn status_callback_is_not_a_request() {
    let mut i = inputs(vec![sent("app.log", 14, 0, 1)], vec![rec(1, 200)]);
    i.context = vec![ContextRecord {
        user_agent: Some("TwilioProxy/1.1".into()),
        ..inbound(77, 3_000, "POST /twilio/status", "54.1.1.1", "cb-1")
    }];
    let r = investigate(&i, &complaint());
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.incidents[0].verdict, Verdict::SingleRequest);
    assert_eq!(r.incidents[0].requests.len(), 1);
    assert!(r.incidents[0].requests[0].inbound.is_none());
}

#[test]
fn rate_limited_then_success_is_not_a_duplicate() {
    let limited = Attempt {
        status: Some(429),
        ..app("app.log", 13, 0)
    };
    let i = inputs(
        vec![limited, sent("app.log", 14, 1_500, 1)],
        vec![rec(1, 1_700)],
    );
    assert!(investigate(&i, &scan()).incidents.is_empty());
    let r = investigate(&i, &complaint());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::SingleRequest);
    assert_eq!(inc.requests.len(), 2);
    assert_eq!(inc.requests[0].outcome, Outcome::Rejected);
    assert!(inc.explanation.iter().any(|e| e.contains("429")));
}

#[test]
fn two_different_texts_are_not_a_duplicate() {
    let other = TwilioRecord {
        body: Some("Your order has shipped".into()),
        ..rec(2, 120_000)
    };
    let q2 = Attempt {
        body: Some("Your order has shipped".into()),
        ..sent("app.log", 20, 119_800, 2)
    };
    let i = inputs(
        vec![sent("app.log", 14, 0, 1), q2],
        vec![rec(1, 200), other],
    );
    assert!(investigate(&i, &scan()).incidents.is_empty());
    let r = investigate(&i, &complaint());
    assert_eq!(r.incidents.len(), 2);
    assert!(r
        .incidents
        .iter()
        .all(|x| x.verdict == Verdict::SingleRequest));
}

#[test]
fn daily_reminders_are_not_joined() {
    let i = inputs(
        vec![sent("app.log", 1, 0, 1), sent("app.log", 2, 86_400_000, 2)],
        vec![rec(1, 200), rec(2, 86_400_200)],
    );
    assert!(investigate(&i, &scan()).incidents.is_empty());
}

#[test]
fn twilio_side_when_logs_cover_and_inconclusive_with_a_hole() {
    let mut i = inputs(
        vec![sent("app.log", 14, 0, 1)],
        vec![rec(1, 200), rec(2, 90_000)],
    );
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].verdict, Verdict::TwilioSide);
    assert!(r.incidents[0].answer.contains(&sid(2)));
    assert!(r.incidents[0].proof);

    if let Some(c) = i.coverage.first_mut() {
        c.gaps.push(Gap {
            from: T0 + 60_000 * MS,
            to: T0 + 200_000 * MS,
            before: ev("app.log", 15),
            after: ev("app.log", 16),
        });
    }
    let r = investigate(&i, &scan());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::Inconclusive);
    assert!(!inc.proof);
    assert!(inc.answer.contains("app.log line 15"), "{}", inc.answer);
    assert!(inc.coverage.iter().any(|c| !c.covers));
}

#[test]
fn inconclusive_when_source_stops_before() {
    let mut i = inputs(
        vec![sent("app.log", 14, 0, 1)],
        vec![rec(1, 200), rec(2, 90_000)],
    );
    i.coverage = vec![cover("app.log", Some("web-1"), -3_600_000, 10_000)];
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].verdict, Verdict::Inconclusive);
    assert!(r.incidents[0].answer.contains("ends at"));
}

fn java_inputs(first_created: bool) -> Inputs {
    let ua = "twilio-java/10.1.0 (Linux amd64) java/17";
    let java = |a: Attempt| Attempt {
        user_agent: Some(ua.into()),
        library: Some("twilio-java/10.1.0".into()),
        ..a
    };
    // The app logs one call; the proxy saw a 500 and, 100 ms later, the re-send.
    let call = java(Attempt {
        duration_ms: Some(420.0),
        ..sent("app.log", 14, 0, 2)
    });
    let p1 = java(proxy("egress.log", 7, 150, 140.0, 500));
    let p2 = java(proxy("egress.log", 8, 400, 150.0, 201));
    let mut recs = vec![rec(2, 300)];
    if first_created {
        recs.push(rec(1, 100));
    }
    let mut i = inputs(vec![call, p1, p2], recs);
    i.coverage
        .push(cover("egress.log", Some("proxy-1"), -3_600_000, 3_600_000));
    i
}

#[test]
fn twilio_java_resend_after_5xx() {
    let r = investigate(&java_inputs(true), &scan());
    assert_eq!(r.incidents.len(), 1);
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::MultipleRequests);
    assert_eq!(inc.cause, Some(Cause::Retry));
    assert_eq!(inc.requests.len(), 2);
    assert!(inc.answer.contains("library re-send"), "{}", inc.answer);
    assert_eq!(inc.requests[0].status, Some(500));
    assert_eq!(inc.requests[0].observers, vec![Observer::EgressProxy]);
    assert_eq!(inc.requests[1].cause, Some(Cause::Retry));

    // When the 500 created nothing, it is one message.
    let r = investigate(&java_inputs(false), &complaint());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::SingleRequest);
    assert_eq!(inc.requests[0].outcome, Outcome::NoRecord);
}

#[test]
fn logs_only_mode() {
    let mut i = inputs(
        vec![sent("app.log", 14, 0, 1), sent("app.log", 15, 3_000, 2)],
        Vec::new(),
    );
    i.twilio_given = false;
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.incidents[0].verdict, Verdict::MultipleRequests);
    assert!(!r.incidents[0].proof);
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("no Twilio records given")));

    // A refused request does not count; with --to one request is reported.
    i.attempts[1].status = Some(429);
    i.attempts[1].sid = None;
    assert!(investigate(&i, &scan()).incidents.is_empty());
    let r = investigate(&i, &complaint());
    assert_eq!(r.incidents[0].verdict, Verdict::SingleRequest);
    assert_eq!(r.incidents[0].requests.len(), 2);
}

#[test]
fn sids_option_selects_the_cluster() {
    let mut i = retry_inputs();
    i.twilio.push(TwilioRecord {
        to: "+14155550199".into(),
        ..rec(3, 5_000)
    });
    let r = investigate(
        &i,
        &Options {
            sids: vec![sid(2)],
            ..Options::default()
        },
    );
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.incidents[0].sids, vec![sid(1), sid(2)]);
}

#[test]
fn inbound_records_are_ignored() {
    let mut i = retry_inputs();
    i.twilio.push(TwilioRecord {
        direction: Some("inbound".into()),
        ..rec(9, 5_000)
    });
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].sids.len(), 2);
}

/// A rich scenario for determinism and redaction.
fn rich_inputs() -> Inputs {
    let mut i = java_inputs(true);
    let r = retry_inputs();
    for mut a in r.attempts {
        a.time.nanos += 3_600 * SEC;
        a.recipient = Some("+14155550188".into());
        a.sid = a.sid.map(|s| s.replace("SM0", "SM1"));
        a.source = "worker.log".into();
        a.host = Some("worker-1".into());
        for e in &mut a.evidence {
            e.file = "worker.log".into();
        }
        i.attempts.push(a);
    }
    i.coverage
        .push(cover("worker.log", Some("worker-1"), 0, 7_200_000));
    for mut t in r.twilio {
        t.sid = t.sid.replace("SM0", "SM1").into();
        t.to = "+14155550188".into();
        t.date_created = t.date_created.map(|mut s| {
            s.nanos += 3_600 * SEC;
            s
        });
        i.twilio.push(t);
    }
    for a in &i.attempts {
        for e in &a.evidence {
            i.quotes.insert(
                e.clone(),
                format!(
                    "POST Messages.json To={} Body={} Authorization: Basic QUMxMjM0NTY3ODk6c2VjcmV0c2VjcmV0 AC0123456789abcdef0123456789abcdef:feedfacefeedfacefeedfacefeedface",
                    a.recipient.as_deref().unwrap_or("+14155550134").replace('+', "%2B"),
                    BODY.replace(' ', "+")
                ),
            );
        }
    }
    i.summary = InputSummary {
        files: 3,
        lines: 30,
        unparsed_lines: 2,
        unparsed_candidates: 1,
        not_read_as_post: 0,
        lookalikes: Default::default(),
        problems: vec![crate::model::Problem {
            file: "app.log".into(),
            line: Some(99),
            message: "bad JSON near auth_token=deadbeefdeadbeefdeadbeefdeadbeef".into(),
        }],
    };
    i
}

#[test]
fn output_does_not_depend_on_input_order() {
    let i = rich_inputs();
    let a = json(&investigate(&i, &scan()), false);
    let mut s = i.clone();
    s.attempts.reverse();
    s.attempts.rotate_left(2);
    s.twilio.reverse();
    s.coverage.reverse();
    s.context.reverse();
    let b = json(&investigate(&s, &scan()), false);
    assert_eq!(a, b);
    assert_eq!(
        investigate(&i, &scan()).incidents.len(),
        2,
        "rich scenario should have two incidents"
    );
}

#[test]
fn json_contract() {
    let r = investigate(&retry_inputs(), &scan());
    let v: serde_json::Value = serde_json::from_str(&json(&r, false)).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["redacted"], false);
    let inc = &v["incidents"][0];
    assert_eq!(inc["recipient"], TO);
    assert_eq!(inc["verdict"], "multiple_requests");
    assert_eq!(inc["cause"], "retry");
    let q = &inc["requests"][0];
    assert!(q.get("sid").is_some() && q.get("status").is_some());
    assert_eq!(q["status"], serde_json::Value::Null);
    assert_eq!(q["evidence"][0]["file"], "app.log");
    assert_eq!(q["evidence"][0]["line"], 14);
    assert_eq!(q["match"]["by"], "recipient_time");
    assert!(q["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    let keys: Vec<&str> = inc
        .as_object()
        .map(|o| o.keys().map(String::as_str).take(5).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["recipient", "verdict", "cause", "sids", "requests"]);
    assert!(v["summary"]["per_verdict"]["multiple_requests"] == 1);
}

#[test]
fn credentials_never_appear_and_redaction_masks() {
    let mut i = rich_inputs();
    i.attempts[0].user_agent = Some("twilio-java/10.1.0 password=hunter2hunter2".into());
    let r = investigate(&i, &scan());
    let secrets = [
        "QUMxMjM0NTY3ODk6c2VjcmV0c2VjcmV0",
        "feedfacefeedfacefeedfacefeedface",
        "deadbeefdeadbeefdeadbeefdeadbeef",
        "hunter2hunter2",
    ];
    for redact in [false, true] {
        for out in all_formats(&r, redact) {
            for s in secrets {
                assert!(
                    !out.contains(s),
                    "secret {s} leaked (redact {redact}):\n{out}"
                );
            }
            assert!(out.contains("[REDACTED]"));
            if redact {
                assert!(!out.contains("4155550134"), "phone leaked:\n{out}");
                assert!(!out.contains("4155550188"), "phone leaked:\n{out}");
                assert!(!out.contains("appointment"), "body leaked:\n{out}");
                assert!(out.contains("+1415•••0134"));
            } else {
                assert!(out.contains("+14155550134"));
            }
        }
    }
    assert!(json(&r, true).contains("\"redacted\": true"));
}

#[test]
fn mask_phone_and_hash() {
    assert_eq!(mask_phone("+14155550134"), "+1415•••0134");
    assert_eq!(mask_phone("whatsapp:+14155550134"), "whatsapp:+1415•••0134");
    assert_eq!(mask_phone("+4412"), "+•••");
    assert_eq!(body_hash("hello"), body_hash("hello"));
    assert_ne!(body_hash("hello"), body_hash("hello!"));
    assert!(body_hash("x").starts_with("body#") && body_hash("x").len() == 13);
}

fn check_expected(name: &str, got: &str) {
    let path = format!(
        "{}/tests/data/investigate/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, got).expect("write expected");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got, want,
        "{name} differs; rerun with UPDATE_EXPECT=1 to accept"
    );
}

#[test]
fn text_and_markdown_snapshots() {
    let mut i = retry_inputs();
    for (e, t) in [
        (ev("app.log", 14), "{\"msg\":\"sending sms\",\"to\":\"+14155550134\",\"error\":\"read timeout=10\"}"),
        (ev("app.log", 15), "{\"msg\":\"sms sent\",\"to\":\"+14155550134\",\"sid\":\"SM00000000000000000000000000000002\"}"),
    ] {
        i.quotes.insert(e, t.to_string());
    }
    let r = investigate(&i, &scan());
    let mut text = Vec::new();
    render(&r, Format::Text, false, &mut text).expect("text");
    check_expected("retry.txt", &String::from_utf8(text).expect("utf8"));
    let mut md = Vec::new();
    render(&r, Format::Markdown, true, &mut md).expect("md");
    check_expected("retry.md", &String::from_utf8(md).expect("utf8"));
}

#[test]
fn csv_record_with_only_date_sent_is_joined() {
    let q = Attempt {
        status: Some(201),
        ..app("app.log", 14, 0)
    };
    let r = TwilioRecord {
        date_created: None,
        date_sent: Some(Stamp::new(T0 + 2 * SEC, Precision::Seconds, None)),
        export: "console_csv".into(),
        ..rec(1, 0)
    };
    let out = investigate(&inputs(vec![q], vec![r]), &complaint());
    let inc = &out.incidents[0];
    assert_eq!(inc.verdict, Verdict::SingleRequest);
    let m = inc.requests[0].matched.as_ref().expect("joined");
    assert_eq!(m.by, MatchBy::RecipientTime);
}

#[test]
fn trial_prefix_body_still_joins() {
    let q = Attempt {
        status: Some(201),
        ..app("app.log", 14, 0)
    };
    let r = TwilioRecord {
        body: Some(format!("Sent from your Twilio trial account - {BODY}").into()),
        ..rec(1, 200)
    };
    let out = investigate(&inputs(vec![q], vec![r]), &complaint());
    assert!(out.incidents[0].requests[0].matched.is_some());
}

#[test]
fn host_without_logs_at_that_moment_is_inconclusive() {
    let mut i = inputs(
        vec![sent("app.log", 14, 0, 1)],
        vec![rec(1, 200), rec(2, 90_000)],
    );
    i.coverage.push(SourceCoverage {
        first: None,
        last: None,
        ..cover("web-2/app.log", Some("web-2"), 0, 0)
    });
    let r = investigate(&i, &scan());
    assert_eq!(r.incidents[0].verdict, Verdict::Inconclusive);
    assert!(r.incidents[0]
        .answer
        .contains("web-2/app.log has no dated lines"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever the attempts and records, investigating and rendering never
    /// panics and every record of a scan incident is listed once.
    #[test]
    fn never_panics(
        reqs in proptest::collection::vec((0i64..600_000, 0u16..600, proptest::bool::ANY, 0u32..6), 0..12),
        recs in proptest::collection::vec((0i64..600_000, 0u32..6), 0..10),
    ) {
        let attempts = reqs
            .iter()
            .enumerate()
            .map(|(k, &(ms, status, by_proxy, n))| {
                if by_proxy {
                    proxy("egress.log", k as u64 + 1, ms, 100.0, status)
                } else {
                    Attempt {
                        status: Some(status),
                        sid: (status == 201).then(|| sid(n)),
                        ..app("app.log", k as u64 + 1, ms)
                    }
                }
            })
            .collect();
        let twilio = recs.iter().map(|&(ms, n)| rec(n, ms)).collect();
        let i = inputs(attempts, twilio);
        for opts in [scan(), complaint()] {
            let r = investigate(&i, &opts);
            for inc in &r.incidents {
                let mut s = inc.sids.clone();
                s.sort();
                s.dedup();
                proptest::prop_assert_eq!(s.len(), inc.sids.len());
            }
            for redact in [false, true] {
                all_formats(&r, redact);
            }
        }
    }
}

#[test]
fn twiml_reply_needs_no_request() {
    let reply = TwilioRecord {
        direction: Some("outbound-reply".into()),
        ..rec(2, 60_000)
    };
    let i = inputs(vec![sent("app.log", 14, 0, 1)], vec![rec(1, 200), reply]);
    let r = investigate(&i, &scan());
    let inc = &r.incidents[0];
    assert_eq!(inc.verdict, Verdict::MultipleRequests);
    assert!(inc.answer.contains("TwiML"), "{}", inc.answer);
}

#[test]
fn rich_scenario_verdicts() {
    let r = investigate(&rich_inputs(), &scan());
    let got: Vec<(Verdict, Option<Cause>)> =
        r.incidents.iter().map(|i| (i.verdict, i.cause)).collect();
    assert_eq!(
        got,
        vec![
            (Verdict::MultipleRequests, Some(Cause::Retry)),
            (Verdict::MultipleRequests, Some(Cause::Retry))
        ]
    );
    assert_eq!(r.summary.per_cause.get("retry"), Some(&2));
}
