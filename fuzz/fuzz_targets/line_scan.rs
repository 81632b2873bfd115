//! Differential: the fast `scan_lines` must hand over exactly the lines the
//! plain `walk_lines` finds (head lines and lines with the literal), with
//! the same line numbers and counts, however the reader splits the bytes.
//! Input: `<max_line byte><chunk byte><head byte><data>`.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use sidtrace::input::{scan_lines, walk_lines};

/// Hands out at most `step` bytes per read.
struct Chunked<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

const LIT: &[u8] = b"Messages.json";

fuzz_target!(|input: &[u8]| {
    let [m, c, h, data @ ..] = input else { return };
    let max = 1 + *m as usize * 4;
    let step = 1 + *c as usize;
    let head = (*h % 8) as u64;

    let mut want = Vec::new();
    let w = walk_lines(Chunked { data, step }, max, |n, l| {
        if n <= head || memchr_find(l) {
            want.push((n, l.to_vec()));
        }
    });
    let finder = memchr::memmem::Finder::new(LIT);
    let mut got = Vec::new();
    let mut all = Vec::new();
    let s = scan_lines(
        Chunked { data, step },
        max,
        head,
        &finder,
        u64::MAX / 2,
        |n, l, k| {
            if k.head || k.candidate {
                got.push((n, l.to_vec()));
            }
        },
    );
    assert_eq!(got, want);
    assert_eq!(s.lines, w.lines);
    assert_eq!(s.overlong_count, w.overlong_count);
    assert_eq!(s.overlong, w.overlong);
    // Sampling every line hands over every line the walk does.
    let mut every = Vec::new();
    walk_lines(data, max, |n, l| every.push((n, l.to_vec())));
    scan_lines(Chunked { data, step }, max, 0, &finder, 0, |n, l, _| {
        all.push((n, l.to_vec()));
    });
    assert_eq!(all, every);
});

fn memchr_find(l: &[u8]) -> bool {
    l.windows(LIT.len()).any(|w| w == LIT)
}
