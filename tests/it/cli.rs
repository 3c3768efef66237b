use std::io::Write;
use std::process::{Command, Stdio};

use app::server::service::accounts;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_cli_migrates_and_creates_users_from_standard_input,
    an_administrator_locked_out_by_guesses_gets_back_in_with_the_cli,
);

pub fn tessera(database_url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tessera");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("tessera output")
}

async fn the_cli_migrates_and_creates_users_from_standard_input(backend: Backend) {
    let db = TestDb::new(backend).await;
    let migrate = tessera(&db.url, &["migrate"], "");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let password = format!("{USER_PASSWORD}\n");
    let created = tessera(
        &db.url,
        &["user", "create", "--username", "Judy", "--technical"],
        &password,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(!stdout.contains(USER_PASSWORD));

    let again = tessera(
        &db.url,
        &["user", "create", "--username", "judy"],
        &password,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already taken"));

    let weak = tessera(
        &db.url,
        &["user", "create", "--username", "kim", "--admin"],
        "password\n",
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too common"));

    let conn = db.connect().await;
    let judy = accounts::find_by_username(&conn, "judy")
        .await
        .unwrap()
        .expect("judy exists");
    assert!(judy.technical);
    assert!(!is_admin(&conn, judy.id).await);
    assert!(accounts::find_by_username(&conn, "kim")
        .await
        .unwrap()
        .is_none());
    conn.close().await.ok();
}

/// Someone else's guesses use up the administrator's five attempts; `tessera user unlock` on
/// the server clears them (and a lock), and the right password works again at once.
async fn an_administrator_locked_out_by_guesses_gets_back_in_with_the_cli(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    for _ in 0..5 {
        let response = app
            .sign_in(&app.client(), "admin", "someone-elses-guess-1")
            .await;
        assert_eq!(response.status(), 401);
    }
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "admin", ADMIN_PASSWORD).await.status(),
        429
    );

    let output = tessera(&db.url, &["user", "unlock", "--username", "admin"], "");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "unlocked user admin"
    );
    assert_eq!(
        app.sign_in(&client, "admin", ADMIN_PASSWORD).await.status(),
        200
    );

    let output = tessera(&db.url, &["user", "unlock", "--username", "nobody"], "");
    assert!(!output.status.success());
    app.stop().await;
}
