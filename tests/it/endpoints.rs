use app::server::entity::{audit_event, endpoint_record, endpoint_request};
use app::server::service::traffic;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_authorization_matrix_gives_exactly_the_expected_status,
    regenerating_cuts_the_old_value_and_deactivating_stops_only_that_application,
    turning_deleting_off_removes_the_delete_primary_and_its_assignments,
    bad_input_gets_clear_errors_and_nothing_is_lost,
    every_call_is_logged_and_the_viewer_filters_by_token,
    the_pages_checkboxes_assign_and_remove_an_assignment,
    the_browser_never_chooses_an_endpoint_secret,
    endpoint_data_past_its_retention_is_purged,
    a_burst_of_records_is_answered_only_once_each_is_committed_with_its_call,
    primaries_and_endpoint_tokens_rotate_with_an_overlap,
    an_endpoint_tokens_allowlist_refuses_or_reports_other_addresses,
);

/// One call of the traffic API: POST a record, GET the list, or DELETE a fresh record.
async fn call(app: &TestApp, endpoint: &str, method: &str, token: Option<&str>) -> u16 {
    let records = format!("/api/v1/endpoints/{endpoint}/records");
    let response = match method {
        "POST" => app
            .api(Method::POST, &records, token)
            .json(&json!({"order": 1}))
            .send()
            .await
            .unwrap(),
        "GET" => app.api(Method::GET, &records, token).send().await.unwrap(),
        _ => {
            // Something to delete, stored directly so that the check is only about the token.
            let id = fresh_record(app, endpoint).await;
            app.api(Method::DELETE, &format!("{records}/{id}"), token)
                .send()
                .await
                .unwrap()
        }
    };
    let status = response.status().as_u16();
    if status >= 400 {
        let body: Value = response.json().await.expect("an error body");
        let code = body["error"]["code"].as_str().unwrap_or_default();
        match status {
            401 => assert!(["missing_token", "invalid_token"].contains(&code), "{code}"),
            403 => assert_eq!(code, "forbidden"),
            _ => {}
        }
    }
    status
}

async fn fresh_record(app: &TestApp, path: &str) -> i64 {
    use app::server::entity::endpoint;
    let endpoint = endpoint::Entity::find()
        .filter(endpoint::Column::Path.eq(path))
        .one(&app.db)
        .await
        .unwrap()
        .expect("endpoint");
    let sender = app::server::requests::Sender::Anonymous;
    let call = app::server::requests::Call {
        endpoint_id: endpoint.id,
        method: "POST",
        sender: &sender,
        status: 201,
        size: 0,
        ip: None,
    };
    app::server::service::traffic::create_record(
        &app.state.records,
        call,
        json!({"to": "delete"}).to_string(),
    )
    .await
    .unwrap()
    .id
}

/// Asserts (POST, GET, DELETE) statuses for `token` on `endpoint`.
async fn expect(app: &TestApp, endpoint: &str, who: &str, token: Option<&str>, want: [u16; 3]) {
    let mut got = [0; 3];
    for (slot, method) in got.iter_mut().zip(["POST", "GET", "DELETE"]) {
        *slot = call(app, endpoint, method, token).await;
    }
    assert_eq!(got, want, "{who} on {endpoint} (POST, GET, DELETE)");
}

const OK: [u16; 3] = [201, 200, 204];
const UNAUTHENTICATED: [u16; 3] = [401, 401, 401];
const FORBIDDEN: [u16; 3] = [403, 403, 403];

async fn the_authorization_matrix_gives_exactly_the_expected_status(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let orders = admin.endpoint("orders", "token", true).await;
    let other = admin.endpoint("other", "token", true).await;
    let no_delete = admin.endpoint("no-delete", "token", false).await;
    admin.endpoint("open", "none", false).await;
    admin.endpoint("open-deletable", "none", true).await;

    let post = admin.primary(orders, "post").await;
    let get = admin.primary(orders, "get").await;
    let delete = admin.primary(orders, "delete").await;
    let other_post = admin.primary(other, "post").await;
    let (on, on_secret) = admin.secondary("billing", true).await;
    let (post_only, post_only_secret) = admin.secondary("post-only", true).await;
    let (disabled, disabled_secret) = admin.secondary("disabled", false).await;
    let (assignment_off, assignment_off_secret) = admin.secondary("assignment-off", true).await;
    let (_, unassigned_secret) = admin.secondary("unassigned", true).await;
    let (elsewhere, elsewhere_secret) = admin.secondary("elsewhere", true).await;
    let (inactive, inactive_secret) = admin.secondary("inactive", true).await;
    admin.assign(orders, on, "PGD", true).await;
    admin.assign(orders, post_only, "P", true).await;
    admin.assign(orders, disabled, "PGD", true).await;
    admin.assign(orders, assignment_off, "PGD", false).await;
    admin.assign(other, elsewhere, "PGD", true).await;
    admin.assign(orders, inactive, "PGD", true).await;
    admin.assign(no_delete, on, "PG", true).await;
    admin
        .ok(
            Method::PATCH,
            &format!("/api/v1/admin/endpoint-tokens/{inactive}"),
            Some(json!({"active": false})),
        )
        .await;
    let unknown = "A".repeat(64);

    expect(&app, "orders", "no token", None, UNAUTHENTICATED).await;
    expect(&app, "orders", "malformed", Some("abc"), UNAUTHENTICATED).await;
    expect(&app, "orders", "unknown", Some(&unknown), UNAUTHENTICATED).await;
    expect(&app, "orders", "POST primary", Some(&post), [201, 403, 403]).await;
    expect(&app, "orders", "GET primary", Some(&get), [403, 200, 403]).await;
    expect(
        &app,
        "orders",
        "DELETE primary",
        Some(&delete),
        [403, 403, 204],
    )
    .await;
    expect(
        &app,
        "orders",
        "another endpoint's primary",
        Some(&other_post),
        FORBIDDEN,
    )
    .await;
    expect(&app, "orders", "assigned secondary", Some(&on_secret), OK).await;
    expect(
        &app,
        "orders",
        "POST-only secondary",
        Some(&post_only_secret),
        [201, 403, 403],
    )
    .await;
    expect(
        &app,
        "orders",
        "disabled secondary",
        Some(&disabled_secret),
        UNAUTHENTICATED,
    )
    .await;
    expect(
        &app,
        "orders",
        "inactive secondary",
        Some(&inactive_secret),
        UNAUTHENTICATED,
    )
    .await;
    expect(
        &app,
        "orders",
        "assignment off",
        Some(&assignment_off_secret),
        FORBIDDEN,
    )
    .await;
    expect(
        &app,
        "orders",
        "unassigned secondary",
        Some(&unassigned_secret),
        FORBIDDEN,
    )
    .await;
    expect(
        &app,
        "orders",
        "assigned elsewhere",
        Some(&elsewhere_secret),
        FORBIDDEN,
    )
    .await;
    expect(
        &app,
        "other",
        "its own primary",
        Some(&other_post),
        [201, 403, 403],
    )
    .await;
    expect(
        &app,
        "other",
        "secondary assigned there",
        Some(&elsewhere_secret),
        OK,
    )
    .await;
    expect(
        &app,
        "no-delete",
        "assigned secondary",
        Some(&on_secret),
        [201, 200, 403],
    )
    .await;
    expect(&app, "open", "anyone", None, [201, 200, 403]).await;
    expect(
        &app,
        "open",
        "anyone with a token",
        Some(&unknown),
        [201, 200, 403],
    )
    .await;
    expect(&app, "open-deletable", "anyone", None, OK).await;
    app.stop().await;
}

async fn regenerating_cuts_the_old_value_and_deactivating_stops_only_that_application(
    backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let orders = admin.endpoint("orders", "token", false).await;
    let old_primary = admin.primary(orders, "post").await;
    assert_eq!(call(&app, "orders", "POST", Some(&old_primary)).await, 201);
    let new_primary = admin.primary(orders, "post").await;
    assert_eq!(call(&app, "orders", "POST", Some(&old_primary)).await, 401);
    assert_eq!(call(&app, "orders", "POST", Some(&new_primary)).await, 201);

    let (billing, billing_old) = admin.secondary("billing", true).await;
    let (shop, shop_secret) = admin.secondary("shop", true).await;
    admin.assign(orders, billing, "PG", true).await;
    admin.assign(orders, shop, "PG", true).await;
    assert_eq!(call(&app, "orders", "POST", Some(&billing_old)).await, 201);
    let regenerated = admin
        .ok(
            Method::POST,
            &format!("/api/v1/admin/endpoint-tokens/{billing}/regenerate"),
            None,
        )
        .await;
    let billing_new = regenerated["secret"].as_str().unwrap();
    assert_eq!(billing_new.len(), 64);
    assert_eq!(call(&app, "orders", "POST", Some(&billing_old)).await, 401);
    assert_eq!(call(&app, "orders", "POST", Some(billing_new)).await, 201);

    // Switching billing off stops billing, and only billing.
    admin
        .ok(
            Method::PATCH,
            &format!("/api/v1/admin/endpoint-tokens/{billing}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(call(&app, "orders", "POST", Some(billing_new)).await, 401);
    assert_eq!(call(&app, "orders", "POST", Some(&shop_secret)).await, 201);
    assert_eq!(call(&app, "orders", "POST", Some(&new_primary)).await, 201);
    admin
        .ok(
            Method::PATCH,
            &format!("/api/v1/admin/endpoint-tokens/{billing}"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(call(&app, "orders", "POST", Some(billing_new)).await, 201);

    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "endpoint.create",
        "endpoint.primary_regenerate",
        "endpoint_token.create",
        "endpoint_token.update",
        "endpoint.assign",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
    // No secret is in the audit log, only hints.
    let details: Vec<String> = audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.details)
        .collect();
    for secret in [&old_primary, &new_primary, &billing_old, &shop_secret] {
        assert!(!details.iter().any(|d| d.contains(secret.as_str())));
    }
    app.stop().await;
}

async fn turning_deleting_off_removes_the_delete_primary_and_its_assignments(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let orders = admin.endpoint("orders", "token", true).await;
    let delete = admin.primary(orders, "delete").await;
    let (billing, billing_secret) = admin.secondary("billing", true).await;
    admin.assign(orders, billing, "PGD", true).await;
    assert_eq!(
        call(&app, "orders", "DELETE", Some(&billing_secret)).await,
        204
    );

    let endpoint = admin
        .ok(
            Method::PATCH,
            &format!("/api/v1/admin/endpoints/{orders}"),
            Some(json!({"allow_deleting": false})),
        )
        .await;
    let methods: Vec<&str> = endpoint["primaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["POST", "GET"]);
    assert_eq!(
        call(&app, "orders", "DELETE", Some(&billing_secret)).await,
        403
    );
    assert_eq!(
        call(&app, "orders", "GET", Some(&delete)).await,
        401,
        "the DELETE primary is gone"
    );
    let assignments = admin
        .ok(
            Method::GET,
            &format!("/api/v1/admin/endpoints/{orders}/assignments"),
            None,
        )
        .await;
    assert_eq!(assignments["items"][0]["delete"], false);
    assert_eq!(assignments["items"][0]["post"], true);
    let (status, body) = admin
        .send(
            Method::POST,
            &format!("/api/v1/admin/endpoints/{orders}/primaries/delete/regenerate"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // Allowing it again brings a new DELETE primary, and the secondary needs a new assignment.
    admin
        .ok(
            Method::PATCH,
            &format!("/api/v1/admin/endpoints/{orders}"),
            Some(json!({"allow_deleting": true})),
        )
        .await;
    assert_eq!(
        call(&app, "orders", "DELETE", Some(&billing_secret)).await,
        403
    );
    let new_delete = admin.primary(orders, "delete").await;
    assert_eq!(call(&app, "orders", "DELETE", Some(&new_delete)).await, 204);

    // Authentication None drops the primaries and every assignment.
    let open = admin
        .ok(
            Method::PATCH,
            &format!("/api/v1/admin/endpoints/{orders}"),
            Some(json!({"auth_type": "none"})),
        )
        .await;
    assert_eq!(open["primaries"], json!([]));
    let assignments = admin
        .ok(
            Method::GET,
            &format!("/api/v1/admin/endpoints/{orders}/assignments"),
            None,
        )
        .await;
    assert_eq!(assignments["items"], json!([]));
    app.stop().await;
}

async fn bad_input_gets_clear_errors_and_nothing_is_lost(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    for (path, message) in [
        ("Orders", "lower-case"),
        ("with space", "lower-case"),
        ("-edge", "lower-case"),
        ("", "Enter a path"),
    ] {
        let (status, body) = admin
            .send(
                Method::POST,
                "/api/v1/admin/endpoints",
                Some(json!({"name": "x", "path": path, "auth_type": "none"})),
            )
            .await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["error"]["field"], "path");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
    let (status, body) = admin
        .send(
            Method::POST,
            "/api/v1/admin/endpoints",
            Some(json!({"name": "x", "path": "ok", "auth_type": "basic"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (422, json!("auth_type"))
    );
    let orders = admin.endpoint("orders", "token", false).await;
    let (status, body) = admin
        .send(
            Method::POST,
            "/api/v1/admin/endpoints",
            Some(json!({"name": "again", "path": "orders", "auth_type": "none"})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (status, _) = admin
        .send(Method::GET, "/api/v1/admin/endpoints/999999", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = admin
        .send(Method::GET, "/api/v1/admin/endpoints/abc", None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = admin
        .send(
            Method::POST,
            "/api/v1/admin/endpoint-tokens",
            Some(json!({"name": "  "})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (422, json!("name"))
    );

    let post = admin.primary(orders, "post").await;
    let records = "/api/v1/endpoints/orders/records";
    let not_json = app
        .api(Method::POST, records, Some(&post))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    assert!(error_body(not_json).await.contains("not valid JSON"));
    let big = format!("\"{}\"", "x".repeat(1024 * 1024 + 1));
    let too_big = app
        .api(Method::POST, records, Some(&post))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    assert!(error_body(too_big).await.contains("payload_too_large"));
    let near_limit = format!("\"{}\"", "y".repeat(1024 * 1024 - 100));
    let accepted = app
        .api(Method::POST, records, Some(&post))
        .header("content-type", "application/json")
        .body(near_limit)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 201, "up to 1 MiB is accepted");
    let unknown = app
        .api(Method::POST, "/api/v1/endpoints/nope/records", Some(&post))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(error_body(unknown).await.contains("not_found"));
    // Only the one good record was stored.
    assert_eq!(
        endpoint_record::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

async fn every_call_is_logged_and_the_viewer_filters_by_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let orders = admin.endpoint("orders", "token", false).await;
    let (billing, billing_secret) = admin.secondary("billing", true).await;
    let (_, shop_secret) = admin.secondary("shop", true).await;
    admin.assign(orders, billing, "PG", true).await;
    assert_eq!(
        call(&app, "orders", "POST", Some(&billing_secret)).await,
        201
    );
    assert_eq!(
        call(&app, "orders", "POST", Some(&billing_secret)).await,
        201
    );
    assert_eq!(call(&app, "orders", "POST", Some(&shop_secret)).await, 403);
    assert_eq!(call(&app, "orders", "GET", None).await, 401);
    // Nothing is written until the batch is flushed (the server does it every second and at
    // shutdown); then every call, refused ones included, is there.
    tessera::flush_logs(&app.state).await.unwrap();
    let logged = endpoint_request::Entity::find()
        .filter(endpoint_request::Column::EndpointId.eq(orders))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(logged.len(), 4);
    assert!(logged.iter().all(|r| r.ip.as_deref() == Some("127.0.0.1")));
    assert!(logged.iter().any(|r| r.sender == "shop" && r.status == 403));
    assert!(logged
        .iter()
        .any(|r| r.sender == "unknown token" && r.status == 401));
    assert!(logged
        .iter()
        .any(|r| r.sender == "billing" && r.status == 201 && r.size == 11));

    let only_billing = admin
        .ok(
            Method::GET,
            &format!("/api/v1/admin/endpoints/{orders}/requests?tokens=billing"),
            None,
        )
        .await;
    let rows = only_billing["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["token"] == "billing"));

    let records = app
        .get_json("/api/v1/endpoints/orders/records", &billing_secret)
        .await;
    assert_eq!(records["items"].as_array().unwrap().len(), 2);
    assert_eq!(records["items"][0]["token"], "billing");
    assert_eq!(records["items"][0]["data"], json!({"order": 1}));

    // The dashboard's count: two refused calls today, none before.
    let proof = app.admin().await;
    let today = chrono::Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        traffic::refused_since(&app.db, &(&proof).into(), today)
            .await
            .unwrap(),
        vec![(orders, 2)]
    );
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    assert!(traffic::refused_since(&app.db, &(&proof).into(), tomorrow)
        .await
        .unwrap()
        .is_empty());
    // The viewer's pages: one call each, newest first, every call exactly once.
    let all = traffic::RequestFilter::default();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = traffic::requests_page(
            &app.db,
            &(&proof).into(),
            orders,
            &all,
            1,
            cursor.as_deref(),
        )
        .await
        .unwrap();
        seen.extend(page.into_iter().map(|r| r.id));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<i64> = logged.iter().map(|r| r.id).collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(sorted, expected);
    assert_eq!(seen.len(), 4);
    let bad = traffic::requests_page(
        &app.db,
        &(&proof).into(),
        orders,
        &all,
        1,
        Some("yesterday"),
    )
    .await;
    assert!(bad.is_err());
    app.stop().await;
}

/// The Tokens tab saves each checkbox through `assign_endpoint_token`: the last method
/// switched off removes the assignment (audited), and an unknown endpoint is still 404.
async fn the_pages_checkboxes_assign_and_remove_an_assignment(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let endpoint = admin.endpoint("checkboxes", "token", false).await;
    let (token, secret) = admin.secondary("checkbox-app", true).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "admin", ADMIN_PASSWORD).await.status(),
        200
    );
    let save = |endpoint_id: i64, post: bool| {
        client
            .post(app.url("/sfn/assign_endpoint_token"))
            .json(&json!({
                "endpoint_id": endpoint_id,
                "token_id": token,
                "assignment": {"post": post, "get": false, "delete": false, "enabled": true},
            }))
            .send()
    };
    let assignments = format!("/api/v1/admin/endpoints/{endpoint}/assignments");

    assert_eq!(save(endpoint, true).await.unwrap().status(), 200);
    assert_eq!(call(&app, "checkboxes", "POST", Some(&secret)).await, 201);
    assert_eq!(
        admin.ok(Method::GET, &assignments, None).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    assert_eq!(save(endpoint, false).await.unwrap().status(), 200);
    assert_eq!(call(&app, "checkboxes", "POST", Some(&secret)).await, 403);
    assert_eq!(
        admin.ok(Method::GET, &assignments, None).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let removals = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("endpoint.unassign"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(removals, 1);
    // Nothing left to remove is not an error; an endpoint that does not exist is.
    assert_eq!(save(endpoint, false).await.unwrap().status(), 200);
    assert_eq!(save(endpoint + 1000, false).await.unwrap().status(), 404);
    app.stop().await;
}

/// "Token settings" drafts its value on the server: Save sends a draft id bound to the
/// administrator's session, which lapses when used or discarded; a value the browser sends
/// of its own is never stored.
async fn the_browser_never_chooses_an_endpoint_secret(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let endpoint = admin.endpoint("drafts", "token", false).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "admin", ADMIN_PASSWORD).await.status(),
        200
    );
    let other = app.client();
    assert_eq!(
        app.sign_in(&other, "admin", ADMIN_PASSWORD).await.status(),
        200
    );
    let draft = |client: &reqwest::Client| {
        let request = client.post(app.url("/sfn/draft_endpoint_secret")).send();
        async move {
            let response = request.await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let save = |form: Value| {
        client
            .post(app.url("/sfn/save_endpoint_token"))
            .json(&json!({ "form": form }))
            .send()
    };
    let form = |id: Option<i64>, draft: &Value| json!({"id": id, "name": "app", "description": "", "enabled": true, "draft": draft});

    // A value of the browser's own is not a draft: nothing is created.
    let chosen = "A".repeat(64);
    let mut own = form(None, &Value::Null);
    own["secret"] = json!(chosen);
    assert_eq!(save(own).await.unwrap().status(), 422);
    assert_eq!(
        save(form(None, &json!(chosen))).await.unwrap().status(),
        422
    );

    // Saved with a draft, the token answers to the drafted value and to nothing else. A Save
    // refused for another field keeps the draft, so the value already copied still counts.
    let first = draft(&client).await;
    let first_secret = first["secret"].as_str().unwrap().to_owned();
    assert_eq!(first_secret.len(), 64);
    let mut nameless = form(None, &first["id"]);
    nameless["name"] = json!("");
    assert_eq!(save(nameless).await.unwrap().status(), 422);
    let response = save(form(None, &first["id"])).await.unwrap();
    assert_eq!(response.status(), 200);
    let token = response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    admin.assign(endpoint, token, "P", true).await;
    assert_eq!(call(&app, "drafts", "POST", Some(&first_secret)).await, 201);
    assert_eq!(call(&app, "drafts", "POST", Some(&chosen)).await, 401);

    // The draft lapsed with the save; another session's draft is not this one's; a
    // discarded draft lapses too. None of them changes the value.
    assert_eq!(
        save(form(Some(token), &first["id"]))
            .await
            .unwrap()
            .status(),
        422
    );
    let foreign = draft(&other).await;
    assert_eq!(
        save(form(Some(token), &foreign["id"]))
            .await
            .unwrap()
            .status(),
        422
    );
    let discarded = draft(&client).await;
    let response = client
        .post(app.url("/sfn/discard_endpoint_draft"))
        .form(&[("id", discarded["id"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        save(form(Some(token), &discarded["id"]))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(call(&app, "drafts", "POST", Some(&first_secret)).await, 201);

    // A new draft saved on the token replaces its value at once.
    let next = draft(&client).await;
    assert_eq!(
        save(form(Some(token), &next["id"])).await.unwrap().status(),
        200
    );
    assert_eq!(call(&app, "drafts", "POST", Some(&first_secret)).await, 401);
    let next_secret = next["secret"].as_str().unwrap();
    assert_eq!(call(&app, "drafts", "POST", Some(next_secret)).await, 201);

    // The session keeps no secret, only digests.
    let sessions: Vec<String> = app::server::entity::session::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.data)
        .collect();
    assert!(sessions.iter().all(|data| !data.contains(next_secret)));
    app.stop().await;
}

/// Records and logged calls older than the retention setting are purged; newer ones stay.
/// The purge takes the time as a parameter: the test moves the clock, not the data.
async fn endpoint_data_past_its_retention_is_purged(backend: Backend) {
    use app::server::service::traffic;
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    admin.endpoint("kept", "none", false).await;
    for _ in 0..3 {
        assert_eq!(call(&app, "kept", "POST", None).await, 201);
    }
    tessera::flush_logs(&app.state).await.unwrap();
    let now = chrono::Utc::now();
    let count = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            (
                endpoint_record::Entity::find().count(&db).await.unwrap(),
                endpoint_request::Entity::find().count(&db).await.unwrap(),
            )
        }
    };
    assert_eq!(count(&app).await, (3, 3));
    // Default retention, 90 days: nothing is old enough today, everything in 91 days.
    assert_eq!(traffic::purge(&app.db, now).await.unwrap(), (0, 0));
    assert_eq!(count(&app).await, (3, 3));
    let later = now + chrono::Duration::days(91);
    assert_eq!(traffic::purge(&app.db, later).await.unwrap(), (3, 3));
    assert_eq!(count(&app).await, (0, 0));
    // The setting is validated by name.
    let settings = app::server::service::settings::load(&app.db).await.unwrap();
    let err = app::server::service::settings::save(
        &app.db,
        &app.state.auth,
        &app.admin().await,
        &app::server::service::settings::TokenSettings {
            retention_days: 0,
            ..settings
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("between 1 and"), "{err}");
    app.stop().await;
}

/// Makes the database refuse every record whose data mentions "poison", as a broken row
/// would.
async fn poison_records(app: &TestApp, backend: Backend) {
    let statements = match backend {
        Backend::Sqlite => vec!["CREATE TRIGGER poison BEFORE INSERT ON endpoint_records \
             WHEN NEW.data LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            .to_owned()],
        Backend::Postgres => vec![
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
             IF NEW.data LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql"
                .to_owned(),
            "CREATE TRIGGER poison BEFORE INSERT ON endpoint_records \
             FOR EACH ROW EXECUTE FUNCTION poison()"
                .to_owned(),
        ],
    };
    for statement in statements {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, &statement)
            .await
            .unwrap();
    }
}

/// Records go through one writer that commits them in groups. Parallel calls each get the id
/// of their own record; when a call is answered, its record and its logged call are already
/// committed (nothing flushes the log in this test); a record the database refuses fails
/// alone, not the calls queued with it.
async fn a_burst_of_records_is_answered_only_once_each_is_committed_with_its_call(
    backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let endpoint = admin.endpoint("burst", "none", false).await;
    poison_records(&app, backend).await;
    let client = app.client();
    let post = |body: Value| {
        let request = client
            .post(app.url("/api/v1/endpoints/burst/records"))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let good = futures_util::future::join_all((0..200).map(|n| post(json!({"n": n}))));
    let bad = futures_util::future::join_all((0..3).map(|_| post(json!({"poison": true}))));
    let (good, bad) = tokio::join!(good, bad);

    let mut answered = std::collections::BTreeMap::new();
    for (n, (status, body)) in good.iter().enumerate() {
        assert_eq!(*status, 201, "record {n}: {body}");
        answered.insert(body["id"].as_i64().unwrap(), n as i64);
    }
    assert_eq!(answered.len(), 200, "every record has an id of its own");
    for (status, body) in &bad {
        assert_eq!(*status, 500, "{body}");
        assert_eq!(body["error"]["code"], "internal_error");
        assert!(!body.to_string().contains("poisoned"), "{body}");
    }

    let stored = endpoint_record::Entity::find()
        .filter(endpoint_record::Column::EndpointId.eq(endpoint))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 200);
    for record in &stored {
        let data: Value = serde_json::from_str(&record.data).unwrap();
        assert_eq!(
            Some(&data["n"].as_i64().unwrap()),
            answered.get(&record.id),
            "record {} holds what the call that got its id sent",
            record.id
        );
    }
    let logged = endpoint_request::Entity::find()
        .filter(endpoint_request::Column::EndpointId.eq(endpoint))
        .all(&app.db)
        .await
        .unwrap();
    let mut logged_ids: Vec<_> = logged
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.record_id.unwrap())
        .collect();
    logged_ids.sort_unstable();
    assert_eq!(logged_ids, answered.keys().copied().collect::<Vec<_>>());

    // The refused records' calls are logged like every failed call: with the writer's next
    // batch or the log's next write, whichever comes first.
    tessera::flush_logs(&app.state).await.unwrap();
    let failed = endpoint_request::Entity::find()
        .filter(endpoint_request::Column::EndpointId.eq(endpoint))
        .filter(endpoint_request::Column::Status.eq(500))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failed, 3);
    app.stop().await;
}

/// A POST of a record with `token`: status and error code.
async fn post_record(app: &TestApp, endpoint: &str, token: &str) -> (u16, String) {
    let response = app
        .api(
            Method::POST,
            &format!("/api/v1/endpoints/{endpoint}/records"),
            Some(token),
        )
        .json(&json!({"order": 1}))
        .send()
        .await
        .unwrap();
    status_and_code(response).await
}

/// Ends every running overlap of primaries and endpoint tokens, as if its time had come,
/// and makes the cache load them again (the time itself is compared on every call: see the
/// unit test of `traffic::Value`).
async fn overlap_ended(app: &TestApp) {
    use app::server::entity::{endpoint_primary, endpoint_token};
    use sea_orm::sea_query::Expr;
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    endpoint_primary::Entity::update_many()
        .col_expr(
            endpoint_primary::Column::PreviousValidUntil,
            Expr::value(past),
        )
        .filter(endpoint_primary::Column::PreviousDigest.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();
    endpoint_token::Entity::update_many()
        .col_expr(
            endpoint_token::Column::PreviousValidUntil,
            Expr::value(past),
        )
        .filter(endpoint_token::Column::PreviousDigest.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();
    app.state.auth.reset();
}

async fn primaries_and_endpoint_tokens_rotate_with_an_overlap(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let endpoint = admin.endpoint("rotating", "token", false).await;
    let old_post = admin.primary(endpoint, "post").await;
    let get = admin.primary(endpoint, "get").await;
    let (shop, old_shop) = admin.secondary("shop", true).await;
    admin.assign(endpoint, shop, "P", true).await;

    // Rotate both with a day's overlap: old and new values work.
    let path = format!("/api/v1/admin/endpoints/{endpoint}/primaries/post/regenerate");
    let rotated = admin
        .ok(Method::POST, &path, Some(json!({"grace_seconds": 86_400})))
        .await;
    let new_post = rotated["secret"].as_str().unwrap().to_owned();
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(rotated["previous_valid_until"].clone()).unwrap();
    assert!(until > chrono::Utc::now() + chrono::Duration::hours(23));
    let rotated = admin
        .ok(
            Method::POST,
            &format!("/api/v1/admin/endpoint-tokens/{shop}/regenerate"),
            Some(json!({"grace_seconds": 3_600})),
        )
        .await;
    let new_shop = rotated["secret"].as_str().unwrap().to_owned();
    assert!(rotated["endpoint_token"]["previous_valid_until"].is_string());
    for token in [&old_post, &new_post, &old_shop, &new_shop] {
        assert_eq!(post_record(&app, "rotating", token).await.0, 201);
    }
    // The records say who has yet to switch.
    let records = app
        .get_json("/api/v1/endpoints/rotating/records", &get)
        .await;
    let mut senders: Vec<String> = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["token"].as_str().unwrap().to_owned())
        .collect();
    senders.sort();
    assert_eq!(
        senders,
        [
            "POST primary",
            "POST primary (previous value)",
            "shop",
            "shop (previous value)"
        ]
    );
    let shown = admin
        .ok(
            Method::GET,
            &format!("/api/v1/admin/endpoints/{endpoint}"),
            None,
        )
        .await;
    let post = shown["primaries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["method"] == "POST")
        .unwrap()
        .clone();
    assert!(post["previous_valid_until"].is_string(), "{post}");

    // At the end of the overlap the old values stop; the new ones go on.
    overlap_ended(&app).await;
    assert_eq!(
        post_record(&app, "rotating", &old_post).await,
        (401, "invalid_token".into())
    );
    assert_eq!(
        post_record(&app, "rotating", &old_shop).await,
        (401, "invalid_token".into())
    );
    assert_eq!(post_record(&app, "rotating", &new_post).await.0, 201);
    assert_eq!(post_record(&app, "rotating", &new_shop).await.0, 201);

    // Without a body a regeneration stops the old value at once, as before; a bad overlap
    // is refused by name and changes nothing.
    let (status, body) = admin
        .send(Method::POST, &path, Some(json!({"grace_seconds": 604_801})))
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("grace_seconds"))
    );
    assert_eq!(post_record(&app, "rotating", &new_post).await.0, 201);
    let newest = admin.ok(Method::POST, &path, None).await;
    assert_eq!(newest["previous_valid_until"], Value::Null);
    assert_eq!(post_record(&app, "rotating", &new_post).await.0, 401);
    let audit = app
        .get_json(
            "/api/v1/admin/audit?action=endpoint.primary_regenerate",
            &admin.token,
        )
        .await;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["details"]["grace_seconds"] == 86_400));
}

async fn an_endpoint_tokens_allowlist_refuses_or_reports_other_addresses(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin_client().await;
    let endpoint = admin.endpoint("guarded", "token", false).await;
    let (shop, secret) = admin.secondary("shop", true).await;
    admin.assign(endpoint, shop, "P", true).await;
    let path = format!("/api/v1/admin/endpoint-tokens/{shop}");

    // The tests call from loopback: a network elsewhere refuses them.
    let changed = admin
        .ok(
            Method::PATCH,
            &path,
            Some(json!({"allowed_ips": ["10.9.8.7/8", "2001:db8::/32"]})),
        )
        .await;
    assert_eq!(
        changed["allowed_ips"],
        json!(["10.0.0.0/8", "2001:db8::/32"])
    );
    assert_eq!(
        post_record(&app, "guarded", &secret).await,
        (403, "ip_not_allowed".into())
    );
    // Refused calls are in the request log too.
    app.state.requests.flush(&app.db).await.unwrap();
    let refused = endpoint_request::Entity::find()
        .filter(endpoint_request::Column::Status.eq(403i16))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(refused, 1);
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("auth.refused"))
        .filter(audit_event::Column::Target.eq("endpoint token shop"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(audited[0]
        .details
        .as_deref()
        .unwrap_or_default()
        .contains("ip_not_allowed"));

    // Report only: accepted, and audited once a minute.
    admin
        .ok(Method::PATCH, &path, Some(json!({"ip_policy": "report"})))
        .await;
    for _ in 0..3 {
        assert_eq!(post_record(&app, "guarded", &secret).await.0, 201);
    }
    let reported = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("token.ip_reported"))
        .filter(audit_event::Column::Target.eq("endpoint token shop"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(reported, 1);

    // Loopback allowed: accepted under enforce. Bad entries are refused by name.
    admin
        .ok(
            Method::PATCH,
            &path,
            Some(json!({"allowed_ips": ["127.0.0.1"], "ip_policy": "enforce"})),
        )
        .await;
    assert_eq!(post_record(&app, "guarded", &secret).await.0, 201);
    let (status, body) = admin
        .send(
            Method::PATCH,
            &path,
            Some(json!({"allowed_ips": ["shop.example"], "name": "renamed"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("allowed_ips"))
    );
    let listed = admin
        .ok(Method::GET, "/api/v1/admin/endpoint-tokens", None)
        .await;
    assert_eq!(listed["items"][0]["name"], "shop", "nothing was saved");
    assert_eq!(listed["items"][0]["allowed_ips"], json!(["127.0.0.1/32"]));
}
