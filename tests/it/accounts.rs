use app::server::cache::AuthCache;
use app::server::entity::user;
use app::server::error::ServiceError;
use app::server::service::accounts::{self, NewUser};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    usernames_are_unique_regardless_of_case,
    passwords_are_stored_as_argon2id_and_common_ones_refused,
    bootstrap_creates_admin_once,
    a_user_box_suggests_the_first_matching_users_only,
    a_user_id_that_names_nobody_is_not_found,
);

fn new_user(username: &str, password: &str) -> NewUser {
    NewUser {
        username: username.into(),
        password: password.into(),
        ..Default::default()
    }
}

async fn usernames_are_unique_regardless_of_case(backend: Backend) {
    let db = TestDb::new(backend).await;
    let conn = db.connect().await;
    accounts::create_user(
        &conn,
        &AuthCache::default(),
        new_user("Heidi", USER_PASSWORD),
        accounts::Creator::Operator,
    )
    .await
    .unwrap();
    let err = accounts::create_user(
        &conn,
        &AuthCache::default(),
        new_user("heidi", USER_PASSWORD),
        accounts::Creator::Operator,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Conflict {
                field: "username",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "This username is already taken");
    assert_eq!(user::Entity::find().count(&conn).await.unwrap(), 1);
}

async fn passwords_are_stored_as_argon2id_and_common_ones_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let conn = db.connect().await;
    for weak in ["password", "12345678", "iloveyou123", "short"] {
        let err = accounts::create_user(
            &conn,
            &AuthCache::default(),
            new_user("ivan", weak),
            accounts::Creator::Operator,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                ServiceError::Validation {
                    field: "password",
                    ..
                }
            ),
            "{weak}: {err:?}"
        );
    }
    let err = accounts::create_user(
        &conn,
        &AuthCache::default(),
        new_user("ivan", &"long-pass ".repeat(30)),
        accounts::Creator::Operator,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("at most"));
    let user = accounts::create_user(
        &conn,
        &AuthCache::default(),
        new_user("ivan", USER_PASSWORD),
        accounts::Creator::Operator,
    )
    .await
    .unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(!user.password_hash.contains(USER_PASSWORD));
}

async fn bootstrap_creates_admin_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let conn = db.connect().await;
    let generated = accounts::bootstrap_admin(&conn, &AuthCache::default(), None)
        .await
        .unwrap()
        .expect("a password");
    assert!(generated.len() >= 20);
    let admin = accounts::find_by_username(&conn, "admin")
        .await
        .unwrap()
        .unwrap();
    assert!(is_admin(&conn, admin.id).await);
    assert!(
        accounts::bootstrap_admin(&conn, &AuthCache::default(), None)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(user::Entity::find().count(&conn).await.unwrap(), 1);
}

/// However many users there are, a "User" box is offered the first 20 that match what it
/// holds, by username; only administrators are offered any.
async fn a_user_box_suggests_the_first_matching_users_only(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    for i in 0..22 {
        app.create_user(&format!("ops-{i:02}"), false).await;
    }
    let admin = app.admin().await;
    let suggested = |text: &'static str| {
        let db = app.db.clone();
        let admin = admin.clone();
        async move {
            accounts::suggest(&db, &(&admin).into(), text, accounts::Suggesting::Anyone)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.user.username)
                .collect::<Vec<_>>()
        }
    };
    let first: Vec<String> = (0..20).map(|i| format!("ops-{i:02}")).collect();
    assert_eq!(suggested("OPS-").await, first);
    assert_eq!(suggested(" s-21 ").await, ["ops-21"]);
    assert_eq!(suggested("adm").await, ["admin"]);
    // A wildcard typed is a character like any other.
    assert_eq!(suggested("%").await, Vec::<String>::new());
    assert_eq!(suggested("ops_").await, Vec::<String>::new());
    assert!(matches!(
        accounts::suggest(
            &app.db,
            &(&admin).into(),
            "ops\u{0}",
            accounts::Suggesting::Anyone
        )
        .await,
        Err(ServiceError::Validation { field: "text", .. })
    ));

    // "Create token" is offered only users who may have a token now.
    lock(&app, app.user_id("ops-01").await).await;
    set_active_until(
        &app,
        app.user_id("ops-02").await,
        Some(chrono::Utc::now().date_naive() - chrono::Duration::days(1)),
    )
    .await;
    accounts::create_user(
        &app.db,
        &app.state.auth,
        NewUser {
            technical: true,
            ..new_user("ops-zz-robot", USER_PASSWORD)
        },
        accounts::Creator::Operator,
    )
    .await
    .unwrap();
    let owners = |technical_only| {
        let db = app.db.clone();
        let admin = admin.clone();
        async move {
            accounts::suggest(
                &db,
                &(&admin).into(),
                "ops-",
                accounts::Suggesting::TokenOwners { technical_only },
            )
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.user.username)
            .collect::<Vec<_>>()
        }
    };
    let usable = owners(false).await;
    assert_eq!(usable.len(), 20, "the limit counts usable users only");
    assert!(!usable.contains(&"ops-01".to_owned()) && !usable.contains(&"ops-02".to_owned()));
    assert_eq!(usable[19], "ops-21");
    assert_eq!(owners(true).await, ["ops-zz-robot"]);

    let ask = |client: reqwest::Client| {
        let url = app.url("/sfn/suggest_users");
        async move {
            client
                .post(url)
                .form(&[("text", "ops"), ("for_token", "false")])
                .send()
                .await
                .unwrap()
        }
    };
    let operator = app.client();
    app.sign_in(&operator, "ops-00", USER_PASSWORD).await;
    assert_eq!(ask(operator).await.status(), 403);
    let admin = app.client();
    app.sign_in(&admin, "admin", ADMIN_PASSWORD).await;
    let answer = ask(admin).await;
    assert_eq!(answer.status(), 200);
    let rows: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 20);
    assert_eq!(rows[0]["username"], "ops-00");
    app.stop().await;
}

/// An administrator's user page and "Generate Access Token" for a user id that names nobody
/// answer 404 (not a 500, and not a token for someone else); a non-administrator gets 403.
async fn a_user_id_that_names_nobody_is_not_found(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("ops", false).await;
    let get_user = |client: reqwest::Client| {
        let url = app.url("/sfn/get_user");
        async move {
            let answer = client.post(url).form(&[("id", "999999")]).send().await;
            answer.unwrap().status().as_u16()
        }
    };
    let generate = |client: reqwest::Client| {
        let url = app.url("/sfn/generate_access_token");
        let body = serde_json::json!({
            "user_id": 999999,
            "form": {"name": "", "expiry": "Never", "scopes": ["profile:read"],
                     "identifier": "", "pass_code": ""},
        });
        async move {
            let answer = client.post(url).json(&body).send().await;
            answer.unwrap().status().as_u16()
        }
    };
    let user = app.client();
    app.sign_in(&user, "ops", USER_PASSWORD).await;
    assert_eq!(get_user(user.clone()).await, 403);
    assert_eq!(generate(user).await, 404, "beyond one's reach is not found");
    let admin = app.client();
    app.sign_in(&admin, "admin", ADMIN_PASSWORD).await;
    assert_eq!(get_user(admin.clone()).await, 404);
    assert_eq!(generate(admin).await, 404);
    let tokens = app::server::entity::access_token::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens, 0, "nothing was issued");
}
