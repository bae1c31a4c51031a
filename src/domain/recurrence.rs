//! Recurrence rules of inspection plans and the calendar arithmetic that
//! turns them into due instants in a site's time zone.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field::{FieldError, integer_schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

crate::str_enum!(Frequency { Daily => "daily", Weekly => "weekly", Monthly => "monthly" });

/// When a plan falls due, in local dates of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    pub frequency: Frequency,
    /// Every N days / weeks / months (default 1).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 366)]
    pub interval: u32,
    /// Weekly: ISO weekdays, 1 = Monday … 7 = Sunday.
    #[serde(default)]
    #[schema(schema_with = weekdays_schema)]
    pub weekdays: Vec<u32>,
    /// Monthly: days of the month, 1 … 31 (months without the day are skipped).
    #[serde(default)]
    #[schema(schema_with = month_days_schema)]
    pub month_days: Vec<u32>,
    /// First possible date (local).
    #[serde(
        serialize_with = "crate::domain::time::date",
        deserialize_with = "crate::domain::time::read_date"
    )]
    pub start_date: NaiveDate,
    /// Last possible date (local, inclusive).
    #[serde(
        default,
        serialize_with = "crate::domain::time::date_opt",
        deserialize_with = "crate::domain::time::read_date_opt"
    )]
    pub end_date: Option<NaiveDate>,
    /// Stop after this many occurrences.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub count: Option<u32>,
}

fn weekdays_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(integer_schema(1, 7, "ISO weekday, 1 = Monday"))
        .build()
}

fn month_days_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(integer_schema(1, 31, "Day of the month"))
        .build()
}

fn one() -> u32 {
    1
}

/// The longest span one request may preview or generate.
pub const MAX_SPAN_DAYS: i64 = 400;

impl Recurrence {
    /// Field errors, with paths under `prefix` (e.g. `recurrence`).
    pub fn check(&self, prefix: &str) -> Vec<FieldError> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut errors = Vec::new();
        if !(1..=366).contains(&self.interval) {
            errors.push(FieldError::new(
                f("interval"),
                "range",
                "must be between 1 and 366",
            ));
        }
        if self.weekdays.iter().any(|d| !(1..=7).contains(d))
            || (self.frequency == Frequency::Weekly && self.weekdays.is_empty())
        {
            errors.push(FieldError::new(
                f("weekdays"),
                "invalid",
                "weekly plans need weekdays from 1 (Monday) to 7 (Sunday)",
            ));
        }
        if self.month_days.iter().any(|d| !(1..=31).contains(d))
            || (self.frequency == Frequency::Monthly && self.month_days.is_empty())
        {
            errors.push(FieldError::new(
                f("month_days"),
                "invalid",
                "monthly plans need days from 1 to 31",
            ));
        }
        if let Some(end) = self.end_date
            && end < self.start_date
        {
            errors.push(FieldError::new(
                f("end_date"),
                "before_start",
                "must not be before start_date",
            ));
        }
        if self.count == Some(0) {
            errors.push(FieldError::new(f("count"), "range", "must be at least 1"));
        }
        errors
    }

    fn matches(&self, d: NaiveDate) -> bool {
        if d < self.start_date || self.end_date.is_some_and(|e| d > e) {
            return false;
        }
        let interval = i64::from(self.interval.max(1));
        match self.frequency {
            Frequency::Daily => (d - self.start_date).num_days() % interval == 0,
            Frequency::Weekly => {
                let monday = |x: NaiveDate| {
                    x - Duration::days(i64::from(x.weekday().num_days_from_monday()))
                };
                let weeks = (monday(d) - monday(self.start_date)).num_days() / 7;
                weeks % interval == 0 && self.weekdays.contains(&d.weekday().number_from_monday())
            }
            Frequency::Monthly => {
                let months = i64::from(d.year() - self.start_date.year()) * 12
                    + i64::from(d.month())
                    - i64::from(self.start_date.month());
                months % interval == 0 && self.month_days.contains(&d.day())
            }
        }
    }

    /// The local dates in `from..=to` on which the plan falls due.
    pub fn dates(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let to = match self.end_date {
            Some(e) => to.min(e),
            None => to,
        };
        let mut out = Vec::new();
        if let Some(count) = self.count {
            // Counted plans: walk from the start so the count is exact.
            let mut d = self.start_date;
            let mut seen = 0;
            while d <= to && seen < count {
                if self.matches(d) {
                    seen += 1;
                    if d >= from {
                        out.push(d);
                    }
                }
                d += Duration::days(1);
            }
            return out;
        }
        let mut d = from.max(self.start_date);
        while d <= to {
            if self.matches(d) {
                out.push(d);
            }
            d += Duration::days(1);
        }
        out
    }
}

/// The instant of a local date and time in `tz`. A time that falls in a
/// spring-forward gap takes the offset from before the gap (RFC 5545), so
/// 02:30 on the day 02:00–03:00 is skipped becomes 03:30; an ambiguous time
/// (autumn) takes the first of its two instants. Every date gives exactly
/// one instant.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = NaiveDateTime::new(date, time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            let before = tz
                .from_local_datetime(&(local - Duration::hours(3)))
                .earliest()
                .map(|t| t.offset().fix());
            match before {
                Some(offset) => DateTime::<Utc>::from_naive_utc_and_offset(local - offset, Utc),
                None => DateTime::<Utc>::from_naive_utc_and_offset(local, Utc),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rule(frequency: Frequency) -> Recurrence {
        Recurrence {
            frequency,
            interval: 1,
            weekdays: vec![],
            month_days: vec![],
            start_date: d("2026-03-02"),
            end_date: None,
            count: None,
        }
    }

    #[test]
    fn daily_every_n_days_with_end() {
        let r = Recurrence {
            interval: 3,
            end_date: Some(d("2026-03-14")),
            ..rule(Frequency::Daily)
        };
        assert_eq!(
            r.dates(d("2026-03-01"), d("2026-03-31")),
            [
                d("2026-03-02"),
                d("2026-03-05"),
                d("2026-03-08"),
                d("2026-03-11"),
                d("2026-03-14")
            ]
        );
    }

    #[test]
    fn weekly_on_weekdays_every_other_week() {
        // 2026-03-02 is a Monday.
        let r = Recurrence {
            interval: 2,
            weekdays: vec![1, 5],
            ..rule(Frequency::Weekly)
        };
        assert_eq!(
            r.dates(d("2026-03-01"), d("2026-03-22")),
            [
                d("2026-03-02"),
                d("2026-03-06"),
                d("2026-03-16"),
                d("2026-03-20")
            ]
        );
    }

    #[test]
    fn monthly_skips_missing_days_and_counts() {
        let r = Recurrence {
            month_days: vec![31],
            start_date: d("2026-01-01"),
            ..rule(Frequency::Monthly)
        };
        assert_eq!(
            r.dates(d("2026-01-01"), d("2026-05-31")),
            [d("2026-01-31"), d("2026-03-31"), d("2026-05-31")]
        );
        let r = Recurrence {
            month_days: vec![1, 15],
            count: Some(3),
            start_date: d("2026-01-10"),
            ..rule(Frequency::Monthly)
        };
        assert_eq!(
            r.dates(d("2026-01-01"), d("2026-12-31")),
            [d("2026-01-15"), d("2026-02-01"), d("2026-02-15")]
        );
        // The count is of the whole plan, also when the window starts later.
        assert_eq!(r.dates(d("2026-02-10"), d("2026-12-31")), [d("2026-02-15")]);
    }

    #[test]
    fn invalid_rules_name_their_fields() {
        let r = Recurrence {
            interval: 0,
            end_date: Some(d("2026-01-01")),
            ..rule(Frequency::Weekly)
        };
        let fields: Vec<_> = r.check("recurrence").into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "recurrence.interval",
                "recurrence.weekdays",
                "recurrence.end_date"
            ]
        );
    }

    #[test]
    fn dst_gap_gives_exactly_one_instant_after_the_gap() {
        // New York skips 02:00-03:00 on 2026-03-08.
        let tz: Tz = "America/New_York".parse().unwrap();
        let t = local_to_utc(
            tz,
            d("2026-03-08"),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(t.to_rfc3339(), "2026-03-08T07:30:00+00:00"); // 03:30 EDT
        let before = local_to_utc(
            tz,
            d("2026-03-07"),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(before.to_rfc3339(), "2026-03-07T07:30:00+00:00"); // 02:30 EST
        // Autumn: 01:30 happens twice on 2026-11-01; the first one counts.
        let t = local_to_utc(
            tz,
            d("2026-11-01"),
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(t.to_rfc3339(), "2026-11-01T05:30:00+00:00");
        // Seoul has no DST.
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let t = local_to_utc(
            seoul,
            d("2026-03-08"),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        );
        assert_eq!(t.to_rfc3339(), "2026-03-08T00:00:00+00:00");
    }
}
