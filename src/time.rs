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
        // Into a fixed pattern rather than through `format!`, whose padding the module need not
        // link: each field's value, the place after its last digit, and its width.
        let millis = i64::from(self.nanos / 1_000_000);
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let (hour, minute, second) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
        let fields = [
            (year, 4, 4),
            (month, 7, 2),
            (day, 10, 2),
            (hour, 13, 2),
            (minute, 16, 2),
            (second, 19, 2),
            (millis, 23, 3),
        ];
        for (value, end, width) in fields {
            let mut rest = value.rem_euclid(10_000);
            for place in (end - width..end).rev() {
                if let Some(byte) = text.get_mut(place) {
                    *byte = b'0' + (rest % 10) as u8;
                }
                rest /= 10;
            }
        }
        let mut out = std::str::from_utf8(&text).unwrap_or_default().to_owned();
        if millis == 0 {
            out.truncate(19);
            out.push('Z');
        }
        out
    }
}

impl Instant {
    /// `self` plus `seconds` (a duration's), `None` past the years an instant can be written in.
    pub fn plus(self, seconds: i64) -> Option<Instant> {
        let seconds = self.seconds.checked_add(seconds).filter(|s| *s < MAX_SECONDS)?;
        Some(Instant { seconds, nanos: self.nanos })
    }
}

/// Whether timestamp `a` is later than `b`; `false` when either is not one.
pub fn is_after(a: &str, b: &str) -> bool {
    matches!((Instant::parse(a), Instant::parse(b)), (Some(a), Some(b)) if a > b)
}

/// Whether the deadline `at` has passed at `now`: a deadline at exactly `now` has (SPEC §13).
/// `false` when either is not a timestamp.
pub fn has_passed(at: &str, now: &str) -> bool {
    matches!((Instant::parse(at), Instant::parse(now)), (Some(at), Some(now)) if at <= now)
}

/// `at` plus the duration `duration` as UTC text; `None` when either does not read.
pub fn later_by(at: &str, duration: &str) -> Option<String> {
    Some(Instant::parse(at)?.plus(self::duration(duration)?)?.utc_text())
}

/// 10000-01-01T00:00:00Z: the first instant with a five-digit year, which no timestamp has.
const MAX_SECONDS: i64 = 253_402_300_800;

/// The most a duration may be: 3,650 days (SPEC §13).
pub const MAX_DURATION_DAYS: i64 = 3650;

/// Reads a duration of SPEC §11 and §13 as seconds: `P`, then optionally `nD`, then optionally
/// `T` and `nH` and/or `nM`; upper case, whole numbers, not zero, at most 3,650 days. `P1D` is
/// exactly 24 hours: instants are UTC and there are no calendars, so a duration adds the same
/// across a month's end as anywhere. `None` for anything else ("P1M", "PT0H", "P1DT", "2 days").
pub fn duration(text: &str) -> Option<i64> {
    let mut rest = text.strip_prefix('P')?.as_bytes();
    let mut seconds = 0_i64;
    let mut in_time = false;
    // The units allowed next, in order: a unit may come only after the ones before it.
    let mut units: &[(u8, i64)] = &[(b'D', 86_400)];
    while let Some((&first, after)) = rest.split_first() {
        if first == b'T' && !in_time {
            in_time = true;
            units = &[(b'H', 3600), (b'M', 60)];
            rest = after;
            // `T` needs a part after it.
            if rest.is_empty() {
                return None;
            }
            continue;
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        // A number this long is past the limit whatever its unit.
        if digits == 0 || digits > 7 {
            return None;
        }
        let (number, tail) = rest.split_at(digits);
        let value = number.iter().fold(0_i64, |n, b| n * 10 + i64::from(b - b'0'));
        let (&unit, tail) = tail.split_first()?;
        let place = units.iter().position(|(u, _)| *u == unit)?;
        let (_, size) = units.get(place)?;
        seconds += value * size;
        units = units.get(place + 1..)?;
        rest = tail;
        if !in_time && units.is_empty() && !rest.is_empty() && rest.first() != Some(&b'T') {
            return None;
        }
    }
    (seconds > 0 && seconds <= MAX_DURATION_DAYS * 86_400).then_some(seconds)
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
    fn durations_are_days_hours_and_minutes() {
        assert_eq!(duration("P2D"), Some(2 * 86_400));
        assert_eq!(duration("PT4H"), Some(4 * 3600));
        assert_eq!(duration("P1DT12H"), Some(86_400 + 12 * 3600));
        assert_eq!(duration("PT90M"), Some(90 * 60));
        assert_eq!(duration("PT1H30M"), Some(5400));
        assert_eq!(duration("P0DT1M"), Some(60));
        assert_eq!(duration("P3650D"), Some(3650 * 86_400));
        assert_eq!(duration("PT87600H"), Some(3650 * 86_400));
        for text in [
            "P1M",
            "P1Y",
            "PT0H",
            "P0D",
            "P",
            "PT",
            "P1DT",
            "P1W",
            "PT30S",
            "P1.5D",
            "p1d",
            "P1d",
            "2 days",
            "",
            "P3651D",
            "PT87601H",
            "P1D1D",
            "PT1M1H",
            "PT1H1H",
            "P1DT1D",
            "PT1HT1M",
            "PD",
            "P-1D",
            "P+1D",
            "1D",
            "P99999999D",
            "P1DX",
            "P1D ",
            " P1D",
            "PTH",
        ] {
            assert_eq!(duration(text), None, "{text}");
        }
    }

    #[test]
    fn durations_add_exactly() {
        let start = Instant::parse("2026-01-31T10:00:00Z").unwrap();
        // No calendars: a day is 24 hours across a month's end and a leap day alike.
        assert_eq!(start.plus(duration("P1D").unwrap()).unwrap().utc_text(), "2026-02-01T10:00:00Z");
        let leap = Instant::parse("2028-02-28T23:30:00.5+00:00").unwrap();
        assert_eq!(leap.plus(duration("PT1H").unwrap()).unwrap().utc_text(), "2028-02-29T00:30:00.500Z");
        assert_eq!(Instant::parse("9999-12-31T00:00:00Z").unwrap().plus(86_400), None);
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
