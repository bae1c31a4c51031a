//! Every SeaORM query, one file per resource; entity <-> domain conversion.
//! Functions take `&impl ConnectionTrait` so a service passes the pool or its
//! transaction, and return the ORM's `DbErr`.

pub mod audit;
pub mod equipment;
pub mod login_throttles;
pub mod plans;
pub mod refresh_tokens;
pub mod results;
pub mod schedules;
pub mod sites;
pub mod stats;
pub mod users;

/// A JSON column's value from a domain value.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, sea_orm::DbErr> {
    serde_json::to_value(v).map_err(json_err)
}

/// A JSON column that does not hold what the domain expects.
pub(crate) fn json_err(e: serde_json::Error) -> sea_orm::DbErr {
    sea_orm::DbErr::Json(e.to_string())
}
