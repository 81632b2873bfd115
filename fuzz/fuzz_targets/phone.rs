//! Phone-number parsing. Input: `<region (2 bytes)><number>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::phone::{mask_phone, normalize_phone};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (region, raw) = data.split_at(2);
    let region = String::from_utf8_lossy(region);
    let raw = String::from_utf8_lossy(raw);
    for r in [region.as_ref(), "US", "GB", "DE"] {
        if let Some(e164) = normalize_phone(&raw, r) {
            // E.164, or a channel address like `whatsapp:+1…`.
            let number = e164.rsplit_once(':').map_or(e164.as_str(), |(_, n)| n);
            assert!(number.starts_with('+'), "{raw:?} -> {e164:?}");
            // A normalised number reads back as itself.
            assert_eq!(
                normalize_phone(&e164, r).as_deref(),
                Some(e164.as_str()),
                "{raw:?} in {r}"
            );
            let _ = mask_phone(&e164);
        }
    }
});
