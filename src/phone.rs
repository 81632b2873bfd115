//! Phone numbers: any common notation to E.164 (or a `whatsapp:+…` channel
//! address), the calling code of a region, and masking for redacted output.
//!
//! This module owns the notation rules only; it knows nothing of where a
//! number was found. Nothing here panics on input: a string that cannot be a
//! phone number gives `None`.
//!
//! Design rationale: we do not carry a full numbering plan (libphonenumber's
//! metadata is megabytes). A number is accepted when it has the shape of
//! E.164 (8 to 15 digits including the country code, no leading zero, NANP
//! numbers exactly `+1` and ten digits) after the region's international and
//! trunk prefixes are handled. That is enough to join log lines with Twilio
//! records, which is all the tool needs.

/// One region's dialing rules: calling code, trunk prefix (dialled before a
/// national number inside the country, `""` when there is none) and the
/// international prefixes dialled to call abroad from it.
struct Region {
    code: &'static str,
    calling: u16,
    trunk: &'static str,
    idd: &'static [&'static str],
}

const IDD_00: &[&str] = &["00"];

/// Regions that share +1 (the North American Numbering Plan).
const NANP: &[&str] = &[
    "US", "CA", "PR", "VI", "GU", "AS", "MP", "UM", "BS", "BB", "AI", "AG", "VG", "KY", "BM", "GD",
    "TC", "MS", "SX", "LC", "DM", "VC", "DO", "TT", "KN", "JM",
];

const fn r(code: &'static str, calling: u16, trunk: &'static str) -> Region {
    Region {
        code,
        calling,
        trunk,
        idd: IDD_00,
    }
}

const fn ri(
    code: &'static str,
    calling: u16,
    trunk: &'static str,
    idd: &'static [&'static str],
) -> Region {
    Region {
        code,
        calling,
        trunk,
        idd,
    }
}

/// Non-NANP regions. Trunk prefixes and international prefixes as dialled
/// today (ITU-T E.164 national numbering plan summaries).
const REGIONS: &[Region] = &[
    r("GB", 44, "0"),
    r("IE", 353, "0"),
    r("DE", 49, "0"),
    r("FR", 33, "0"),
    r("ES", 34, ""),
    r("IT", 39, ""),
    r("PT", 351, ""),
    r("NL", 31, "0"),
    r("BE", 32, "0"),
    r("LU", 352, ""),
    r("CH", 41, "0"),
    r("AT", 43, "0"),
    r("DK", 45, ""),
    r("NO", 47, ""),
    r("SE", 46, "0"),
    r("FI", 358, "0"),
    r("IS", 354, ""),
    r("PL", 48, ""),
    r("CZ", 420, ""),
    r("SK", 421, "0"),
    r("HU", 36, "06"),
    r("RO", 40, "0"),
    r("BG", 359, "0"),
    r("GR", 30, ""),
    r("HR", 385, "0"),
    r("SI", 386, "0"),
    r("RS", 381, "0"),
    r("EE", 372, ""),
    r("LV", 371, ""),
    r("LT", 370, "0"),
    r("UA", 380, "0"),
    ri("RU", 7, "8", &["810", "00"]),
    ri("KZ", 7, "8", &["810", "00"]),
    r("TR", 90, "0"),
    r("IL", 972, "0"),
    r("AE", 971, "0"),
    r("SA", 966, "0"),
    r("QA", 974, ""),
    r("EG", 20, "0"),
    r("MA", 212, "0"),
    r("ZA", 27, "0"),
    r("NG", 234, "0"),
    r("KE", 254, "0"),
    r("GH", 233, "0"),
    r("IN", 91, "0"),
    r("PK", 92, "0"),
    r("BD", 880, "0"),
    r("LK", 94, "0"),
    r("CN", 86, "0"),
    r("HK", 852, ""),
    r("MO", 853, ""),
    ri("TW", 886, "0", &["002", "00"]),
    ri("JP", 81, "0", &["010"]),
    ri("KR", 82, "0", &["001", "002", "00"]),
    ri("SG", 65, "", &["001", "000", "008"]),
    r("MY", 60, "0"),
    ri("TH", 66, "0", &["001", "00"]),
    r("VN", 84, "0"),
    ri("ID", 62, "0", &["001", "007", "00"]),
    r("PH", 63, "0"),
    ri("AU", 61, "0", &["0011"]),
    r("NZ", 64, "0"),
    r("BR", 55, "0"),
    r("AR", 54, "0"),
    r("CL", 56, ""),
    r("CO", 57, ""),
    r("MX", 52, ""),
    r("PE", 51, "0"),
    r("VE", 58, "0"),
    r("CR", 506, ""),
    r("PA", 507, ""),
    r("GT", 502, ""),
];

/// NANP's international prefix.
const NANP_IDD: &[&str] = &["011"];

fn find_region(region: &str) -> Option<Region> {
    let up = region.trim().to_ascii_uppercase();
    let up = if up == "UK" { "GB".to_string() } else { up };
    if NANP.contains(&up.as_str()) {
        return Some(ri("US", 1, "1", NANP_IDD));
    }
    REGIONS.iter().find(|r| r.code == up).map(|r| Region {
        code: r.code,
        calling: r.calling,
        trunk: r.trunk,
        idd: r.idd,
    })
}

/// The country calling code for a region (ISO 3166 alpha-2, any case;
/// `UK` is read as `GB`). NANP regions (US, CA, PR, the Caribbean members…)
/// all give 1.
pub fn calling_code(region: &str) -> Option<u16> {
    find_region(region).map(|r| r.calling)
}

/// How many leading digits of an international number are its country
/// calling code, from the ITU zone structure: `1` and `7` are one digit, a
/// fixed set are two digits, everything else three.
fn country_code_len(digits: &str) -> usize {
    let b = digits.as_bytes();
    match b.first() {
        Some(b'1') | Some(b'7') => return 1,
        None => return 0,
        _ => {}
    }
    let two: u32 = match digits.get(..2).and_then(|s| s.parse().ok()) {
        Some(n) => n,
        None => return digits.len().min(3),
    };
    match two {
        20
        | 27
        | 30..=34
        | 36
        | 39
        | 40
        | 41
        | 43..=49
        | 51..=58
        | 60..=66
        | 81
        | 82
        | 84
        | 86
        | 90..=95
        | 98 => 2,
        _ => 3.min(digits.len()),
    }
}

/// Undo `%XX` escapes (`%2B14155550134`). `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Characters people put between the digits of a phone number.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}'
    )
}

/// E.164 (`+14155550134`) or a channel address (`whatsapp:+14155550134`)
/// from any common notation: `+14155550134`, `(415) 555-0134`,
/// `+1 415-555-0134`, `14155550134`, `1-415-555-0134`, `415.555.0134`,
/// `+44 20 7946 0958`, `+44 (0)20 7946 0958`, `020 7946 0958` (region GB),
/// `00 44 20 7946 0958`, `011 44 20 7946 0958` (from a NANP region),
/// `whatsapp:+…`, `sms:+…`, `tel:+1-415-555-0134`, URL-encoded
/// `%2B14155550134`. National numbers are read in `default_region`
/// (ISO 3166 alpha-2). `None` when it cannot be a phone number: too short
/// or too long for E.164 (8 to 15 digits including the country code),
/// letters, an unknown scheme, empty.
pub fn normalize_phone(raw: &str, default_region: &str) -> Option<String> {
    let decoded = percent_decode(raw.trim())?;
    let mut s: &str = decoded.trim();
    let mut whatsapp = false;
    let mut had_scheme = false;
    while let Some((scheme, rest)) = s.split_once(':') {
        match scheme.trim().to_ascii_lowercase().as_str() {
            "whatsapp" if !whatsapp => whatsapp = true,
            "tel" | "sms" | "smsto" | "mms" | "mmsto" | "callto" => {}
            _ => return None,
        }
        had_scheme = true;
        s = rest.trim().trim_start_matches('/');
    }
    if had_scheme {
        // URI parameters and queries (`;ext=…`, `?body=…`) are not the number.
        if let Some(i) = s.find([';', '?']) {
            s = s.get(..i).unwrap_or("").trim();
        }
    }
    let (plus, body) = match s.strip_prefix('+').or_else(|| s.strip_prefix('\u{ff0b}')) {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if !body.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
        return None;
    }
    let all_digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if all_digits.is_empty() {
        return None;
    }
    let region = find_region(default_region);
    let idd_rest = if plus {
        None
    } else {
        let idds = region.as_ref().map(|r| r.idd).unwrap_or(IDD_00);
        idds.iter()
            .chain(IDD_00.iter())
            .find_map(|p| all_digits.strip_prefix(p))
    };
    let international = if plus {
        Some(all_digits.clone())
    } else {
        idd_rest.map(str::to_string)
    };
    let intl = match international {
        Some(mut digits) => {
            // `+44 (0)20 …`: the bracketed trunk zero is not dialled from abroad.
            if body.contains("(0)") {
                let without: String = body
                    .replacen("(0)", "", 1)
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let dropped = all_digits.len() - without.len();
                if dropped == 1 && digits.len() > 1 {
                    digits = if plus {
                        without
                    } else {
                        let idd_len = all_digits.len() - digits.len();
                        without.get(idd_len..).unwrap_or("").to_string()
                    };
                }
            }
            digits
        }
        None => national_to_international(&all_digits, region.as_ref()?)?,
    };
    if !valid_e164_digits(&intl) {
        return None;
    }
    let prefix = if whatsapp { "whatsapp:" } else { "" };
    Some(format!("{prefix}+{intl}"))
}

/// A national number (only digits) in `region` as international digits
/// (without `+`).
fn national_to_international(digits: &str, region: &Region) -> Option<String> {
    if region.calling == 1 {
        return match digits.len() {
            10 => Some(format!("1{digits}")),
            11 if digits.starts_with('1') => Some(digits.to_string()),
            _ => None,
        };
    }
    let national = if !region.trunk.is_empty() {
        digits.strip_prefix(region.trunk).unwrap_or(digits)
    } else {
        digits
    };
    if national.is_empty() {
        return None;
    }
    Some(format!("{}{national}", region.calling))
}

/// E.164 shape: 8 to 15 digits, no leading zero; NANP (`1…`) is exactly
/// eleven digits with an area code starting 2-9.
fn valid_e164_digits(d: &str) -> bool {
    let b = d.as_bytes();
    if !(8..=15).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match b.first() {
        Some(b'0') | None => false,
        Some(b'1') => b.len() == 11 && matches!(b.get(1), Some(b'2'..=b'9')),
        _ => true,
    }
}

/// Mask for redacted output: `+14155550134` → `+1415•••0134` (the country
/// code and the first three national digits and the last four stay);
/// a channel prefix (`whatsapp:`) stays. Numbers too short for that, and
/// anything that is not `+digits`, show only their last two characters.
pub fn mask_phone(e164: &str) -> String {
    let (prefix, rest) = match e164.rfind(':') {
        Some(i) => (
            e164.get(..=i).unwrap_or(""),
            e164.get(i + 1..).unwrap_or(""),
        ),
        None => ("", e164),
    };
    if let Some(digits) = rest.strip_prefix('+') {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let cc = country_code_len(digits);
            let national = digits.get(cc..).unwrap_or("");
            if national.len() >= 8 {
                let head = digits.get(..cc + 3).unwrap_or("");
                let tail = digits.get(digits.len() - 4..).unwrap_or("");
                let hidden = "•".repeat(national.len() - 7);
                return format!("{prefix}+{head}{hidden}{tail}");
            }
            return format!("{prefix}+{}", mask_all_but_last_two(digits));
        }
    }
    format!("{prefix}{}", mask_all_but_last_two(rest))
}

fn mask_all_but_last_two(s: &str) -> String {
    let n = s.chars().count();
    s.chars()
        .enumerate()
        .map(|(i, c)| if i + 2 >= n { c } else { '•' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_american_notations() {
        let want = Some("+14155550134".to_string());
        for raw in [
            "+14155550134",
            "(415) 555-0134",
            "+1 415-555-0134",
            "+1 (415) 555-0134",
            "14155550134",
            "1-415-555-0134",
            "415.555.0134",
            "415 555 0134",
            "4155550134",
            "tel:+1-415-555-0134",
            "TEL:+1-415-555-0134;ext=12",
            "sms:+14155550134",
            "sms:+14155550134?body=hi",
            "%2B14155550134",
            "%2B1%20415%20555%200134",
            "  +1\u{a0}415\u{2011}555\u{2011}0134 ",
            "+1.415.555.0134",
            "011 1 415 555 0134",
        ] {
            assert_eq!(normalize_phone(raw, "US"), want, "{raw}");
        }
        // Canada and the Caribbean dial the same way.
        assert_eq!(
            normalize_phone("(604) 555-0199", "CA").as_deref(),
            Some("+16045550199")
        );
        assert_eq!(
            normalize_phone("876-555-0101", "jm").as_deref(),
            Some("+18765550101")
        );
    }

    #[test]
    fn channel_addresses_keep_their_prefix() {
        assert_eq!(
            normalize_phone("whatsapp:+14155550134", "US").as_deref(),
            Some("whatsapp:+14155550134")
        );
        assert_eq!(
            normalize_phone("WhatsApp: +44 7700 900123", "US").as_deref(),
            Some("whatsapp:+447700900123")
        );
        assert_eq!(
            normalize_phone("whatsapp%3A%2B14155550134", "US").as_deref(),
            Some("whatsapp:+14155550134")
        );
        assert_eq!(
            normalize_phone("whatsapp:whatsapp:+14155550134", "US"),
            None
        );
        assert_eq!(normalize_phone("messenger:1234567890", "US"), None);
    }

    #[test]
    fn international_and_national_forms_by_region() {
        let gb = Some("+442079460958".to_string());
        for (raw, region) in [
            ("+44 20 7946 0958", "US"),
            ("+44 (0)20 7946 0958", "US"),
            ("020 7946 0958", "GB"),
            ("020 7946 0958", "uk"),
            ("00 44 20 7946 0958", "GB"),
            ("00 44 20 7946 0958", "DE"),
            ("0044 (0)20 7946 0958", "FR"),
            ("011 44 20 7946 0958", "US"),
            ("011 44 20 7946 0958", "CA"),
            ("0011 44 20 7946 0958", "AU"),
            ("010 44 20 7946 0958", "JP"),
        ] {
            assert_eq!(normalize_phone(raw, region), gb, "{raw} in {region}");
        }
        let cases = [
            ("030 901820", "DE", "+4930901820"),
            ("0151 2345 6789", "DE", "+4915123456789"),
            ("01 23 45 67 89", "FR", "+33123456789"),
            ("06 1234 5678", "IT", "+390612345678"),
            ("612 34 56 78", "ES", "+34612345678"),
            ("098765 43210", "IN", "+919876543210"),
            ("98765 43210", "IN", "+919876543210"),
            ("0412 345 678", "AU", "+61412345678"),
            ("090-1234-5678", "JP", "+819012345678"),
            ("8 (912) 345-67-89", "RU", "+79123456789"),
            ("06 20 123 4567", "HU", "+36201234567"),
            ("(11) 91234-5678", "BR", "+5511912345678"),
            ("9123 4567", "SG", "+6591234567"),
            ("+49 30 901820", "US", "+4930901820"),
        ];
        for (raw, region, want) in cases {
            assert_eq!(
                normalize_phone(raw, region).as_deref(),
                Some(want),
                "{raw} in {region}"
            );
        }
    }

    #[test]
    fn not_phone_numbers() {
        for (raw, region) in [
            ("", "US"),
            ("   ", "US"),
            ("+", "US"),
            ("hello", "US"),
            ("1-800-FLOWERS", "US"),
            ("415-555-0134 ext 5", "US"),
            ("+1415555013", "US"),   // NANP needs ten digits after +1
            ("+141555501345", "US"), // and not eleven
            ("+10155550134", "US"),  // area codes start 2-9
            ("555-0134", "US"),      // no area code
            ("+1234567", "US"),      // seven digits: too short
            ("+1234567890123456", "US"),
            ("+0441234567890", "US"),
            ("+44+2079460958", "US"),
            ("020 7946 0958", "ZZ"), // national number in an unknown region
            ("12345", "US"),         // short code
            ("%FF%FE", "US"),
            ("mailto:+14155550134", "US"),
            ("SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "US"),
        ] {
            assert_eq!(normalize_phone(raw, region), None, "{raw:?} in {region}");
        }
        // An unknown region still reads international notation.
        assert_eq!(
            normalize_phone("+44 20 7946 0958", "ZZ").as_deref(),
            Some("+442079460958")
        );
    }

    #[test]
    fn calling_codes() {
        assert_eq!(calling_code("US"), Some(1));
        assert_eq!(calling_code("ca"), Some(1));
        assert_eq!(calling_code("PR"), Some(1));
        assert_eq!(calling_code("GB"), Some(44));
        assert_eq!(calling_code("UK"), Some(44));
        assert_eq!(calling_code("DE"), Some(49));
        assert_eq!(calling_code("IN"), Some(91));
        assert_eq!(calling_code("RU"), Some(7));
        assert_eq!(calling_code("IE"), Some(353));
        assert_eq!(calling_code("ZZ"), None);
        assert_eq!(calling_code(""), None);
        assert!(REGIONS.len() + NANP.len() >= 40);
    }

    #[test]
    fn country_code_lengths() {
        assert_eq!(country_code_len("14155550134"), 1);
        assert_eq!(country_code_len("79123456789"), 1);
        assert_eq!(country_code_len("442079460958"), 2);
        assert_eq!(country_code_len("919876543210"), 2);
        assert_eq!(country_code_len("353861234567"), 3);
        assert_eq!(country_code_len("2348031234567"), 3);
    }

    #[test]
    fn masking() {
        assert_eq!(mask_phone("+14155550134"), "+1415•••0134");
        assert_eq!(mask_phone("whatsapp:+14155550134"), "whatsapp:+1415•••0134");
        assert_eq!(mask_phone("+442079460958"), "+44207•••0958");
        assert_eq!(mask_phone("+5511912345678"), "+55119••••5678");
        assert_eq!(mask_phone("+353861234567"), "+353861••4567");
        assert_eq!(mask_phone("+4930901820"), "+49309•1820");
        // Seven national digits: nothing would be hidden, so hide all but two.
        assert_eq!(mask_phone("+3726123456"), "+••••••••56");
        assert_eq!(mask_phone("12345"), "•••45");
        assert_eq!(mask_phone("ACME"), "••ME");
        assert_eq!(mask_phone("7"), "7");
        assert_eq!(mask_phone(""), "");
    }
}
