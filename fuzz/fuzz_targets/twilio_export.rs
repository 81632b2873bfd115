//! Twilio readers: Console CSV, REST API pages, Bulk Export, CLI output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::twilio::read_export;

fuzz_target!(|data: &[u8]| {
    let load = read_export("fuzz.csv", data, "US");
    let _ = sidtrace::twilio::merge(load.records);
});
