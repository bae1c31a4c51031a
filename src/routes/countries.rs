//! `/countries`: ISO 3166-1 reference data.

use crate::routes::json::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::country::{self, Country};
use crate::error::{AppError, AppResult};
use crate::routes::extract::Path;
use crate::routes::extract::{AnyRole, Authenticated};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_countries))
        .routes(routes!(get_country))
}

/// Every ISO 3166-1 country, with English and Korean names.
#[utoipa::path(get, path = "/countries", tag = "countries", operation_id = "list_countries",
    responses((status = 200, description = "All countries, by code", body = [Country])))]
async fn list_countries(_auth: Authenticated<AnyRole>) -> Json<&'static [Country]> {
    Json(country::all())
}

/// One country by its alpha-2 code.
#[utoipa::path(get, path = "/countries/{code}", tag = "countries", operation_id = "get_country",
    params(("code" = String, Path, description = "ISO 3166-1 alpha-2 code, e.g. KR")),
    responses((status = 200, description = "The country", body = Country)))]
async fn get_country(
    _auth: Authenticated<AnyRole>,
    Path(code): Path<String>,
) -> AppResult<Json<&'static Country>> {
    country::find(&code).map(Json).ok_or(AppError::NotFound)
}
