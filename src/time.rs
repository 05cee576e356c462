//! Instants: ISO-8601 timestamps with a time zone (`2026-11-25T09:30:00Z`,
//! `2026-11-25T09:30:00.123+01:00`), read as real instants: a month of 1 to 12, a day that month
//! has (leap years counted), hours to 23, minutes and seconds to 59, offsets to ±23:59. Nothing
//! here reads a clock: the server formats its own time with [`Instant::utc_text`].

/// A moment, as seconds and nanoseconds since 1970-01-01T00:00:00Z (UTC; no leap seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    pub seconds: i64,
    pub nanos: u32,
}

impl Instant {
    /// Reads a timestamp; `None` when it is not a real instant with a time zone.
    pub fn parse(text: &str) -> Option<Instant> {
        let bytes = text.as_bytes();
        // Year, month, day, hour, minute, second; then the offset's hours and minutes.
        let mut fields = [0_i64; 8];
        read(bytes.get(..19)?, b"0000-00-00T00:00:00", &mut fields)?;
        let mut rest = bytes.get(19..)?;
        let mut nanos = 0_u32;
        if let [b'.', fraction @ ..] = rest {
            let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if count == 0 || count > 9 {
                return None;
            }
            for index in 0..9 {
                let digit = if index < count { fraction.get(index).map_or(0, |b| b - b'0') } else { 0 };
                nanos = nanos * 10 + u32::from(digit);
            }
            rest = fraction.get(count..)?;
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), zone @ ..] => {
                read(zone, b"00:00", fields.get_mut(6..)?)?;
                let [.., hours, minutes] = fields;
                if hours > 23 || minutes > 59 {
                    return None;
                }
                (hours * 60 + minutes) * if *sign == b'+' { 60 } else { -60 }
            }
            _ => return None,
        };
        let [year, month, day, hour, minute, second, ..] = fields;
        let real = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour <= 23
            && minute <= 59
            && second <= 59;
        if !real {
            return None;
        }
        Some(Instant {
            seconds: days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset,
            nanos,
        })
    }

    /// The instant as UTC text with `Z`: whole seconds, or milliseconds when it has a fraction
    /// of a second (`2026-12-01T10:00:00Z`, `2026-12-01T10:00:00.250Z`).
    pub fn utc_text(self) -> String {
        let days = self.seconds.div_euclid(86_400);
        let of_day = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut text =
            format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", of_day / 3600, of_day % 3600 / 60, of_day % 60);
        if self.nanos >= 1_000_000 {
            text.push_str(&format!(".{:03}", self.nanos / 1_000_000));
        }
        text.push('Z');
        text
    }
}

/// Reads `bytes` against `pattern`, where each run of `0`s is a number that goes into the next
/// of `fields` and every other byte must be there as it is (`T` also as `t`).
fn read(bytes: &[u8], pattern: &[u8], fields: &mut [i64]) -> Option<()> {
    if bytes.len() != pattern.len() {
        return None;
    }
    let mut field = 0;
    for (&byte, &expected) in bytes.iter().zip(pattern) {
        if expected == b'0' {
            let slot = fields.get_mut(field)?;
            if !byte.is_ascii_digit() {
                return None;
            }
            *slot = *slot * 10 + i64::from(byte - b'0');
        } else if byte.to_ascii_uppercase() == expected {
            field += 1;
        } else {
            return None;
        }
    }
    Some(())
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seconds(text: &str) -> Option<i64> {
        Instant::parse(text).map(|i| i.seconds)
    }

    #[test]
    fn real_instants_are_read() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(seconds("2026-11-25T09:30:00Z"), Some(1_795_599_000));
        assert_eq!(seconds("2026-11-25T10:30:00+01:00"), seconds("2026-11-25T09:30:00Z"));
        assert_eq!(seconds("2026-11-25T04:00:00-05:30"), seconds("2026-11-25T09:30:00Z"));
        assert_eq!(seconds("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(Instant::parse("2026-11-25T09:30:00.5Z").unwrap().nanos, 500_000_000);
        assert_eq!(Instant::parse("2026-11-25t09:30:00.123456789z").unwrap().nanos, 123_456_789);
    }

    #[test]
    fn impossible_instants_are_not() {
        for text in [
            "2026-99-99T99:99:99Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T09:60:00Z",
            "2026-11-25T09:30:60Z",
            "2026-11-25T09:30:00+23:99",
            "2026-11-25T09:30:00+24:00",
            "2026-11-25T09:30:00",
            "2026-11-25",
            "1970",
            "2026-11-25T09:30:00.Z",
            "2026-11-25T09:30:00.1234567890Z",
            "2026-11-25T09:30:00+0100",
            "+026-11-25T09:30:00Z",
            "",
        ] {
            assert_eq!(Instant::parse(text), None, "{text}");
        }
    }

    #[test]
    fn utc_text_round_trips() {
        for text in ["1970-01-01T00:00:00Z", "2026-12-01T10:00:00Z", "2024-02-29T23:59:59.250Z", "1969-12-31T23:59:59Z"]
        {
            assert_eq!(Instant::parse(text).unwrap().utc_text(), text);
        }
        let later = Instant::parse("2026-11-25T10:30:00+01:00").unwrap();
        assert_eq!(later.utc_text(), "2026-11-25T09:30:00Z");
    }
}
