//! The JSON record reader (application logs, JSON access logs, OTLP).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::applog::{looks_like_json, parse_json_line};

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_json(data);
    if let Ok(records) = parse_json_line(data, &sidtrace::formats::Formats::builtin()) {
        for r in records {
            if let sidtrace::applog::JsonLine::App(a) = r {
                if let Some(e) = &a.error {
                    let _ = sidtrace::extract::classify_failure(e);
                }
            }
        }
    }
});
