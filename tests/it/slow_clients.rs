//! What large answers and slow or greedy clients may cost: a page of records is capped in
//! bytes and sent as the client reads it, a connection buffers at most 32 KiB of unfinished
//! head (431 beyond), and pages and API answers are compressed by `Accept-Encoding`.
use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::{header, Method};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::front_door::ServerProcess;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(a_page_of_records_stops_at_8_mib);

/// A JSON record of about `kib` KiB.
fn record(kib: usize, n: usize) -> serde_json::Value {
    json!({"n": n, "pad": "x".repeat(kib * 1024 - 32)})
}

async fn anonymous_endpoint(client: &reqwest::Client, base: &str, root: &str) {
    let response = client
        .post(format!("{base}/api/v1/admin/endpoints"))
        .bearer_auth(root)
        .json(&json!({"name": "Bulk", "path": "bulk", "auth_type": "none", "allow_deleting": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn post_records(client: &reqwest::Client, base: &str, count: usize, kib: usize) {
    for n in 0..count {
        let response = client
            .post(format!("{base}/api/v1/endpoints/bulk/records"))
            .json(&record(kib, n))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "record {n}");
    }
}

async fn a_page_of_records_stops_at_8_mib(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let base = app.url("");
    let base = base.trim_end_matches('/');
    anonymous_endpoint(&app.client(), base, &root).await;
    // 20 records of 900 KiB, and small ones after them (newest first, they come first).
    post_records(&app.client(), base, 20, 900).await;
    post_records(&app.client(), base, 3, 1).await;
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/endpoints/bulk/records?limit=200&cursor={c}"),
            None => "/api/v1/endpoints/bulk/records?limit=200".into(),
        };
        let response = app.api(Method::GET, &path, None).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        let page: serde_json::Value = serde_json::from_slice(&bytes).expect("the page is JSON");
        assert!(
            bytes.len() <= 8 * 1024 * 1024 + 64 * 1024,
            "{} bytes",
            bytes.len()
        );
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for item in items {
            assert_eq!(item["token"], "anonymous");
            assert!(item["received_at"].is_string());
            seen.push(item["data"]["n"].as_u64().unwrap() as usize);
        }
        pages.push(items.len());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    // Every record once, newest first: 3 small and 9 large fit the first 8 MiB.
    assert_eq!(pages, vec![12, 9, 2], "{pages:?}");
    let mut expected: Vec<usize> = (0..3).rev().collect();
    expected.extend((0..20).rev());
    assert_eq!(seen, expected);
    // The data is the JSON as sent, whole.
    let first = app
        .get_json("/api/v1/endpoints/bulk/records?limit=4", &root)
        .await;
    assert_eq!(first["items"][3]["data"], record(900, 19));
    app.stop().await;
}

/// Sends a request head on a new connection and never reads the answer.
async fn never_read(addr: std::net::SocketAddr, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// /healthz's slowest answer over `times` calls, and the highest RSS seen meanwhile.
async fn health_meanwhile(server: &ServerProcess, times: usize) -> (Duration, u64) {
    let client = reqwest::Client::new();
    let (mut slowest, mut peak) = (Duration::ZERO, 0);
    for _ in 0..times {
        let start = Instant::now();
        let response = client
            .get(format!("{}/healthz", server.base))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("/healthz answers");
        assert_eq!(response.status(), 200);
        slowest = slowest.max(start.elapsed());
        peak = peak.max(server.rss());
    }
    (slowest, peak)
}

/// 300 clients ask for a page of five 1 MiB records and read none of it: each holds a piece
/// of its answer, not the page, and /healthz keeps answering. Prints the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_that_never_read_large_pages_are_bounded() {
    let server = ServerProcess::start(&[]).await;
    let root = server.token("admin", "admin");
    anonymous_endpoint(&server.client(), &server.base, &root).await;
    post_records(&server.client(), &server.base, 5, 1000).await;
    let before = server.rss();
    let head = "GET /api/v1/endpoints/bulk/records HTTP/1.1\r\nHost: tessera\r\n\
                Accept-Encoding: br, gzip\r\n\r\n";
    let mut readers = Vec::new();
    for _ in 0..300 {
        readers.push(never_read(server.addr(), head).await);
    }
    // Each answer has begun (peeked, not read).
    for reader in &readers {
        let mut first = [0; 12];
        let peeked = tokio::time::timeout(Duration::from_secs(30), reader.peek(&mut first))
            .await
            .expect("the answer begins")
            .unwrap();
        assert_eq!(&first[..peeked.min(12)], &b"HTTP/1.1 200"[..peeked.min(12)]);
    }
    let (slowest, peak) = health_meanwhile(&server, 50).await;
    let growth_mb = peak.max(server.rss()).saturating_sub(before) / 1024;
    eprintln!(
        "300 readers of a 5 MiB page that read nothing: the server grew {growth_mb} MB; \
         /healthz slowest {slowest:?}"
    );
    assert!(growth_mb < 300, "memory grew by {growth_mb} MB");
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?}"
    );
    drop(readers);
}

/// 1,000 connections that send 30 KB of a head and never end it cost little each; a head
/// of 64 KiB is answered 431. Prints the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_heads_are_bounded() {
    let server = ServerProcess::start(&[]).await;
    let before = server.rss();
    let padding = "a".repeat(30_000);
    let head = format!("GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Pad: {padding}");
    let mut held = Vec::new();
    for _ in 0..1_000 {
        held.push(never_read(server.addr(), &head).await);
    }
    let (slowest, peak) = health_meanwhile(&server, 50).await;
    // The server has read every one of them: ended now, each is answered.
    for stream in &mut held {
        stream
            .write_all(b"\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
    }
    for stream in &mut held {
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
            .await
            .expect("an answer")
            .unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 200"));
    }
    let growth_mb = peak.max(server.peak_rss()).saturating_sub(before) / 1024;
    eprintln!(
        "1,000 unfinished 30 KB heads: the server grew {growth_mb} MB at most; /healthz \
         slowest {slowest:?}"
    );
    assert!(growth_mb < 100, "memory grew by {growth_mb} MB");

    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(big.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .ok();
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

fn decoded(encoding: &str, body: &[u8]) -> String {
    let mut text = String::new();
    match encoding {
        "br" => brotli::Decompressor::new(body, 4096)
            .read_to_string(&mut text)
            .unwrap(),
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_string(&mut text)
            .unwrap(),
        other => panic!("{other}"),
    };
    text
}

/// Pages and API answers are compressed when the client says it can read them, streamed
/// pages whole; nothing is compressed for a client that did not ask, nor a records page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_answers_are_compressed_by_accept_encoding() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin", "profile:read"]).await.secret;
    let client = app.client();
    client
        .post(app.url("/sfn/sign_in"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    for (path, encoding) in [
        ("/login", "br"),
        ("/admin/tokens", "br"),
        ("/admin/tokens", "gzip"),
        ("/api/v1/me", "gzip"),
        ("/api/openapi.json", "br"),
    ] {
        let signed_out = reqwest::Client::new();
        let response = if path == "/login" {
            &signed_out
        } else {
            &client
        }
        .get(app.url(path))
        .bearer_auth(&root)
        .header(
            header::ACCEPT_ENCODING,
            format!("{encoding}, identity;q=0.5"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()[header::CONTENT_ENCODING],
            encoding,
            "{path}"
        );
        assert!(response.headers()[header::VARY]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("accept-encoding"));
        let compressed = response.bytes().await.unwrap();
        let text = decoded(encoding, &compressed);
        assert!(compressed.len() < text.len(), "{path}");
        if path.starts_with("/api") {
            serde_json::from_str::<serde_json::Value>(&text).expect("JSON");
        } else {
            assert!(text.contains("</html>"), "{path}: a whole page");
        }
    }
    let plain = client.get(app.url("/admin/tokens")).send().await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert!(plain.text().await.unwrap().contains("</html>"));

    let base = app.url("");
    anonymous_endpoint(&client, base.trim_end_matches('/'), &root).await;
    post_records(&client, base.trim_end_matches('/'), 2, 1).await;
    let records = client
        .get(app.url("/api/v1/endpoints/bulk/records"))
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .unwrap();
    assert!(records.headers().get(header::CONTENT_ENCODING).is_none());
    let page: serde_json::Value = records.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}
