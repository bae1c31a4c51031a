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
pub mod user;
