//! The OpenAPI document is the contract: a change to it shows in review as a
//! change to `tests/snapshots/openapi.json`. Regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test --test api openapi`.

use serde_json::Value;

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
    let doc: Value = serde_json::from_str(&gemba::openapi::document().to_json().unwrap()).unwrap();
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["oauth2"].is_object());
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has an operation id");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{id} documents success"
            );
            let needs_auth = path.starts_with("/api/v1/users");
            if needs_auth {
                assert!(op["security"].is_array(), "{id} declares security");
                assert!(responses.contains_key("401"), "{id} documents 401");
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("415"), "{id} documents 415");
            }
        }
    }
}
