//! Domain types: what gemba's resources are, as validated values. Nothing
//! here knows HTTP or SQL.

pub mod auth;
pub mod page;
pub mod user;
