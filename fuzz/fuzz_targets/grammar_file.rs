//! `--grammar` files: nginx configs, Apache configs, our TOML grammar files.
//! Every grammar loaded is tried on every line of the file itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::access::load_grammar_text;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(set) = load_grammar_text("fuzz.conf", &text) {
        for g in &set.access {
            for line in data.split(|&b| b == b'\n').take(8) {
                let _ = g.parse(line);
            }
        }
    }
});
