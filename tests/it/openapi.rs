//! The OpenAPI document as client generators read it: an id per operation, optional bodies
//! they can build, and the limits the server enforces. `.ci/clients` generates TypeScript and
//! Python clients from it and runs them.
use std::collections::HashMap;

use serde_json::{json, Value};

use app::model::scope::Scope;
use app::model::token::{ALLOWLIST_MAX, GRACE_SECONDS_MAX};
use app::server::rate_limits::PER_MINUTE_MAX;
use app::server::service::{accounts, endpoints, passwords, tokens};

use crate::helpers::*;

async fn served_document() -> Value {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let doc = app.openapi().await;
    app.stop().await;
    doc
}

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    all
}

/// A schema with its `$ref` followed.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn property<'a>(doc: &'a Value, schema: &str, name: &str) -> &'a Value {
    let property = &doc["components"]["schemas"][schema]["properties"][name];
    assert!(property.is_object(), "{schema}.{name} is not documented");
    property
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_has_its_own_id() {
    let doc = served_document().await;
    let mut seen: HashMap<String, String> = HashMap::new();
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        let camel_case = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric());
        assert!(camel_case, "{method} {path}: operationId {id:?}");
        if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
            panic!("{id} names both {other} and {method} {path}");
        }
    }
    assert!(seen.len() >= 40, "{} operations", seen.len());
    for (id, operation) in [
        ("listMyTokens", "get /api/v1/tokens"),
        ("createMyToken", "post /api/v1/tokens"),
        ("createAdminToken", "post /api/v1/admin/tokens"),
        ("createEndpoint", "post /api/v1/admin/endpoints"),
    ] {
        assert_eq!(seen[id], operation);
    }
}

/// openapi-python-client cannot build `oneOf [null, X]`: an optional body is X, not required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_bodies_are_the_object_itself_and_not_required() {
    let doc = served_document().await;
    for (method, path, operation) in operations(&doc) {
        let Some(content) = operation["requestBody"]["content"].as_object() else {
            continue;
        };
        for (media_type, body) in content {
            let alternatives = body["schema"]["oneOf"].as_array().cloned();
            assert!(
                !alternatives
                    .unwrap_or_default()
                    .iter()
                    .any(|schema| schema["type"] == "null"),
                "{method} {path} ({media_type}): a body that may be null"
            );
        }
    }
    for path in [
        "/api/v1/tokens/{id}/regenerate",
        "/api/v1/tokens/self/rotate",
        "/api/v1/admin/tokens/{id}/regenerate",
        "/api/v1/admin/endpoint-tokens/{id}/regenerate",
        "/api/v1/admin/endpoints/{id}/primaries/{method}/regenerate",
    ] {
        let body = &doc["paths"][path]["post"]["requestBody"];
        assert_eq!(body["required"], false, "{path}");
        assert_eq!(
            body["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/RegenerateRequest"}),
            "{path}"
        );
    }
    let created = &doc["paths"]["/api/v1/tokens"]["post"]["requestBody"];
    assert_eq!(created["required"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_documents_its_form_body() {
    let doc = served_document().await;
    let content = &doc["paths"]["/api/v1/tokens/introspect"]["post"]["requestBody"]["content"];
    for media_type in ["application/json", "application/x-www-form-urlencoded"] {
        let schema = resolved(&doc, &content[media_type]["schema"]);
        assert_eq!(schema["required"], json!(["token"]), "{media_type}");
    }
}

/// The limits in the document are the services' own, so that a generated request within
/// them is not refused for its shape (what schemathesis warns of as a validation mismatch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_limits_are_the_enforced_ones() {
    let doc = served_document().await;
    for schema in ["CreateTokenRequest", "TokenEdit"] {
        let name = property(&doc, schema, "name");
        assert_eq!(name["maxLength"], tokens::NAME_MAX, "{schema}");
        assert_eq!(name["minLength"], 1, "{schema}");
        let description = property(&doc, schema, "description");
        assert_eq!(
            description["maxLength"],
            tokens::DESCRIPTION_MAX,
            "{schema}"
        );
    }
    for schema in ["CreateEndpointRequest", "CreateEndpointTokenRequest"] {
        let name = property(&doc, schema, "name");
        assert_eq!(name["maxLength"], endpoints::NAME_MAX, "{schema}");
        let description = property(&doc, schema, "description");
        assert_eq!(
            description["maxLength"],
            endpoints::DESCRIPTION_MAX,
            "{schema}"
        );
    }
    let path = property(&doc, "CreateEndpointRequest", "path");
    assert_eq!(path["maxLength"], endpoints::PATH_MAX);
    let pass_code = property(&doc, "CreateTokenRequest", "pass_code");
    let password = property(&doc, "CreateUserRequest", "password");
    for secret in [pass_code, password] {
        assert_eq!(secret["minLength"], passwords::MIN_LEN);
        assert_eq!(secret["maxLength"], passwords::MAX_LEN);
    }
    let identifier = property(&doc, "CreateTokenRequest", "identifier");
    assert_eq!(identifier["maxLength"], tokens::IDENTIFIER_MAX);
    let username = property(&doc, "CreateUserRequest", "username");
    assert_eq!(username["maxLength"], accounts::USERNAME_MAX_LEN);

    let scopes = property(&doc, "CreateTokenRequest", "scopes");
    assert_eq!(scopes["minItems"], 1);
    let known: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
    assert_eq!(resolved(&doc, &scopes["items"])["enum"], json!(known));

    let rate = property(&doc, "TokenEdit", "rate_limit_per_minute");
    assert_eq!(
        (&rate["minimum"], &rate["maximum"]),
        (&json!(1), &json!(PER_MINUTE_MAX))
    );
    let allowed = property(&doc, "TokenEdit", "allowed_ips");
    assert_eq!(allowed["maxItems"], ALLOWLIST_MAX);
    let grace = property(&doc, "RegenerateRequest", "grace_seconds");
    assert_eq!(
        (&grace["minimum"], &grace["maximum"]),
        (&json!(0), &json!(GRACE_SECONDS_MAX))
    );
    // Left out, the service refuses them naming the field; the document says they are needed.
    let webhook = &doc["components"]["schemas"]["NewWebhook"];
    assert_eq!(webhook["required"], json!(["url", "events"]));
    let auth_type = property(&doc, "CreateEndpointRequest", "auth_type");
    assert_eq!(resolved(&doc, auth_type)["enum"], json!(["none", "token"]));
}
