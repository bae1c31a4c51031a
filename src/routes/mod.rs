//! HTTP routes: one file per resource. Handlers extract, authorize, call one
//! service function and shape the response. No SeaORM here.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod boundary;
pub mod countries;
pub mod equipment;
pub mod extract;
pub mod files;
pub mod finalize;
pub mod gate;
pub mod health;
pub mod json;
pub mod limits;
pub mod plans;
pub mod problems;
pub mod reports;
pub mod schedules;
pub mod sites;
pub mod stats;
pub mod users;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route with its OpenAPI description (`openapi` completes the document).
pub fn api() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(countries::router())
        .merge(sites::router())
        .merge(equipment::router())
        .merge(plans::router())
        .merge(schedules::router())
        .merge(stats::router())
        .merge(reports::router())
        .merge(attachments::router())
        .merge(audit::router());
    OpenApiRouter::new()
        .nest("/api/v1", v1)
        .merge(health::router())
}
