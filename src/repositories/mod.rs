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
