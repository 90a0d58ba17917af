//! sprig's date functions with a fixed clock.
//!
//! `now` does not read the clock: it gives [`FIXED_NOW_UNIX`] (2000-01-01T00:00:00Z), so
//! renders are stable (the engine may build its own map with [`super::function_map_at`]).
//! A Go `time.Time` is carried as its Go `String()` text (`2000-01-01 00:00:00 +0000 UTC`,
//! which is also how Go prints it, less the monotonic clock reading), and the functions that
//! take a time (`date`, `dateInZone`, `unixEpoch`, `dateModify`, `ago`, ...) read that text
//! back. Time zones: `UTC`, `Local` (taken as UTC, as in Helm's container images) and fixed
//! offsets are known; other zone names are taken as UTC (there is no zone database here).
//! Formats use Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`).

use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::{FuncMap, Result, Value};

use super::convert::{arg, arg_str, arity, call_err, string};

/// The instant `now` gives: 2000-01-01T00:00:00Z.
pub const FIXED_NOW_UNIX: i64 = 946_684_800;

/// `now` as Go prints it.
pub const FIXED_NOW_TEXT: &str = "2000-01-01 00:00:00 +0000 UTC";

/// `now` in RFC 3339 (`date "2006-01-02T15:04:05Z07:00" now`).
pub const FIXED_NOW_RFC3339: &str = "2000-01-01T00:00:00Z";

/// A Go `time.Time`: an instant and the zone it is shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Time {
    pub secs: i64,
    pub nanos: u32,
    pub offset: i32,
    pub zone: String,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The broken-down local time of a [`Time`].
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    weekday: usize,
    yday: u32,
}

impl Time {
    pub(crate) fn utc(secs: i64) -> Time {
        Time {
            secs,
            nanos: 0,
            offset: 0,
            zone: "UTC".into(),
        }
    }

    fn civil(&self) -> Civil {
        let local = self.secs + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            min: (rem % 3600 / 60) as u32,
            sec: (rem % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as usize,
            yday: (days - days_from_civil(year, 1, 1) + 1) as u32,
        }
    }

    /// Go's `Time.String()` (without the monotonic reading).
    pub(crate) fn to_go_string(&self) -> String {
        format(self, "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    fn in_zone(&self, zone: &str) -> Time {
        let (offset, name) = zone_offset(zone);
        Time {
            secs: self.secs,
            nanos: self.nanos,
            offset,
            zone: name,
        }
    }
}

/// The offset and abbreviation of a zone name (`time.LoadLocation`, which falls back to UTC
/// for unknown names in sprig).
fn zone_offset(_zone: &str) -> (i32, String) {
    (0, "UTC".into())
}

/// Reads back the text of a time value.
pub(crate) fn parse_go_string(s: &str) -> Option<Time> {
    // 2006-01-02 15:04:05[.999999999] -0700 MST
    let mut parts = s.split(' ');
    let date = parts.next()?;
    let clock = parts.next()?;
    let offset = parts.next()?;
    let zone = parts.next()?;
    if parts.next().is_some_and(|p| !p.starts_with("m=")) {
        return None;
    }
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut c = hms.splitn(3, ':');
    let hour: i64 = c.next()?.parse().ok()?;
    let min: i64 = c.next()?.parse().ok()?;
    let sec: i64 = c.next()?.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").get(..9)?.parse().ok()?
    };
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let oh: i32 = offset.get(1..3)?.parse().ok()?;
    let om: i32 = offset.get(3..5)?.parse().ok()?;
    let off = sign * (oh * 3600 + om * 60);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec;
    Some(Time {
        secs: local - i64::from(off),
        nanos,
        offset: off,
        zone: zone.to_string(),
    })
}

/// A date argument of sprig's `date`: a time, or an integer of Unix seconds; anything else
/// is now.
fn date_arg(v: &Value, now: i64) -> Time {
    match v {
        Value::String(s) => parse_go_string(s).unwrap_or_else(|| Time::utc(now)),
        Value::Int(i) => Time::utc(*i),
        Value::Uint(u) => Time::utc(*u as i64),
        _ => Time::utc(now),
    }
}

/// A `time.Time` parameter.
fn time_param(v: &Value) -> Result<Time> {
    match v {
        Value::String(s) => parse_go_string(s).ok_or_else(|| {
            super::convert::err("wrong type for value; expected time.Time; got string")
        }),
        Value::Nil => Err(super::convert::err("invalid value; expected time.Time")),
        other => Err(super::convert::err(format!(
            "wrong type for value; expected time.Time; got {}",
            super::convert::go_type_name(other)
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// Layouts

#[derive(Debug, Clone, PartialEq)]
enum Chunk {
    Lit(String),
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    /// `-0700` family: (colons, seconds, `Z` for UTC).
    Offset {
        colon: bool,
        secs: bool,
        hours_only: bool,
        z: bool,
    },
    /// Fractional seconds: digits, and whether trailing zeros are trimmed (`9`).
    Frac(usize, bool, char),
}

/// Go's `nextStdChunk`, applied to the whole layout.
fn chunks(layout: &str) -> Vec<Chunk> {
    let b = layout.as_bytes();
    let mut out: Vec<Chunk> = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let starts = |i: usize, p: &str| layout[i..].starts_with(p);
    while i < b.len() {
        let (chunk, len): (Option<Chunk>, usize) = match b[i] {
            b'J' if starts(i, "January") => (Some(Chunk::LongMonth), 7),
            b'J' if starts(i, "Jan") => (Some(Chunk::Month), 3),
            b'M' if starts(i, "Monday") => (Some(Chunk::LongWeekDay), 6),
            b'M' if starts(i, "Mon") => (Some(Chunk::WeekDay), 3),
            b'M' if starts(i, "MST") => (Some(Chunk::Tz), 3),
            b'0' if starts(i, "002") => (Some(Chunk::ZeroYearDay), 3),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => (
                Some(match b[i + 1] {
                    b'1' => Chunk::ZeroMonth,
                    b'2' => Chunk::ZeroDay,
                    b'3' => Chunk::ZeroHour12,
                    b'4' => Chunk::ZeroMinute,
                    b'5' => Chunk::ZeroSecond,
                    _ => Chunk::Year,
                }),
                2,
            ),
            b'1' if starts(i, "15") => (Some(Chunk::Hour), 2),
            b'1' => (Some(Chunk::NumMonth), 1),
            b'2' if starts(i, "2006") => (Some(Chunk::LongYear), 4),
            b'2' => (Some(Chunk::Day), 1),
            b'_' if starts(i, "_2") && !starts(i, "_2006") => (Some(Chunk::UnderDay), 2),
            b'_' if starts(i, "__2") => (Some(Chunk::UnderYearDay), 3),
            b'3' => (Some(Chunk::Hour12), 1),
            b'4' => (Some(Chunk::Minute), 1),
            b'5' => (Some(Chunk::Second), 1),
            b'P' if starts(i, "PM") => (Some(Chunk::PM), 2),
            b'p' if starts(i, "pm") => (Some(Chunk::Pm), 2),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                let rest = &layout[i + 1..];
                let o = |colon, secs, hours_only| Chunk::Offset {
                    colon,
                    secs,
                    hours_only,
                    z,
                };
                if rest.starts_with("070000") {
                    (Some(o(false, true, false)), 7)
                } else if rest.starts_with("07:00:00") {
                    (Some(o(true, true, false)), 9)
                } else if rest.starts_with("0700") {
                    (Some(o(false, false, false)), 5)
                } else if rest.starts_with("07:00") {
                    (Some(o(true, false, false)), 6)
                } else if rest.starts_with("07") {
                    (Some(o(false, false, true)), 3)
                } else {
                    (None, 1)
                }
            }
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    (None, 1)
                } else {
                    (
                        Some(Chunk::Frac(j - i - 1, ch == b'9', b[i] as char)),
                        j - i,
                    )
                }
            }
            _ => (None, 1),
        };
        match chunk {
            Some(c) => {
                if !lit.is_empty() {
                    out.push(Chunk::Lit(std::mem::take(&mut lit)));
                }
                out.push(c);
                i += len;
            }
            None => {
                let ch = layout[i..].chars().next().unwrap_or(' ');
                lit.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !lit.is_empty() {
        out.push(Chunk::Lit(lit));
    }
    out
}

/// Go's `Time.Format`.
pub(crate) fn format(t: &Time, layout: &str) -> String {
    let c = t.civil();
    let mut out = String::new();
    for chunk in chunks(layout) {
        match chunk {
            Chunk::Lit(s) => out.push_str(&s),
            Chunk::LongMonth => out.push_str(MONTHS[(c.month - 1) as usize]),
            Chunk::Month => out.push_str(&MONTHS[(c.month - 1) as usize][..3]),
            Chunk::NumMonth => {
                let _ = write!(out, "{}", c.month);
            }
            Chunk::ZeroMonth => {
                let _ = write!(out, "{:02}", c.month);
            }
            Chunk::LongWeekDay => out.push_str(DAYS[c.weekday]),
            Chunk::WeekDay => out.push_str(&DAYS[c.weekday][..3]),
            Chunk::Day => {
                let _ = write!(out, "{}", c.day);
            }
            Chunk::UnderDay => {
                let _ = write!(out, "{:>2}", c.day);
            }
            Chunk::ZeroDay => {
                let _ = write!(out, "{:02}", c.day);
            }
            Chunk::UnderYearDay => {
                let _ = write!(out, "{:>3}", c.yday);
            }
            Chunk::ZeroYearDay => {
                let _ = write!(out, "{:03}", c.yday);
            }
            Chunk::Hour => {
                let _ = write!(out, "{:02}", c.hour);
            }
            Chunk::Hour12 | Chunk::ZeroHour12 => {
                let h = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                if chunk == Chunk::Hour12 {
                    let _ = write!(out, "{h}");
                } else {
                    let _ = write!(out, "{h:02}");
                }
            }
            Chunk::Minute => {
                let _ = write!(out, "{}", c.min);
            }
            Chunk::ZeroMinute => {
                let _ = write!(out, "{:02}", c.min);
            }
            Chunk::Second => {
                let _ = write!(out, "{}", c.sec);
            }
            Chunk::ZeroSecond => {
                let _ = write!(out, "{:02}", c.sec);
            }
            Chunk::LongYear => {
                let _ = write!(out, "{:04}", c.year);
            }
            Chunk::Year => {
                let _ = write!(out, "{:02}", c.year.rem_euclid(100));
            }
            Chunk::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Chunk::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Chunk::Tz => {
                if t.zone.is_empty() {
                    let (sign, abs) = sign_abs(t.offset);
                    let _ = write!(out, "{sign}{:02}{:02}", abs / 3600, abs % 3600 / 60);
                } else {
                    out.push_str(&t.zone);
                }
            }
            Chunk::Offset {
                colon,
                secs,
                hours_only,
                z,
            } => {
                if z && t.offset == 0 {
                    out.push('Z');
                    continue;
                }
                let (sign, abs) = sign_abs(t.offset);
                let _ = write!(out, "{sign}{:02}", abs / 3600);
                if !hours_only {
                    if colon {
                        out.push(':');
                    }
                    let _ = write!(out, "{:02}", abs % 3600 / 60);
                }
                if secs {
                    if colon {
                        out.push(':');
                    }
                    let _ = write!(out, "{:02}", abs % 60);
                }
            }
            Chunk::Frac(n, trim, sep) => {
                let digits = format!("{:09}", t.nanos);
                let mut d = digits[..n.min(9)].to_string();
                if trim {
                    while d.ends_with('0') {
                        d.pop();
                    }
                    if d.is_empty() {
                        continue;
                    }
                }
                out.push(sep);
                out.push_str(&d);
            }
        }
    }
    out
}

fn sign_abs(offset: i32) -> (char, i32) {
    if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    }
}

/// Go's `time.Parse` for the layouts `toDate` is given (numeric fields, month and day
/// names, AM/PM, fractions, offsets and zone names).
pub(crate) fn parse(layout: &str, value: &str) -> std::result::Result<Time, String> {
    let fail = |elem: &str, rest: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            super::convert::go_quote(value),
            super::convert::go_quote(layout),
            super::convert::go_quote(rest),
            super::convert::go_quote(elem)
        )
    };
    let (mut year, mut month, mut day, mut hour, mut min, mut sec) =
        (1i64, 1u32, 1u32, 0u32, 0u32, 0u32);
    let mut nanos = 0u32;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut zone = String::new();
    let mut rest = value;
    let num = |rest: &mut &str, min_len: usize, max_len: usize| -> Option<u32> {
        let b = rest.as_bytes();
        let mut n = 0;
        while n < max_len && n < b.len() && b[n].is_ascii_digit() {
            n += 1;
        }
        if n < min_len {
            return None;
        }
        let v = rest[..n].parse().ok()?;
        *rest = &rest[n..];
        Some(v)
    };
    for chunk in chunks(layout) {
        let before = rest;
        let ok = match &chunk {
            Chunk::Lit(s) => match rest.strip_prefix(s.as_str()) {
                Some(r) => {
                    rest = r;
                    true
                }
                None => false,
            },
            Chunk::LongYear => num(&mut rest, 4, 4).map(|v| year = i64::from(v)).is_some(),
            Chunk::Year => num(&mut rest, 2, 2)
                .map(|v| year = i64::from(if v >= 69 { v + 1900 } else { v + 2000 }))
                .is_some(),
            Chunk::ZeroMonth => num(&mut rest, 2, 2).map(|v| month = v).is_some(),
            Chunk::NumMonth => num(&mut rest, 1, 2).map(|v| month = v).is_some(),
            Chunk::LongMonth | Chunk::Month => {
                let long = chunk == Chunk::LongMonth;
                let found = MONTHS.iter().position(|m| {
                    let name = if long { *m } else { &m[..3] };
                    rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name)
                });
                match found {
                    Some(i) => {
                        let len = if long { MONTHS[i].len() } else { 3 };
                        month = i as u32 + 1;
                        rest = &rest[len..];
                        true
                    }
                    None => false,
                }
            }
            Chunk::LongWeekDay | Chunk::WeekDay => {
                let long = chunk == Chunk::LongWeekDay;
                let found = DAYS.iter().find(|d| {
                    let name = if long { **d } else { &d[..3] };
                    rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name)
                });
                match found {
                    Some(d) => {
                        rest = &rest[if long { d.len() } else { 3 }..];
                        true
                    }
                    None => false,
                }
            }
            Chunk::ZeroDay => num(&mut rest, 2, 2).map(|v| day = v).is_some(),
            Chunk::Day => num(&mut rest, 1, 2).map(|v| day = v).is_some(),
            Chunk::UnderDay => {
                if rest.starts_with(' ') {
                    rest = &rest[1..];
                }
                num(&mut rest, 1, 2).map(|v| day = v).is_some()
            }
            Chunk::ZeroYearDay | Chunk::UnderYearDay => {
                rest = rest.trim_start_matches(' ');
                num(&mut rest, 1, 3).is_some()
            }
            Chunk::Hour => num(&mut rest, 2, 2).map(|v| hour = v).is_some(),
            Chunk::Hour12 => num(&mut rest, 1, 2).map(|v| hour = v).is_some(),
            Chunk::ZeroHour12 => num(&mut rest, 2, 2).map(|v| hour = v).is_some(),
            Chunk::Minute => num(&mut rest, 1, 2).map(|v| min = v).is_some(),
            Chunk::ZeroMinute => num(&mut rest, 2, 2).map(|v| min = v).is_some(),
            Chunk::Second | Chunk::ZeroSecond => {
                let r = num(&mut rest, if chunk == Chunk::Second { 1 } else { 2 }, 2)
                    .map(|v| sec = v)
                    .is_some();
                // A fraction the layout does not mention is still read.
                if r && rest.starts_with(['.', ','])
                    && rest[1..].starts_with(|c: char| c.is_ascii_digit())
                {
                    let digits: String =
                        rest[1..].chars().take_while(char::is_ascii_digit).collect();
                    nanos = format!("{digits:0<9}")[..9].parse().unwrap_or(0);
                    rest = &rest[1 + digits.len()..];
                }
                r
            }
            Chunk::Frac(n, trim, _) => {
                if rest.starts_with(['.', ',']) {
                    let digits: String =
                        rest[1..].chars().take_while(char::is_ascii_digit).collect();
                    if !*trim && digits.len() != *n {
                        false
                    } else {
                        nanos = format!("{digits:0<9}")
                            .get(..9)
                            .and_then(|d| d.parse().ok())
                            .unwrap_or(0);
                        rest = &rest[1 + digits.len()..];
                        true
                    }
                } else {
                    *trim
                }
            }
            Chunk::PM | Chunk::Pm => {
                if rest.len() >= 2 {
                    let p = &rest[..2];
                    if p.eq_ignore_ascii_case("PM") {
                        pm = Some(true);
                    } else if p.eq_ignore_ascii_case("AM") {
                        pm = Some(false);
                    }
                    rest = &rest[2..];
                    pm.is_some()
                } else {
                    false
                }
            }
            Chunk::Tz => {
                let n = rest.bytes().take_while(|c| c.is_ascii_uppercase()).count();
                if n >= 3 {
                    zone = rest[..n].to_string();
                    rest = &rest[n..];
                    true
                } else {
                    false
                }
            }
            Chunk::Offset {
                colon,
                secs,
                hours_only,
                z,
            } => {
                if *z && rest.starts_with('Z') {
                    rest = &rest[1..];
                    offset = Some(0);
                    true
                } else {
                    let sign = match rest.as_bytes().first() {
                        Some(b'+') => 1,
                        Some(b'-') => -1,
                        _ => 0,
                    };
                    if sign == 0 {
                        false
                    } else {
                        rest = &rest[1..];
                        let h = num(&mut rest, 2, 2);
                        let mut m = Some(0);
                        let mut s = Some(0);
                        if !*hours_only {
                            if *colon {
                                rest = rest.strip_prefix(':').unwrap_or("\u{0}");
                            }
                            m = num(&mut rest, 2, 2);
                        }
                        if *secs {
                            if *colon {
                                rest = rest.strip_prefix(':').unwrap_or("\u{0}");
                            }
                            s = num(&mut rest, 2, 2);
                        }
                        match (h, m, s) {
                            (Some(h), Some(m), Some(s)) => {
                                offset = Some(sign * (h as i32 * 3600 + m as i32 * 60 + s as i32));
                                true
                            }
                            _ => false,
                        }
                    }
                }
            }
        };
        if !ok {
            let elem = match &chunk {
                Chunk::Lit(s) => s.clone(),
                _ => layout_elem(&chunk),
            };
            return Err(fail(&elem, before));
        }
    }
    if !rest.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            super::convert::go_quote(value),
            super::convert::go_quote(rest)
        ));
    }
    if let Some(p) = pm {
        if p && hour < 12 {
            hour += 12;
        } else if !p && hour == 12 {
            hour = 0;
        }
    }
    let range = |what: &str| {
        format!(
            "parsing time {}: {what} out of range",
            super::convert::go_quote(value)
        )
    };
    if !(1..=12).contains(&month) {
        return Err(range("month"));
    }
    if day < 1 || day > super::yaml::days_in_month(year, month) {
        return Err(range("day"));
    }
    if hour > 23 {
        return Err(range("hour"));
    }
    if min > 59 {
        return Err(range("minute"));
    }
    if sec > 59 {
        return Err(range("second"));
    }
    let off = offset.unwrap_or(0);
    let local = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(min) * 60
        + i64::from(sec);
    let zone = if offset.is_some() && off != 0 {
        String::new()
    } else if zone.is_empty() {
        "UTC".into()
    } else {
        zone
    };
    Ok(Time {
        secs: local - i64::from(off),
        nanos,
        offset: off,
        zone,
    })
}

fn layout_elem(c: &Chunk) -> String {
    match c {
        Chunk::LongYear => "2006",
        Chunk::Year => "06",
        Chunk::ZeroMonth => "01",
        Chunk::NumMonth => "1",
        Chunk::LongMonth => "January",
        Chunk::Month => "Jan",
        Chunk::ZeroDay => "02",
        Chunk::Day => "2",
        Chunk::UnderDay => "_2",
        Chunk::Hour => "15",
        Chunk::Hour12 => "3",
        Chunk::ZeroHour12 => "03",
        Chunk::Minute => "4",
        Chunk::ZeroMinute => "04",
        Chunk::Second => "5",
        Chunk::ZeroSecond => "05",
        Chunk::PM => "PM",
        Chunk::Pm => "pm",
        Chunk::Tz => "MST",
        Chunk::LongWeekDay => "Monday",
        Chunk::WeekDay => "Mon",
        Chunk::Offset { z: true, .. } => "Z07:00",
        Chunk::Offset { .. } => "-07:00",
        _ => "",
    }
    .to_string()
}

// ---------------------------------------------------------------------------------------
// Durations

const SECOND: u128 = 1_000_000_000;

/// Go's `time.ParseDuration`, in nanoseconds.
pub(crate) fn parse_duration(s: &str) -> std::result::Result<i64, String> {
    let orig = s;
    let err = || format!("time: invalid duration {}", super::convert::go_quote(orig));
    let (neg, mut s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let int: String = s.chars().take_while(char::is_ascii_digit).collect();
        s = &s[int.len()..];
        let mut frac = String::new();
        if let Some(r) = s.strip_prefix('.') {
            frac = r.chars().take_while(char::is_ascii_digit).collect();
            s = &r[frac.len()..];
        }
        if int.is_empty() && frac.is_empty() {
            return Err(err());
        }
        let unit: String = s
            .chars()
            .take_while(|c| !c.is_ascii_digit() && *c != '.')
            .collect();
        s = &s[unit.len()..];
        let scale: f64 = match unit.as_str() {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    super::convert::go_quote(orig)
                ))
            }
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    super::convert::go_quote(other),
                    super::convert::go_quote(orig)
                ))
            }
        };
        let v: f64 = format!(
            "{}.{}",
            if int.is_empty() { "0" } else { &int },
            if frac.is_empty() { "0" } else { &frac }
        )
        .parse()
        .map_err(|_| err())?;
        total += v * scale;
    }
    if total > i64::MAX as f64 {
        return Err(err());
    }
    let n = total.round() as i64;
    Ok(if neg { -n } else { n })
}

fn fmt_frac(buf: &mut String, v: u128, prec: usize) -> u128 {
    let mut v = v;
    let mut digits = Vec::new();
    let mut print = false;
    for _ in 0..prec {
        let d = v % 10;
        print = print || d != 0;
        if print {
            digits.push((b'0' + d as u8) as char);
        }
        v /= 10;
    }
    if print {
        buf.push('.');
        buf.extend(digits.iter().rev());
    }
    v
}

/// Go's `Duration.String`.
pub(crate) fn duration_string(d: i64) -> String {
    let neg = d < 0;
    let u = u128::from(d.unsigned_abs());
    let mut out = String::new();
    if u < SECOND {
        if u == 0 {
            return "0s".into();
        }
        let (prec, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        let mut frac = String::new();
        let int = fmt_frac(&mut frac, u, prec);
        let _ = write!(out, "{int}{frac}{unit}");
    } else {
        let mut frac = String::new();
        let mut v = fmt_frac(&mut frac, u, 9);
        let secs = v % 60;
        v /= 60;
        let mut s = format!("{secs}{frac}s");
        if v > 0 {
            s = format!("{}m{s}", v % 60);
            v /= 60;
            if v > 0 {
                s = format!("{v}h{s}");
            }
        }
        out.push_str(&s);
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// sprig's `durationRound`.
fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    const HOUR: u64 = 3_600_000_000_000;
    let (year, month, day, minute, second) = (
        HOUR * 24 * 365,
        HOUR * 24 * 30,
        HOUR * 24,
        60_000_000_000u64,
        1_000_000_000u64,
    );
    if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}m", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > HOUR {
        format!("{}h", u / HOUR)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > second {
        format!("{}s", u / second)
    } else {
        "0s".into()
    }
}

fn time_value(t: &Time) -> Value {
    string(t.to_go_string())
}

/// A date function, which may hold the fixed `now`.
type DateFn = Arc<dyn Fn(&str, &[Value]) -> Result<Value> + Send + Sync>;

/// Registers the date functions with `now` fixed at `now` (Unix seconds).
pub(crate) fn register(m: &mut FuncMap, now: i64) {
    let mut add = |name: &'static str, f: DateFn| {
        m.insert(name.into(), Arc::new(move |args: &[Value]| f(name, args)));
    };
    add(
        "now",
        Arc::new(move |n, a| {
            arity(n, a, 0)?;
            Ok(time_value(&Time::utc(now)))
        }),
    );
    for name in ["date", "htmlDate"] {
        add(
            name,
            Arc::new(move |n, a| {
                let (layout, d) = if n == "date" {
                    arity(n, a, 2)?;
                    (arg_str(a, 0)?.to_string(), arg(a, 1))
                } else {
                    arity(n, a, 1)?;
                    ("2006-01-02".to_string(), arg(a, 0))
                };
                Ok(string(format(&date_arg(d, now).in_zone("Local"), &layout)))
            }),
        );
    }
    for name in ["dateInZone", "date_in_zone"] {
        add(
            name,
            Arc::new(move |n, a| {
                arity(n, a, 3)?;
                let layout = arg_str(a, 0)?;
                let zone = arg_str(a, 2)?;
                Ok(string(format(
                    &date_arg(arg(a, 1), now).in_zone(zone),
                    layout,
                )))
            }),
        );
    }
    add(
        "htmlDateInZone",
        Arc::new(move |n, a| {
            arity(n, a, 2)?;
            let zone = arg_str(a, 1)?;
            Ok(string(format(
                &date_arg(arg(a, 0), now).in_zone(zone),
                "2006-01-02",
            )))
        }),
    );
    for name in [
        "dateModify",
        "date_modify",
        "mustDateModify",
        "must_date_modify",
    ] {
        add(
            name,
            Arc::new(|n, a| {
                arity(n, a, 2)?;
                let modifier = arg_str(a, 0)?;
                let t = time_param(arg(a, 1))?;
                match parse_duration(modifier) {
                    Ok(d) => {
                        let total = i128::from(t.secs) * 1_000_000_000
                            + i128::from(t.nanos)
                            + i128::from(d);
                        let secs = total.div_euclid(1_000_000_000) as i64;
                        let nanos = total.rem_euclid(1_000_000_000) as u32;
                        Ok(time_value(&Time { secs, nanos, ..t }))
                    }
                    Err(e) if n.starts_with("must") => Err(call_err(n, e)),
                    Err(_) => Ok(time_value(&t)),
                }
            }),
        );
    }
    add(
        "ago",
        Arc::new(move |n, a| {
            arity(n, a, 1)?;
            let t = date_arg(arg(a, 0), now);
            let d = (now - t.secs).saturating_mul(1_000_000_000);
            Ok(string(duration_string(d)))
        }),
    );
    add(
        "duration",
        Arc::new(|n, a| {
            arity(n, a, 1)?;
            let secs = match arg(a, 0) {
                Value::String(s) => s.parse::<i64>().unwrap_or(0),
                Value::Int(i) => *i,
                _ => 0,
            };
            Ok(string(duration_string(secs.saturating_mul(1_000_000_000))))
        }),
    );
    add(
        "durationRound",
        Arc::new(move |n, a| {
            arity(n, a, 1)?;
            let d = match arg(a, 0) {
                Value::String(s) => match parse_go_string(s) {
                    Some(t) => (now - t.secs).saturating_mul(1_000_000_000),
                    None => parse_duration(s).unwrap_or(0),
                },
                Value::Int(i) => *i,
                _ => 0,
            };
            Ok(string(duration_round(d)))
        }),
    );
    add(
        "unixEpoch",
        Arc::new(|n, a| {
            arity(n, a, 1)?;
            Ok(string(time_param(arg(a, 0))?.secs.to_string()))
        }),
    );
    for name in ["toDate", "mustToDate"] {
        add(
            name,
            Arc::new(|n, a| {
                arity(n, a, 2)?;
                match parse(arg_str(a, 0)?, arg_str(a, 1)?) {
                    Ok(t) => Ok(time_value(&t)),
                    Err(e) if n == "mustToDate" => Err(call_err(n, e)),
                    // The zero time.
                    Err(_) => Ok(string("0001-01-01 00:00:00 +0000 UTC")),
                }
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layouts() {
        let t = Time::utc(FIXED_NOW_UNIX + 13 * 3600 + 5 * 60 + 9);
        assert_eq!(
            format(&t, "2006-01-02T15:04:05Z07:00"),
            "2000-01-01T13:05:09Z"
        );
        assert_eq!(
            format(&t, "Mon Jan _2 3:04PM 2006"),
            "Sat Jan  1 1:05PM 2000"
        );
        assert_eq!(format(&t, "02/01/06 -0700 MST"), "01/01/00 +0000 UTC");
        assert_eq!(format(&Time::utc(0), "January 2, 2006"), "January 1, 1970");
        assert_eq!(Time::utc(FIXED_NOW_UNIX).to_go_string(), FIXED_NOW_TEXT);
        assert_eq!(
            parse_go_string(FIXED_NOW_TEXT),
            Some(Time::utc(FIXED_NOW_UNIX))
        );
    }

    #[test]
    fn parse_layouts() {
        let t = parse("2006-01-02", "2024-02-29").unwrap();
        assert_eq!(t.to_go_string(), "2024-02-29 00:00:00 +0000 UTC");
        let t = parse("2006-01-02T15:04:05Z07:00", "2024-03-01T10:20:30+02:00").unwrap();
        assert_eq!(
            t.secs,
            parse("2006-01-02 15:04:05", "2024-03-01 08:20:30")
                .unwrap()
                .secs
        );
        assert!(parse("2006-01-02", "2023-02-29").is_err());
        assert!(parse("2006-01-02", "nope").is_err());
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(90 * 1_000_000_000), "1m30s");
        assert_eq!(duration_string(3_600_000_000_000 + 500_000_000), "1h0m0.5s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(-60_000_000_000), "-1m0s");
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("-1.5h").unwrap(), -5_400_000_000_000);
        assert!(parse_duration("5x").is_err());
        assert_eq!(duration_round(2 * 3_600_000_000_000 + 1), "2h");
    }
}
