//! ISO 3166-1 countries, shipped in the binary (from Debian's iso-codes),
//! with English and Korean names.

use std::sync::LazyLock;

use serde::Serialize;
use utoipa::ToSchema;

/// One country.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "KR")]
    pub code: &'static str,
    #[schema(example = "KOR")]
    pub alpha3: &'static str,
    #[schema(example = "410")]
    pub numeric: &'static str,
    #[schema(example = "South Korea")]
    pub name_en: &'static str,
    #[schema(example = "대한민국")]
    pub name_ko: &'static str,
}

static COUNTRIES: LazyLock<Vec<Country>> = LazyLock::new(|| {
    include_str!("countries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(Country {
                code: f.next()?,
                alpha3: f.next()?,
                numeric: f.next()?,
                name_en: f.next()?,
                name_ko: f.next()?,
            })
        })
        .collect()
});

/// Every country, ordered by code.
pub fn all() -> &'static [Country] {
    &COUNTRIES
}

/// The country with this alpha-2 code (case-insensitive).
pub fn find(code: &str) -> Option<&'static Country> {
    let code = code.trim().to_ascii_uppercase();
    COUNTRIES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ships_all_iso_countries_with_korean_names() {
        assert_eq!(super::all().len(), 249);
        let kr = super::find("kr").unwrap();
        assert_eq!(
            (kr.alpha3, kr.name_en, kr.name_ko),
            ("KOR", "South Korea", "대한민국")
        );
        assert_eq!(super::find("VN").unwrap().name_ko, "베트남");
        assert!(super::find("XX").is_none());
        assert!(
            super::all()
                .iter()
                .all(|c| !c.name_ko.is_empty() && c.code.len() == 2)
        );
    }
}
