//! The compiled built-in line parsers (and format detection) on arbitrary
//! lines. Each line of the input is parsed by every built-in grammar and by
//! the JSON reader; the extraction helpers run on what comes out.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sidtrace::catalog::{Catalog, Parsed, ParserId};

static CATALOG: OnceLock<Catalog> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let catalog = CATALOG.get_or_init(Catalog::builtin);
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let _ = catalog.detect(&lines);
    for line in lines.iter().take(16) {
        for i in 0..catalog.access.len() {
            if let Ok(v) = catalog.parse(ParserId::Access(i), line) {
                for p in v {
                    if let Parsed::Access(a) = p {
                        if let Some(t) = &a.target {
                            let _ = sidtrace::extract::messages_endpoint(t);
                        }
                        if let Some(b) = &a.request_body {
                            let _ = sidtrace::extract::form_pairs(b);
                        }
                        if let Some(u) = &a.upstream_addr {
                            let _ = sidtrace::access::split_upstream(u);
                        }
                    }
                }
            }
        }
    }
});
