//! Apache `%{format}t`: a strftime subset plus `sec msec usec msec_frac
//! usec_frac`, with `begin:`/`end:` prefixes. Several `%{…}t` fields of one
//! template add their parts to one [`TimeParts`].

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::model::{Precision, Stamp, TimeAnchor};

/// A compiled `%{…}t` argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StrfSpec {
    body: Body,
    end: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Body {
    Pattern(Vec<Item>),
    /// Epoch in seconds (1), ms (1000) or µs (1_000_000) per unit.
    Epoch(i64),
    /// A fraction of the second with this many digits.
    Frac(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Lit(char),
    Conv(char),
}

/// Date and time parts gathered from one line's time fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimeParts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    minute: Option<u32>,
    second: Option<u32>,
    offset: Option<i32>,
    epoch: Option<Stamp>,
    frac: Option<(u32, Precision)>,
    pm: Option<bool>,
}

const CONVS: &str = "YymdeHMSzZbhBaAjTFDRpIs%n";

impl StrfSpec {
    /// Compile the text between `%{` and `}t`.
    pub fn compile(arg: &str) -> Result<StrfSpec, String> {
        let (end, body) = if let Some(b) = arg.strip_prefix("end:") {
            (true, b)
        } else {
            (false, arg.strip_prefix("begin:").unwrap_or(arg))
        };
        let body = match body {
            "sec" => Body::Epoch(1),
            "msec" => Body::Epoch(1_000),
            "usec" => Body::Epoch(1_000_000),
            "msec_frac" => Body::Frac(3),
            "usec_frac" => Body::Frac(6),
            _ => {
                let mut items = Vec::new();
                let mut chars = body.chars();
                while let Some(c) = chars.next() {
                    if c == '%' {
                        match chars.next() {
                            Some('%') => items.push(Item::Lit('%')),
                            Some(k) if CONVS.contains(k) => items.push(Item::Conv(k)),
                            Some(k) => return Err(format!("unsupported time conversion %{k}")),
                            None => return Err("time format ends with %".to_string()),
                        }
                    } else {
                        items.push(Item::Lit(c));
                    }
                }
                Body::Pattern(items)
            }
        };
        Ok(StrfSpec { body, end })
    }

    /// Which moment the value marks.
    pub fn anchor(&self) -> TimeAnchor {
        if self.end {
            TimeAnchor::RequestEnd
        } else {
            TimeAnchor::RequestStart
        }
    }

    /// Spaces the formatted value contains.
    pub fn spaces(&self) -> usize {
        match &self.body {
            Body::Pattern(items) => items
                .iter()
                .map(|i| match i {
                    Item::Lit(' ') => 1,
                    _ => 0,
                })
                .sum(),
            _ => 0,
        }
    }

    /// Read `v` into `parts`; false when it does not fit the pattern.
    pub fn parse_into(&self, v: &str, parts: &mut TimeParts) -> bool {
        match &self.body {
            Body::Epoch(per_sec) => {
                let Ok(n) = v.parse::<i64>() else {
                    return false;
                };
                let (nanos, prec) = match per_sec {
                    1 => (n.checked_mul(1_000_000_000), Precision::Seconds),
                    1_000 => (n.checked_mul(1_000_000), Precision::Millis),
                    _ => (n.checked_mul(1_000), Precision::Micros),
                };
                let Some(nanos) = nanos else { return false };
                parts.epoch = Some(Stamp::new(nanos, prec, Some(0)));
                true
            }
            Body::Frac(digits) => {
                if v.len() != *digits || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                let Ok(n) = v.parse::<u32>() else {
                    return false;
                };
                let scale = if *digits == 3 { 1_000_000 } else { 1_000 };
                parts.frac = Some((n * scale, Precision::from_fraction_digits(*digits)));
                true
            }
            Body::Pattern(items) => {
                parse_pattern(items, v, parts).is_some_and(|rest| rest.is_empty())
            }
        }
    }
}

fn take_num(s: &str, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    Some((s.get(..n)?.parse().ok()?, s.get(n..)?))
}

fn take_alpha(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    if n == 0 {
        return None;
    }
    Some((s.get(..n)?, s.get(n..)?))
}

fn month(name: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let l = name.get(..3)?.to_ascii_lowercase();
    M.iter().position(|m| *m == l).map(|i| i as u32 + 1)
}

fn parse_pattern<'a>(items: &[Item], mut s: &'a str, p: &mut TimeParts) -> Option<&'a str> {
    for item in items {
        match item {
            Item::Lit(c) => s = s.strip_prefix(*c)?,
            Item::Conv(k) => s = conv(*k, s, p)?,
        }
    }
    Some(s)
}

fn conv<'a>(k: char, s: &'a str, p: &mut TimeParts) -> Option<&'a str> {
    let sub = |pat: &str, s: &'a str, p: &mut TimeParts| -> Option<&'a str> {
        let spec = StrfSpec::compile(pat).ok()?;
        match spec.body {
            Body::Pattern(items) => parse_pattern(&items, s, p),
            _ => None,
        }
    };
    Some(match k {
        'Y' => {
            let (v, r) = take_num(s, 4)?;
            p.year = Some(v as i32);
            r
        }
        'y' => {
            let (v, r) = take_num(s, 2)?;
            p.year = Some(if v < 69 {
                2000 + v as i32
            } else {
                1900 + v as i32
            });
            r
        }
        'm' => {
            let (v, r) = take_num(s, 2)?;
            p.month = Some(v);
            r
        }
        'd' | 'e' => {
            let (v, r) = take_num(s.trim_start_matches(' '), 2)?;
            p.day = Some(v);
            r
        }
        'H' | 'I' => {
            let (v, r) = take_num(s, 2)?;
            p.hour = Some(v);
            r
        }
        'M' => {
            let (v, r) = take_num(s, 2)?;
            p.minute = Some(v);
            r
        }
        'S' => {
            let (v, r) = take_num(s, 2)?;
            p.second = Some(v);
            r
        }
        'j' => take_num(s, 3)?.1,
        's' => {
            let n = s.bytes().take_while(u8::is_ascii_digit).count();
            let v: i64 = s.get(..n)?.parse().ok()?;
            p.epoch = Some(Stamp::new(
                v.checked_mul(1_000_000_000)?,
                Precision::Seconds,
                Some(0),
            ));
            s.get(n..)?
        }
        'z' => {
            let sign = match s.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let body = s.get(1..)?;
            let (hh, r) = take_num(body, 2)?;
            let r = r.strip_prefix(':').unwrap_or(r);
            let (mm, r) = take_num(r, 2)?;
            if hh > 23 || mm > 59 {
                return None;
            }
            p.offset = Some(sign * (hh as i32 * 60 + mm as i32));
            r
        }
        'Z' | 'a' | 'A' => take_alpha(s)?.1,
        'b' | 'h' | 'B' => {
            let (name, r) = take_alpha(s)?;
            p.month = Some(month(name)?);
            r
        }
        'p' => {
            let (name, r) = take_alpha(s)?;
            p.pm = Some(match name.to_ascii_uppercase().as_str() {
                "AM" => false,
                "PM" => true,
                _ => return None,
            });
            r
        }
        'T' => sub("%H:%M:%S", s, p)?,
        'F' => sub("%Y-%m-%d", s, p)?,
        'D' => sub("%m/%d/%y", s, p)?,
        'R' => sub("%H:%M", s, p)?,
        'n' => s.strip_prefix('\n')?,
        '%' => s.strip_prefix('%')?,
        _ => return None,
    })
}

impl TimeParts {
    /// The instant, when enough parts are known.
    pub fn stamp(&self) -> Option<Stamp> {
        let (frac_nanos, frac_prec) = self.frac.unwrap_or((0, Precision::Seconds));
        if let Some(e) = self.epoch {
            if self.frac.is_some() && e.precision == Precision::Seconds {
                return Some(Stamp::new(
                    e.nanos + i64::from(frac_nanos),
                    frac_prec,
                    Some(0),
                ));
            }
            return Some(e);
        }
        let mut hour = self.hour?;
        match self.pm {
            Some(true) if hour < 12 => hour += 12,
            Some(false) if hour == 12 => hour = 0,
            _ => {}
        }
        let date = NaiveDate::from_ymd_opt(self.year?, self.month?, self.day?)?;
        let time = NaiveTime::from_hms_nano_opt(
            hour,
            self.minute.unwrap_or(0),
            self.second.unwrap_or(0).min(59),
            frac_nanos,
        )?;
        let naive = NaiveDateTime::new(date, time).and_utc();
        let secs = naive.timestamp() - i64::from(self.offset.unwrap_or(0)) * 60;
        let nanos = secs
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(frac_nanos))?;
        Some(Stamp::new(nanos, frac_prec, self.offset))
    }
}
