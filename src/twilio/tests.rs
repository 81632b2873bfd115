use std::io::Read;

use proptest::prelude::*;

use super::*;
use crate::model::Precision;
use crate::time::parse_iso8601;

const AC: &str = "ACe268443e43d93dab7ebef303bbe9642f";
const MG: &str = "MGaaabf0d39951f3e6c3e8a7911df524c2";
const SM_A: &str = "SM3de70f34bf5883fde4f48e89d5af3271";
const SM_B: &str = "SM394e96c792c08e3d90253b4a89d21ded";

const CONSOLE: &[u8] = include_bytes!("../../tests/data/twilio/console_export.csv");
const REORDERED: &[u8] = include_bytes!("../../tests/data/twilio/console_reordered.csv");
const RESAVED: &[u8] = include_bytes!("../../tests/data/twilio/console_resaved.csv");
const API_PAGE: &[u8] = include_bytes!("../../tests/data/twilio/api_page.json");
const BULK_GZ: &[u8] = include_bytes!("../../tests/data/twilio/bulk_export_2026-11-20.json.gz");
const CLI_JSON: &[u8] = include_bytes!("../../tests/data/twilio/cli_messages.json");
const CLI_TSV: &[u8] = include_bytes!("../../tests/data/twilio/cli_messages.tsv");

fn bulk() -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(BULK_GZ)
        .read_to_end(&mut out)
        .expect("fixture gunzips");
    out
}

/// Epoch nanos of an RFC 3339 time.
fn at(s: &str) -> i64 {
    parse_iso8601(s).expect("test time").nanos
}

fn find<'a>(load: &'a TwilioLoad, sid: &str) -> &'a TwilioRecord {
    load.records
        .iter()
        .find(|r| &*r.sid == sid)
        .unwrap_or_else(|| panic!("{sid} not read"))
}

#[test]
fn console_csv_export() {
    let load = read_export("exports/console.csv", CONSOLE, "US");
    assert_eq!(load.kind, Some(ExportKind::ConsoleCsv));
    assert_eq!(load.rows_read, 7);
    assert_eq!(load.records.len(), 6);

    let a = &load.records[0];
    assert_eq!(&*a.sid, SM_A);
    assert_eq!(a.account_sid.as_deref(), Some(AC));
    assert_eq!(a.from.as_deref(), Some("+14155552345"));
    assert_eq!(&*a.to, "+14155550134");
    assert_eq!(
        a.body.as_deref(),
        Some("Your code is 481 516, valid for \"10 minutes\".")
    );
    assert_eq!(a.status.as_deref(), Some("delivered"));
    assert_eq!(a.direction.as_deref(), Some("outbound-api"));
    // The CSV has only the send time; it must not pose as the creation time.
    assert_eq!(a.date_created, None);
    let sent = a.date_sent.expect("SentDate read");
    assert_eq!(sent.nanos, at("2026-11-20T14:03:07Z"));
    assert_eq!(sent.offset_minutes, Some(0));
    assert_eq!(sent.precision, Precision::Seconds);
    assert_eq!(a.num_segments, Some(1));
    assert_eq!(a.error_code, None);
    assert_eq!(&*a.export, "console_csv");
    assert_eq!(&*a.evidence.file, "exports/console.csv");
    assert_eq!(a.evidence.line, 2);

    assert_eq!(&*load.records[1].sid, SM_B);
    assert_eq!(load.records[1].evidence.line, 3);

    // A body with newlines and a comma spans lines 4-6.
    let c = &load.records[2];
    assert_eq!(&*c.sid, "SM4135cd1ed6358f6ca08bd000cbe85c97");
    assert_eq!(
        c.body.as_deref(),
        Some("Reminder:\nappointment tomorrow at 9:00,\nreply C to confirm")
    );
    assert_eq!(&*c.to, "+447700900123");
    assert_eq!(c.num_segments, Some(2));
    assert_eq!(c.error_code, Some(30003));
    assert_eq!(c.status.as_deref(), Some("undelivered"));
    assert_eq!(
        c.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T14:05:00Z"))
    );
    assert_eq!(c.evidence.line, 4);

    // MMS, with a zone-less SentDate (read as UTC, no offset claimed).
    let d = &load.records[3];
    assert_eq!(&*d.sid, "MM3b553c2851b5ec4c785182e5f590bc17");
    assert_eq!(d.evidence.line, 7);
    assert_eq!(&*d.to, "+16045550199");
    let dsent = d.date_sent.expect("zone-less date read");
    assert_eq!(dsent.nanos, at("2026-11-20T14:06:30Z"));
    assert_eq!(dsent.offset_minutes, None);

    let e = &load.records[4];
    assert_eq!(&*e.to, "whatsapp:+14155550134");
    assert_eq!(e.from.as_deref(), Some("whatsapp:+14155238886"));
    assert_eq!(e.evidence.line, 8);

    let f = &load.records[5];
    assert_eq!(f.direction.as_deref(), Some("inbound"));
    assert_eq!(f.status.as_deref(), Some("received"));
    assert_eq!(f.from.as_deref(), Some("+14155550134"));
    assert_eq!(&*f.to, "+14155552345");
    assert_eq!(f.evidence.line, 9);

    // The row without a Sid is a problem citing its line, not a record.
    assert_eq!(load.problems.len(), 1, "{:?}", load.problems);
    let p = &load.problems[0];
    assert_eq!(p.file, "exports/console.csv");
    assert_eq!(p.line, Some(10));
    assert!(p.message.contains("Sid"), "{}", p.message);
}

#[test]
fn console_csv_reordered_missing_and_extra_columns() {
    let load = read_export("r.csv", REORDERED, "US");
    assert_eq!(load.kind, Some(ExportKind::ConsoleCsv));
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.records.len(), 2);
    let g = &load.records[0];
    assert_eq!(&*g.sid, "SMa91fe4c6e80e64bdc7fbff9f21c867ac");
    assert_eq!(&*g.to, "+14155550134", "national notation normalised");
    assert_eq!(g.from.as_deref(), Some("+14155552345"));
    assert_eq!(g.body, None, "no Body column");
    assert_eq!(g.status.as_deref(), Some("delivered"));
    assert_eq!(
        g.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T14:10:00Z"))
    );
    assert_eq!(g.evidence.line, 2);
    let h = &load.records[1];
    assert_eq!(&*h.to, "+14155550188");
    assert_eq!(h.error_code, Some(30005));
    assert_eq!(h.account_sid.as_deref(), Some(AC));
    assert_eq!(h.evidence.line, 3);
}

#[test]
fn console_csv_spreadsheet_resave() {
    let load = read_export("resaved.csv", RESAVED, "US");
    assert_eq!(load.kind, Some(ExportKind::ConsoleCsv));
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.records.len(), 2);
    let a = &load.records[0];
    assert_eq!(&*a.sid, SM_A);
    assert_eq!(
        a.body.as_deref(),
        Some("Your code is 481 516, valid for \"10 minutes\".")
    );
    let sent = a.date_sent.expect("re-saved date read");
    assert_eq!(sent.nanos, at("2026-11-20T14:03:00Z"));
    assert_eq!(sent.offset_minutes, None);
    let b = &load.records[1];
    assert_eq!(&*b.to, "+14155550134", "leading 1 without + in region US");
    assert_eq!(
        b.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T14:03:17Z"))
    );
    assert_eq!(b.error_code, None);
}

#[test]
fn console_csv_without_to_column_reports_every_row() {
    let csv =
        b"Sid,Status,SentDate\nSM3de70f34bf5883fde4f48e89d5af3271,sent,2026-11-20T14:03:00Z\n";
    // Sid and To are both required to recognise the Console CSV.
    assert_eq!(detect(csv), None);
    let with_to = b"Sid,To,Status\nSM3de70f34bf5883fde4f48e89d5af3271,,sent\n,+14155550134,sent\n";
    let load = read_export("x.csv", with_to, "US");
    assert_eq!(load.kind, Some(ExportKind::ConsoleCsv));
    assert!(load.records.is_empty());
    let lines: Vec<_> = load.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(2), Some(3)]);
    assert!(load.problems[0].message.contains("To"));
}

#[test]
fn console_csv_unreadable_date_keeps_the_row() {
    let csv = b"From,To,Body,Status,SentDate,Sid\n+14155552345,+14155550134,hi,sent,yesterday-ish,SM3de70f34bf5883fde4f48e89d5af3271\n";
    let load = read_export("x.csv", csv, "US");
    assert_eq!(load.records.len(), 1);
    assert_eq!(load.records[0].date_sent, None);
    assert_eq!(load.problems.len(), 1);
    assert_eq!(load.problems[0].line, Some(2));
    assert!(load.problems[0].message.contains("yesterday-ish"));
}

#[test]
fn api_list_page() {
    let load = read_export("page0.json", API_PAGE, "US");
    assert_eq!(load.kind, Some(ExportKind::ApiPage));
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.rows_read, 5);
    let lines: Vec<u64> = load.records.iter().map(|r| r.evidence.line).collect();
    assert_eq!(lines, vec![9, 33, 57, 81, 105], "each message's own line");

    let a = find(&load, SM_A);
    assert_eq!(&*a.export, "api_page");
    assert_eq!(
        a.date_created.map(|t| t.nanos),
        Some(at("2026-11-20T14:03:06Z"))
    );
    assert_eq!(
        a.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T14:03:07Z"))
    );
    assert_eq!(
        a.date_updated.map(|t| t.nanos),
        Some(at("2026-11-20T14:03:09Z"))
    );
    assert_eq!(a.date_created.map(|t| t.offset_minutes), Some(Some(0)));
    assert_eq!(a.messaging_service_sid.as_deref(), Some(MG));
    assert_eq!(a.num_segments, Some(1));
    assert_eq!(a.error_code, None);

    // Messaging-Service send: no sender chosen yet.
    let i = find(&load, "SM9836a3f68480aa57575772b72e6be3cd");
    assert_eq!(i.from, None);
    assert_eq!(i.status.as_deref(), Some("accepted"));
    assert_eq!(i.num_segments, Some(0));
    assert_eq!(i.date_sent, None);
    assert!(i.date_created.is_some());

    // Scheduled MMS: not sent yet.
    let j = find(&load, "MMc572d3ce3b46c321cfa51155c9408ffd");
    assert_eq!(j.status.as_deref(), Some("scheduled"));
    assert_eq!(j.date_sent, None);
    assert_eq!(
        j.best_time().map(|(t, created)| (t.nanos, created)),
        Some((at("2026-11-20T14:13:00Z"), true))
    );

    // Numbers as strings and as numbers.
    let k = find(&load, "SM1d804f51b04861e29b02b80457ef652e");
    assert_eq!(k.error_code, Some(30007));
    assert_eq!(k.num_segments, Some(2));

    let l = find(&load, "SMdd19665b2d4c6669793890a21cc24275");
    assert_eq!(l.direction.as_deref(), Some("inbound"));
    assert_eq!(l.from.as_deref(), Some("+14155550134"));
    assert_eq!(&*l.to, "+14155552345");
}

/// The OAI `createWoService` example, as one line (what `curl` saves).
const CREATE_RESPONSE: &str = r#"{"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","api_version":"2010-04-01","body":"Hello! 👍","date_created":"Thu, 30 Jul 2015 20:12:31 +0000","date_sent":"Thu, 30 Jul 2015 20:12:33 +0000","date_updated":"Thu, 30 Jul 2015 20:12:33 +0000","direction":"outbound-api","error_code":null,"error_message":null,"from":"+14155552345","messaging_service_sid":"MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","num_media":"0","num_segments":"1","price":null,"price_unit":null,"sid":"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"queued","subresource_uris":{"media":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media.json"},"to":"+14155552345","uri":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json"}"#;

#[test]
fn api_single_resource_one_line_and_pretty() {
    let load = read_export("create.json", CREATE_RESPONSE.as_bytes(), "US");
    assert_eq!(
        load.kind,
        Some(ExportKind::ApiPage),
        "RFC 2822 dates: the REST API"
    );
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.records.len(), 1);
    let r = &load.records[0];
    assert_eq!(&*r.sid, "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(r.body.as_deref(), Some("Hello! 👍"));
    assert_eq!(
        r.date_created.map(|t| t.nanos),
        Some(at("2015-07-30T20:12:31Z"))
    );
    assert_eq!(
        r.date_sent.map(|t| t.nanos),
        Some(at("2015-07-30T20:12:33Z"))
    );

    let value: serde_json::Value = serde_json::from_str(CREATE_RESPONSE).unwrap();
    let pretty = format!("\n\n{}\n", serde_json::to_string_pretty(&value).unwrap());
    let load = read_export("create.json", pretty.as_bytes(), "US");
    assert_eq!(load.kind, Some(ExportKind::ApiPage));
    assert_eq!(load.records.len(), 1);
    assert_eq!(load.records[0].evidence.line, 3);

    let array = format!("[{CREATE_RESPONSE},\n {CREATE_RESPONSE}]");
    assert_eq!(detect(array.as_bytes()), Some(ExportKind::ApiPage));
    let load = read_export("a.json", array.as_bytes(), "US");
    assert_eq!(load.records.len(), 2);

    // A stream of one-line resources (the API's RFC 2822 dates).
    let stream = format!("{CREATE_RESPONSE}\n{CREATE_RESPONSE}\n");
    assert_eq!(detect(stream.as_bytes()), Some(ExportKind::ApiPage));
    let load = read_export("s.jsonl", stream.as_bytes(), "US");
    let lines: Vec<u64> = load.records.iter().map(|r| r.evidence.line).collect();
    assert_eq!(lines, vec![1, 2]);
}

#[test]
fn api_page_broken_message_and_truncation() {
    let text = std::str::from_utf8(API_PAGE).unwrap();
    // Break the second message (line 33 starts it): an unquoted value.
    let broken = text.replacen(
        "\"to\": \"+14155550134\",\n      \"uri\": \"/2010-04-01/Accounts/ACe268443e43d93dab7ebef303bbe9642f/Messages/SM9836",
        "\"to\": +1 415,\n      \"uri\": \"/2010-04-01/Accounts/ACe268443e43d93dab7ebef303bbe9642f/Messages/SM9836",
        1,
    );
    assert_ne!(broken, text, "fixture shape changed");
    let load = read_export("page.json", broken.as_bytes(), "US");
    assert_eq!(load.kind, Some(ExportKind::ApiPage));
    assert_eq!(load.records.len(), 4);
    assert_eq!(load.rows_read, 5);
    assert_eq!(load.problems.len(), 1, "{:?}", load.problems);
    assert_eq!(load.problems[0].line, Some(33));

    // Cut inside the fourth message: the first three are kept.
    let cut = text.find("Hello, again").unwrap();
    let load = read_export("page.json", &API_PAGE[..cut], "US");
    assert_eq!(load.kind, Some(ExportKind::ApiPage));
    assert_eq!(load.records.len(), 3);
    assert_eq!(load.problems.len(), 1, "{:?}", load.problems);
    assert!(
        load.problems[0].message.contains("truncated"),
        "{}",
        load.problems[0].message
    );
}

#[test]
fn concatenated_pages() {
    let mut two = API_PAGE.to_vec();
    two.extend_from_slice(API_PAGE);
    let load = read_export("pages.json", &two, "US");
    assert_eq!(load.records.len(), 10);
    let page_lines = API_PAGE.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(load.records[5].evidence.line, 9 + page_lines);
    assert_eq!(merge(load.records).len(), 5);
}

#[test]
fn bulk_export_day_file() {
    let data = bulk();
    assert_eq!(detect(&data), Some(ExportKind::BulkExport));
    let load = read_export("export_2026-11-20.json.gz", &data, "US");
    assert_eq!(load.kind, Some(ExportKind::BulkExport));
    assert_eq!(load.rows_read, 5);
    let lines: Vec<u64> = load.records.iter().map(|r| r.evidence.line).collect();
    assert_eq!(lines, vec![1, 2, 4, 5]);
    assert_eq!(load.problems.len(), 1);
    assert_eq!(load.problems[0].line, Some(3));
    assert_eq!(load.problems[0].file, "export_2026-11-20.json.gz");

    let m = &load.records[0];
    assert_eq!(&*m.sid, "SM62dc6ea1023abf4ca10a13a5896b9eef");
    assert_eq!(&*m.export, "bulk_export");
    assert_eq!(m.body.as_deref(), Some("Your code is 112 358"));
    assert_eq!(
        m.date_created.map(|t| t.nanos),
        Some(at("2026-11-20T15:00:00Z"))
    );
    assert_eq!(
        m.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T15:00:01Z"))
    );
    assert_eq!(m.messaging_service_sid.as_deref(), Some(MG));

    let j = &load.records[2];
    assert_eq!(&*j.sid, "MMc572d3ce3b46c321cfa51155c9408ffd");
    let sent = j.date_sent.unwrap();
    assert_eq!(sent.nanos, at("2026-11-20T15:00:00.250Z"));
    assert_eq!(sent.precision, Precision::Millis);

    let p = &load.records[3];
    assert_eq!(p.error_code, Some(30008), "error_code as a JSON number");
    assert_eq!(p.num_segments, Some(1), "num_segments as a JSON number");
    assert_eq!(p.date_sent, None);
    assert_eq!(p.status.as_deref(), Some("failed"));
}

#[test]
fn bulk_export_with_corrupt_first_line_is_still_json_lines() {
    let data = bulk();
    let mut text = b"{\"sid\": \"SMbroken\n".to_vec();
    text.extend_from_slice(&data);
    assert_eq!(detect(&text), Some(ExportKind::BulkExport));
    let load = read_export("b.json", &text, "US");
    assert_eq!(load.records.len(), 4);
    let lines: Vec<_> = load.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(1), Some(4)]);
}

#[test]
fn cli_json_output() {
    assert_eq!(detect(CLI_JSON), Some(ExportKind::CliJson));
    let load = read_export("cli.json", CLI_JSON, "US");
    assert_eq!(load.kind, Some(ExportKind::CliJson));
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.records.len(), 2);
    let q = &load.records[0];
    assert_eq!(&*q.sid, "SMbbe556e7de6a720ceb80b7b465f2a4b6");
    assert_eq!(&*q.export, "cli_json");
    assert_eq!(q.evidence.line, 2);
    assert_eq!(&*q.to, "whatsapp:+447700900123");
    assert_eq!(q.status.as_deref(), Some("read"));
    assert_eq!(q.account_sid.as_deref(), Some(AC));
    let created = q.date_created.unwrap();
    assert_eq!(created.nanos, at("2026-11-20T16:00:00Z"));
    // `.000` from the CLI's JS Date is no real millisecond precision.
    assert_eq!(created.precision, Precision::Seconds);
    assert_eq!(
        q.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T16:00:01Z"))
    );
    let a = &load.records[1];
    assert_eq!(&*a.sid, SM_A);
    assert_eq!(a.evidence.line, 26);
    assert_eq!(a.messaging_service_sid.as_deref(), Some(MG));
    assert_eq!(a.num_segments, Some(1));
}

#[test]
fn cli_tsv_output() {
    assert_eq!(detect(CLI_TSV), Some(ExportKind::CliTsv));
    let load = read_export("cli.tsv", CLI_TSV, "US");
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.records.len(), 2);
    let q = &load.records[0];
    assert_eq!(&*q.export, "cli_tsv");
    assert_eq!(&*q.to, "whatsapp:+447700900123");
    let sent = q.date_sent.unwrap();
    assert_eq!(sent.nanos, at("2026-11-20T16:00:01Z"));
    assert_eq!(sent.offset_minutes, Some(-480));
    assert_eq!(load.records[1].evidence.line, 3);
}

#[test]
fn detection_is_by_content() {
    assert_eq!(detect(CONSOLE), Some(ExportKind::ConsoleCsv));
    assert_eq!(detect(REORDERED), Some(ExportKind::ConsoleCsv));
    assert_eq!(detect(RESAVED), Some(ExportKind::ConsoleCsv));
    assert_eq!(detect(API_PAGE), Some(ExportKind::ApiPage));
    assert_eq!(detect(&bulk()), Some(ExportKind::BulkExport));
    assert_eq!(detect(CLI_JSON), Some(ExportKind::CliJson));
    assert_eq!(detect(CLI_TSV), Some(ExportKind::CliTsv));
    // Truncated documents are still recognised by their keys.
    assert_eq!(detect(&API_PAGE[..600]), Some(ExportKind::ApiPage));
    assert_eq!(detect(&CLI_JSON[..300]), Some(ExportKind::CliJson));
    assert_eq!(detect(b"[]"), Some(ExportKind::CliJson));

    assert_eq!(detect(b""), None);
    assert_eq!(detect(b"\xEF\xBB\xBF  \n"), None);
    assert_eq!(detect(BULK_GZ), None, "compressed bytes are not an export");
    assert_eq!(
        detect(b"{\"level\":\"info\",\"msg\":\"sent\",\"sid\":\"SM1\"}\n"),
        None
    );
    assert_eq!(detect(b"Name,Email\nAda,ada@example.com\n"), None);
    assert_eq!(
        detect(b"127.0.0.1 - - [20/Nov/2026:14:03:07 +0000] \"POST /x HTTP/1.1\" 201 12\n"),
        None
    );
    assert_eq!(detect(b"[1,2,3]"), None);

    assert_eq!(ExportKind::ConsoleCsv.name(), "console_csv");
    assert_eq!(ExportKind::ApiPage.name(), "api_page");
    assert_eq!(ExportKind::BulkExport.name(), "bulk_export");
    assert_eq!(ExportKind::CliJson.name(), "cli_json");
    assert_eq!(ExportKind::CliTsv.name(), "cli_tsv");
}

#[test]
fn unknown_content_is_one_problem_naming_the_file() {
    for (bytes, words) in [
        (&b"hello world\n"[..], "not a Twilio export"),
        (&b""[..], "empty"),
        (BULK_GZ, "compressed"),
    ] {
        let load = read_export("in/mystery.bin", bytes, "US");
        assert_eq!(load.kind, None);
        assert!(load.records.is_empty());
        assert_eq!(load.rows_read, 0);
        assert_eq!(load.problems.len(), 1);
        assert_eq!(load.problems[0].file, "in/mystery.bin");
        assert_eq!(load.problems[0].line, None);
        assert!(
            load.problems[0].message.contains(words),
            "{}",
            load.problems[0].message
        );
    }
}

#[test]
fn merge_joins_csv_and_api_by_sid() {
    let csv = read_export("console.csv", CONSOLE, "US");
    let api = read_export("page0.json", API_PAGE, "US");
    let n_csv = csv.records.len();
    let all: Vec<_> = csv.records.into_iter().chain(api.records).collect();
    let merged = merge(all.clone());
    // SM_A is in both.
    assert_eq!(merged.len(), n_csv + 5 - 1);
    let a = merged.iter().find(|r| &*r.sid == SM_A).unwrap();
    assert_eq!(&*a.export, "console_csv", "first seen wins");
    assert_eq!(&*a.evidence.file, "console.csv");
    assert_eq!(a.evidence.line, 2);
    assert_eq!(
        a.date_created.map(|t| t.nanos),
        Some(at("2026-11-20T14:03:06Z")),
        "filled from the API page"
    );
    assert_eq!(
        a.date_sent.map(|t| t.nanos),
        Some(at("2026-11-20T14:03:07Z"))
    );
    assert_eq!(a.messaging_service_sid.as_deref(), Some(MG));
    assert!(a.date_updated.is_some());

    // Sorted by (date_created or date_sent, sid).
    let keys: Vec<i64> = merged
        .iter()
        .map(|r| r.best_time().unwrap().0.nanos)
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    assert_eq!(&*merged[0].sid, SM_A, "created 14:03:06, the earliest");
    assert_eq!(&*merged[1].sid, SM_B);

    // The other input order keeps the API page's evidence.
    let mut reversed = all;
    reversed.reverse();
    let merged = merge(reversed);
    let a = merged.iter().find(|r| &*r.sid == SM_A).unwrap();
    assert_eq!(&*a.export, "api_page");
    assert_eq!(a.evidence.line, 9);
}

#[test]
fn merge_puts_undated_records_last() {
    let mut base = read_export("c.csv", REORDERED, "US").records;
    let mut undated = base[0].clone();
    undated.sid = "SM00000000000000000000000000000000".into();
    undated.date_sent = None;
    base.insert(0, undated);
    let merged = merge(base);
    assert_eq!(merged.len(), 3);
    assert_eq!(&*merged[2].sid, "SM00000000000000000000000000000000");
}

proptest! {
    #[test]
    fn read_export_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let load = read_export("fuzz", &bytes, "US");
        prop_assert!(load.records.len() as u64 <= load.rows_read);
    }

    #[test]
    fn truncated_fixtures_never_panic(which in 0usize..6, cut in 0usize..6000) {
        let data = bulk();
        let src: &[u8] = [CONSOLE, REORDERED, API_PAGE, &data, CLI_JSON, CLI_TSV][which];
        let cut = cut.min(src.len());
        let load = read_export("cut", &src[..cut], "GB");
        prop_assert!(load.records.len() as u64 <= load.rows_read);
    }

    #[test]
    fn json_shaped_noise_never_panics(s in "[\\[\\]{}\":,\\\\ \nA-Za-z0-9_+-]{0,200}") {
        let _ = read_export("noise", s.as_bytes(), "US");
        let _ = detect(s.as_bytes());
    }

    #[test]
    fn phone_functions_never_panic(s in "\\PC{0,40}", region in "[A-Za-z]{0,3}") {
        if let Some(n) = crate::phone::normalize_phone(&s, &region) {
            prop_assert!(n.starts_with('+') || n.starts_with("whatsapp:+"));
            let _ = crate::phone::mask_phone(&n);
        }
        let _ = crate::phone::mask_phone(&s);
    }
}

#[test]
fn a_pretty_page_with_an_element_on_one_line_is_one_document() {
    let page = br#"{"messages":[
{"sid":"SM0123456789abcdef0123456789abcd01","to":"+14155550134","date_created":"Fri, 20 Nov 2026 14:00:00 +0000"},
{"sid":"SM0123456789abcdef0123456789abcd02","to":"+14155550134","date_created":"Fri, 20 Nov 2026 14:00:30 +0000"}
],"page":0}"#;
    let load = read_export("page.json", page, "US");
    assert!(load.problems.is_empty(), "{:?}", load.problems);
    assert_eq!(load.records.len(), 2);
}

/// Read a delimited export through the streaming path with `block`-byte
/// blocks, the reader handing out at most `chunk` bytes per call.
fn streamed(bytes: &[u8], delimiter: u8, block: usize, chunk: usize) -> TwilioLoad {
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let kind = detect(bytes);
    let mut ctx = Ctx::new("f.csv", "US", kind);
    csv::read_stream_blocks(
        &mut ctx,
        Vec::new(),
        &mut Trickle(bytes, chunk),
        delimiter,
        block,
    )
    .unwrap();
    ctx.finish(kind)
}

#[test]
fn streamed_csv_equals_whole_read_at_any_block_size() {
    let resaved_crlf: Vec<u8> = String::from_utf8_lossy(RESAVED)
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes();
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(CONSOLE);
    for (name, src, delimiter) in [
        ("console", CONSOLE, b','),
        ("reordered", REORDERED, b','),
        ("resaved", RESAVED, b','),
        ("resaved crlf", &resaved_crlf[..], b','),
        ("bom", &with_bom[..], b','),
        ("cli tsv", CLI_TSV, b'\t'),
    ] {
        let whole = read_export("f.csv", src, "US");
        assert!(!whole.records.is_empty(), "{name}");
        for block in [1, 2, 3, 7, 64, 200, 4096] {
            for chunk in [1, 5, 1 << 20] {
                let s = streamed(src, delimiter, block, chunk);
                assert_eq!(s, whole, "{name}, block {block}, chunk {chunk}");
            }
        }
    }
}

#[test]
fn streamed_csv_cuts_only_between_rows() {
    // Quoted newlines, doubled quotes, a quote inside an unquoted field and
    // a closing quote at a block's end must not cut a row.
    let csv = format!(
        "Sid,To,Body,Status\n\
         {SM_A},+14155550134,\"line one\nline \"\"two\"\"\n\",delivered\n\
         {SM_B},+14155550135,say \"hi\" there,delivered\n\
         SM00000000000000000000000000000003,+14155550136,\"\",sent\n"
    );
    let whole = read_export("f.csv", csv.as_bytes(), "US");
    assert_eq!(whole.records.len(), 3);
    assert_eq!(
        whole.records[0].body.as_deref(),
        Some("line one\nline \"two\"\n")
    );
    for block in 1..40 {
        assert_eq!(
            streamed(csv.as_bytes(), b',', block, 3),
            whole,
            "block {block}"
        );
    }
}

#[test]
fn read_export_from_streams_a_console_export() {
    let load = read_export_from("exports/console.csv", &mut &CONSOLE[..], "US").unwrap();
    assert_eq!(load, read_export("exports/console.csv", CONSOLE, "US"));
    let load = read_export_from("p.json", &mut &API_PAGE[..], "US").unwrap();
    assert_eq!(load, read_export("p.json", API_PAGE, "US"));
}

proptest! {
    #[test]
    fn streamed_csv_equals_whole_read_on_noise(
        rows in proptest::collection::vec("[a-c,\"\n\r +0-9]{0,30}", 0..12),
        block in 1usize..50,
    ) {
        let mut csv = String::from("Sid,To,Body\n");
        for (i, r) in rows.iter().enumerate() {
            csv.push_str(&format!("SM{i:032},+1415555{i:04},{r}\n"));
        }
        let whole = read_export("f.csv", csv.as_bytes(), "US");
        let s = streamed(csv.as_bytes(), b',', block, 7);
        prop_assert_eq!(s, whole);
    }
}
