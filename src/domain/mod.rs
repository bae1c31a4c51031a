//! Domain types: what gemba's resources are, as validated values. Nothing
//! here knows HTTP or SQL.

pub mod attachment;
pub mod audit;
pub mod auth;
pub mod country;
pub mod equipment;
pub mod field;
pub mod page;
pub mod plan;
pub mod recurrence;
pub mod report;
pub mod result;
pub mod schedule;
pub mod site;
pub mod stats;
pub mod time;
pub mod user;

/// For PATCH fields where `null` means "clear": absent → `None`,
/// `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Helpers for the domain's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::field::{Checked, InputError, Invalid, from_json};

    /// Parses a JSON value as a request body would be.
    pub fn parse_json<T: serde::de::DeserializeOwned + Checked>(
        v: serde_json::Value,
    ) -> Result<T, Invalid> {
        match from_json(&serde_json::to_vec(&v).unwrap()) {
            Ok(v) => Ok(v),
            Err(InputError::Invalid(i)) => Err(i),
            Err(InputError::Malformed(m)) => panic!("malformed: {m}"),
        }
    }

    /// The `(field, code)` pairs of an error.
    pub fn codes(Invalid(errors): Invalid) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }
}
