//! Instants, dates and times of day in JSON and in stored text, exactly as
//! chrono writes and reads them, but written straight into a stack buffer
//! and read without chrono's format machinery where the text has the one
//! usual shape. Instants are RFC 3339 in UTC (`2026-03-08T07:30:00Z`,
//! fractions of 3, 6 or 9 digits only when present), dates `YYYY-MM-DD`.
//! Lists serialize hundreds of instants and dates per response, and
//! chrono's `Display`/`Debug` path through `core::fmt` and serde_json's
//! per-fragment escaping was the largest single cost of `GET /schedules`;
//! reading each embedded plan's start date and due time through chrono's
//! parser was another (see bench/RESULTS.md).

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// `#[serde(serialize_with = "crate::domain::time::rfc3339")]`
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write(t, &mut buf) {
        Some(len) => s.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or_default()),
        None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// `#[serde(serialize_with = "crate::domain::time::rfc3339_opt")]`
pub fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// `#[serde(serialize_with = "crate::domain::time::date")]`: `YYYY-MM-DD`.
pub fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 10];
    match write_date(d, &mut buf) {
        Some(()) => s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default()),
        None => d.serialize(s),
    }
}

/// `#[serde(serialize_with = "crate::domain::time::date_opt")]`
pub fn date_opt<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => date(d, s),
        None => s.serialize_none(),
    }
}

/// `#[serde(deserialize_with = "crate::domain::time::read_date")]`: what
/// chrono's `NaiveDate` accepts, with the same errors.
pub fn read_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    d.deserialize_str(DateVisitor)
}

/// `#[serde(deserialize_with = "crate::domain::time::read_date_opt")]`
pub fn read_date_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    struct Date(NaiveDate);
    impl<'de> Deserialize<'de> for Date {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            read_date(d).map(Date)
        }
    }
    Ok(Option::<Date>::deserialize(d)?.map(|x| x.0))
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // chrono's words
        f.write_str("a formatted date string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
        parse_date(v).map_err(E::custom)
    }
}

/// A date as chrono's `FromStr` reads it; `YYYY-MM-DD` directly.
pub fn parse_date(s: &str) -> chrono::ParseResult<NaiveDate> {
    let b = s.as_bytes();
    let direct = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| {
            NaiveDate::from_ymd_opt(digits(&b[..4])? as i32, digits(&b[5..7])?, digits(&b[8..])?)
        })
        .flatten();
    direct.map_or_else(|| s.parse(), Ok)
}

/// A time of day as chrono's `FromStr` reads it; `HH:MM:SS` directly.
pub fn parse_time(s: &str) -> chrono::ParseResult<NaiveTime> {
    let b = s.as_bytes();
    let direct = (b.len() == 8 && b[2] == b':' && b[5] == b':')
        .then(|| NaiveTime::from_hms_opt(digits(&b[..2])?, digits(&b[3..5])?, digits(&b[6..])?))
        .flatten();
    direct.map_or_else(|| s.parse(), Ok)
}

/// The value of ASCII decimal digits, or `None` if any byte is not one.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn put(buf: &mut [u8], at: usize, value: u32, digits: usize) {
    let mut v = value;
    for i in (0..digits).rev() {
        buf[at + i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes `d` as `YYYY-MM-DD`, or `None` for years outside 0..=9999, which
/// chrono then writes.
fn write_date(d: &impl Datelike, buf: &mut [u8]) -> Option<()> {
    let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    put(buf, 0, year, 4);
    buf[4] = b'-';
    put(buf, 5, d.month(), 2);
    buf[7] = b'-';
    put(buf, 8, d.day(), 2);
    Some(())
}

/// Writes `t` into `buf`, or `None` for what the fast path does not cover
/// (years outside 0..=9999, leap seconds), which chrono then formats.
fn write(t: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    write_date(t, buf)?;
    buf[10] = b'T';
    put(buf, 11, t.hour(), 2);
    buf[13] = b':';
    put(buf, 14, t.minute(), 2);
    buf[16] = b':';
    put(buf, 17, t.second(), 2);
    let mut len = 19;
    let (value, digits) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if digits > 0 {
        buf[len] = b'.';
        put(buf, len + 1, value, digits);
        len += 1 + digits;
    }
    buf[len] = b'Z';
    Some(len + 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[derive(serde::Serialize)]
    struct Fast(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Dates(
        #[serde(serialize_with = "date", deserialize_with = "read_date")] NaiveDate,
        #[serde(serialize_with = "date_opt", deserialize_with = "read_date_opt")] Option<NaiveDate>,
    );

    #[test]
    fn dates_and_times_read_and_write_as_chrono_does() {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for d in [
            ymd(2026, 3, 8),
            ymd(1, 1, 1),
            ymd(9999, 12, 31),
            ymd(12026, 1, 1),
            ymd(-5, 1, 1),
        ] {
            let ours = serde_json::to_string(&Dates(d, Some(d))).unwrap();
            assert_eq!(ours, serde_json::to_string(&(d, Some(d))).unwrap(), "{d:?}");
            assert_eq!(
                serde_json::from_str::<Dates>(&ours).unwrap(),
                Dates(d, Some(d))
            );
        }
        assert_eq!(
            serde_json::from_str::<Dates>(r#"["2026-03-08",null]"#).unwrap(),
            Dates(ymd(2026, 3, 8), None)
        );
        // the same answers as chrono for every other text, errors included
        for text in [
            "2026-3-8",
            "2026-02-30",
            "2026-13-01",
            "20x6-01-01",
            "2026-01-01 ",
            "",
            "+12026-01-01",
        ] {
            assert_eq!(parse_date(text), text.parse::<NaiveDate>(), "{text:?}");
            let json = format!("[{:?},null]", text);
            assert_eq!(
                serde_json::from_str::<Dates>(&json).map_err(|e| e.to_string()),
                serde_json::from_str::<(NaiveDate, Option<NaiveDate>)>(&json)
                    .map(|(a, b)| Dates(a, b))
                    .map_err(|e| e.to_string()),
                "{text:?}"
            );
        }
        let wrong = "[5,null]";
        assert_eq!(
            serde_json::from_str::<Dates>(wrong)
                .unwrap_err()
                .to_string(),
            serde_json::from_str::<(NaiveDate, Option<NaiveDate>)>(wrong)
                .unwrap_err()
                .to_string()
        );
        for text in [
            "09:00:00",
            "23:59:59",
            "00:00:00",
            "9:00:00",
            "24:00:00",
            "09:60:00",
            "09:00",
            "09:00:00.5",
            "ab:cd:ef",
        ] {
            assert_eq!(parse_time(text), text.parse::<NaiveTime>(), "{text:?}");
        }
    }

    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap();
        let samples = [
            base,
            base + chrono::Duration::nanoseconds(1),
            base + chrono::Duration::nanoseconds(120_000_000),
            base + chrono::Duration::nanoseconds(297_609_000),
            base + chrono::Duration::nanoseconds(297_609_034),
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(12026, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-5, 1, 1, 0, 0, 0).unwrap(),
        ];
        for t in samples {
            assert_eq!(
                serde_json::to_string(&Fast(t)).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }
}
