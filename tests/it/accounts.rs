use app::server::cache::AuthCache;
use app::server::error::ServiceError;
use app::server::service::accounts::{self, NewUser};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    usernames_are_unique_regardless_of_case,
    passwords_are_stored_as_argon2id_and_common_ones_refused,
    bootstrap_creates_admin_once,
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
    assert_eq!(accounts::list_accounts(&conn).await.unwrap().len(), 1);
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
    assert!(accounts::is_admin(&conn, admin.id).await.unwrap());
    assert!(
        accounts::bootstrap_admin(&conn, &AuthCache::default(), None)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(accounts::list_accounts(&conn).await.unwrap().len(), 1);
}
