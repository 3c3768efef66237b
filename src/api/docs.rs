//! The OpenAPI document, generated from the handlers' annotations, and a readable page of it
//! served by Tessera itself (no CDN, no script).
use axum::{response::Html, Json};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use super::{admin, dto, endpoints, error, me, records, tokens};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera API", description = "Tokens, users and endpoints. Authenticate with `Authorization: Bearer <token>`; a token never goes in a query string."),
    paths(
        me::me,
        tokens::list, tokens::create, tokens::revoke, tokens::regenerate, tokens::introspect,
        admin::list_users, admin::create_user, admin::update_user,
        admin::list_tokens, admin::create_token, admin::get_token, admin::delete_token,
        admin::revoke_token, admin::regenerate_token, admin::audit_log,
        endpoints::list, endpoints::create, endpoints::get, endpoints::update,
        endpoints::regenerate_primary, endpoints::list_assignments, endpoints::assign,
        endpoints::unassign, endpoints::requests, endpoints::list_tokens,
        endpoints::create_token, endpoints::update_token, endpoints::regenerate_token,
        records::create, records::list, records::delete,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, dto::CreateTokenRequest)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

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
