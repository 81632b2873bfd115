//! Apache `LogFormat` compiler, then the compiled parser on lines.
//! Input: `<format>\n<line>\n<line>…`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::access::AccessGrammar;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == b'\n');
    let Some(format) = parts.next() else { return };
    let format = String::from_utf8_lossy(format);
    if let Ok(g) = AccessGrammar::compile_apache("fuzz", &format) {
        let _ = g.specificity();
        for line in parts {
            let _ = g.parse(line);
        }
    }
});
