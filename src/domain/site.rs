//! Sites (factories) and the rules for their fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::country;
use crate::error::{AppError, AppResult, FieldError};

/// A factory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Site {
    pub id: i64,
    /// Short unique code, upper case.
    #[schema(example = "KR-ASAN")]
    pub code: String,
    #[schema(example = "아산 공장")]
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "KR")]
    pub country_code: String,
    /// IANA time zone; schedules are computed in it.
    #[schema(example = "Asia/Seoul")]
    pub timezone: String,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /sites` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    #[schema(example = "KR-ASAN")]
    pub code: String,
    #[schema(example = "아산 공장")]
    pub name: String,
    #[schema(example = "KR")]
    pub country_code: String,
    #[schema(example = "Asia/Seoul")]
    pub timezone: String,
}

/// `PATCH /sites/{id}` body: only the fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    pub code: Option<String>,
    pub name: Option<String>,
    pub country_code: Option<String>,
    pub timezone: Option<String>,
}

/// Checked site fields; `None` means unchanged.
#[derive(Debug, Default, Clone)]
pub struct SiteFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub country_code: Option<String>,
    pub timezone: Option<String>,
}

impl CreateSite {
    pub fn parse(self) -> AppResult<SiteFields> {
        UpdateSite {
            code: Some(self.code),
            name: Some(self.name),
            country_code: Some(self.country_code),
            timezone: Some(self.timezone),
        }
        .parse()
    }
}

impl UpdateSite {
    pub fn parse(self) -> AppResult<SiteFields> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<String, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let fields = SiteFields {
            code: self
                .code
                .map(|c| keep(parse_code("code", &c, 32)))
                .unwrap_or_default(),
            name: self
                .name
                .map(|n| keep(parse_name("name", &n, 100)))
                .unwrap_or_default(),
            country_code: self
                .country_code
                .map(|c| {
                    keep(country::find(&c).map(|c| c.code.to_owned()).ok_or_else(|| {
                        FieldError::new(
                            "country_code",
                            "unknown_country",
                            "is not an ISO 3166-1 alpha-2 code",
                        )
                    }))
                })
                .unwrap_or_default(),
            timezone: self
                .timezone
                .map(|t| keep(parse_timezone(&t)))
                .unwrap_or_default(),
        };
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// A code: 1 to `max` letters, digits, `-` or `_`, stored upper case.
pub fn parse_code(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() || code.chars().count() > max {
        return Err(FieldError::new(
            field,
            "length",
            format!("must be 1 to {max} characters long"),
        ));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(FieldError::new(
            field,
            "invalid_code",
            "may contain only letters A-Z, digits, `-` and `_`",
        ));
    }
    Ok(code)
}

/// A display name: trimmed, 1 to `max` characters.
pub fn parse_name(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, "required", "must not be blank"));
    }
    if name.chars().count() > max {
        return Err(FieldError::new(
            field,
            "length",
            format!("must be at most {max} characters long"),
        ));
    }
    Ok(name.to_owned())
}

fn parse_timezone(raw: &str) -> Result<String, FieldError> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            FieldError::new(
                "timezone",
                "unknown_timezone",
                "is not an IANA time zone like Asia/Seoul",
            )
        })
}

/// `GET /sites` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_fields_are_checked_together() {
        let ok = CreateSite {
            code: " kr-asan ".into(),
            name: " 아산 공장 ".into(),
            country_code: "kr".into(),
            timezone: "Asia/Seoul".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.code.as_deref(), Some("KR-ASAN"));
        assert_eq!(ok.country_code.as_deref(), Some("KR"));
        let err = CreateSite {
            code: "a b".into(),
            name: "".into(),
            country_code: "XX".into(),
            timezone: "Mars/Olympus".into(),
        }
        .parse()
        .unwrap_err();
        let AppError::Validation(errs) = err else {
            panic!()
        };
        let codes: Vec<_> = errs.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "invalid_code",
                "required",
                "unknown_country",
                "unknown_timezone"
            ]
        );
    }
}
