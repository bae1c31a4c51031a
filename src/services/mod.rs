//! Business rules: validation across rows, transactions, authorization of
//! one object against another. No axum here; SQL lives in repositories.

pub mod audit;
pub mod auth;
pub mod equipment;
pub mod plans;
pub mod results;
pub mod schedules;
pub mod sites;
pub mod stats;
pub mod users;
