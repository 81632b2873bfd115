//! nginx `log_format` compiler, then the compiled parser on lines.
//! Input: `<escape byte><format>\n<line>\n<line>…`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::access::{AccessGrammar, Escape};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let escape = match mode % 3 {
        0 => Escape::Default,
        1 => Escape::Json,
        _ => Escape::None,
    };
    let mut parts = rest.split(|&b| b == b'\n');
    let Some(format) = parts.next() else { return };
    let format = String::from_utf8_lossy(format);
    if let Ok(g) = AccessGrammar::compile_nginx("fuzz", &format, escape) {
        let _ = g.specificity();
        for line in parts {
            let _ = g.parse(line);
        }
    }
});
