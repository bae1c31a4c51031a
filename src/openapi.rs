//! The OpenAPI document: generated from the handlers' `#[utoipa::path]`
//! annotations; then [`complete`] declares, once for every operation, what
//! all of them share: bearer security outside `/auth` and the health
//! routes, and the problem responses an operation can answer given its
//! parameters and body; and the links from each operation that names a
//! resource (its creation, its list, any operation on it) to the operations
//! on that resource, for typed clients and stateful fuzzers.

use axum::Router;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{RefOr, Response};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::domain::result::IdempotencyKey;
use crate::error::{FieldError, Problem};
use crate::routes::{self, problems as responses};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gemba",
        description = "Factory inspection API: plans, schedules, results, reports and attachments. \
            Errors are RFC 9457 `application/problem+json`.",
    ),
    modifiers(&SecuritySchemes),
    components(
        schemas(Problem, FieldError, IdempotencyKey),
        responses(
            responses::BadRequest, responses::Unauthorized, responses::Forbidden,
            responses::NotFound, responses::Conflict, responses::PayloadTooLarge,
            responses::UnsupportedMediaType, responses::Unprocessable,
            responses::TooManyRequests, responses::Unavailable, responses::Internal,
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
        (name = "reports", description = "Excel and CSV exports, written by background jobs"),
        (name = "attachments", description = "Photos and documents attached to schedules"),
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

/// The router with every route, and the document describing it.
pub fn router_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::api())
        .split_for_parts();
    complete(&mut doc);
    link(&mut doc);
    (router, doc)
}

/// The whole document, as served at `/openapi.json` and printed by `gemba openapi`.
pub fn document() -> utoipa::openapi::OpenApi {
    router_and_document().1
}

/// Declares what every operation shares (see the module comment).
fn complete(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/");
        let public = !api || path.starts_with("/api/v1/auth/");
        for op in operations(item) {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has = |place: ParameterIn| {
                params
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
            };
            let body = op.request_body.is_some();
            let mut common: Vec<(&str, &str)> = Vec::new();
            if !public {
                op.security = Some(vec![
                    SecurityRequirement::new("bearer", Vec::<String>::new()),
                    SecurityRequirement::new("oauth2", Vec::<String>::new()),
                ]);
                common.push(("401", "Unauthorized"));
            }
            if body || has(ParameterIn::Path) || has(ParameterIn::Query) || has(ParameterIn::Header)
            {
                common.push(("400", "BadRequest"));
            }
            if has(ParameterIn::Path) {
                common.push(("404", "NotFound"));
            }
            if body {
                common.extend([("413", "PayloadTooLarge"), ("415", "UnsupportedMediaType")]);
            }
            if body || has(ParameterIn::Query) {
                common.push(("422", "Unprocessable"));
            }
            if api {
                common.extend([("500", "Internal"), ("503", "Unavailable")]);
            }
            add_responses(op, &common);
        }
    }
}

fn add_responses(op: &mut Operation, statuses: &[(&str, &str)]) {
    for (status, name) in statuses {
        op.responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name(*name)));
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// The resource an operation acts on, `…/{id}`, when `id` is its only path
/// parameter.
fn resource_of(path: &str) -> Option<&str> {
    let at = path.find("/{id}")?;
    let rest = &path[at + "/{id}".len()..];
    (!rest.contains('{')).then_some(&path[..at + "/{id}".len()])
}

/// Adds links (see the module comment). A link passes the resource's id
/// (from the response body, or from the source's own path) and, to an
/// operation taking `If-Match`, the `ETag` the source answered with.
fn link(doc: &mut utoipa::openapi::OpenApi) {
    struct Target {
        resource: String,
        operation_id: String,
        if_match: bool,
    }
    let mut targets = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(resource) = resource_of(path) else {
            continue;
        };
        for op in operations(item) {
            let if_match = op.parameters.iter().flatten().any(|p| {
                matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Header && p.name == "If-Match")
            });
            targets.push(Target {
                resource: resource.to_owned(),
                operation_id: op.operation_id.clone().unwrap_or_default(),
                if_match,
            });
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let deletes = item.delete.as_ref().and_then(|op| op.operation_id.clone());
        for op in operations(item) {
            let own = op.operation_id.clone().unwrap_or_default();
            if Some(&own) == deletes.as_ref() {
                continue; // nothing is left to follow
            }
            let (resource, id) = match resource_of(path) {
                Some(resource) => (resource.to_owned(), "$request.path.id"),
                None if op.request_body.is_some() => {
                    (format!("{path}/{{id}}"), "$response.body#/id")
                }
                None => (format!("{path}/{{id}}"), "$response.body#/items/0/id"),
            };
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !status.starts_with('2') {
                    continue;
                }
                let etag = response.headers.contains_key("ETag");
                for target in targets
                    .iter()
                    .filter(|t| t.resource == resource && t.operation_id != own)
                {
                    add_link(
                        response,
                        target.operation_id.as_str(),
                        id,
                        etag && target.if_match,
                    );
                }
            }
        }
    }
}

fn add_link(response: &mut Response, operation_id: &str, id: &str, etag: bool) {
    let mut link = LinkBuilder::new()
        .operation_id(operation_id)
        .parameter("id", id);
    if etag {
        link = link.parameter("If-Match", "$response.header.ETag");
    }
    response
        .links
        .insert(operation_id.to_owned(), RefOr::T(link.build()));
}
