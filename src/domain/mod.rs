//! Domain types: what gemba's resources are, as validated values. Nothing
//! here knows HTTP or SQL.

pub mod audit;
pub mod auth;
pub mod country;
pub mod equipment;
pub mod page;
pub mod plan;
pub mod recurrence;
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
