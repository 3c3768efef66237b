//! User tokens on endpoint data (DESIGN 8.1): a token with `records:read` / `records:write`
//! reaches an endpoint's records exactly while its owner holds the matching `endpoint:*`
//! right there, and its calls and records name the token and its owner.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_user_token_reaches_records_exactly_while_its_owner_holds_the_right,
    a_right_removed_while_writes_are_in_flight_stops_the_next_one,
);

const ORDERS: &str = "/api/v1/endpoints/orders/records";
const INVOICES: &str = "/api/v1/endpoints/invoices/records";

/// A group "Order clerks" with `rights` and `member` in it: its id.
async fn clerks(root: &AdminClient<'_>, member: i64, rights: Value) -> i64 {
    let group = root
        .ok(
            Method::POST,
            "/api/v1/admin/groups",
            Some(json!({"name": "Order clerks", "rights": rights})),
        )
        .await;
    let id = group["group"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/groups/{id}/members/{member}");
    root.ok(Method::PUT, &path, None).await;
    id
}

fn rights(methods: &[&str]) -> Value {
    methods
        .iter()
        .map(|m| json!({"right": format!("endpoint:{m}"), "target": "orders"}))
        .collect()
}

async fn a_user_token_reaches_records_exactly_while_its_owner_holds_the_right(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    let orders = root.endpoint("orders", "token", true).await;
    root.endpoint("invoices", "token", true).await;
    app.create_user("alice", false).await;
    let alice = app.user_id("alice").await;
    let token = app.issue("alice", &["records:read", "records:write"]).await;
    let secret = token.secret.clone();
    let profile_only = app.issue("alice", &["profile:read"]).await.secret;
    let status = |method: Method, path: &'static str, token: String| {
        let app = &app;
        async move {
            let body = (method == Method::POST).then(|| json!({"n": 1}));
            app.call(method, path, &token, body).await.0
        }
    };

    // No right yet: the scopes alone reach nothing.
    assert_eq!(status(Method::GET, ORDERS, secret.clone()).await, 403);
    let group = clerks(&root, alice, rights(&["get"])).await;
    assert_eq!(status(Method::GET, ORDERS, secret.clone()).await, 200);
    assert_eq!(
        status(Method::POST, ORDERS, secret.clone()).await,
        403,
        "no endpoint:post"
    );
    assert_eq!(
        status(Method::GET, INVOICES, secret.clone()).await,
        403,
        "another endpoint"
    );
    assert_eq!(
        status(Method::GET, ORDERS, profile_only.clone()).await,
        403,
        "no records:read"
    );

    // With endpoint:post the token writes, and the record names it and its owner.
    let group_path = format!("/api/v1/admin/groups/{group}");
    root.ok(
        Method::PATCH,
        &group_path,
        Some(json!({"rights": rights(&["get", "post"])})),
    )
    .await;
    let (created, record) = app
        .call(Method::POST, ORDERS, &secret, Some(json!({"sku": "A-1"})))
        .await;
    assert_eq!(created, 201, "{record}");
    let author = format!("{} (alice)", token.token.number);
    let (_, list) = app.call(Method::GET, ORDERS, &secret, None).await;
    let mine: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == record["id"])
        .collect();
    assert_eq!(mine.len(), 1, "{list}");
    assert_eq!(mine[0]["token"], author.as_str());
    let delete = format!("{ORDERS}/{}", record["id"]);
    let (status_delete, _) = app.call(Method::DELETE, &delete, &secret, None).await;
    assert_eq!(status_delete, 403, "no endpoint:delete");

    // The request log and the data viewer's token filter name the token and its owner.
    let log = root
        .ok(
            Method::GET,
            &format!("/api/v1/admin/endpoints/{orders}/requests"),
            None,
        )
        .await;
    let senders: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["token"].as_str())
        .collect();
    assert!(senders.contains(&author.as_str()), "{log}");

    // Leaving the group ends it at the next request; so does revoking the token.
    root.ok(
        Method::DELETE,
        &format!("{group_path}/members/{alice}"),
        None,
    )
    .await;
    assert_eq!(status(Method::GET, ORDERS, secret.clone()).await, 403);
    root.ok(Method::PUT, &format!("{group_path}/members/{alice}"), None)
        .await;
    assert_eq!(status(Method::GET, ORDERS, secret.clone()).await, 200);
    let revoke = format!("/api/v1/admin/tokens/{}/revoke", token.token.id);
    root.ok(Method::POST, &revoke, None).await;
    assert_eq!(status(Method::GET, ORDERS, secret.clone()).await, 401);
    let garbage = "tsr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000".to_owned();
    assert_eq!(status(Method::GET, ORDERS, garbage).await, 401);
    app.stop().await;
}

/// Writes race the removal of the right: each answered 201 stored exactly one record, and
/// once the removal has answered, the next write is refused.
async fn a_right_removed_while_writes_are_in_flight_stops_the_next_one(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    root.endpoint("orders", "token", false).await;
    app.create_user("alice", false).await;
    let alice = app.user_id("alice").await;
    let token = app.issue("alice", &["records:read", "records:write"]).await;
    let secret = token.secret.clone();
    let group = clerks(&root, alice, rights(&["get", "post"])).await;

    let writes = (0..40).map(|i| {
        let app = &app;
        let secret = &secret;
        async move {
            app.call(Method::POST, ORDERS, secret, Some(json!({"i": i})))
                .await
                .0
        }
    });
    let group_path = format!("/api/v1/admin/groups/{group}");
    let removal = root.send(Method::PATCH, &group_path, Some(json!({"rights": []})));
    let (statuses, (removed, _)) = tokio::join!(futures_util::future::join_all(writes), removal);
    assert_eq!(removed, 200);
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 403),
        "{statuses:?}"
    );
    let accepted = statuses.iter().filter(|s| **s == 201).count();
    let (after, _) = app
        .call(Method::POST, ORDERS, &secret, Some(json!({"late": true})))
        .await;
    assert_eq!(after, 403, "the right is gone");

    // Count what was stored, as an administrator sees it.
    let author = format!("{} (alice)", token.token.number);
    let admin_token = app.issue("admin", &["records:read"]).await.secret;
    let (_, list) = app.call(Method::GET, ORDERS, &admin_token, None).await;
    let stored = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["token"] == author.as_str())
        .count();
    assert_eq!(stored, accepted, "{statuses:?}");
    app.stop().await;
}
