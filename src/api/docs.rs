//! The OpenAPI document, generated from the handlers' annotations, and a readable page of it
//! served by Tessera itself (no CDN, no script).
use axum::{response::Html, Json};
use utoipa::{
    openapi::{
        path::{Operation, ParameterBuilder, ParameterIn, PathItem},
        schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type},
        security::{Http, HttpAuthScheme, SecurityScheme},
        ContentBuilder, Ref, RefOr, Required, Response, ResponseBuilder, Schema,
    },
    Modify, OpenApi,
};

use super::{admin, dto, endpoints, error, groups, leaks, me, records, tokens, webhooks};
use app::model::token::{StatusFilter, TokenSort};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera API", description = "Tokens, users and endpoints. Authenticate with `Authorization: Bearer <token>`; a token never goes in a query string."),
    paths(
        me::me,
        tokens::list, tokens::create, tokens::revoke, tokens::update, tokens::regenerate,
        tokens::introspect, tokens::rotate_self, tokens::usage,
        admin::list_users, admin::create_user, admin::update_user, admin::revoke_user_tokens,
        admin::revoke_issued_before,
        admin::list_tokens, admin::create_token, admin::get_token, admin::update_token,
        admin::delete_token, admin::token_usage,
        admin::revoke_token, admin::regenerate_token, admin::audit_log,
        groups::list, groups::create, groups::get, groups::update, groups::delete,
        groups::members, groups::add_member, groups::remove_member,
        endpoints::list, endpoints::create, endpoints::get, endpoints::update,
        endpoints::regenerate_primary, endpoints::list_assignments, endpoints::assign,
        endpoints::unassign, endpoints::requests, endpoints::list_tokens,
        endpoints::create_token, endpoints::update_token, endpoints::regenerate_token,
        records::create, records::list, records::delete,
        webhooks::list, webhooks::create, webhooks::update, webhooks::delete,
        webhooks::deliveries, webhooks::redeliver, leaks::report,
    ),
    // Query parameters name these by reference; nothing else brings them in.
    components(schemas(error::ErrorBody, error::ErrorDetail, dto::CreateTokenRequest,
        StatusFilter, TokenSort)),
    modifiers(&BearerAuth, &EveryAnswer, &OptionalBodies)
)]
pub struct ApiDoc;

/// Completes every operation with what the annotations would repeat: a definition of each
/// `{parameter}` in its path, and every error status it can answer with the error schema, so
/// that a generated client knows every answer it may get.
struct EveryAnswer;

/// The type of a path parameter, by its name.
fn path_parameter(name: &str) -> (Schema, &'static str) {
    let integer = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .build()
    };
    match name {
        "method" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["post", "get", "delete"]))
                .build()
                .into(),
            "The primary's method",
        ),
        "path" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(64))
                .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$"))
                .build()
                .into(),
            "The endpoint's path (its slug)",
        ),
        "token_id" => (integer().into(), "The endpoint token's id"),
        "user_id" => (integer().into(), "The user's id"),
        _ => (integer().into(), "The id"),
    }
}

fn error_answer(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The operations a path item may hold, in a fixed order (the document has no others).
fn operations(item: &mut PathItem) -> [&mut Option<Operation>; 5] {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
}

impl Modify for EveryAnswer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let operations = operations(item);
            for (index, operation) in operations.into_iter().enumerate() {
                let Some(operation) = operation else { continue };
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    let defined = parameters
                        .iter()
                        .any(|p| p.name == *name && p.parameter_in == ParameterIn::Path);
                    if !defined {
                        let (schema, description) = path_parameter(name);
                        parameters.push(
                            ParameterBuilder::new()
                                .name(*name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .description(Some(description))
                                .schema(Some(schema))
                                .build(),
                        );
                    }
                }
                let has_query = parameters
                    .iter()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                let changes = index > 0;
                let mut answers = vec![
                    (
                        "401",
                        "No token, or one that does not authenticate (code says why)",
                    ),
                    ("403", "The token does not allow this"),
                    ("404", "Nothing with this id or path, or another user's"),
                    ("429", "Too many attempts (pass codes) or calls (the token's rate limit); see Retry-After and RateLimit-*"),
                ];
                if has_query || operation.request_body.is_some() {
                    answers.push(("422", "A value was refused; field names it"));
                }
                if operation.request_body.is_some() {
                    answers.push(("400", "The body does not parse"));
                    answers.push(("413", "The body is too large"));
                    answers.push(("415", "The body is not of a media type documented here"));
                }
                if changes {
                    answers.push(("409", "A rule refused the change; message names it"));
                }
                for (status, description) in answers {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_answer(description));
                }
            }
        }
    }
}

/// An optional body as client generators read one: the object itself, not required.
/// utoipa writes `Option<T>` as `oneOf [null, T]`, which openapi-python-client cannot build
/// and the others type as a union that no caller needs; the server takes a missing body and
/// `null` alike as "nothing".
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = operations(item);
            for operation in operations.into_iter().flatten() {
                let Some(body) = operation.request_body.as_mut() else {
                    continue;
                };
                if body.required == Some(Required::True) {
                    continue;
                }
                body.required = Some(Required::False);
                for content in body.content.values_mut() {
                    if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
                        let mut rest = one_of.items.iter().filter(|schema| !is_null(schema));
                        if let (Some(only), None) = (rest.next(), rest.next()) {
                            content.schema = Some(only.clone());
                        }
                    }
                }
            }
        }
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object))
        if object.schema_type == SchemaType::Type(Type::Null))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn docs_page() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(op) = operation else { continue };
            let summary = op
                .description
                .clone()
                .or(op.summary.clone())
                .unwrap_or_default();
            let statuses: Vec<String> = op.responses.responses.keys().cloned().collect();
            rows.push_str(&format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(method),
                escape(path),
                escape(&summary),
                escape(&statuses.join(", ")),
            ));
        }
    }
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API documentation · Tessera</title><link rel="stylesheet" href="/pkg/tessera.css"></head>
<body><main id="main"><h1>API documentation</h1>
<p>{description}</p>
<p>Errors answer <code>{{"error": {{"code", "message", "field"?}}}}</code>; a refused token answers 401 with
<code>WWW-Authenticate: Bearer error="invalid_token"</code>. The machine-readable description is at
<a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
<div class="table-wrap"><table><thead><tr><th scope="col">Method</th><th scope="col">Path</th>
<th scope="col">What it does</th><th scope="col">Statuses</th></tr></thead><tbody>{rows}</tbody></table></div>
</main></body></html>"#,
        description = escape(doc.info.description.as_deref().unwrap_or_default()),
    ))
}
