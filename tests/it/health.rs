use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(readiness_follows_the_database);

async fn readiness_follows_the_database(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let client = app.client();
    let status = |path: &str| {
        let request = client.get(app.url(path)).send();
        async move { request.await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/healthz").await, 200);
    assert_eq!(status("/readyz").await, 200);

    // Closing the pool the server uses makes the database unreachable for it.
    app.db.clone().close().await.unwrap();
    assert_eq!(status("/healthz").await, 200);
    assert_eq!(status("/readyz").await, 503);
    app.stop().await;
}
