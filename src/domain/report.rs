//! Reports: a spreadsheet of a site's schedules or results over a period,
//! written by a background job into object storage.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::field::{Checked, FieldError, Invalid};
use super::page::{IdCursor, Limit};
use crate::str_enum;

/// What a report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    /// One row per schedule due in the period.
    Schedules,
    /// One row per measured checklist value of the results due in the period.
    Results,
}

str_enum!(ReportKind { Schedules => "schedules", Results => "results" });

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Excel workbook: the rows, and a summary sheet with the statistics.
    Xlsx,
    /// UTF-8 with a byte order mark, so Excel reads Korean correctly.
    Csv,
}

str_enum!(ReportFormat { Xlsx => "xlsx", Csv => "csv" });

impl ReportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The language of headers, labels and the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Ko,
    En,
}

str_enum!(Locale { Ko => "ko", En => "en" });

/// Where a report job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    /// Waiting for a worker (also after a failed attempt that will be retried).
    Queued,
    /// A worker is writing it; see `progress`.
    Running,
    /// The file is ready to download.
    Succeeded,
    /// Every attempt failed; `error` says why.
    Failed,
}

str_enum!(ReportStatus {
    Queued => "queued",
    Running => "running",
    Succeeded => "succeeded",
    Failed => "failed",
});

/// The longest period one report covers.
pub const MAX_PERIOD_DAYS: i64 = 3700;

/// `POST /reports` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub site_id: i64,
    /// Schedules due at or after (RFC 3339).
    pub from: DateTime<Utc>,
    /// Schedules due before (RFC 3339); after `from`, at most ten years after it.
    pub to: DateTime<Utc>,
    /// Defaults to `ko`.
    #[serde(default = "korean")]
    pub locale: Locale,
}

fn korean() -> Locale {
    Locale::Ko
}

impl Checked for NewReport {
    fn check(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if self.from >= self.to {
            errors.push(FieldError::new("from", "after_to", "must be before to"));
        } else if self.to - self.from > Duration::days(MAX_PERIOD_DAYS) {
            errors.push(FieldError::new(
                "to",
                "range",
                "at most ten years after from",
            ));
        }
        Invalid::or_ok(errors, || ())
    }
}

/// How far a running report is: rows written of rows expected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub rows_written: i64,
    /// Known once the job has counted the rows.
    pub rows_total: Option<i64>,
}

/// A report job and, once it succeeded, its file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub site_id: i64,
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub locale: Locale,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub to: DateTime<Utc>,
    pub status: ReportStatus,
    pub progress: Progress,
    /// Attempts started so far.
    pub attempts: i32,
    /// The download's file name, e.g. `점검결과_창원 1공장_20261122-101500.xlsx`.
    pub file_name: String,
    pub content_type: String,
    /// Bytes, once written.
    pub size_bytes: Option<i64>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub requested_by: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339_opt")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::domain::time::rfc3339_opt")]
    pub finished_at: Option<DateTime<Utc>>,
    /// When the file and this record are deleted.
    #[serde(serialize_with = "crate::domain::time::rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub object_key: String,
}

impl super::site::InSite for Report {
    fn site_id(&self) -> i64 {
        self.site_id
    }
}

/// `GET /reports` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only reports of this site.
    pub site_id: Option<i64>,
    /// Only reports in this state.
    pub status: Option<ReportStatus>,
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl Checked for ReportQuery {}

/// The words of a report in one language.
pub struct Words {
    pub file_prefix: &'static str,
    pub rows_sheet: &'static str,
    pub summary_sheet: &'static str,
    pub headers: &'static [&'static str],
}

impl ReportKind {
    /// Headers and names; the columns are those of `export::Row`.
    pub fn words(self, locale: Locale) -> Words {
        match (self, locale) {
            (Self::Schedules, Locale::Ko) => Words {
                file_prefix: "점검일정",
                rows_sheet: "점검일정",
                summary_sheet: "요약",
                headers: &[
                    "일정 ID",
                    "예정 일시",
                    "마감 일시",
                    "상태",
                    "설비 코드",
                    "설비명",
                    "라인",
                    "점검 계획",
                    "담당자",
                    "시작 일시",
                    "완료 일시",
                ],
            },
            (Self::Schedules, Locale::En) => Words {
                file_prefix: "inspection-schedules",
                rows_sheet: "Schedules",
                summary_sheet: "Summary",
                headers: &[
                    "Schedule ID",
                    "Due",
                    "Window ends",
                    "Status",
                    "Equipment code",
                    "Equipment",
                    "Line",
                    "Plan",
                    "Assignee",
                    "Started",
                    "Completed",
                ],
            },
            (Self::Results, Locale::Ko) => Words {
                file_prefix: "점검결과",
                rows_sheet: "점검결과",
                summary_sheet: "요약",
                headers: &[
                    "일정 ID",
                    "예정 일시",
                    "설비 코드",
                    "설비명",
                    "점검 계획",
                    "항목",
                    "항목명",
                    "측정값",
                    "단위",
                    "판정",
                    "점검자",
                    "제출 일시",
                ],
            },
            (Self::Results, Locale::En) => Words {
                file_prefix: "inspection-results",
                rows_sheet: "Results",
                summary_sheet: "Summary",
                headers: &[
                    "Schedule ID",
                    "Due",
                    "Equipment code",
                    "Equipment",
                    "Plan",
                    "Item key",
                    "Item",
                    "Value",
                    "Unit",
                    "Judgement",
                    "Inspector",
                    "Submitted",
                ],
            },
        }
    }
}

/// `{prefix}_{site name}_{yyyyMMdd-HHmmss}.{ext}`, the time in the site's zone.
pub fn file_name(
    kind: ReportKind,
    format: ReportFormat,
    locale: Locale,
    site_name: &str,
    at_local: chrono::NaiveDateTime,
) -> String {
    let name = crate::storage::segment(site_name);
    format!(
        "{}_{}_{}.{}",
        kind.words(locale).file_prefix,
        name,
        at_local.format("%Y%m%d-%H%M%S"),
        format.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_read_like_the_report() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(10, 15, 0)
            .unwrap();
        let name = file_name(
            ReportKind::Results,
            ReportFormat::Xlsx,
            Locale::Ko,
            "창원 1공장",
            at,
        );
        assert_eq!(name, "점검결과_창원 1공장_20261122-101500.xlsx");
        let name = file_name(
            ReportKind::Schedules,
            ReportFormat::Csv,
            Locale::En,
            "../Plant",
            at,
        );
        assert_eq!(name, "inspection-schedules__Plant_20261122-101500.csv");
    }

    #[test]
    fn headers_match_in_both_languages() {
        for kind in ReportKind::ALL {
            assert_eq!(
                kind.words(Locale::Ko).headers.len(),
                kind.words(Locale::En).headers.len()
            );
        }
    }
}
