//! Business rules: validation across rows, transactions, authorization of
//! one object against another. No axum here; SQL lives in repositories.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod equipment;
pub mod files;
pub mod generation;
pub mod plans;
pub mod reports;
pub mod results;
pub mod schedules;
pub mod sites;
pub mod stats;
pub mod users;

use crate::domain::auth::CurrentUser;
use crate::domain::site::InSite;
use crate::error::{AppError, AppResult};

/// The one scoped lookup: the object when it exists and belongs to one of
/// the caller's sites; otherwise 404, exactly as if it did not exist.
pub fn visible<T: InSite>(actor: &CurrentUser, found: Option<T>) -> AppResult<T> {
    found
        .filter(|x| actor.sees_site(x.site_id()))
        .ok_or(AppError::NotFound)
}
