//! The OpenAPI document: generated from the handlers' `#[utoipa::path]`
//! annotations, plus the security schemes and the shared error responses.

use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gemba",
        description = "Factory inspection API: plans, schedules, results and reports. \
            Errors are RFC 9457 `application/problem+json`.",
    ),
    modifiers(&SecuritySchemes),
    components(
        schemas(Problem, FieldError),
        responses(
            responses::BadRequest, responses::Unauthorized, responses::Forbidden,
            responses::NotFound, responses::Conflict, responses::PayloadTooLarge,
            responses::UnsupportedMediaType, responses::Unprocessable,
            responses::TooManyRequests, responses::Unavailable,
            responses::PreconditionFailed, responses::PreconditionRequired,
        )
    ),
    tags(
        (name = "auth", description = "Logging in and out, token refresh"),
        (name = "users", description = "User accounts"),
        (name = "countries", description = "ISO 3166-1 reference data"),
        (name = "sites", description = "Factories and their members"),
        (name = "equipment", description = "Machines inspected at a site"),
        (name = "plans", description = "Recurring inspection plans"),
        (name = "schedules", description = "Inspections that are due"),
        (name = "stats", description = "Summaries computed in SQL"),
        (name = "audit", description = "Who changed what"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                "/api/v1/auth/token",
                Scopes::new(),
            ))])),
        );
    }
}

/// The whole document, as served at `/openapi.json` and printed by `gemba openapi`.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::routes::api().split_for_parts().1
}

/// Error responses shared by the operations (all `application/problem+json`).
pub mod responses {
    #![expect(
        dead_code,
        reason = "types exist only to describe responses in OpenAPI"
    )]
    use utoipa::ToResponse;

    use crate::error::Problem;

    /// Malformed JSON, query or path parameter.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BadRequest(Problem);

    /// Missing, invalid or expired access token, or wrong credentials.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unauthorized(Problem);

    /// The caller's role may not do this.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Forbidden(Problem);

    /// No such resource (or not visible to the caller).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct NotFound(Problem);

    /// The change conflicts with the current state (e.g. a duplicate e-mail).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Conflict(Problem);

    /// The request body is larger than the server accepts.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PayloadTooLarge(Problem);

    /// The request body is not JSON (or not the form the endpoint expects).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(Problem);

    /// Fields failed validation; `errors` lists each with a code.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unprocessable(Problem);

    /// The resource changed since you read it (`If-Match` is stale).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PreconditionFailed(Problem);

    /// Send `If-Match` with the `ETag` you read.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PreconditionRequired(Problem);

    /// Too many attempts; retry after `Retry-After` seconds.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct TooManyRequests(Problem);

    /// The database is unavailable; retry later.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unavailable(Problem);
}
