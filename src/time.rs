//! Timestamp parsing and formatting for every notation the inputs use.
//!
//! All parsers return a [`Stamp`]: the instant in UTC, the precision the
//! source wrote, and the offset it stated. Nothing here panics on input.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::model::{Precision, Stamp, UnixNanos};

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_from_abbrev(s: &str) -> Option<u32> {
    let lower = s.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .map(|i| i as u32 + 1)
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Build nanos from civil parts; a leap second (`:60`) is read as the last
/// nanosecond of the minute's 59th second so ordering is kept.
#[allow(clippy::too_many_arguments)] // the civil parts of one instant
fn civil_to_nanos(
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    frac_nanos: u32,
    offset_minutes: i32,
) -> Option<UnixNanos> {
    let (s, frac) = if s == 60 {
        (59, 999_999_999)
    } else {
        (s, frac_nanos)
    };
    let date = NaiveDate::from_ymd_opt(y, mo, d)?;
    let time = NaiveTime::from_hms_nano_opt(h, mi, s, frac)?;
    let naive = NaiveDateTime::new(date, time);
    let utc = Utc.from_utc_datetime(&naive);
    let secs = utc.timestamp() - i64::from(offset_minutes) * 60;
    secs.checked_mul(1_000_000_000)?
        .checked_add(i64::from(utc.timestamp_subsec_nanos()))
}

/// Parse a fraction like `123` (after the dot) into nanos and a precision.
fn fraction(s: &str) -> Option<(u32, Precision)> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: u64 = 0;
    for (i, b) in s.bytes().enumerate() {
        if i >= 9 {
            break;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    let len = s.len().min(9);
    n *= 10u64.pow((9 - len) as u32);
    Some((n as u32, Precision::from_fraction_digits(s.len())))
}

/// Parse an offset: `Z`, `+07:00`, `-0700`, `+07`, `GMT`, `UTC`, `+0000`.
fn offset(s: &str) -> Option<i32> {
    let s = s.trim();
    match s {
        "Z" | "z" | "GMT" | "UTC" | "UT" => return Some(0),
        _ => {}
    }
    let s = s
        .strip_prefix("GMT")
        .or_else(|| s.strip_prefix("UTC"))
        .unwrap_or(s);
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let rest = rest.replace(':', "");
    let (h, m) = match rest.len() {
        2 => (digits(&rest)?, 0),
        4 => (digits(rest.get(..2)?)?, digits(rest.get(2..)?)?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 60 + m as i32))
}

/// nginx `$time_local` / Apache `%t`: `10/Oct/2000:13:55:36 -0700`
/// (brackets allowed; a fraction after the seconds is accepted).
pub fn parse_clf(s: &str) -> Option<Stamp> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    let (dt, off) = s.split_once(' ')?;
    let mut parts = dt.splitn(3, '/');
    let d = digits(parts.next()?)?;
    let mo = month_from_abbrev(parts.next()?)?;
    let rest = parts.next()?;
    let (y, hms) = rest.split_once(':')?;
    let y = digits(y)? as i32;
    let (hms, frac) = match hms.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (hms, None),
    };
    let mut t = hms.split(':');
    let h = digits(t.next()?)?;
    let mi = digits(t.next()?)?;
    let sec = digits(t.next()?)?;
    if t.next().is_some() {
        return None;
    }
    let (fnanos, prec) = match frac {
        Some(f) => fraction(f)?,
        None => (0, Precision::Seconds),
    };
    let off = offset(off)?;
    let nanos = civil_to_nanos(y, mo, d, h, mi, sec, fnanos, off)?;
    Some(Stamp::new(nanos, prec, Some(off)))
}

/// RFC 3339 / ISO 8601 with any fraction and any offset notation; `T` or a
/// space between date and time; a missing zone is read as UTC and reported
/// as `offset_minutes: None`. Python's `asctime` comma fraction is accepted.
pub fn parse_iso8601(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if s.len() < 10 {
        return None;
    }
    let date = s.get(..10)?;
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&date[..4])? as i32;
    let mo = digits(&date[5..7])?;
    let d = digits(&date[8..10])?;
    let rest = &s[10..];
    if rest.is_empty() {
        let nanos = civil_to_nanos(y, mo, d, 0, 0, 0, 0, 0)?;
        return Some(Stamp::new(nanos, Precision::Seconds, None));
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    if rest.len() < 8 {
        return None;
    }
    let h = digits(rest.get(..2)?)?;
    if rest.as_bytes()[2] != b':' || rest.as_bytes()[5] != b':' {
        return None;
    }
    let mi = digits(rest.get(3..5)?)?;
    let sec = digits(rest.get(6..8)?)?;
    let mut tail = &rest[8..];
    let (mut fnanos, mut prec) = (0, Precision::Seconds);
    if let Some(f) = tail.strip_prefix('.').or_else(|| tail.strip_prefix(',')) {
        let end = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
        let (fr, after) = f.split_at(end);
        (fnanos, prec) = fraction(fr)?;
        tail = after;
    }
    let tail = tail.trim();
    let off = if tail.is_empty() {
        None
    } else {
        Some(offset(tail)?)
    };
    let nanos = civil_to_nanos(y, mo, d, h, mi, sec, fnanos, off.unwrap_or(0))?;
    Some(Stamp::new(nanos, prec, off))
}

/// RFC 2822 as Twilio's API writes it: `Thu, 30 Jul 2015 20:12:31 +0000`
/// (the weekday is optional; `GMT`/`UT` and `-0000` accepted).
pub fn parse_rfc2822(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let s = match s.split_once(',') {
        Some((_, rest)) => rest.trim(),
        None => s,
    };
    let mut it = s.split_whitespace();
    let d = digits(it.next()?)?;
    let mo = month_from_abbrev(it.next()?)?;
    let y = digits(it.next()?)? as i32;
    let hms = it.next()?;
    let zone = it.next().unwrap_or("+0000");
    let mut t = hms.split(':');
    let h = digits(t.next()?)?;
    let mi = digits(t.next()?)?;
    let sec = t.next().map(digits).unwrap_or(Some(0))?;
    let off = offset(zone)?;
    let nanos = civil_to_nanos(y, mo, d, h, mi, sec, 0, off)?;
    Some(Stamp::new(nanos, Precision::Seconds, Some(off)))
}

/// Twilio CLI tsv/columns dates: `Aug 24 2023 05:01:45 GMT+0000`
/// (optionally with a leading weekday).
pub fn parse_cli_date(s: &str) -> Option<Stamp> {
    let mut it = s.split_whitespace().peekable();
    if let Some(first) = it.peek() {
        if first.len() == 3 && month_from_abbrev(first).is_none() {
            it.next();
        }
    }
    let mo = month_from_abbrev(it.next()?)?;
    let d = digits(it.next()?)?;
    let y = digits(it.next()?)? as i32;
    let hms = it.next()?;
    let zone = it.next()?;
    let mut t = hms.split(':');
    let h = digits(t.next()?)?;
    let mi = digits(t.next()?)?;
    let sec = digits(t.next()?)?;
    let off = offset(zone)?;
    let nanos = civil_to_nanos(y, mo, d, h, mi, sec, 0, off)?;
    Some(Stamp::new(nanos, Precision::Seconds, Some(off)))
}

/// An epoch number written as text (`1700000000`, `1700000000.123`,
/// `1700000000123`, ns strings): the unit is chosen by magnitude
/// (>1e17 ns, >1e14 µs, >1e11 ms, else s).
pub fn parse_epoch_str(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (int, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || int.len() > 19 {
        return None;
    }
    let n: i64 = int.parse().ok()?;
    let (unit_nanos, unit_prec) = epoch_unit(n);
    let mut nanos = n.checked_mul(unit_nanos)?;
    let mut prec = unit_prec;
    if let Some(f) = frac {
        if !f.is_empty() {
            let (fnanos, fprec) = fraction(f)?;
            // a fraction of the unit, scaled
            nanos = nanos.checked_add((i64::from(fnanos) * unit_nanos) / 1_000_000_000)?;
            prec = finer(unit_prec, unit_nanos, fprec);
        }
    }
    Some(Stamp::new(nanos, prec, Some(0)))
}

fn epoch_unit(n: i64) -> (i64, Precision) {
    let a = n.unsigned_abs();
    if a > 100_000_000_000_000_000 {
        (1, Precision::Nanos)
    } else if a > 100_000_000_000_000 {
        (1_000, Precision::Micros)
    } else if a > 100_000_000_000 {
        (1_000_000, Precision::Millis)
    } else {
        (1_000_000_000, Precision::Seconds)
    }
}

fn finer(unit: Precision, unit_nanos: i64, frac: Precision) -> Precision {
    // A fraction of a second-unit is as precise as its digits; of a ms-unit,
    // three digits more, and so on.
    let extra = match frac {
        Precision::Seconds => 0,
        Precision::Millis => 3,
        Precision::Micros => 6,
        Precision::Nanos => 9,
    };
    let base = match unit_nanos {
        1_000_000_000 => 0,
        1_000_000 => 3,
        1_000 => 6,
        _ => 9,
    };
    match base + extra {
        0 => unit,
        1..=3 => Precision::Millis,
        4..=6 => Precision::Micros,
        _ => Precision::Nanos,
    }
}

/// An epoch number from JSON: a float counts as seconds (zap, Caddy,
/// structlog) unless it is too large, an integer is classified by magnitude.
pub fn parse_epoch_f64(v: f64) -> Option<Stamp> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    // Display gives the shortest text that reads back to the same float, so
    // `1700000000.25` stays exact instead of picking up binary noise.
    let mut st = parse_epoch_str(&format!("{v}"))?;
    if st.precision == Precision::Nanos && v < 1e11 {
        // A float of seconds carries no more than microseconds of meaning.
        st.precision = Precision::Micros;
    }
    Some(st)
}

/// Try every text notation: RFC 3339/ISO, CLF, RFC 2822, CLI, epoch.
pub fn parse_any(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let first = s.as_bytes().first()?;
    if first.is_ascii_digit() {
        if let Some(t) = parse_iso8601(s) {
            return Some(t);
        }
        if let Some(t) = parse_clf(s) {
            return Some(t);
        }
        if let Some(t) = parse_rfc2822(s) {
            return Some(t);
        }
        return parse_epoch_str(s);
    }
    if *first == b'[' {
        return parse_clf(s);
    }
    parse_rfc2822(s).or_else(|| parse_cli_date(s))
}

/// Dates as spreadsheets re-save them: `11/20/2026 14:03:07`,
/// `11/20/2026 2:03:07 PM`, `11/20/2026 14:03`, `11/20/26 14:03`,
/// `20/11/2026 14:03` (day first when the first number exceeds 12),
/// `20.11.2026 14:03:07`, `2026/11/20 14:03:07`, `2026-11-20 14:03`; an
/// optional fraction and zone (`Z`, `+01:00`, `GMT`, `UTC`). Slashed dates
/// are read month first unless that is impossible. Without a zone the time
/// is read as UTC and reported as `offset_minutes: None`.
pub fn parse_sheet_datetime(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let (date, rest) = match s.split_once([' ', 'T']) {
        Some((d, r)) => (d, r.trim()),
        None => (s, ""),
    };
    let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut parts = date.split(sep);
    let a = parts.next()?;
    let b = parts.next()?;
    let c = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year = |t: &str| -> Option<i32> {
        let v = digits(t)? as i32;
        match t.len() {
            4 => Some(v),
            2 => Some(2000 + v),
            _ => None,
        }
    };
    let (y, mo, d) = if a.len() == 4 {
        (year(a)?, digits(b)?, digits(c)?)
    } else {
        let (x, z) = (digits(a)?, digits(b)?);
        let day_first = sep != '/' || x > 12;
        if day_first {
            (year(c)?, z, x)
        } else {
            (year(c)?, x, z)
        }
    };
    let mut words = rest.split_whitespace();
    let (mut h, mut mi, mut sec, mut fnanos, mut prec) = (0, 0, 0, 0, Precision::Seconds);
    let mut off = None;
    if let Some(hms) = words.next() {
        let (hms, zone_glued) = match hms.find(['Z', 'z', '+', '-']) {
            Some(i) => (hms.get(..i)?, Some(hms.get(i..)?)),
            None => (hms, None),
        };
        let (hms, frac) = match hms.split_once(['.', ',']) {
            Some((x, f)) => (x, Some(f)),
            None => (hms, None),
        };
        let mut t = hms.split(':');
        h = digits(t.next()?)?;
        mi = digits(t.next()?)?;
        sec = match t.next() {
            Some(x) => digits(x)?,
            None => 0,
        };
        if t.next().is_some() {
            return None;
        }
        if let Some(f) = frac {
            (fnanos, prec) = fraction(f)?;
        }
        if let Some(z) = zone_glued {
            off = Some(offset(z)?);
        }
        for w in words {
            match w.to_ascii_uppercase().as_str() {
                "AM" | "A.M." if (1..=12).contains(&h) => h %= 12,
                "PM" | "P.M." if (1..=12).contains(&h) => h = h % 12 + 12,
                _ if off.is_none() => off = Some(offset(w)?),
                _ => return None,
            }
        }
    }
    let nanos = civil_to_nanos(y, mo, d, h, mi, sec, fnanos, off.unwrap_or(0))?;
    Some(Stamp::new(nanos, prec, off))
}

/// RFC 3339 in UTC with the digits the precision has.
pub fn format_rfc3339(nanos: UnixNanos, precision: Precision) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    let dt: DateTime<Utc> = match Utc.timestamp_opt(secs, sub).single() {
        Some(d) => d,
        None => return format!("@{nanos}ns"),
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S");
    match precision {
        Precision::Seconds => format!("{base}Z"),
        Precision::Millis => format!("{base}.{:03}Z", sub / 1_000_000),
        Precision::Micros => format!("{base}.{:06}Z", sub / 1_000),
        Precision::Nanos => format!("{base}.{sub:09}Z"),
    }
}

/// A time given on the command line (`--since`/`--until`): RFC 3339, a date
/// (`2026-11-20`, midnight UTC), a date and time without zone (UTC), or an
/// epoch number.
pub fn parse_user_time(s: &str) -> Result<Stamp, String> {
    parse_iso8601(s)
        .or_else(|| parse_epoch_str(s))
        .or_else(|| parse_rfc2822(s))
        .ok_or_else(|| {
            format!("cannot read {s:?} as a time: use RFC 3339 (2026-11-20T14:00:00Z), a date (2026-11-20) or epoch seconds")
        })
}

/// A duration on the command line: `90s`, `10m`, `1h30m`, `500ms`, `2d`, or
/// bare seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let err = || format!("cannot read {s:?} as a duration: use e.g. 90s, 10m, 1h30m, 500ms");
    let s = s.trim();
    if s.is_empty() {
        return Err(err());
    }
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok((secs * 1e9) as i64);
        }
        return Err(err());
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if end == 0 {
            return Err(err());
        }
        let n: f64 = rest[..end].parse().map_err(|_| err())?;
        let after = &rest[end..];
        let uend = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..uend];
        let mult: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" | "sec" | "secs" => 1e9,
            "m" | "min" | "mins" => 60e9,
            "h" | "hr" | "hour" | "hours" => 3600e9,
            "d" | "day" | "days" => 86400e9,
            _ => return Err(err()),
        };
        total = total.checked_add((n * mult) as i64).ok_or_else(err)?;
        rest = &after[uend..];
    }
    Ok(total)
}

/// A duration in nanoseconds, for people: `10.0 s`, `850 ms`, `4 min 30 s`.
pub fn human_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let a = nanos.unsigned_abs();
    let s = if a < 1_000_000 {
        format!("{:.2} ms", a as f64 / 1e6)
    } else if a < 1_000_000_000 {
        format!("{} ms", a / 1_000_000)
    } else if a < 60_000_000_000 {
        format!("{:.1} s", a as f64 / 1e9)
    } else if a < 3_600_000_000_000 {
        let secs = a / 1_000_000_000;
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        let mins = a / 60_000_000_000;
        format!("{} h {} min", mins / 60, mins % 60)
    };
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(s: Option<Stamp>) -> String {
        let s = s.expect("parsed");
        format_rfc3339(s.nanos, s.precision)
    }

    #[test]
    fn clf_with_offsets() {
        assert_eq!(
            rfc(parse_clf("10/Oct/2000:13:55:36 -0700")),
            "2000-10-10T20:55:36Z"
        );
        assert_eq!(
            rfc(parse_clf("[17/May/2015:08:05:32 +0530]")),
            "2015-05-17T02:35:32Z"
        );
        assert_eq!(
            rfc(parse_clf("01/Jan/2027:00:10:00 +0345")),
            "2026-12-31T20:25:00Z"
        );
        assert_eq!(
            parse_clf("10/Oct/2000:13:55:36 -0700")
                .unwrap()
                .offset_minutes,
            Some(-420)
        );
        assert!(parse_clf("10/Foo/2000:13:55:36 -0700").is_none());
        assert!(parse_clf("garbage").is_none());
    }

    #[test]
    fn leap_second_sorts_inside_its_minute() {
        let a = parse_clf("31/Dec/2016:23:59:59 +0000").unwrap();
        let b = parse_clf("31/Dec/2016:23:59:60 +0000").unwrap();
        let c = parse_clf("01/Jan/2017:00:00:00 +0000").unwrap();
        assert!(a < b && b.nanos < c.nanos);
    }

    #[test]
    fn iso_variants() {
        assert_eq!(
            rfc(parse_iso8601("2026-11-20T14:03:07.120Z")),
            "2026-11-20T14:03:07.120Z"
        );
        assert_eq!(
            rfc(parse_iso8601("2026-11-20T14:03:07.123456789+02:00")),
            "2026-11-20T12:03:07.123456789Z"
        );
        assert_eq!(
            rfc(parse_iso8601("2026-11-20 14:03:07,120")),
            "2026-11-20T14:03:07.120Z"
        );
        assert_eq!(
            parse_iso8601("2026-11-20 14:03:07").unwrap().offset_minutes,
            None
        );
        assert_eq!(
            rfc(parse_iso8601("2026-11-20T14:03:07-0500")),
            "2026-11-20T19:03:07Z"
        );
        assert!(parse_iso8601("2026-13-20T14:03:07Z").is_none());
        assert!(parse_iso8601("2026-11-20T14:03:07Zjunk").is_none());
    }

    #[test]
    fn rfc2822_and_cli() {
        assert_eq!(
            rfc(parse_rfc2822("Thu, 30 Jul 2015 20:12:31 +0000")),
            "2015-07-30T20:12:31Z"
        );
        assert_eq!(
            rfc(parse_cli_date("Aug 24 2023 05:01:45 GMT-0700")),
            "2023-08-24T12:01:45Z"
        );
    }

    #[test]
    fn epochs_by_magnitude() {
        assert_eq!(rfc(parse_epoch_str("1700000000")), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc(parse_epoch_str("1700000000123")),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            rfc(parse_epoch_str("1700000000123456")),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            rfc(parse_epoch_str("1700000000123456789")),
            "2023-11-14T22:13:20.123456789Z"
        );
        assert_eq!(
            rfc(parse_epoch_str("1700000000.5")),
            "2023-11-14T22:13:20.500Z"
        );
        assert_eq!(
            parse_epoch_f64(1700000000.25).unwrap().nanos,
            1_700_000_000_250_000_000
        );
        assert!(parse_epoch_str("-").is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_duration("2").unwrap(), 2_000_000_000);
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("10x").is_err());
    }
    #[test]
    fn spreadsheet_resaves() {
        let want = "2026-11-20T14:03:07Z";
        for t in [
            "11/20/2026 14:03:07",
            "11/20/2026 2:03:07 PM",
            "11/20/2026 02:03:07 pm",
            "20/11/2026 14:03:07",
            "20.11.2026 14:03:07",
            "2026/11/20 14:03:07",
            "11/20/26 14:03:07",
            "11/20/2026 15:03:07 +01:00",
            "11/20/2026 14:03:07 GMT",
        ] {
            assert_eq!(rfc(parse_sheet_datetime(t)), want, "{t}");
        }
        assert_eq!(
            rfc(parse_sheet_datetime("11/20/2026 14:03")),
            "2026-11-20T14:03:00Z"
        );
        assert_eq!(
            rfc(parse_sheet_datetime("2026-11-20 14:03")),
            "2026-11-20T14:03:00Z"
        );
        assert_eq!(
            rfc(parse_sheet_datetime("11/20/2026 12:00:00 AM")),
            "2026-11-20T00:00:00Z"
        );
        assert_eq!(
            rfc(parse_sheet_datetime("11/20/2026 12:30:00 PM")),
            "2026-11-20T12:30:00Z"
        );
        assert_eq!(
            rfc(parse_sheet_datetime("11/20/2026 14:03:07.250")),
            "2026-11-20T14:03:07.250Z"
        );
        assert_eq!(
            parse_sheet_datetime("11/20/2026 14:03")
                .unwrap()
                .offset_minutes,
            None
        );
        assert_eq!(
            parse_sheet_datetime("11/20/2026 14:03:07Z")
                .unwrap()
                .offset_minutes,
            Some(0)
        );
        assert!(parse_sheet_datetime("13/13/2026 14:03").is_none());
        assert!(parse_sheet_datetime("11/20/2026 14:03 XM").is_none());
        assert!(parse_sheet_datetime("11/20/2026 13:03 PM").is_none());
        assert!(parse_sheet_datetime("hello").is_none());
        assert!(parse_sheet_datetime("").is_none());
    }
}
