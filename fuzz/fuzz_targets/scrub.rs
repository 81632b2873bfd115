//! The credential scrub. Input: `<shape><secret bytes (32)><context…>`.
//! The secret is drawn from the bytes in the alphabet its shape uses and
//! planted, in that shape, into the context (split in two around it). The
//! scrub must never panic, and neither it nor the scrubbing JSON writer may
//! let the secret through. The raw input is scrubbed as text too (no
//! panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidtrace::scrub::{scrub, to_writer};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const KEY_SID: &str = "SKfedcba9876543210fedcba9876543210";
const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const PASSWORD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*._~-";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn draw(bytes: &[u8], alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|i| {
            let b = bytes.get(i).copied().unwrap_or(i as u8);
            char::from(alphabet[usize::from(b) % alphabet.len()])
        })
        .collect()
}


/// (the planted text, the secret).
fn plant(shape: u8, raw: &[u8]) -> (String, String) {
    let token = draw(raw, HEX, 32);
    let key = draw(raw, ALNUM, 32);
    // A password ends in a digit, so that it is never a plain word.
    let password = draw(
        raw,
        PASSWORD,
        8 + usize::from(raw.first().copied().unwrap_or(0) % 16),
    ) + "7";
    match shape % 14 {
        0 => (format!("{SID}:{token}"), token),
        1 => (format!("{SID} {token}"), token),
        2 => (format!("{SID}, {token}"), token),
        3 => (format!("{SID}\",\"auth\":\"{token}\""), token),
        4 => (format!("{KEY_SID} {key}"), key),
        5 => (format!("{KEY_SID}|{key}"), key),
        6 => (format!("\"auth_token\":\"{token}\""), token),
        7 => (format!("AuthToken={token}&To=%2B14155550134"), token),
        8 => (
            format!("https://user:{password}@api.twilio.com/x"),
            password,
        ),
        9 => (format!("password={password}"), password),
        10 => {
            let b = sidtrace::scrub::base64_encode(format!("{SID}:{token}").as_bytes());
            (format!("Authorization: Basic {b}"), b)
        }
        11 => {
            let sig = draw(raw, B64, 27) + "=";
            (format!("X-Twilio-Signature: {sig}"), sig)
        }
        12 => {
            let jwt = format!(
                "eyJ{}.eyJ{}.{}",
                draw(raw, ALNUM, 12),
                key,
                draw(raw, ALNUM, 9)
            );
            (format!("Bearer {jwt}"), jwt)
        }
        _ => (format!("auth_token%3D{token}%26x"), token),
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = scrub(&String::from_utf8_lossy(data));
    if data.len() < 33 {
        return;
    }
    let (shape, rest) = data.split_at(1);
    let (raw, context) = rest.split_at(32);
    let context = String::from_utf8_lossy(context);
    let mid = context
        .char_indices()
        .nth(context.chars().count() / 2)
        .map_or(0, |(i, _)| i);
    let (before, after) = context.split_at(mid);
    let (cred, secret) = plant(shape[0], raw);
    let line = format!("{before} {cred} {after}");
    let out = scrub(&line);
    assert!(!out.contains(&secret), "{line:?} -> {out:?}");
    // A second scrub may mask more, never less.
    assert!(!scrub(&out).contains(&secret), "{line:?}");
    // The secrets' alphabets need no JSON escape: what is written is what
    // would be read back.
    let mut written = Vec::new();
    to_writer(&mut written, &[line.as_str()]).expect("writes to memory");
    let written = String::from_utf8_lossy(&written);
    assert!(!written.contains(&secret), "{written}");
});
