use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    an_anonymous_visitor_is_sent_to_sign_in_with_the_page_to_return_to,
    a_non_administrator_gets_403_on_admin_pages_and_server_functions,
    an_administrator_sees_the_administration_menu,
);

const PAGES: [&str; 12] = [
    "/",
    "/me",
    "/me/tokens",
    "/admin/tokens",
    "/admin/users",
    "/admin/groups",
    "/admin/endpoints",
    "/admin/endpoint-tokens",
    "/admin/audit",
    "/admin/settings",
    "/admin/users/1",
    "/admin/groups/1",
];

async fn an_anonymous_visitor_is_sent_to_sign_in_with_the_page_to_return_to(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let client = app.client();
    for page in PAGES {
        let response = client.get(app.url(page)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{page}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            location,
            format!("/login?next={}", urlencoding::encode(page))
        );
    }
    let with_query = client
        .get(app.url("/admin/audit?actor=bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_query.headers()["location"],
        "/login?next=%2Fadmin%2Faudit%3Factor%3Dbob"
    );
    let login = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains(r#"<label for="username">Username</label>"#));
    assert!(html.contains(r#"<label for="password">Password</label>"#));
    assert!(html.contains("Sign in"));
    app.stop().await;
}

async fn a_non_administrator_gets_403_on_admin_pages_and_server_functions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("grace", false).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "grace", USER_PASSWORD).await.status(),
        200
    );

    for page in PAGES {
        let response = client.get(app.url(page)).send().await.unwrap();
        let expected = if page.starts_with("/admin") { 403 } else { 200 };
        assert_eq!(response.status(), expected, "{page}");
        let html = response.text().await.unwrap();
        assert!(
            !html.contains(">Administration<"),
            "{page} shows the admin menu"
        );
        if expected == 403 {
            assert!(html.contains("403 Forbidden"), "{page}");
        }
    }
    // Hiding links is not protection: the server function refuses too.
    let direct = client
        .post(app.url("/sfn/list_users"))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 403);
    assert!(!direct.text().await.unwrap().contains("admin"));

    let anonymous = app
        .client()
        .post(app.url("/sfn/list_users"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

async fn an_administrator_sees_the_administration_menu(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "admin", ADMIN_PASSWORD).await.status(),
        200
    );
    for page in PAGES
        .iter()
        .filter(|p| p.starts_with("/admin/") && !p.ends_with("/1"))
    {
        let response = client.get(app.url(page)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        // Erased component types mark text nodes with empty comments for hydration.
        let html = response.text().await.unwrap().replace("<!>", "");
        assert!(html.contains(">Administration</a>"), "{page}");
        for item in [
            "Tokens",
            "Users",
            "Groups",
            "Endpoints",
            "Endpoint tokens",
            "Audit log",
            "Settings",
        ] {
            assert!(
                html.contains(&format!(">{item}</a>")),
                "{page} lacks {item}"
            );
        }
    }
    let users: serde_json::Value = client
        .post(app.url("/sfn/list_users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users[0]["username"], "admin");
    assert_eq!(users[0]["is_admin"], true);
    app.stop().await;
}
