//! Timestamp parsing: every notation reader, and formatting what they read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::time;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let stamps = [
        time::parse_any(&s),
        time::parse_clf(&s),
        time::parse_iso8601(&s),
        time::parse_rfc2822(&s),
        time::parse_epoch_str(&s),
        time::parse_cli_date(&s),
        time::parse_sheet_datetime(&s),
        time::parse_user_time(&s).ok(),
    ];
    for st in stamps.into_iter().flatten() {
        let _ = time::format_rfc3339(st.nanos, st.precision);
    }
    if let Ok(d) = time::parse_duration(&s) {
        let _ = time::human_duration(d);
    }
    if data.len() == 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(data);
        let v = f64::from_le_bytes(b);
        if let Some(st) = time::parse_epoch_f64(v) {
            let _ = time::format_rfc3339(st.nanos, st.precision);
        }
        let _ = time::human_duration(i64::from_le_bytes(b));
    }
});
