use proptest::prelude::*;

use super::template::{unescape, Kind, Step, Unescape};
use super::*;
use crate::model::{Precision, TimeAnchor};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/access/");

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn lines(name: &str) -> Vec<Vec<u8>> {
    data(name)
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn g(name: &str) -> AccessGrammar {
    builtin()
        .into_iter()
        .find(|g| g.name() == name)
        .unwrap_or_else(|| panic!("no builtin {name}"))
}

fn ok(gr: &AccessGrammar, line: &[u8]) -> AccessLine {
    gr.parse(line)
        .unwrap_or_else(|e| panic!("{}: {e}: {}", gr.name(), String::from_utf8_lossy(line)))
}

fn time(l: &AccessLine) -> String {
    l.time.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn s(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

fn steps(gr: &AccessGrammar) -> &[Step] {
    &gr.template.steps
}

fn field_names(gr: &AccessGrammar) -> Vec<String> {
    steps(gr)
        .iter()
        .filter_map(|s| match s {
            Step::Field(f) => Some(f.name.clone()),
            Step::Lit(_) => None,
        })
        .collect()
}

// ---------------------------------------------------------------- nginx rules

#[test]
fn nginx_rule_plain_var() {
    assert_eq!(nginx::plain_var("$status rest"), Ok((" rest", "status")));
    assert!(nginx::plain_var("status").is_err());
}

#[test]
fn nginx_rule_braced_var() {
    assert_eq!(
        nginx::braced_var("${request_time}s"),
        Ok(("s", "request_time"))
    );
    assert!(nginx::braced_var("${request_time").is_err());
}

#[test]
fn nginx_rule_literal() {
    assert_eq!(nginx::literal(" - [x$y"), Ok(("$y", " - [x")));
}

#[test]
fn nginx_rule_pieces_and_braces_glue_text() {
    let p = nginx::pieces("${a}b$c-").unwrap();
    assert_eq!(
        p,
        vec![
            nginx::Piece::Var("a"),
            nginx::Piece::Lit("b"),
            nginx::Piece::Var("c"),
            nginx::Piece::Lit("-"),
        ]
    );
    let gr =
        AccessGrammar::compile_nginx("t", "${status}ms $request_time", Escape::Default).unwrap();
    let l = ok(&gr, b"200ms 0.5");
    assert_eq!(l.status, Some(200));
    assert_eq!(l.duration_ms, Some(500.0));
}

#[test]
fn nginx_errors_name_position() {
    let e = AccessGrammar::compile_nginx("x", "$status ${oops", Escape::Default).unwrap_err();
    assert_eq!(e.position, Some(8));
    assert!(e.to_string().contains("position 8"), "{e}");
    let e = AccessGrammar::compile_nginx("x", "a $ b", Escape::Default).unwrap_err();
    assert_eq!(e.position, Some(2));
    let e = AccessGrammar::compile_nginx("x", "just text", Escape::Default).unwrap_err();
    assert!(e.message.contains("no fields"));
    let e =
        AccessGrammar::compile_nginx("x", "$status$body_bytes_sent", Escape::Default).unwrap_err();
    assert!(e.message.contains("no text between"), "{e}");
}

#[test]
fn nginx_variable_kinds() {
    use super::nginx::var_kind;
    assert_eq!(
        var_kind("time_local"),
        Kind::TimeClf(TimeAnchor::RequestEnd)
    );
    assert_eq!(var_kind("msec"), Kind::TimeMsec);
    assert_eq!(var_kind("upstream_connect_time"), Kind::UpstreamOther);
    let request_id = |strong: bool| move |k: Kind| matches!(k, Kind::Role(r) if r.role == Role::RequestId && r.strong == strong && r.token);
    assert!(request_id(false)(var_kind("http_x_request_id")));
    assert!(request_id(true)(var_kind("request_id")));
    assert_eq!(var_kind("http_accept"), Kind::Other);
}

#[test]
fn nginx_escape_default_undoes_hex_any_case() {
    assert_eq!(
        unescape(br#"/escape/\x221 \x1B\x1c \x22-2"#, Unescape::NginxDefault).as_ref(),
        b"/escape/\"1 \x1b\x1c \"-2"
    );
    // a lone backslash or broken escape stays
    assert_eq!(
        unescape(br"a\xZZ\q", Unescape::NginxDefault).as_ref(),
        br"a\xZZ\q"
    );
    let gr = g("nginx:combined");
    let l = ok(
        &gr,
        br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /caf\xC3\xA9 HTTP/1.1" 200 5 "-" "a\x22b\x5Cc""#,
    );
    assert_eq!(s(&l.target), Some("/café"));
    assert_eq!(s(&l.user_agent), Some("a\"b\\c"));
}

#[test]
fn nginx_escape_json() {
    assert_eq!(
        unescape(
            br#"/escape/\"1 \u001B\u001C \"2 \\ \n \u00e9 \ud83d\ude00"#,
            Unescape::Json
        )
        .as_ref(),
        "/escape/\"1 \u{1b}\u{1c} \"2 \\ \n é 😀".as_bytes()
    );
    let gr = AccessGrammar::compile_nginx(
        "j",
        r#"{"t":"$time_iso8601","req":"$request","ua":"$http_user_agent","rid":"$request_id"}"#,
        Escape::Json,
    )
    .unwrap();
    let l = ok(
        &gr,
        br#"{"t":"2026-11-20T10:00:01+01:00","req":"POST /x?a=\"b\" HTTP/1.1","ua":"q\\\"z","rid":""}"#,
    );
    assert_eq!(time(&l), "2026-11-20T09:00:01Z");
    assert_eq!(l.time_anchor, Some(TimeAnchor::RequestEnd));
    assert_eq!(s(&l.target), Some("/x?a=\"b\""));
    assert_eq!(s(&l.user_agent), Some("q\\\"z"));
    assert_eq!(l.request_id, None, "empty is missing in json mode");
}

#[test]
fn nginx_escape_none_backtracks_over_raw_quotes() {
    let gr = AccessGrammar::compile_nginx(
        "raw",
        r#"$remote_addr "$http_user_agent" "$request_body" $status"#,
        Escape::None,
    )
    .unwrap();
    let l = ok(&gr, br#"10.0.0.1 "evil "quoted" agent" "a="b" c" 201"#);
    assert_eq!(s(&l.user_agent), Some(r#"evil "quoted" agent"#));
    assert_eq!(s(&l.request_body), Some(r#"a="b" c"#));
    assert_eq!(l.status, Some(201));
    // raw bytes are decoded lossily, never a panic
    let l = ok(&gr, b"10.0.0.1 \"\xff\xfe\" \"-\" 200");
    assert_eq!(s(&l.user_agent), Some("\u{fffd}\u{fffd}"));
}

#[test]
fn nginx_missing_values_and_fields_by_name() {
    let gr = g("nginx:main");
    let l = ok(
        &gr,
        br#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 0 "" "-" "203.0.113.9, 10.0.0.2""#,
    );
    assert_eq!(l.remote_user, None);
    assert_eq!(l.referer, None);
    assert_eq!(l.user_agent, None);
    assert_eq!(l.bytes_sent, Some(0));
    assert_eq!(s(&l.forwarded_for), Some("203.0.113.9, 10.0.0.2"));
    assert_eq!(
        l.fields.get("http_x_forwarded_for").map(String::as_str),
        Some("203.0.113.9, 10.0.0.2")
    );
    assert_eq!(l.fields.get("status").map(String::as_str), Some("200"));
    assert!(!l.fields.contains_key("remote_user"));
}

#[test]
fn nginx_times_msec_preferred_and_iso() {
    let gr = AccessGrammar::compile_nginx(
        "t",
        "[$time_local] $msec $time_iso8601 $status",
        Escape::Default,
    )
    .unwrap();
    let l = ok(
        &gr,
        b"[20/Nov/2026:10:00:01 +0100] 1795165201.250 2026-11-20T10:00:01+01:00 200",
    );
    assert_eq!(time(&l), "2026-11-20T09:00:01.250Z");
    assert_eq!(l.time.map(|t| t.precision), Some(Precision::Millis));
    assert_eq!(l.time_anchor, Some(TimeAnchor::RequestEnd));
    let gr = AccessGrammar::compile_nginx("t", "$time_iso8601 $status", Escape::Default).unwrap();
    let l = ok(&gr, b"2026-11-20T10:00:01+01:00 200");
    assert_eq!(time(&l), "2026-11-20T09:00:01Z");
    assert_eq!(l.time.and_then(|t| t.offset_minutes), Some(60));
    assert!(gr.parse(b"yesterday 200").is_err());
}

#[test]
fn nginx_status_000_and_bad_status() {
    let gr = g("nginx:combined");
    let l = ok(
        &gr,
        br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "POST /x HTTP/1.1" 000 0 "-" "-""#,
    );
    assert_eq!(l.status, Some(0));
    let e = gr
        .parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "POST /x HTTP/1.1" 20 0 "-" "-""#)
        .unwrap_err();
    assert_eq!(e.offset, 60);
    assert!(e.expected.contains("status"), "{e}");
}

#[test]
fn nginx_uri_is_args_args() {
    let gr = AccessGrammar::compile_nginx(
        "u",
        "$request_method $uri$is_args$args $status",
        Escape::Default,
    )
    .unwrap();
    let l = ok(&gr, b"POST /a/b?x=1&y=2 201");
    assert_eq!(s(&l.method), Some("POST"));
    assert_eq!(s(&l.target), Some("/a/b?x=1&y=2"));
    let l = ok(&gr, b"GET /a/b 200");
    assert_eq!(s(&l.target), Some("/a/b"));
}

#[test]
fn upstream_lists() {
    assert_eq!(
        split_upstream("10.0.0.1:443, 10.0.0.2:443 : 10.0.0.3:443"),
        vec![
            vec!["10.0.0.1:443".to_string(), "10.0.0.2:443".to_string()],
            vec!["10.0.0.3:443".to_string()]
        ]
    );
    assert_eq!(split_upstream("-"), vec![vec!["-".to_string()]]);
    let gr = g("nginx:upstreaminfo");
    let l = ok(
        &gr,
        br#"10.1.1.1 - - [22/Feb/2023:22:02:59 +0000] "POST /a HTTP/1.1" 200 16 "-" "ua" 902 0.247 [ns-svc-80] [] 10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80 0, 16 : 16 0.001, 0.200 : 0.046 502, 200 : 200 89f3c824055b4d87942831d74343fb9a"#,
    );
    assert_eq!(
        s(&l.upstream_addr),
        Some("10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80")
    );
    assert_eq!(s(&l.upstream_response_time), Some("0.001, 0.200 : 0.046"));
    assert_eq!(s(&l.upstream_status), Some("502, 200 : 200"));
    assert_eq!(s(&l.request_id), Some("89f3c824055b4d87942831d74343fb9a"));
    assert_eq!(l.duration_ms, Some(247.0));
}

// --------------------------------------------------------------- apache rules

#[test]
fn apache_rule_arg_and_directive() {
    assert_eq!(apache::arg("{Referer}i"), Ok(("i", "Referer")));
    let (rest, d) = apache::directive("%>s x").unwrap();
    assert_eq!(rest, " x");
    assert_eq!(d.letter, "s");
    assert!(d.final_req);
    let (_, d) = apache::directive("%400,501{User-agent}i").unwrap();
    assert_eq!((d.letter.as_str(), d.arg), ("i", Some("User-agent")));
    let (_, d) = apache::directive("%!200{Referer}i").unwrap();
    assert_eq!((d.letter.as_str(), d.arg), ("i", Some("Referer")));
    let (_, d) = apache::directive("%<{X}e").unwrap();
    assert_eq!((d.letter.as_str(), d.final_req), ("e", false));
    let (_, d) = apache::directive("%{Foo}^ti").unwrap();
    assert_eq!(d.letter, "^ti");
}

#[test]
fn apache_rule_literal_and_percent() {
    assert_eq!(apache::literal(r"a\tb%h"), Ok(("%h", "a\tb".to_string())));
    assert_eq!(
        apache::piece("%%x"),
        Ok(("x", apache::Piece::Lit("%".to_string())))
    );
    let gr = AccessGrammar::compile_apache("p", "100%% %>s").unwrap();
    assert_eq!(ok(&gr, b"100% 404").status, Some(404));
}

#[test]
fn apache_errors_name_position() {
    let e = AccessGrammar::compile_apache("x", "%h %{Referer").unwrap_err();
    assert_eq!(e.position, Some(3));
    assert!(e.message.contains("unterminated"), "{e}");
    let e = AccessGrammar::compile_apache("x", "%h %Q").unwrap_err();
    assert_eq!(e.position, Some(3));
    assert!(e.message.contains("%Q"), "{e}");
    let e = AccessGrammar::compile_apache("x", "%h %").unwrap_err();
    assert_eq!(e.position, Some(3));
    let e = AccessGrammar::compile_apache("x", "%{%Q}t").unwrap_err();
    assert!(e.message.contains("%Q"), "{e}");
    let e = AccessGrammar::compile_apache("x", "%{fortnights}T").unwrap_err();
    assert!(e.message.contains("fortnights"), "{e}");
}

#[test]
fn apache_directive_fields() {
    let gr = AccessGrammar::compile_apache(
        "all",
        r#"%a %A %B %{sid}C %{UNIQUE_ID}e %{HOME}e %f %H %{X-Request-ID}i %I %k %l %L %m %{n1}n %{Content-Type}o %p %{remote}p %P %{tid}P %R %S %U%q %V %X"#,
    )
    .unwrap();
    assert_eq!(
        field_names(&gr),
        [
            "remote_addr",
            "local_addr",
            "body_bytes_sent",
            "cookie_sid",
            "env_UNIQUE_ID",
            "env_HOME",
            "filename",
            "protocol",
            "http_x_request_id",
            "bytes_received",
            "keepalive",
            "remote_logname",
            "log_id",
            "method",
            "note_n1",
            "sent_http_content_type",
            "port",
            "port_remote",
            "pid",
            "pid_tid",
            "handler",
            "bytes_transferred",
            "path",
            "query",
            "server_name_used",
            "connection_status"
        ]
    );
    let l = ok(
        &gr,
        b"10.0.0.1 10.0.0.2 12 abc YX2qZ8CoAQoAAB@aBcdAAAAB /root /var/www/x HTTP/1.1 rid-1 300 0 - - POST n text/html 443 5555 99 7 - 900 /a/b?x=1 example.org +",
    );
    assert_eq!(s(&l.request_id), Some("YX2qZ8CoAQoAAB@aBcdAAAAB"));
    assert_eq!(
        l.fields.get("http_x_request_id").map(String::as_str),
        Some("rid-1")
    );
    assert_eq!(s(&l.method), Some("POST"));
    assert_eq!(s(&l.target), Some("/a/b?x=1"));
    assert_eq!(s(&l.protocol), Some("HTTP/1.1"));
    assert_eq!(s(&l.vhost), Some("example.org"));
    assert_eq!(l.bytes_sent, Some(12));
    assert_eq!(
        l.fields.get("sent_http_content_type").map(String::as_str),
        Some("text/html")
    );
    assert_eq!(l.fields.get("env_HOME").map(String::as_str), Some("/root"));
}

#[test]
fn apache_durations_and_status_priority() {
    let gr = AccessGrammar::compile_apache("d", "%s %>s %T %D").unwrap();
    let l = ok(&gr, b"302 200 1 1234");
    assert_eq!(l.status, Some(200));
    assert_eq!(l.duration_ms, Some(1.234));
    let gr = AccessGrammar::compile_apache("d", "%{ms}T|%T").unwrap();
    assert_eq!(ok(&gr, b"15|0").duration_ms, Some(15.0));
    let gr = AccessGrammar::compile_apache("d", "%{us}T %s").unwrap();
    let l = ok(&gr, b"2500 404");
    assert_eq!(l.duration_ms, Some(2.5));
    assert_eq!(l.status, Some(404));
    let gr = AccessGrammar::compile_apache("d", "%T").unwrap();
    assert_eq!(ok(&gr, b"2").duration_ms, Some(2000.0));
}

#[test]
fn apache_bytes_dash_is_zero() {
    let gr = g("apache:common");
    let l = ok(&gr, br#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#);
    assert_eq!(l.bytes_sent, Some(0));
    let gr = g("apache:common_debian");
    let l = ok(&gr, br#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#);
    assert_eq!(l.bytes_sent, None, "%O has no dash-means-zero rule");
}

#[test]
fn apache_escapes_in_quoted_fields() {
    assert_eq!(
        unescape(br#"a\"b\\c\n\t\x16\xC3\xa9"#, Unescape::Apache).as_ref(),
        b"a\"b\\c\n\t\x16\xc3\xa9"
    );
    let gr = g("apache:combined");
    let l = ok(
        &gr,
        br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x?config[\"sip\"]=1 HTTP/1.1" 200 5 "-" "Mozilla \"quoted\" \\""#,
    );
    assert_eq!(s(&l.target), Some(r#"/x?config["sip"]=1"#));
    assert_eq!(s(&l.user_agent), Some(r#"Mozilla "quoted" \"#));
    assert!(is_exact(&l));
}

#[test]
fn apache_time_start_and_strftime() {
    let gr = g("apache:common");
    let l = ok(
        &gr,
        br#"h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#,
    );
    assert_eq!(l.time_anchor, Some(TimeAnchor::RequestStart));
    assert_eq!(time(&l), "2000-10-10T20:55:36Z");
    let gr =
        AccessGrammar::compile_apache("st", "[%{%d/%b/%Y:%H:%M:%S}t.%{msec_frac}t %{%z}t] %>s")
            .unwrap();
    let l = ok(&gr, b"[10/Oct/2000:13:55:36.042 -0700] 200");
    assert_eq!(time(&l), "2000-10-10T20:55:36.042Z");
    assert_eq!(l.time_anchor, Some(TimeAnchor::RequestStart));
    let gr =
        AccessGrammar::compile_apache("st", "%{end:%Y-%m-%d %T}t %{end:usec_frac}t %>s").unwrap();
    let l = ok(&gr, b"2026-11-20 10:00:01 000250 200");
    assert_eq!(time(&l), "2026-11-20T10:00:01.000250Z");
    assert_eq!(l.time_anchor, Some(TimeAnchor::RequestEnd));
    assert_eq!(l.time.and_then(|t| t.offset_minutes), None);
    let gr = AccessGrammar::compile_apache("st", "%{msec}t %>s").unwrap();
    let l = ok(&gr, b"1795165201250 200");
    assert_eq!(time(&l), "2026-11-20T09:00:01.250Z");
    assert!(gr.parse(b"soon 200").is_err());
}

#[test]
fn apache_status_condition_dash() {
    let gr = AccessGrammar::compile_apache("c", r#"%>s "%!200{Referer}i""#).unwrap();
    let l = ok(&gr, br#"200 "-""#);
    assert_eq!(l.referer, None);
    assert!(!l.fields.contains_key("http_referer"));
}

// ------------------------------------------------------------ line mechanics

#[test]
fn crlf_and_trailing_text() {
    let gr = g("nginx:combined");
    let base = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua""#;
    let mut crlf = base.to_vec();
    crlf.extend_from_slice(b"\r\n");
    let l = ok(&gr, &crlf);
    assert!(is_exact(&l));
    assert_eq!(s(&l.user_agent), Some("ua"));
    let mut extra = base.to_vec();
    extra.extend_from_slice(br#" "-" 0.004"#);
    let l = ok(&gr, &extra);
    assert!(!is_exact(&l));
    assert_eq!(
        l.fields.get(TRAILING).map(String::as_str),
        Some(r#""-" 0.004"#)
    );
    let mut glued = base.to_vec();
    glued.extend_from_slice(b"x");
    let e = gr.parse(&glued).unwrap_err();
    assert_eq!(e.offset, base.len());
    assert_eq!(e.expected, "end of line");
    assert!(gr.parse(b"").is_err());
}

#[test]
fn request_line_shapes() {
    assert_eq!(
        split_request("POST /a b HTTP/1.1"),
        (
            Some("POST".into()),
            Some("/a b".into()),
            Some("HTTP/1.1".into())
        )
    );
    assert_eq!(
        split_request("GET /"),
        (Some("GET".into()), Some("/".into()), None)
    );
    assert_eq!(split_request("HELP"), (None, None, None));
    assert_eq!(
        split_request("\u{16}\u{3}\u{1}\u{1} \u{2}"),
        (None, None, None)
    );
    assert_eq!(split_request("get /x HTTP/1.1"), (None, None, None));
}

// ---------------------------------------------------------- builtin + config

#[test]
fn builtins_all_compile() {
    for set in config::builtin_sets() {
        assert!(set.is_ok(), "{:?}", set.err());
    }
    let names: Vec<String> = builtin().iter().map(|g| g.name().to_string()).collect();
    for n in [
        "nginx:combined",
        "nginx:main",
        "nginx:upstreaminfo",
        "nginx:egress",
        "apache:common",
        "apache:combined",
        "apache:combinedio",
        "apache:common_debian",
        "apache:combined_debian",
        "apache:vhost_combined",
        "apache:vhost_common",
        "apache:vhost_combined_noport",
        "apache:combined_duration",
    ] {
        assert!(names.iter().any(|x| x == n), "missing {n}");
    }
    assert!(g("nginx:main").specificity() > g("nginx:combined").specificity());
    assert!(g("apache:combined").specificity() > g("apache:common").specificity());
    assert_eq!(g("apache:vhost_combined").dialect(), Dialect::Apache);
    assert!(g("nginx:combined")
        .format_text()
        .starts_with("$remote_addr - "));
}

#[test]
fn config_nginx_multiline_pieces() {
    let conf = r#"
http {
    # log_format ignored 'in a comment $x';
    include mime.types;
    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      "\"$http_user_agent\" \"$http_x_forwarded_for\"";
    log_format egress escape=json
        '{"t":"$time_iso8601",'
        '"req":"$request","status":$status,'
        '"body":"$request_body"}';
    access_log /var/log/nginx/access.log main;
    server { listen 80; }
}
"#;
    let set = load_grammar_text("nginx.conf", conf).unwrap();
    assert!(set.defs.paths.is_empty());
    let names: Vec<&str> = set.access.iter().map(|g| g.name()).collect();
    assert_eq!(names, ["nginx:main", "nginx:egress"]);
    assert_eq!(set.access[0].format_text(), g("nginx:main").format_text());
    let l = ok(
        &set.access[1],
        br#"{"t":"2026-11-20T10:00:01+00:00","req":"POST /2010-04-01/Accounts/AC1/Messages.json HTTP/1.1","status":201,"body":"To=%2B14155550134&Body=caf\u00e9 \"x\""}"#,
    );
    assert_eq!(l.status, Some(201));
    assert_eq!(s(&l.method), Some("POST"));
    assert_eq!(
        s(&l.request_body),
        Some("To=%2B14155550134&Body=café \"x\"")
    );

    let e = load_grammar_text("bad.conf", "log_format x escape=weird '$status';").unwrap_err();
    assert!(e.to_string().contains("weird"), "{e}");
    let e = load_grammar_text("bad.conf", "\n\nlog_format x '$status ${st';").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.to_string().starts_with("bad.conf:3:"), "{e}");
}

#[test]
fn config_apache_logformats() {
    let conf = r#"
# apache2.conf excerpt
ServerRoot "/etc/apache2"
LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" vhost_combined
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
logformat "%h %l %u %t \"%r\" %>s %O" common
LogFormat "%{Referer}i -> %U" referer
LogFormat "%h %t \"%r\" %>s %D \
           %{UNIQUE_ID}e" egress
CustomLog ${APACHE_LOG_DIR}/access.log combined
CustomLog logs/twilio.log "%h %t \"%r\" %>s %{X-Request-ID}i"
"#;
    let set = load_grammar_text("apache2.conf", conf).unwrap();
    let names: Vec<&str> = set.access.iter().map(|g| g.name()).collect();
    assert_eq!(
        names,
        [
            "apache:vhost_combined",
            "apache:combined",
            "apache:common",
            "apache:referer",
            "apache:egress",
            "apache:customlog:logs/twilio.log"
        ]
    );
    assert_eq!(
        set.access[0].format_text(),
        g("apache:vhost_combined").format_text()
    );
    let l = ok(
        &set.access[4],
        br#"10.0.0.5 [20/Nov/2026:10:00:01 +0000] "POST /2010-04-01/Accounts/AC1/Messages.json HTTP/1.1" 201 183000 Zz1AbC"#,
    );
    assert_eq!(l.duration_ms, Some(183.0));
    assert_eq!(s(&l.request_id), Some("Zz1AbC"));
    let l = ok(
        &set.access[5],
        br#"10.0.0.5 [20/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 req-77"#,
    );
    assert_eq!(s(&l.request_id), Some("req-77"));
    let e = load_grammar_text("a.conf", "LogFormat \"%h %{Referer\" broken\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.to_string().contains("unterminated"), "{e}");
}

#[test]
fn config_toml_with_json_map() {
    let text = r#"
[[access]]
name = "edge"
dialect = "nginx"
escape = "none"
format = '''$remote_addr "$request" $status $request_time "$request_body"'''

[[access]]
name = "legacy"
dialect = "apache"
format = '''%h "%r" %>s'''

[[json]]
name = "acme"
[json.keys]
time = ["when"]
request_id = ["rid", "ctx.request"]
to = "recipient"
"#;
    let set = load_grammar_text("site.toml", text).unwrap();
    assert_eq!(set.access.len(), 2);
    assert_eq!(set.access[0].name(), "nginx:edge");
    assert_eq!(set.access[1].name(), "apache:legacy");
    assert_eq!(set.defs.paths.len(), 1);
    assert_eq!(set.defs.paths[0].origin, "site.toml (json map acme)");
    assert_eq!(
        set.defs.paths[0].fields.get("time"),
        Some(&vec!["when".to_string()])
    );
    assert_eq!(
        set.defs.paths[0].fields.get("request_id"),
        Some(&vec!["rid".to_string(), "ctx.request".to_string()])
    );
    assert_eq!(
        set.defs.paths[0].fields.get("to"),
        Some(&vec!["recipient".to_string()])
    );
    let l = ok(
        &set.access[0],
        br#"10.0.0.1 "POST /m HTTP/1.1" 201 0.210 "To="x"""#,
    );
    assert_eq!(s(&l.request_body), Some(r#"To="x""#));

    let e =
        load_grammar_text("s.toml", "[[json]]\nname='x'\n[json.keys]\ncolour=['c']\n").unwrap_err();
    assert!(e.message.contains("colour"), "{e}");
    let e = load_grammar_text(
        "s.toml",
        "[[access]]\nname='x'\ndialect='iis'\nformat='$a'\n",
    )
    .unwrap_err();
    assert!(e.message.contains("iis"), "{e}");
    assert!(load_grammar_text("empty.txt", "hello\n").is_err());
}

// -------------------------------------------------------- egress (our lines)

#[test]
fn egress_twilio_post_with_body() {
    let gr = g("nginx:egress");
    let line = br#"10.20.0.7 - AC0123456789abcdef0123456789abcdef [20/Nov/2026:10:00:01 +0000] "POST /2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json HTTP/1.1" 201 838 "-" "twilio-python/9.3.7 (Linux x86_64) Python/3.11.9" 0.412 54.172.60.1:443 201 0.410 4f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f "To=%2B14155550134&From=%2B14155552345&Body=Hi""#;
    let l = ok(&gr, line);
    assert!(is_exact(&l));
    assert_eq!(
        s(&l.request_body),
        Some("To=%2B14155550134&From=%2B14155552345&Body=Hi")
    );
    assert_eq!(s(&l.method), Some("POST"));
    assert_eq!(
        s(&l.target),
        Some("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json")
    );
    assert_eq!(s(&l.protocol), Some("HTTP/1.1"));
    assert_eq!(
        s(&l.user_agent),
        Some("twilio-python/9.3.7 (Linux x86_64) Python/3.11.9")
    );
    assert_eq!(
        s(&l.remote_user),
        Some("AC0123456789abcdef0123456789abcdef")
    );
    assert_eq!(l.status, Some(201));
    assert_eq!(l.duration_ms, Some(412.0));
    assert_eq!(s(&l.upstream_addr), Some("54.172.60.1:443"));
    assert_eq!(s(&l.upstream_status), Some("201"));
    assert_eq!(s(&l.upstream_response_time), Some("0.410"));
    assert_eq!(s(&l.request_id), Some("4f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f"));
    assert_eq!(time(&l), "2026-11-20T10:00:01Z");
    assert_eq!(l.time_anchor, Some(TimeAnchor::RequestEnd));

    // a retry through two upstreams, a body with an escaped quote and UTF-8
    let line = br#"10.20.0.7 - AC01 [20/Nov/2026:10:00:03 +0000] "POST /2010-04-01/Accounts/AC01/Messages.json HTTP/1.1" 201 838 "-" "twilio-node/5.3.0" 10.021 54.172.60.1:443, 54.172.60.2:443 504, 201 10.000, 0.020 9e8d "To=%2B14155550134&Body=Caf\xC3\xA9 \x22ok\x22""#;
    let l = ok(&gr, line);
    assert_eq!(
        s(&l.upstream_addr),
        Some("54.172.60.1:443, 54.172.60.2:443")
    );
    assert_eq!(s(&l.upstream_status), Some("504, 201"));
    assert_eq!(
        s(&l.request_body),
        Some("To=%2B14155550134&Body=Café \"ok\"")
    );
    assert_eq!(s(&l.request_id), Some("9e8d"));
    // no body read: "-"
    let line = br#"10.20.0.7 - - [20/Nov/2026:10:00:03 +0000] "GET /2010-04-01/Accounts/AC01/Messages/SM1.json HTTP/1.1" 200 838 "-" "curl/8.5.0" 0.100 - - - 9e8e "-""#;
    let l = ok(&gr, line);
    assert_eq!(l.request_body, None);
    assert_eq!(l.upstream_addr, None);
}

// ------------------------------------------------------------- corpus: lnav

#[test]
fn lnav_access_log_0_matches_expected() {
    // test_cmds.sh_eb22c3e9….out / test_sql.sh_ffbc3dbf….out
    let want = [
        ("2009-07-20T22:59:26Z", "/vmw/cgi/tramp", 200, 134),
        (
            "2009-07-20T22:59:29Z",
            "/vmw/vSphere/default/vmkboot.gz",
            404,
            46210,
        ),
        (
            "2009-07-20T22:59:29Z",
            "/vmw/vSphere/default/vmkernel.gz",
            200,
            78929,
        ),
    ];
    for gname in ["nginx:combined", "apache:combined"] {
        let gr = g(gname);
        let ls = lines("logfile_access_log.0");
        assert_eq!(ls.len(), want.len());
        for (line, (t, path, status, bytes)) in ls.iter().zip(want) {
            let l = ok(&gr, line);
            assert_eq!(time(&l), t);
            assert_eq!(s(&l.remote_addr), Some("192.168.202.254"));
            assert_eq!(l.remote_user, None);
            assert_eq!(s(&l.method), Some("GET"));
            assert_eq!(s(&l.target), Some(path), "no query: cs_uri_query null");
            assert_eq!(s(&l.protocol), Some("HTTP/1.0"));
            assert_eq!(l.status, Some(status));
            assert_eq!(l.bytes_sent, Some(bytes));
            assert_eq!(l.referer, None);
            assert_eq!(s(&l.user_agent), Some("gPXE/0.9.7"));
            assert!(is_exact(&l));
        }
    }
}

#[test]
fn lnav_access_log_1_dash_request() {
    let line = &lines("logfile_access_log.1")[0];
    let l = ok(&g("nginx:combined"), line);
    assert_eq!(l.request_line, None);
    assert_eq!(
        (l.method.clone(), l.target.clone(), l.protocol.clone()),
        (None, None, None)
    );
    assert_eq!(l.status, Some(400));
    assert_eq!(l.bytes_sent, Some(0));
    assert_eq!(s(&l.remote_addr), Some("10.112.81.15"));
    assert_eq!(time(&l), "2013-02-15T06:00:31Z");
}

#[test]
fn lnav_bad_access_log_line_2_fails_with_offset() {
    let gr = g("nginx:combined");
    let ls = lines("logfile_bad_access_log.0");
    assert!(gr.parse(&ls[0]).is_ok());
    assert!(gr.parse(&ls[2]).is_ok());
    let e = gr.parse(&ls[1]).unwrap_err();
    // lnav: "partial match -- 192.168.202.254"
    assert_eq!(e.offset, "192.168.202.254".len());
    assert_eq!(e.expected, "\" - \"");
    assert!(g("apache:combined").parse(&ls[1]).is_err());
}

#[test]
fn lnav_regexp_access_log_with_written_logformat() {
    let gr = AccessGrammar::compile_apache(
        "lnav_regexp",
        r#"%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#,
    )
    .unwrap();
    let ls = lines("logfile_regexp_access_log.0");
    let l = ok(&gr, &ls[0]);
    assert_eq!(s(&l.vhost), Some("localhost"));
    assert_eq!(l.fields.get("port").map(String::as_str), Some("443"));
    assert_eq!(s(&l.remote_addr), Some("178.20.184.42"));
    assert_eq!(
        l.fields.get("remote_logname").map(String::as_str),
        Some("1j0vhgd")
    );
    assert_eq!(s(&l.remote_user), Some("jsmith"));
    assert_eq!(time(&l), "2023-07-26T07:01:26Z");
    assert_eq!(s(&l.protocol), Some("HTTP/2.0"));
    assert_eq!(
        s(&l.target),
        Some("/secure/RapidBoard.jspa?rapidView=1295&selectedIssue=AA-409111&quickFilter=385508&quickFilter=387097")
    );
    assert_eq!(l.bytes_sent, Some(17163));
    assert_eq!(l.duration_ms, Some(116.075));
    let l = ok(&gr, &ls[1]);
    assert_eq!(
        s(&l.referer),
        Some("https://localhost/secure/RapidBoard.jspa?rapidView=1843&view=planning.nodetail&issueLimit=100")
    );
    assert_eq!(l.duration_ms, Some(156.302));
    assert!(is_exact(&l));
}

#[test]
fn lnav_shop_access_log_all_1000_lines_parse_as_main() {
    let gr = g("nginx:main");
    let ls = lines("logfile_shop_access_log.0");
    assert_eq!(ls.len(), 1000);
    for (i, line) in ls.iter().enumerate() {
        let l = gr
            .parse(line)
            .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        assert_eq!(
            l.time.and_then(|t| t.offset_minutes),
            Some(210),
            "line {}",
            i + 1
        );
        assert!(l.status.is_some());
    }
    let l = ok(&gr, &ls[0]);
    assert_eq!(time(&l), "2019-01-22T00:26:14Z");
    assert_eq!(s(&l.remote_addr), Some("54.36.149.41"));
    assert!(s(&l.target).is_some_and(|t| t.starts_with("/filter/27|13%20%D9%85")));
    assert_eq!(
        s(&l.user_agent),
        Some("Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)")
    );
    assert_eq!(l.forwarded_for, None);
    let l = ok(&gr, &ls[1]);
    assert_eq!(s(&l.referer), Some("https://www.zanbil.ir/m/filter/b113"));
    assert_eq!(l.bytes_sent, Some(5667));
}

// ----------------------------------------------------------- corpus: beats

#[test]
fn beats_nginx_expected() {
    // filebeat nginx/access test.log-expected.json: @timestamp, method,
    // url.original, http.version, status, body bytes, user agent; source.ip
    // is beats' pick from the list, we keep the logged $remote_addr whole.
    type Row = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        u16,
        u64,
        &'static str,
        &'static str,
    );
    let want: [Row; 7] = [
        ("2016-12-07T10:05:07Z", Some("GET"), Some("/ocelot"), 200, 571, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:49.0) Gecko/20100101 Firefox/49.0", "10.0.0.2, 10.0.0.1, 127.0.0.1"),
        ("2017-05-29T19:02:48Z", Some("GET"), Some("/stringpatch"), 404, 612, "Mozilla/5.0 (Windows NT 6.1; rv:15.0) Gecko/20120716 Firefox/15.0a2", "172.17.0.1"),
        ("2016-12-07T10:05:07Z", Some("GET"), Some("/ocelot"), 200, 571, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:49.0) Gecko/20100101 Firefox/49.0", "10.0.0.2, 10.0.0.1, 85.181.35.98"),
        ("2016-12-07T10:05:07Z", Some("GET"), Some("/ocelot"), 200, 571, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36", "85.181.35.98"),
        ("2016-01-22T13:18:29Z", Some("GET"), Some("/assets/xxxx?q=100"), 200, 25507, "Amazon CloudFront", "\"10.5.102.222, 199.96.1.1, 204.246.1.1\" 10.2.1.185"),
        ("2016-12-30T06:47:09Z", Some("GET"), Some("/test.html"), 404, 8571, "Mozilla/5.0 (compatible; Facebot 1.0; https://developers.facebook.com/docs/sharing/webmasters/crawler)", "2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121"),
        ("2018-04-12T07:48:40Z", None, None, 400, 0, "", "127.0.0.1"),
    ];
    let gr = g("nginx:combined");
    let ls = lines("nginx-access-test.log");
    assert_eq!(ls.len(), 7);
    for (i, (line, w)) in ls.iter().zip(want).enumerate() {
        let l = ok(&gr, line);
        assert_eq!(time(&l), w.0, "line {i}");
        assert_eq!(s(&l.method), w.1, "line {i}");
        assert_eq!(s(&l.target), w.2, "line {i}");
        if w.1.is_some() {
            assert_eq!(s(&l.protocol), Some("HTTP/1.1"));
        } else {
            assert_eq!(l.request_line, None);
        }
        assert_eq!(l.status, Some(w.3));
        assert_eq!(l.bytes_sent, Some(w.4));
        assert_eq!(
            s(&l.user_agent),
            (!w.5.is_empty()).then_some(w.5),
            "line {i}"
        );
        assert_eq!(s(&l.remote_addr), Some(w.6), "line {i}");
        assert_eq!(l.remote_user, None, "beats user.name '-'");
        assert_eq!(l.referer, None);
        assert_eq!(is_exact(&l), i != 1, "line 2 has an extra \"-\"");
    }
}

#[test]
fn beats_apache_expected() {
    // apache/access test.log-expected.json (first 6 lines); line 7 is vhost.
    type Row = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        u16,
        Option<u64>,
        Option<&'static str>,
    );
    let want: [Row; 6] = [
        ("2016-12-26T14:16:29Z", "::1", Some("GET"), Some("/favicon.ico"), 404, Some(209), None),
        ("2016-12-26T16:22:13Z", "192.168.33.1", Some("GET"), Some("/hello"), 404, Some(499), Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:50.0) Gecko/20100101 Firefox/50.0")),
        ("2016-12-26T14:16:48Z", "::1", None, None, 408, Some(0), None),
        ("2017-05-29T19:02:48Z", "172.17.0.1", Some("GET"), Some("/stringpatch"), 404, Some(612), Some("Mozilla/5.0 (Windows NT 6.1; rv:15.0) Gecko/20120716 Firefox/15.0a2")),
        ("2017-05-29T19:02:48Z", "monitoring-server", Some("GET"), Some("/status"), 200, Some(612), Some("Mozilla/5.0 (Windows NT 6.1; rv:15.0) Gecko/20120716 Firefox/15.0a2")),
        ("2019-02-02T04:38:45Z", "127.0.0.1", None, None, 408, Some(152), None),
    ];
    let combined = g("apache:combined");
    let common = g("apache:common");
    let ls = lines("apache-access-test.log");
    for (i, (line, w)) in ls.iter().zip(want).enumerate() {
        let l = combined
            .parse(line)
            .or_else(|_| common.parse(line))
            .unwrap();
        assert_eq!(time(&l), w.0, "line {i}");
        assert_eq!(s(&l.remote_addr), Some(w.1));
        assert_eq!(s(&l.method), w.2);
        assert_eq!(s(&l.target), w.3);
        assert_eq!(l.status, Some(w.4));
        assert_eq!(l.bytes_sent, w.5);
        assert_eq!(s(&l.user_agent), w.6);
        assert_eq!(l.remote_user, None);
    }
    // line 1 is common, so combined fails on it and common is exact
    assert!(combined.parse(&ls[0]).is_err());
    // 7th line: vhost in front
    let l = ok(&g("apache:vhost_combined_noport"), &ls[6]);
    assert_eq!(s(&l.vhost), Some("vhost1.domaine.fr"));
    assert_eq!(s(&l.remote_addr), Some("123.123.123.123"));
    assert_eq!(l.bytes_sent, Some(32953));
}

// --------------------------------------------------------- corpus: crowdsec

#[test]
fn crowdsec_nginx_asserts() {
    // nginx_http-logs parser.assert: remote_addr, remote_user, verb, request,
    // http_version, status, body_bytes_sent, http_user_agent, time_local.
    let gr = g("nginx:combined");
    let ls = lines("crowdsec-nginx_http-logs.log");
    let l = ok(&gr, &ls[0]);
    assert_eq!(s(&l.remote_addr), Some("192.168.1.1"));
    assert_eq!(l.remote_user, None);
    assert_eq!(s(&l.method), Some("GET"));
    assert_eq!(
        s(&l.target),
        Some("/.well-known/acme-challenge/FMuukC2JOJ5HKmLBujjE_BkDo")
    );
    assert_eq!(s(&l.protocol), Some("HTTP/1.1"));
    assert_eq!(l.status, Some(404));
    assert_eq!(l.bytes_sent, Some(522));
    assert_eq!(s(&l.user_agent), Some("Go-http-client/1.1"));
    assert_eq!(
        l.fields.get("time_local").map(String::as_str),
        Some("04/Jan/2020:07:25:02 +0000")
    );
    let l = ok(&gr, &ls[6]);
    assert_eq!(s(&l.remote_user), Some("user123"));
    assert_eq!(s(&l.target), Some("/api/login"));
    assert_eq!(l.status, Some(200));
    assert_eq!(l.bytes_sent, Some(150));
    assert_eq!(s(&l.user_agent), Some("curl/7.68.0"));
    // vhost-prefixed lines parse with the vhost grammars
    let l = ok(&g("apache:vhost_combined"), &ls[5]);
    assert_eq!(s(&l.vhost), Some("www.crowdsec11.net"));
    assert_eq!(l.status, Some(301));
    let l = ok(&g("apache:vhost_combined_noport"), &ls[3]);
    assert_eq!(s(&l.vhost), Some("www.crowdsec.net"));
    assert_eq!(s(&l.target), Some("/solr/admin/info/system?wt=json"));
    // the error.log line is not an access line
    assert!(gr.parse(&ls[8]).is_err());
}

#[test]
fn crowdsec_nginx_malformed_parse_with_no_method() {
    let gr = g("nginx:combined");
    let ls = lines("crowdsec-nginx-http-malformed.log");
    assert!(ls.len() >= 12);
    for (i, line) in ls.iter().enumerate() {
        let l = gr
            .parse(line)
            .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        assert_eq!(l.status, Some(400));
        assert_eq!(l.bytes_sent, Some(157));
        assert_eq!(s(&l.remote_addr), Some("1.2.3.4"));
        assert_eq!(l.method, None, "line {}", i + 1);
        assert_eq!(l.user_agent, None);
        assert_eq!(l.referer, None);
    }
    // line 8: the TLS ClientHello, unescaped to its bytes
    let l = ok(&gr, &ls[7]);
    let req = l.request_line.unwrap();
    assert!(req.starts_with("\u{16}\u{3}\u{1}\u{0}t\u{1}"), "{req:?}");
    assert_eq!(time(&ok(&gr, &ls[7])), "2023-07-29T17:26:07Z");
    let l = ok(&gr, &ls[4]);
    assert_eq!(s(&l.request_line), Some("HELP"));
}

#[test]
fn crowdsec_apache_asserts() {
    let combined = g("apache:combined");
    let ls = lines("crowdsec-apache2-logs.log");
    let l = ok(&combined, &ls[4]);
    assert_eq!(s(&l.method), Some("POST"));
    assert_eq!(s(&l.target), Some("/login"));
    assert_eq!(l.status, Some(500));
    assert_eq!(l.bytes_sent, Some(803));
    let l = ok(&g("apache:common"), &ls[5]);
    assert_eq!(s(&l.target), Some("/test/lists/sip_30d.txt"));
    assert_eq!(time(&l), "2021-03-05T08:01:38Z");
    // [3]: target_fqdn www.crowdsec.net, clientip 1.2.3.4, httpversion 1.1
    let l = ok(&g("apache:vhost_combined_noport"), &ls[3]);
    assert_eq!(s(&l.vhost), Some("www.crowdsec.net"));
    assert_eq!(s(&l.remote_addr), Some("1.2.3.4"));
    assert_eq!(s(&l.protocol), Some("HTTP/1.1"));
    assert_eq!(l.status, Some(500));
    // [6]: target_fqdn website.com, port 443, referrer abc.com
    let l = ok(&g("apache:vhost_combined"), &ls[6]);
    assert_eq!(s(&l.vhost), Some("website.com"));
    assert_eq!(l.fields.get("port").map(String::as_str), Some("443"));
    assert_eq!(s(&l.referer), Some("abc.com"));
    assert_eq!(s(&l.user_agent), Some("User-agent-string"));
    assert_eq!(l.status, Some(403));
    assert_eq!(l.bytes_sent, Some(6963));
    assert_eq!(time(&l), "2021-10-25T09:05:52Z");
    // error_log lines are not access lines
    assert!(combined.parse(&ls[7]).is_err());
    assert!(combined.parse(&ls[8]).is_err());
}

#[test]
fn crowdsec_apache_malformed_tls() {
    let gr = g("apache:combined");
    for (i, line) in lines("crowdsec-apache2-malformed.log").iter().enumerate() {
        let l = gr
            .parse(line)
            .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        assert_eq!(l.method, None);
        assert_eq!(l.status, Some(400));
        assert_eq!(l.bytes_sent, Some(226));
        assert!(s(&l.request_line).is_some_and(|r| r.starts_with("\u{16}\u{3}\u{1}")));
    }
    let l = ok(&gr, &lines("crowdsec-apache2-malformed.log")[0]);
    assert_eq!(s(&l.request_line), Some("\u{16}\u{3}\u{1}\u{1} \u{2}"));
    assert_eq!(time(&l), "2023-10-16T18:57:49Z");
}

// ---------------------------------------------------- corpus: angle-grinder

#[test]
fn angle_grinder_nginx_gzip_ratio() {
    // aliases/nginx.toml uses combined + "$gzip_ratio"
    let gr = AccessGrammar::compile_nginx(
        "ag",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$gzip_ratio""#,
        Escape::Default,
    )
    .unwrap();
    let l = ok(
        &gr,
        br#"127.0.0.1 - - [23/Feb/2023:17:05:13 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/7.77.0" "-""#,
    );
    assert_eq!(s(&l.remote_addr), Some("127.0.0.1"));
    assert_eq!(l.remote_user, None);
    assert_eq!(time(&l), "2023-02-23T17:05:13Z");
    assert_eq!(s(&l.method), Some("GET"));
    assert_eq!(s(&l.target), Some("/"));
    assert_eq!(s(&l.protocol), Some("HTTP/1.1"));
    assert_eq!(l.status, Some(200));
    assert_eq!(l.bytes_sent, Some(615));
    assert_eq!(l.referer, None);
    assert_eq!(s(&l.user_agent), Some("curl/7.77.0"));
    assert!(!l.fields.contains_key("gzip_ratio"));
    assert!(is_exact(&l));
}

#[test]
fn angle_grinder_apache_common() {
    let l = ok(
        &g("apache:common"),
        br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
    );
    assert_eq!(s(&l.remote_addr), Some("127.0.0.1"));
    assert_eq!(s(&l.remote_user), Some("frank"));
    assert_eq!(time(&l), "2000-10-10T20:55:36Z");
    assert_eq!(s(&l.method), Some("GET"));
    assert_eq!(s(&l.target), Some("/apache_pb.gif"));
    assert_eq!(s(&l.protocol), Some("HTTP/1.0"));
    assert_eq!(l.status, Some(200));
    assert_eq!(l.bytes_sent, Some(2326));
}

// ------------------------------------------------------------ corpus: matomo

#[test]
fn matomo_formats() {
    let check = |l: &AccessLine| {
        assert_eq!(s(&l.remote_addr), Some("1.2.3.4"));
        assert_eq!(time(l), "2012-02-10T21:42:07Z");
        assert_eq!(l.time.and_then(|t| t.offset_minutes), Some(-300));
        assert_eq!(s(&l.target), Some("/"));
        assert_eq!(l.status, Some(301));
        assert_eq!(l.bytes_sent, Some(368));
        assert_eq!(s(&l.remote_user), Some("theuser"));
    };
    let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/535.11 (KHTML, like Gecko) Chrome/17.0.963.56 Safari/535.11";
    let l = ok(&g("apache:common"), &lines("matomo-common.log")[0]);
    check(&l);
    let l = ok(
        &g("apache:vhost_common"),
        &lines("matomo-common_vhost.log")[0],
    );
    check(&l);
    assert_eq!(s(&l.vhost), Some("www.example.com"));
    let l = ok(&g("apache:combined"), &lines("matomo-ncsa_extended.log")[0]);
    check(&l);
    assert_eq!(l.referer, None);
    assert_eq!(s(&l.user_agent), Some(ua));
    let l = ok(
        &g("apache:vhost_combined_noport"),
        &lines("matomo-common_complete.log")[0],
    );
    check(&l);
    assert_eq!(s(&l.vhost), Some("www.example.com"));
    assert_eq!(s(&l.user_agent), Some(ua));
}

#[test]
fn matomo_logs_to_tests() {
    let gr = g("apache:combined");
    let text = data("matomo-logs_to_tests.log");
    let all: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let first = ok(&gr, all[0]);
    assert_eq!(s(&first.method), Some("GET"));
    assert!(s(&first.target)
        .is_some_and(|t| t.starts_with("/piwik.php?action_name=Clearcode%20-%20Web")));
    // the blank line is an error, not a record
    let blank = all.iter().position(|l| l.is_empty()).unwrap();
    assert!(gr.parse(all[blank]).is_err());
    let head = all
        .iter()
        .find(|l| l.windows(4).any(|w| w == b"HEAD"))
        .unwrap();
    let l = ok(&gr, head);
    assert_eq!(s(&l.method), Some("HEAD"));
    assert_eq!(l.status, Some(403));
    assert_eq!(l.bytes_sent, Some(0), "%b '-' is 0 bytes");
    assert_eq!(time(&l), "2013-10-28T23:48:46Z");
    // the comment line is not an access line
    assert!(gr
        .parse(b"# Request with invalid length should not error out")
        .is_err());
}

// ---------------------------------------------------------------- no panics

fn real_lines() -> Vec<Vec<u8>> {
    let mut v = lines("logfile_access_log.0");
    v.extend(
        lines("crowdsec-nginx-http-malformed.log")
            .into_iter()
            .take(4),
    );
    v.extend(lines("logfile_regexp_access_log.0"));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for gr in builtin() {
            let _ = gr.parse(&bytes);
        }
    }

    #[test]
    fn mutated_real_lines_never_panic(
        pick in 0usize..100,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let reals = real_lines();
        let mut line = reals[pick % reals.len()].clone();
        for (at, b, op) in edits {
            let i = usize::from(at) % (line.len() + 1);
            match op {
                0 => line.insert(i, b),
                1 if i < line.len() => { line.remove(i); }
                _ => if i < line.len() { line[i] = b },
            }
        }
        for gr in builtin() {
            if let Err(e) = gr.parse(&line) {
                prop_assert!(e.offset <= line.len());
            }
        }
    }

    #[test]
    fn random_formats_never_panic(fmt in "[-$%{}a-zA-Z_>!0-9 \"\\[\\]]{0,40}") {
        let _ = AccessGrammar::compile_nginx("f", &fmt, Escape::Default);
        let _ = AccessGrammar::compile_apache("f", &fmt);
        let _ = load_grammar_text("f", &fmt);
    }
}

// ---------------------------------------------------------- roles

/// The kind of the only field of a one-field format.
fn only_field(g: &AccessGrammar) -> Kind {
    steps(g)
        .iter()
        .find_map(|s| match s {
            Step::Field(f) => Some(f.kind.clone()),
            Step::Lit(_) => None,
        })
        .unwrap_or(Kind::Other)
}

fn apache_kind(directive: &str) -> Kind {
    let g = AccessGrammar::compile_apache("t", &format!("{directive} x"))
        .unwrap_or_else(|e| panic!("{directive}: {e}"));
    only_field(&g)
}

/// (role, strong, token, ms per unit, whole numbers) of a role kind.
fn role_of(k: &Kind) -> Option<(Role, bool, bool, f64, bool)> {
    match k {
        Kind::Role(r) => Some((r.role, r.strong, r.token, r.ms_per_unit, r.integer)),
        _ => None,
    }
}

#[test]
fn the_roles_table_gives_both_compilers_the_roles_they_had() {
    let n = roles::builtin_entry_count().expect("grammars/access-roles.toml compiles");
    assert!(n >= 20, "{n}");
    use Role::*;
    // (source, role, strong, token, ms per unit): what the compilers knew in
    // Rust before the table
    let nginx: &[(&str, Role, bool, bool, f64)] = &[
        ("request_id", RequestId, true, true, 1.0),
        ("req_id", RequestId, true, true, 1.0),
        ("http_x_request_id", RequestId, false, true, 1.0),
        ("http_x_correlation_id", RequestId, false, false, 1.0),
        ("http_traceparent", Traceparent, false, false, 1.0),
        ("http_x_b3_traceid", TraceId, false, false, 1.0),
        ("http_x_trace_id", TraceId, false, false, 1.0),
        ("http_x_amzn_trace_id", TraceId, false, false, 1.0),
        ("http_x_job_id", JobId, false, false, 1.0),
        (
            "upstream_http_twilio_request_id",
            TwilioRequestId,
            false,
            false,
            1.0,
        ),
        (
            "sent_http_twilio_request_id",
            TwilioRequestId,
            false,
            false,
            1.0,
        ),
        ("remote_addr", RemoteAddr, false, false, 1.0),
        ("http_x_forwarded_for", ForwardedFor, false, false, 1.0),
        ("upstream_addr", UpstreamAddr, false, false, 1.0),
        ("upstream_status", UpstreamStatus, false, false, 1.0),
        (
            "upstream_response_time",
            UpstreamResponseTime,
            false,
            false,
            1.0,
        ),
        ("request_time", Duration, false, true, 1000.0),
        ("request_body", RequestBody, false, false, 1.0),
        ("http_user_agent", UserAgent, false, false, 1.0),
        ("http_referer", Referer, false, false, 1.0),
        ("host", Vhost, true, false, 1.0),
        ("server_name", Vhost, false, false, 1.0),
        ("http_host", Vhost, false, false, 1.0),
    ];
    for &(v, role, strong, token, ms) in nginx {
        assert_eq!(
            role_of(&nginx::var_kind(v)),
            Some((role, strong, token, ms, false)),
            "${v}"
        );
    }
    let apache: &[(&str, Role, bool, bool, f64)] = &[
        ("%{UNIQUE_ID}e", RequestId, true, true, 1.0),
        ("%{X-Request-ID}i", RequestId, false, true, 1.0),
        ("%{x-request-id}i", RequestId, false, true, 1.0),
        ("%{X-Correlation-ID}i", RequestId, false, false, 1.0),
        ("%{traceparent}i", Traceparent, false, false, 1.0),
        ("%{X-B3-TraceId}i", TraceId, false, false, 1.0),
        ("%{X-Amzn-Trace-Id}i", TraceId, false, false, 1.0),
        ("%{X-Job-Id}i", JobId, false, false, 1.0),
        ("%{Twilio-Request-Id}o", TwilioRequestId, false, false, 1.0),
        ("%h", RemoteAddr, false, false, 1.0),
        ("%a", RemoteAddr, false, false, 1.0),
        ("%{X-Forwarded-For}i", ForwardedFor, false, false, 1.0),
        ("%T", Duration, false, true, 1000.0),
        ("%{s}T", Duration, false, true, 1000.0),
        ("%{ms}T", Duration, true, true, 1.0),
        ("%{us}T", Duration, true, true, 0.001),
        ("%D", Duration, true, true, 0.001),
        ("%{User-Agent}i", UserAgent, false, false, 1.0),
        ("%{Referer}i", Referer, false, false, 1.0),
        ("%v", Vhost, true, false, 1.0),
        ("%V", Vhost, false, false, 1.0),
        ("%{Host}i", Vhost, false, false, 1.0),
    ];
    for &(d, role, strong, token, ms) in apache {
        assert_eq!(
            role_of(&apache_kind(d)),
            Some((role, strong, token, ms, true)),
            "{d}"
        );
    }
    // what the table does not name keeps its structural kind
    assert_eq!(apache_kind("%{c}a"), Kind::Other);
    assert_eq!(apache_kind("%{unique_id}e"), Kind::Other);
    assert_eq!(apache_kind("%{X-Txn-Id}i"), Kind::Other);
    assert_eq!(nginx::var_kind("http_x_txn_id"), Kind::Other);
    assert_eq!(nginx::var_kind("upstream_http_x_cache"), Kind::Other);
    assert_eq!(
        nginx::var_kind("upstream_cache_status"),
        Kind::UpstreamOther
    );
    // ids are read in the table's order, each field once
    let fields = |r: Role| -> Vec<&str> {
        Roles::builtin()
            .id_sources(r)
            .iter()
            .map(|s| s.field.as_str())
            .collect()
    };
    assert_eq!(
        fields(Role::RequestId),
        [
            "http_x_request_id",
            "http_x_correlation_id",
            "request_id",
            "req_id",
            "env_UNIQUE_ID"
        ]
    );
    assert_eq!(
        fields(Role::TraceId),
        [
            "http_traceparent",
            "http_x_b3_traceid",
            "http_x_trace_id",
            "http_x_amzn_trace_id"
        ]
    );
    assert!(fields(Role::SpanId).is_empty());
    assert_eq!(fields(Role::JobId), ["http_x_job_id"]);
    assert_eq!(
        fields(Role::TwilioRequestId),
        [
            "upstream_http_twilio_request_id",
            "sent_http_twilio_request_id"
        ]
    );
}

const TXN_ROLE: &str = r#"
[[role]]
role = "request_id"
nginx = ["$http_x_txn_id"]
apache = ["%{X-Txn-Id}i"]
"#;

#[test]
fn a_role_in_a_grammar_file_gives_a_sites_header_its_role() {
    let format = r#"$remote_addr [$time_local] "$request" $status $http_x_txn_id"#;
    let line = br#"10.0.0.5 [20/Nov/2026:10:00:01 +0000] "POST /2010-04-01/Accounts/AC1/Messages.json HTTP/1.1" 201 txn-7f3a"#;
    // without a role the header is only a header: no id field
    let plain = AccessGrammar::compile_nginx("edge", format, Escape::Default).unwrap();
    assert!(!plain.has_id_field());
    assert_eq!(ok(&plain, line).request_id, None);

    // the role and the format in one file
    let text = format!(
        "{TXN_ROLE}\n[[access]]\nname = \"edge\"\ndialect = \"nginx\"\nformat = '''{format}'''\n"
    );
    let set = load_grammar_text("site.toml", &text).unwrap();
    assert_eq!(set.roles.len(), 1);
    assert_eq!(set.roles[0].role, Role::RequestId);
    assert_eq!(set.roles[0].origin, "site.toml");
    let edge = &set.access[0];
    assert!(edge.has_id_field());
    let l = ok(edge, line);
    assert_eq!(s(&l.request_id), Some("txn-7f3a"));
    assert!(is_exact(&l));

    // a file of roles alone is a grammar file; its roles reach formats from
    // other files (an nginx config, an Apache one) through `apply`
    let only = load_grammar_text("roles.toml", TXN_ROLE).unwrap();
    assert!(only.access.is_empty());
    let mut others = vec![
        plain,
        AccessGrammar::compile_apache("web", r#"%h %t "%r" %>s "%{X-Txn-Id}i""#).unwrap(),
    ];
    assert!(!others[1].has_id_field());
    let roles = Roles::with_user(only.roles);
    assert_eq!(roles.user_entries().len(), 1);
    roles.apply(&mut others);
    assert!(others.iter().all(AccessGrammar::has_id_field));
    assert_eq!(s(&ok(&others[0], line).request_id), Some("txn-7f3a"));
    let l = ok(
        &others[1],
        br#"10.0.0.5 [20/Nov/2026:10:00:01 +0000] "POST /orders HTTP/1.1" 200 "txn-7f3a""#,
    );
    assert_eq!(s(&l.request_id), Some("txn-7f3a"));
    // a site's id is read before the built-in ones
    assert_eq!(roles.id_sources(Role::RequestId)[0].field, "http_x_txn_id");
    // the built-in table is untouched
    assert_eq!(
        Roles::builtin().id_sources(Role::RequestId)[0].field,
        "http_x_request_id"
    );
}

#[test]
fn a_sites_role_replaces_the_built_in_one() {
    let set = load_grammar_text(
        "site.toml",
        "[[role]]\nrole = \"trace_id\"\napache = [\"%{X-Correlation-ID}i\"]\n",
    )
    .unwrap();
    let roles = Roles::with_user(set.roles);
    let fields = |r: Role| -> Vec<String> {
        roles
            .id_sources(r)
            .iter()
            .map(|s| s.field.clone())
            .collect()
    };
    assert_eq!(fields(Role::TraceId)[0], "http_x_correlation_id");
    assert!(!fields(Role::RequestId).contains(&"http_x_correlation_id".to_string()));
    let mut g = vec![AccessGrammar::compile_apache(
        "egress",
        r#"%h %t "%r" %>s %D "%{X-Correlation-ID}i""#,
    )
    .unwrap()];
    let line = br#"10.0.0.5 [20/Nov/2026:10:00:01 +0000] "POST /2010-04-01/Accounts/AC1/Messages.json HTTP/1.1" 201 183000 "corr-1""#;
    // built in, X-Correlation-ID is a request id
    assert_eq!(s(&ok(&g[0], line).request_id), Some("corr-1"));
    roles.apply(&mut g);
    let l = ok(&g[0], line);
    assert_eq!(l.request_id, None);
    assert_eq!(
        l.fields.get("http_x_correlation_id").map(String::as_str),
        Some("corr-1")
    );
    assert!(g[0].has_id_field(), "a trace id links too");
    // the rest of the line reads as before
    assert_eq!(l.duration_ms, Some(183.0));
    assert_eq!(l.status, Some(201));
}

#[test]
fn role_tables_are_checked() {
    for (table, want) in [
        (
            "role = \"requestid\"\nnginx = [\"$x\"]",
            "unknown role `requestid`",
        ),
        ("role = \"duration\"\nnginx = [\"$x\"]", "needs its unit"),
        (
            "role = \"duration\"\nunit = \"min\"\nnginx = [\"$x\"]",
            "unit must be s, ms, us or ns",
        ),
        (
            "role = \"referer\"\nunit = \"s\"\nnginx = [\"$x\"]",
            "unit is for a duration only",
        ),
        ("role = \"referer\"", "names no nginx variable"),
        (
            "role = \"referer\"\nnginx = [\"http_x\"]",
            "not one nginx variable",
        ),
        (
            "role = \"referer\"\nnginx = [\"$a $b\"]",
            "not one nginx variable",
        ),
        (
            "role = \"referer\"\napache = [\"%{X}i %h\"]",
            "not one Apache directive",
        ),
        (
            "role = \"referer\"\napache = [\"%{m}T\"]",
            "unknown %{m}T unit",
        ),
        (
            "role = \"referer\"\nnginx = [\"$x\"]\nheader = \"x\"",
            "unknown field",
        ),
    ] {
        let e = load_grammar_text("r.toml", &format!("[[role]]\n{table}\n")).unwrap_err();
        assert!(e.to_string().contains(want), "{table}: {e}");
        assert!(e.to_string().starts_with("r.toml"), "{e}");
    }
    // `client` is another name for `remote_addr`; a duration takes its unit
    let both = load_grammar_text(
        "r.toml",
        "[[role]]\nrole = \"client\"\napache = [\"%{X-Real-IP}i\"]\n\n\
         [[role]]\nrole = \"duration\"\nunit = \"ms\"\nstrong = true\nnginx = [\"${upstream_ms}\"]\n",
    )
    .unwrap();
    assert_eq!(both.roles[0].role, Role::RemoteAddr);
    let roles = Roles::with_user(both.roles);
    let mut g = vec![AccessGrammar::compile_nginx(
        "t",
        "$remote_addr $request_time $upstream_ms",
        Escape::Default,
    )
    .unwrap()];
    roles.apply(&mut g);
    let l = ok(&g[0], b"10.0.0.1 0.500 412");
    assert_eq!(l.duration_ms, Some(412.0), "the strong duration wins");
}
