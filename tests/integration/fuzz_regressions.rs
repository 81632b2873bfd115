//! Inputs the fuzz targets (`fuzz/`, run by `scripts/fuzz.sh`) found that
//! crashed, hung or allocated without bound, kept so they stay fixed. Each
//! test names the target that found it.

use sidtrace::time;

/// time_parse: a zone offset of `+0` followed by a multi-byte character
/// was sliced at a byte that is not a char boundary (panic).
#[test]
fn offset_with_a_multibyte_char_is_rejected_not_a_panic() {
    let input = b"71\x00\x08Fri, 2021 Nov 2026 90:020260:00 +0\xce";
    let s = String::from_utf8_lossy(input);
    assert_eq!(time::parse_any(&s), None);
    assert_eq!(
        time::parse_rfc2822("Fri, 20 Nov 2026 10:00:00 +0\u{fffd}"),
        None
    );
    assert_eq!(time::parse_iso8601("2026-11-20T10:00:00+0é"), None);
    // The ordinary notations still read.
    assert!(time::parse_rfc2822("Fri, 20 Nov 2026 10:00:00 +0530").is_some());
}
