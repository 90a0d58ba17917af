//! Calendar dates and UTC timestamps without a time-zone database: commit times written into
//! reports (`commitTime`), report dates, waiver expiry dates and the day they are checked
//! against. Proleptic Gregorian calendar, UTC only, so the same input always gives the same
//! text.

use std::fmt;

/// A calendar day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The day of a Unix timestamp (seconds since 1970-01-01T00:00:00Z).
    pub fn from_unix(seconds: i64) -> Self {
        civil_from_days(seconds.div_euclid(86_400))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// Parses `YYYY-MM-DD`, and also the date part of an ISO 8601 timestamp
    /// (`2024-05-01T12:00:00Z`): the day as written, which is UTC for `Z` timestamps.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let day_part = s.get(..10)?;
        let rest = &s[10..];
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        let b = day_part.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = digits(&day_part[..4])?.try_into().ok()?;
        let month = u8::try_from(digits(&day_part[5..7])?).ok()?;
        let day = u8::try_from(digits(&day_part[8..10])?).ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD` (surrounding spaces aside), checking that the day exists,
    /// as waiver expiry dates are written; the error says what to write instead.
    pub fn parse_exact(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a date: write YYYY-MM-DD, e.g. 2025-06-30");
        let parts: Vec<&str> = s.trim().split('-').collect();
        if parts.len() != 3
            || parts[0].len() != 4
            || parts[1].len() != 2
            || parts[2].len() != 2
            || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad());
        }
        let year: i32 = parts[0].parse().map_err(|_| bad())?;
        let month: u8 = parts[1].parse().map_err(|_| bad())?;
        let day: u8 = parts[2].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(format!("{s:?} is not a day of the calendar"));
        }
        Ok(Self { year, month, day })
    }

    /// Today (UTC) from the clock, or `PLUMBLINE_TODAY` (`YYYY-MM-DD`) when it is set.
    pub fn today() -> Result<Self, String> {
        if let Some(v) = std::env::var_os("PLUMBLINE_TODAY") {
            let v = v.to_string_lossy();
            return Self::parse_exact(&v).map_err(|e| format!("PLUMBLINE_TODAY: {e}"));
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| format!("the system clock is before 1970: {e}"))?
            .as_secs();
        Ok(civil_from_days((secs / 86_400) as i64))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.bytes().all(|c| c.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a Gregorian date.
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

/// A Unix timestamp as ISO 8601 UTC, `2024-05-01T12:34:56Z`.
pub fn iso8601_utc(seconds: i64) -> String {
    let date = Date::from_unix(seconds);
    let secs = seconds.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_format_as_utc() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_714_566_896), "2024-05-01T12:34:56Z");
        assert_eq!(iso8601_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn dates_parse_and_round_trip() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Date::from_unix(d.days() * 86_400), d);
        assert_eq!(
            Date::parse("2024-05-01T12:34:56Z").unwrap().to_string(),
            "2024-05-01"
        );
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2024-13-01"), None);
        assert_eq!(Date::parse("2024-1-01"), None);
        assert_eq!(Date::parse("2024-05-01x"), None);
        assert_eq!(Date::parse("ünïcödé!!"), None);
        assert_eq!(
            Date::parse("2024-03-01").unwrap().days() - d.days(),
            1,
            "leap day"
        );
    }

    #[test]
    fn exact_dates_are_days_of_the_calendar_written_in_full() {
        assert!(Date::parse_exact("2024-02-29").is_ok());
        assert!(Date::parse_exact("2023-02-29").is_err());
        assert!(Date::parse_exact("2024-1-01").is_err());
        assert!(Date::parse_exact("2024-05-01T12:34:56Z").is_err());
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(19_782).to_string(), "2024-02-29");
        assert!(
            Date::parse_exact("2024-12-31").unwrap() < Date::parse_exact("2025-01-01").unwrap()
        );
        assert_eq!(
            Date::parse_exact("2025-02-30").unwrap_err(),
            "\"2025-02-30\" is not a day of the calendar"
        );
        assert_eq!(
            Date::parse_exact("tomorrow").unwrap_err(),
            "\"tomorrow\" is not a date: write YYYY-MM-DD, e.g. 2025-06-30"
        );
    }
}
