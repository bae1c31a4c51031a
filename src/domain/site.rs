//! Sites (factories) and the values that describe them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::country;
use super::field::{Checked, Parse, Rejection, enum_schema, string_schema};
use super::page::{IdCursor, Limit};
use crate::{display_text, parsed, string_newtype};

string_newtype!(
    /// A short code: 1 to 32 letters A-Z, digits, `-` or `_`; lower case is
    /// accepted and stored upper case.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(transparent)]
    Code
);

impl Code {
    pub const MAX_CHARS: usize = 32;
}

impl Parse for Code {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        if raw.is_empty() || raw.chars().count() > Self::MAX_CHARS {
            return Err(Rejection::new(
                "length",
                format!("must be 1 to {} characters long", Self::MAX_CHARS),
            ));
        }
        if !raw
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(Rejection::new(
                "invalid_code",
                "may contain only letters A-Z, digits, `-` and `_`",
            ));
        }
        Ok(Self(raw.to_ascii_uppercase()))
    }
    fn placeholder() -> Self {
        Self(String::new())
    }
}

parsed!(
    Code,
    string_schema(
        1,
        Code::MAX_CHARS,
        Some("^[A-Za-z0-9_-]+$"),
        "1 to 32 letters, digits, `-` or `_`; stored upper case",
        "KR-ASAN",
    )
);

display_text!(
    /// A display name: 1 to 100 characters.
    Name,
    100,
    "아산 공장"
);

/// An ISO 3166-1 alpha-2 code of a shipped country, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CountryCode(&'static str);

impl CountryCode {
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl Parse for CountryCode {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        country::find(&raw)
            .filter(|c| c.code == raw)
            .map(|c| Self(c.code))
            .ok_or_else(|| Rejection::new("unknown_country", "is not an ISO 3166-1 alpha-2 code"))
    }
    fn placeholder() -> Self {
        Self("")
    }
}

parsed!(
    CountryCode,
    enum_schema(
        country::all().iter().map(|c| c.code),
        "ISO 3166-1 alpha-2 country code"
    )
    .examples(["KR"])
);

/// An IANA time zone; schedules are computed in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(pub Tz);

impl Timezone {
    pub fn tz(self) -> Tz {
        self.0
    }
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl Parse for Timezone {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        raw.parse::<Tz>().map(Self).map_err(|_| {
            Rejection::new(
                "unknown_timezone",
                "is not an IANA time zone like Asia/Seoul",
            )
        })
    }
    fn placeholder() -> Self {
        Self(Tz::UTC)
    }
}

parsed!(
    Timezone,
    enum_schema(
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()),
        "IANA time zone"
    )
    .examples(["Asia/Seoul"])
);

/// A factory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub code: Code,
    pub name: Name,
    pub country_code: CountryCode,
    pub timezone: Timezone,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// Something that belongs to one site: visible only to that site's users.
pub trait InSite {
    fn site_id(&self) -> i64;
}

impl InSite for Site {
    fn site_id(&self) -> i64 {
        self.id
    }
}

/// `POST /sites` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    pub code: Code,
    pub name: Name,
    pub country_code: CountryCode,
    pub timezone: Timezone,
}

impl Checked for NewSite {}

/// `PATCH /sites/{id}` body: only the fields to change.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub code: Option<Code>,
    pub name: Option<Name>,
    pub country_code: Option<CountryCode>,
    pub timezone: Option<Timezone>,
}

impl Checked for SitePatch {}

/// `GET /sites` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl Checked for SiteQuery {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::field::{FieldError, Invalid};
    use crate::domain::test_support::parse_json;
    use serde_json::json;

    #[test]
    fn site_fields_are_checked_together() {
        let ok: NewSite = parse_json(json!({
            "code": "kr-asan", "name": " 아산 공장 ", "country_code": "KR", "timezone": "Asia/Seoul"
        }))
        .unwrap();
        assert_eq!(ok.code.as_str(), "KR-ASAN");
        assert_eq!(ok.name.as_str(), "아산 공장");
        assert_eq!(ok.timezone.tz(), chrono_tz::Asia::Seoul);
        let Invalid(errs) = parse_json::<NewSite>(json!({
            "code": "a b", "name": " ", "country_code": "XX", "timezone": "Mars/Olympus"
        }))
        .unwrap_err();
        let got: Vec<_> = errs
            .iter()
            .map(|FieldError { field, code, .. }| (field.as_str(), code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("code", "invalid_code"),
                ("country_code", "unknown_country"),
                ("name", "blank"),
                ("timezone", "unknown_timezone")
            ]
        );
    }

    #[test]
    fn country_codes_are_exact() {
        assert!(CountryCode::parse("kr".into()).is_err());
        assert_eq!(CountryCode::parse("VN".into()).unwrap().as_str(), "VN");
    }
}
