//! Groups and rights (DESIGN 8.1) as an administrator makes them and as an attacker tries
//! them: built-in groups that stay, names unique in any case, nobody granting themselves a
//! right, the last administrator staying, auditors who read everything and change nothing.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    groups_are_made_named_and_guarded,
    nobody_grants_themselves_a_right,
    an_auditor_reads_everything_and_changes_nothing,
    the_last_administrator_cannot_leave_even_in_parallel,
);

const GROUPS: &str = "/api/v1/admin/groups";

async fn group_id(root: &AdminClient<'_>, name: &str) -> i64 {
    let list = root.ok(Method::GET, GROUPS, None).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("group {name} in {list}"))["id"]
        .as_i64()
        .unwrap()
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn groups_are_made_named_and_guarded(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;

    let list = root.ok(Method::GET, GROUPS, None).await;
    let builtins: Vec<(&str, &Value)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap(), &g["rights"]))
        .collect();
    assert_eq!(
        builtins,
        [
            (
                "Administrators",
                &json!([{"right": "admin", "target": null}])
            ),
            (
                "Auditors",
                &json!([{"right": "audit:read", "target": null}])
            ),
        ]
    );
    assert_eq!(
        list["items"][0]["members"], 1,
        "the bootstrap administrator"
    );

    // Rights must name what exists, in the shape their kind needs.
    let orders = json!({"right": "endpoint:get", "target": "orders"});
    let body = json!({"name": "Order readers", "rights": [orders]});
    let (status, answer) = root.send(Method::POST, GROUPS, Some(body.clone())).await;
    assert_eq!((status, field(&answer)), (422, "rights"), "{answer}");
    root.endpoint("orders", "token", false).await;
    let created = root.ok(Method::POST, GROUPS, Some(body)).await;
    let readers = created["group"]["id"].as_i64().unwrap();
    assert_eq!(created["group"]["rights"], json!([orders]));
    assert_eq!(created["group"]["builtin"], false);
    assert_eq!(created["group"]["members"], 0);
    for (rights, why) in [
        (json!([{"right": "admin", "target": "x"}]), "no target"),
        (json!([{"right": "tokens:manage"}]), "group id"),
        (
            json!([{"right": "tokens:manage", "target": 999_999}]),
            "No group",
        ),
        (
            json!([{"right": "endpoint:post", "target": 3}]),
            "endpoint path",
        ),
    ] {
        let body = json!({"name": "Odd", "rights": rights});
        let (status, answer) = root.send(Method::POST, GROUPS, Some(body)).await;
        assert_eq!(status, 422, "{rights}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{rights}: {message}");
    }
    let (status, _) = root
        .send(
            Method::POST,
            GROUPS,
            Some(json!({"name": "Odd", "rights": [{"right": "root"}]})),
        )
        .await;
    assert_eq!(status, 422, "an unknown right");
    for name in [
        json!("Bad\u{0}name"),
        json!("İ".repeat(100)),
        json!("x".repeat(101)),
    ] {
        let (status, answer) = root
            .send(Method::POST, GROUPS, Some(json!({"name": name})))
            .await;
        assert_eq!((status, field(&answer)), (422, "name"), "{answer}");
    }
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"right": "tokens:manage", "target": i}))
        .collect();
    let (status, answer) = root
        .send(
            Method::POST,
            GROUPS,
            Some(json!({"name": "Many", "rights": many})),
        )
        .await;
    assert_eq!((status, field(&answer)), (422, "rights"), "{answer}");

    // Names are unique in any case, and the built-in groups keep theirs.
    let (status, answer) = root
        .send(Method::POST, GROUPS, Some(json!({"name": "ORDER READERS"})))
        .await;
    assert_eq!((status, field(&answer)), (409, "name"), "{answer}");
    let admins = group_id(&root, "Administrators").await;
    let auditors = group_id(&root, "Auditors").await;
    let path = |id: i64| format!("{GROUPS}/{id}");
    let (status, _) = root
        .send(
            Method::PATCH,
            &path(admins),
            Some(json!({"name": "Owners"})),
        )
        .await;
    assert_eq!(status, 409, "renaming Administrators");
    let (status, _) = root
        .send(
            Method::PATCH,
            &path(auditors),
            Some(json!({"rights": [{"right": "admin"}]})),
        )
        .await;
    assert_eq!(status, 409, "widening Auditors");
    let (status, _) = root.send(Method::DELETE, &path(auditors), None).await;
    assert_eq!(status, 409, "deleting Auditors");
    let described = root
        .ok(
            Method::PATCH,
            &path(auditors),
            Some(json!({"description": "Compliance"})),
        )
        .await;
    assert_eq!(described["group"]["description"], "Compliance");

    // Renaming the endpoint's path moves its rights along.
    let orders_id = root.ok(Method::GET, "/api/v1/admin/endpoints", None).await["items"][0]["id"]
        .as_i64()
        .unwrap();
    root.ok(
        Method::PATCH,
        &format!("/api/v1/admin/endpoints/{orders_id}"),
        Some(json!({"path": "orders-2026"})),
    )
    .await;
    let moved = root.ok(Method::GET, &path(readers), None).await;
    assert_eq!(
        moved["group"]["rights"],
        json!([{"right": "endpoint:get", "target": "orders-2026"}])
    );
    root.ok(
        Method::PATCH,
        &format!("/api/v1/admin/endpoints/{orders_id}"),
        Some(json!({"path": "orders"})),
    )
    .await;

    // Members come and go; the list and the count follow.
    app.create_user("carol", false).await;
    let carol = app.user_id("carol").await;
    let member = format!("{GROUPS}/{readers}/members/{carol}");
    root.ok(Method::PUT, &member, None).await;
    root.ok(Method::PUT, &member, None).await;
    let members = root
        .ok(Method::GET, &format!("{GROUPS}/{readers}/members"), None)
        .await;
    assert_eq!(members["items"][0]["username"], "carol");
    assert_eq!(members["items"].as_array().unwrap().len(), 1);
    let carol_token = app.issue("carol", &["profile:read"]).await.secret;
    let (_, me) = app
        .call(Method::GET, "/api/v1/me", &carol_token, None)
        .await;
    assert_eq!(me["groups"], json!(["Order readers"]));
    assert_eq!(me["rights"], json!([orders]));
    let (status, _) = root
        .send(
            Method::PUT,
            &format!("{GROUPS}/{readers}/members/999999"),
            None,
        )
        .await;
    assert_eq!(status, 404, "a user who does not exist");
    let (status, _) = root
        .send(Method::PUT, &format!("{GROUPS}/x/members/{carol}"), None)
        .await;
    assert_eq!(status, 404, "a group id that is not a number");

    root.ok(Method::DELETE, &path(readers), None).await;
    let (status, _) = root.send(Method::GET, &path(readers), None).await;
    assert_eq!(status, 404);
    let (_, me) = app
        .call(Method::GET, "/api/v1/me", &carol_token, None)
        .await;
    assert_eq!(me["groups"], json!([]), "her group is gone");
    let audit = root
        .ok(Method::GET, "/api/v1/admin/audit?limit=20", None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("group."))
        .collect();
    assert_eq!(
        actions,
        [
            "group.delete",
            "group.member_add",
            "group.update",
            "group.create"
        ]
    );
    app.stop().await;
}

async fn nobody_grants_themselves_a_right(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    app.create_user("ada", true).await;
    let me = app.user_id("admin").await;
    let ada = app.user_id("ada").await;
    let ops = root
        .ok(Method::POST, GROUPS, Some(json!({"name": "Ops"})))
        .await["group"]["id"]
        .as_i64()
        .unwrap();
    root.endpoint("orders", "token", false).await;

    let (status, _) = root
        .send(Method::PUT, &format!("{GROUPS}/{ops}/members/{me}"), None)
        .await;
    assert_eq!(status, 403, "adding oneself");
    let auditors = group_id(&root, "Auditors").await;
    let (status, _) = root
        .send(
            Method::PUT,
            &format!("{GROUPS}/{auditors}/members/{me}"),
            None,
        )
        .await;
    assert_eq!(status, 403, "adding oneself to a built-in group");

    // Another administrator adds them; then they cannot widen their own group...
    let ada_client = AdminClient {
        app: &app,
        token: app.issue("ada", &["admin"]).await.secret,
    };
    ada_client
        .ok(Method::PUT, &format!("{GROUPS}/{ops}/members/{me}"), None)
        .await;
    let wider = json!({"rights": [{"right": "endpoint:get", "target": "orders"}]});
    let (status, _) = root
        .send(
            Method::PATCH,
            &format!("{GROUPS}/{ops}"),
            Some(wider.clone()),
        )
        .await;
    assert_eq!(status, 403, "widening one's own group");
    let group = root.ok(Method::GET, &format!("{GROUPS}/{ops}"), None).await;
    assert_eq!(group["group"]["rights"], json!([]), "nothing was saved");
    // ...which someone outside it may do, and they may narrow it again themselves.
    ada_client
        .ok(Method::PATCH, &format!("{GROUPS}/{ops}"), Some(wider))
        .await;
    root.ok(
        Method::PATCH,
        &format!("{GROUPS}/{ops}"),
        Some(json!({"rights": []})),
    )
    .await;
    let _ = ada;

    // Administering through a group of one's own is no way into Administrators either.
    app.create_user("eve", false).await;
    let eve = app.user_id("eve").await;
    let root_group = root
        .ok(
            Method::POST,
            GROUPS,
            Some(json!({"name": "Root", "rights": [{"right": "admin"}]})),
        )
        .await["group"]["id"]
        .as_i64()
        .unwrap();
    root.ok(
        Method::PUT,
        &format!("{GROUPS}/{root_group}/members/{eve}"),
        None,
    )
    .await;
    let eve_token = app.issue("eve", &["admin"]).await.secret;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{eve}"),
            &eve_token,
            Some(json!({"admin": true})),
        )
        .await;
    assert_eq!(status, 403, "adding oneself to Administrators");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("{GROUPS}/{root_group}/members/{eve}"),
            &eve_token,
            None,
        )
        .await;
    assert_eq!(status, 204, "leaving is allowed");
    let (status, _) = app
        .call(Method::GET, "/api/v1/admin/users", &eve_token, None)
        .await;
    assert_eq!(status, 403, "and takes the right away at once");

    // A user who is no administrator reaches none of it, session-less tokens included.
    app.create_user("mallory", false).await;
    let mallory = app
        .issue("mallory", &["profile:read", "tokens:write"])
        .await
        .secret;
    let mallory_id = app.user_id("mallory").await;
    for (method, path, body) in [
        (Method::GET, GROUPS.to_owned(), None),
        (
            Method::POST,
            GROUPS.to_owned(),
            Some(json!({"name": "Mine", "rights": [{"right": "admin"}]})),
        ),
        (
            Method::PUT,
            format!("{GROUPS}/{auditors}/members/{mallory_id}"),
            None,
        ),
    ] {
        let (status, _) = app.call(method, &path, &mallory, body).await;
        assert_eq!(status, 403, "{path}");
    }
    // Nor can she give a token a scope her rights lack.
    let (status, answer) = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            &mallory,
            Some(json!({"name": "peek", "scopes": ["audit:read"]})),
        )
        .await;
    assert!(status == 403 || status == 422, "{status} {answer}");
    app.stop().await;
}

/// Every administrators' route the OpenAPI document lists, with its parameters filled in
/// by `fill` (given the template and the parameter's name).
fn admin_operations(doc: &Value, fill: impl Fn(&str, &str) -> String) -> Vec<(Method, String)> {
    let mut operations = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/api/v1/admin/") {
            continue;
        }
        let mut path = template.clone();
        for name in ["id", "user_id", "token_id", "method", "delivery_id"] {
            path = path.replace(&format!("{{{name}}}"), &fill(template, name));
        }
        assert!(
            !path.contains('{'),
            "no value for a parameter of {template}"
        );
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            operations.push((method, path.clone()));
        }
    }
    operations
}

async fn an_auditor_reads_everything_and_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = crate::webhooks::spawn_allowing_private(&db).await;
    let root = app.admin_client().await;
    app.create_user("audrey", false).await;
    let audrey = app.user_id("audrey").await;

    // Not yet an auditor: no token with audit:read.
    let refused = app::server::service::tokens::create(
        &app.db,
        &app.state.auth,
        app::server::service::tokens::Owner::Myself(&app.operator("audrey").await),
        app::server::service::tokens::NewToken {
            name: "audit".into(),
            scopes: vec!["audit:read".into()],
            ..Default::default()
        },
    )
    .await;
    assert!(refused.is_err(), "audit:read for a user who is no auditor");

    let auditors = group_id(&root, "Auditors").await;
    let membership = format!("{GROUPS}/{auditors}/members/{audrey}");
    root.ok(Method::PUT, &membership, None).await;
    let token = app.issue("audrey", &["audit:read"]).await.secret;
    let plain = app
        .issue("audrey", &["profile:read", "tokens:read"])
        .await
        .secret;

    // Something of everything to read.
    let endpoint = root.endpoint("orders", "token", true).await;
    let (endpoint_token, endpoint_secret) = root.secondary("Billing", true).await;
    root.assign(endpoint, endpoint_token, "PG", true).await;
    let primary = root.primary(endpoint, "post").await;
    let (webhook_id, webhook_secret) = crate::webhooks::add_webhook(
        &app,
        &root.token,
        "http://127.0.0.1:9/services/T0001/B0002/s3cr3tPathPart?token=hunter2hunter2",
        &["token.revoked"],
    )
    .await;
    let issued = app.issue("admin", &["profile:read"]).await;
    let secrets = [
        "s3cr3tPathPart".to_owned(),
        "hunter2hunter2".to_owned(),
        root.token.clone(),
        issued.secret.clone(),
        endpoint_secret,
        primary,
        webhook_secret,
    ];
    let fill = |template: &str, name: &str| {
        let id = match name {
            "user_id" => audrey,
            "token_id" => endpoint_token,
            "method" => return "post".to_owned(),
            "delivery_id" => 1,
            _ if template.contains("/endpoints/") => endpoint,
            _ if template.contains("/endpoint-tokens/") => endpoint_token,
            _ if template.contains("/webhooks/") => webhook_id,
            _ if template.contains("/groups/") => auditors,
            _ if template.contains("/users/") => audrey,
            _ => issued.token.id,
        };
        id.to_string()
    };
    let operations = admin_operations(&app.openapi().await, fill);
    assert!(operations.len() >= 30, "{}", operations.len());
    let mut reads = 0;
    for (method, path) in operations {
        let body = (method != Method::GET).then(|| json!({}));
        let (status, answer) = app.call(method.clone(), &path, &token, body.clone()).await;
        if method == Method::GET {
            reads += 1;
            assert_eq!(status, 200, "{method} {path}: {answer}");
            let text = answer.to_string();
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{path} shows a secret");
            }
            let (status, _) = app.call(method, &path, &plain, None).await;
            assert_eq!(status, 403, "{path} without audit:read");
        } else {
            assert_eq!(status, 403, "{method} {path}: {answer}");
        }
    }
    assert!(reads >= 14, "{reads}");
    // Nothing was changed by those attempts.
    let group = root
        .ok(Method::GET, &format!("{GROUPS}/{auditors}"), None)
        .await;
    assert_eq!(group["group"]["members"], 1);
    let (status, _) = root.send(Method::GET, "/api/v1/admin/tokens", None).await;
    assert_eq!(status, 200, "the administrator's token still works");

    // Leaving Auditors ends it at the next request.
    root.ok(Method::DELETE, &membership, None).await;
    let (status, _) = app
        .call(Method::GET, "/api/v1/admin/users", &token, None)
        .await;
    assert_eq!(status, 403, "no longer an auditor");
    app.stop().await;
}

/// Two administrators remove each other from Administrators at the same moment: one
/// removal stands, the other is refused, and an administrator remains. Repeated, so that
/// the two really overlap at least once.
async fn the_last_administrator_cannot_leave_even_in_parallel(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    let admins = group_id(&root, "Administrators").await;
    let me = app.user_id("admin").await;
    let (status, answer) = root
        .send(
            Method::DELETE,
            &format!("{GROUPS}/{admins}/members/{me}"),
            None,
        )
        .await;
    assert_eq!((status, field(&answer)), (409, "members"), "the only one");

    for round in 0..4 {
        let name = format!("ada{round}");
        app.create_user(&name, true).await;
        let ada = app.user_id(&name).await;
        let ada_token = app.issue(&name, &["admin"]).await.secret;
        let ada_client = AdminClient {
            app: &app,
            token: ada_token,
        };
        let removes_ada = format!("{GROUPS}/{admins}/members/{ada}");
        let removes_me = format!("{GROUPS}/{admins}/members/{me}");
        let ((first, _), (second, _)) = tokio::join!(
            root.send(Method::DELETE, &removes_ada, None),
            ada_client.send(Method::DELETE, &removes_me, None),
        );
        let outcomes = [first, second];
        assert_eq!(
            outcomes.iter().filter(|s| **s == 204).count(),
            1,
            "round {round}: {outcomes:?}"
        );
        assert!(
            outcomes.iter().all(|s| [204, 403, 409].contains(s)),
            "{outcomes:?}"
        );
        let remaining = [is_admin(&app.db, me).await, is_admin(&app.db, ada).await];
        assert_eq!(remaining.iter().filter(|a| **a).count(), 1, "{remaining:?}");
        if !remaining[0] {
            // Ada stayed: she restores the bootstrap administrator for the next round.
            ada_client.ok(Method::PUT, &removes_me, None).await;
            ada_client.ok(Method::DELETE, &removes_ada, None).await;
        }
    }
    app.stop().await;
}
