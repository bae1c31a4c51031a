//! The OpenAPI document is the contract: a change to it shows in review as a
//! change to `tests/snapshots/openapi.json`. Regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test --test api openapi`.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

fn document() -> Value {
    serde_json::from_str(&gemba::openapi::document().to_json().unwrap()).unwrap()
}

/// `(path, method, operation)` for every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

/// Everything under `/api/` except logging in needs a bearer token.
fn needs_token(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/auth/")
}

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = gemba::openapi::document().to_pretty_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(path, &doc).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        doc == expected,
        "the OpenAPI document changed; review and run `UPDATE_SNAPSHOTS=1 cargo test --test api openapi`"
    );
}

#[test]
fn every_operation_is_documented_with_errors_and_security() {
    let doc = document();
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["oauth2"].is_object());
    let ops = operations(&doc);
    assert!(ops.len() >= 44, "{} operations", ops.len());
    for (path, method, op) in ops {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has an operation id");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{id} documents success"
        );
        if needs_token(&path) {
            let schemes: Vec<&str> = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{id} declares security"))
                .iter()
                .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
                .collect();
            assert_eq!(schemes, ["bearer", "oauth2"], "{id}");
            for status in ["401", "500", "503"] {
                assert!(responses.contains_key(status), "{id} documents {status}");
            }
        } else {
            assert!(op.get("security").is_none(), "{id} is public");
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(status), "{id} documents {status}");
            }
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{id} documents 404");
        }
    }
}

/// Follows a local `$ref` (`#/components/...`) through the document.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_link_reaches_an_operation() {
    let doc = document();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 100);
    for r in all {
        assert!(resolve(&doc, r).is_some(), "{r} does not resolve");
    }
    // operationId -> names of its parameters
    let params: BTreeMap<String, Vec<String>> = operations(&doc)
        .into_iter()
        .map(|(_, _, op)| {
            let names = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            (op["operationId"].as_str().unwrap().to_owned(), names)
        })
        .collect();
    let mut links = BTreeMap::new();
    for (_, _, op) in operations(&doc) {
        let source = op["operationId"].as_str().unwrap().to_owned();
        for response in op["responses"].as_object().unwrap().values() {
            for link in response["links"]
                .as_object()
                .into_iter()
                .flat_map(|l| l.values())
            {
                let target = link["operationId"].as_str().unwrap();
                let names = params
                    .get(target)
                    .unwrap_or_else(|| panic!("{source} links to {target}"));
                for (name, expr) in link["parameters"].as_object().unwrap() {
                    assert!(names.contains(name), "{source} -> {target}: {name}");
                    assert!(expr.as_str().unwrap().starts_with('$'), "{expr}");
                }
                links
                    .entry(source.clone())
                    .or_insert_with(Vec::new)
                    .push(target.to_owned());
            }
        }
    }
    // Create -> read/update, schedule -> start/result, result -> schedule.
    for (source, target) in [
        ("create_site", "get_site"),
        ("create_site", "update_site"),
        ("create_equipment", "update_equipment"),
        ("create_plan", "update_plan"),
        ("create_user", "get_user"),
        ("list_schedules", "get_schedule"),
        ("get_schedule", "start_schedule"),
        ("get_schedule", "submit_result"),
        ("start_schedule", "submit_result"),
        ("submit_result", "get_result"),
        ("submit_result", "get_schedule"),
    ] {
        assert!(
            links
                .get(source)
                .is_some_and(|t| t.iter().any(|t| t == target)),
            "{source} links to {target}"
        );
    }
    // A plan's ETag travels to the update that needs it.
    let to_update =
        &doc["paths"]["/api/v1/plans/{id}"]["get"]["responses"]["200"]["links"]["update_plan"];
    assert_eq!(to_update["parameters"]["If-Match"], "$response.header.ETag");
}

/// The security the document declares is the security the server applies:
/// every operation under `/api/` outside `/auth` refuses a request without a
/// token (before looking at anything else), and the others never ask for one.
#[tokio::test]
async fn every_operation_outside_auth_refuses_a_missing_token() {
    let app = spawn_app().await;
    let mut checked = 0;
    for (path, method, op) in operations(&document()) {
        let url = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut rb = app.request(method.clone(), &url, None);
        if op.get("requestBody").is_some() {
            rb = rb.header("content-type", "application/json").body("{}");
        }
        let res = rb.send().await.unwrap();
        if needs_token(&path) {
            let problem = assert_problem(res, StatusCode::UNAUTHORIZED).await;
            assert_eq!(
                problem["type"], "urn:gemba:problem:unauthorized",
                "{method} {url}"
            );
            checked += 1;
        } else {
            assert_ne!(res.status(), StatusCode::UNAUTHORIZED, "{method} {url}");
        }
    }
    assert!(checked >= 37, "{checked} operations checked");
}
