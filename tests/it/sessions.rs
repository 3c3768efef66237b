//! Sessions: one's own listed with browser, address and times, ended one by one or all but
//! the current; an administrator sees and ends a user's; nobody else reaches them. Ending a
//! session deletes it, so it stops on every instance at its next request.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_user_lists_and_ends_their_own_sessions,
    an_administrator_ends_a_users_sessions_on_every_instance,
    nobody_else_sees_or_ends_a_users_sessions,
);

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/156.0.0.0 Safari/537.36";
const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 \
                       Firefox/140.0";

async fn signed_in(app: &TestApp, username: &str, agent: &str) -> reqwest::Client {
    signed_in_with_cookie(app, username, agent).await.0
}

/// A browser signed in as `username`, and the value of its session cookie.
async fn signed_in_with_cookie(
    app: &TestApp,
    username: &str,
    agent: &str,
) -> (reqwest::Client, String) {
    let client = app.browser(agent);
    let password = if username == "admin" {
        ADMIN_PASSWORD
    } else {
        USER_PASSWORD
    };
    let response = app.sign_in(&client, username, password).await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(&response).expect("a session cookie");
    (client, cookie)
}

async fn sessions(
    app: &TestApp,
    client: &reqwest::Client,
    user_id: Option<i64>,
) -> (u16, serde_json::Value) {
    let mut form = Vec::new();
    if let Some(id) = user_id {
        form.push(("user_id", id.to_string()));
    }
    let response = client
        .post(app.url("/sfn/list_sessions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn end(
    app: &TestApp,
    client: &reqwest::Client,
    user_id: Option<i64>,
    handle: Option<&str>,
) -> (u16, String) {
    let mut form = Vec::new();
    if let Some(id) = user_id {
        form.push(("user_id", id.to_string()));
    }
    if let Some(handle) = handle {
        form.push(("handle", handle.to_owned()));
    }
    let response = client
        .post(app.url("/sfn/end_sessions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn handle_of<'a>(list: &'a serde_json::Value, browser: &str) -> &'a str {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["browser"] == browser)
        .and_then(|s| s["handle"].as_str())
        .unwrap_or_else(|| panic!("no {browser} session in {list}"))
}

async fn a_user_lists_and_ends_their_own_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let (chrome, chrome_cookie) = signed_in_with_cookie(&app, "svc", CHROME).await;
    let (firefox, firefox_cookie) = signed_in_with_cookie(&app, "svc", FIREFOX).await;
    let curl = signed_in(&app, "svc", "curl/8.0").await;

    let (status, list) = sessions(&app, &chrome, None).await;
    assert_eq!(status, 200);
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 3);
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["browser"], "Chrome 156 on Linux");
    assert!(items.iter().all(|s| s["ip"] == "127.0.0.1"), "{list}");
    assert!(
        items
            .iter()
            .any(|s| s["browser"] == "Firefox 140 on Windows 10"),
        "{list}"
    );
    // The handle is not the cookie: nothing in the list lets another browser take a session.
    let shown = list.to_string();
    for item in items {
        assert_eq!(item["handle"].as_str().unwrap().len(), 16);
    }
    for cookie in [&chrome_cookie, &firefox_cookie] {
        assert!(cookie.len() >= 16, "{cookie}");
        assert!(!shown.contains(cookie.as_str()), "{shown}");
    }

    // One by one.
    let firefox_handle = handle_of(&list, "Firefox 140 on Windows 10").to_owned();
    assert_eq!(
        end(&app, &chrome, None, Some(&firefox_handle)).await,
        (200, "1".to_owned())
    );
    assert_eq!(app.whoami(&firefox).await, None);
    assert_eq!(app.whoami(&chrome).await.as_deref(), Some("svc"));
    // Gone already, or never there (with control characters): 404, nothing else changes.
    assert_eq!(end(&app, &chrome, None, Some(&firefox_handle)).await.0, 404);
    assert_eq!(
        end(&app, &chrome, None, Some("\u{0}\u{1b}[2J' OR 1=1"))
            .await
            .0,
        404
    );
    assert_eq!(app.whoami(&curl).await.as_deref(), Some("svc"));

    // All but this one.
    let again = signed_in(&app, "svc", FIREFOX).await;
    assert_eq!(end(&app, &chrome, None, None).await, (200, "2".to_owned()));
    assert_eq!(app.whoami(&curl).await, None);
    assert_eq!(app.whoami(&again).await, None);
    assert_eq!(app.whoami(&chrome).await.as_deref(), Some("svc"));
    let (_, list) = sessions(&app, &chrome, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Audited in the same change, by handle: never a session id.
    let root = app.issue("admin", &["admin"]).await.secret;
    let audit = app
        .get_json("/api/v1/admin/audit?action=auth.session_end", &root)
        .await;
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["target"], "svc");
    assert_eq!(events[1]["details"]["sessions"][0], firefox_handle.as_str());
    assert_eq!(events[0]["details"]["ended"], 2);
    let audited = audit.to_string();
    assert!(!audited.contains(firefox_cookie.as_str()), "{audited}");
    // Nothing to end: no change and no event.
    assert_eq!(end(&app, &chrome, None, None).await, (200, "0".to_owned()));
    let audit = app
        .get_json("/api/v1/admin/audit?action=auth.session_end", &root)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

async fn an_administrator_ends_a_users_sessions_on_every_instance(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    a.create_user("svc", false).await;
    let svc = a.user_id("svc").await;
    // svc works on instance B; the administrator on A.
    let first = signed_in(&b, "svc", CHROME).await;
    let second = signed_in(&b, "svc", FIREFOX).await;
    let admin = signed_in(&a, "admin", CHROME).await;

    let (status, list) = sessions(&a, &admin, Some(svc)).await;
    assert_eq!(status, 200);
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|s| s["current"] == false), "{list}");

    let handle = handle_of(&list, "Chrome 156 on Linux").to_owned();
    assert_eq!(
        end(&a, &admin, Some(svc), Some(&handle)).await,
        (200, "1".to_owned())
    );
    assert_eq!(b.whoami(&first).await, None);
    assert_eq!(b.whoami(&second).await.as_deref(), Some("svc"));
    assert_eq!(
        end(&a, &admin, Some(svc), None).await,
        (200, "1".to_owned())
    );
    assert_eq!(b.whoami(&second).await, None);
    // The administrator's own session is not svc's: it stays.
    assert_eq!(a.whoami(&admin).await.as_deref(), Some("admin"));
    a.stop().await;
    b.stop().await;
}

async fn nobody_else_sees_or_ends_a_users_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    app.create_user("mallory", false).await;
    let svc = app.user_id("svc").await;
    let victim = signed_in(&app, "svc", CHROME).await;
    let mallory = signed_in(&app, "mallory", FIREFOX).await;
    let (_, theirs) = sessions(&app, &victim, None).await;
    let handle = handle_of(&theirs, "Chrome 156 on Linux").to_owned();

    // Another user: as if the user had no sessions to see, even with the right handle.
    assert_eq!(sessions(&app, &mallory, Some(svc)).await.0, 404);
    assert_eq!(end(&app, &mallory, Some(svc), Some(&handle)).await.0, 404);
    assert_eq!(end(&app, &mallory, Some(svc), None).await.0, 404);
    // Their own list with the victim's handle finds nothing either.
    assert_eq!(end(&app, &mallory, None, Some(&handle)).await.0, 404);
    assert_eq!(app.whoami(&victim).await.as_deref(), Some("svc"));

    // Without a session: 401.
    let anonymous = app.client();
    assert_eq!(sessions(&app, &anonymous, Some(svc)).await.0, 401);
    assert_eq!(end(&app, &anonymous, Some(svc), None).await.0, 401);
    // From another site: refused before it reaches the service.
    let cross = reqwest::Client::new()
        .post(app.url("/sfn/end_sessions"))
        .header("Origin", "https://evil.example")
        .form(&[("user_id", svc.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(app.whoami(&victim).await.as_deref(), Some("svc"));
    app.stop().await;
}
