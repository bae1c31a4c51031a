//! `/countries`: ISO 3166-1 reference data.

use crate::routes::json::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::country::{self, Country};
use crate::error::{AppError, AppPath, AppResult};
use crate::openapi::responses::{BadRequest, NotFound, Unauthorized};
use crate::routes::extract::{AnyRole, Authenticated};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_countries))
        .routes(routes!(get_country))
}

/// Every ISO 3166-1 country, with English and Korean names.
#[utoipa::path(get, path = "/countries", tag = "countries", operation_id = "list_countries",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 200, description = "All countries, by code", body = [Country]),
        (status = 401, response = Unauthorized)))]
async fn list_countries(_auth: Authenticated<AnyRole>) -> Json<&'static [Country]> {
    Json(country::all())
}

/// One country by its alpha-2 code.
#[utoipa::path(get, path = "/countries/{code}", tag = "countries", operation_id = "get_country",
    security(("bearer" = []), ("oauth2" = [])),
    params(("code" = String, Path, description = "ISO 3166-1 alpha-2 code, e.g. KR")),
    responses((status = 200, description = "The country", body = Country),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound)))]
async fn get_country(
    _auth: Authenticated<AnyRole>,
    AppPath(code): AppPath<String>,
) -> AppResult<Json<&'static Country>> {
    country::find(&code).map(Json).ok_or(AppError::NotFound)
}
