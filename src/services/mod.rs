//! Business rules: validation across rows, transactions, authorization of
//! one object against another. No axum here; SQL lives in repositories.

pub mod auth;
pub mod users;
