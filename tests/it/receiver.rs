//! A real HTTP receiver for webhooks: records every request and answers with the statuses a
//! test scripts (then 200), and verifies Standard Webhooks signatures independently of
//! Tessera's code.
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::{body::Bytes, http::HeaderMap, http::StatusCode, routing::post, Router};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};

/// In a script: answer 200, but only after 15 s.
pub const SLOW: u16 = 0;

#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// What the receiver answered ([`SLOW`]: nothing in time).
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON payload")
    }

    pub fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    /// Whether the signature is `secret`'s, computed here as the specification says.
    pub fn signed_by(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
            .expect("base64 key");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct Log {
    script: VecDeque<u16>,
    received: Vec<Received>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    arrived: Arc<tokio::sync::Notify>,
}

impl Receiver {
    pub async fn start() -> Self {
        let log = Arc::new(Mutex::new(Log::default()));
        let arrived = Arc::new(tokio::sync::Notify::new());
        let (state, notify) = (log.clone(), arrived.clone());
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let (state, notify) = (state.clone(), notify.clone());
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let status = {
                        let mut log = state.lock().unwrap();
                        let status = log.script.pop_front().unwrap_or(200);
                        log.received.push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body: String::from_utf8_lossy(&body).into_owned(),
                            status,
                        });
                        status
                    };
                    notify.notify_waiters();
                    if status == SLOW {
                        tokio::time::sleep(std::time::Duration::from_secs(15)).await;
                        return StatusCode::OK;
                    }
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, log, arrived }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next answers, in order; 200 after them.
    pub fn answer(&self, statuses: &[u16]) {
        self.log.lock().unwrap().script.extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// Waits for what was received to satisfy `done`, woken by each arrival; panics after
    /// `seconds` without it.
    pub async fn wait_until(&self, seconds: u64, done: impl Fn(&[Received]) -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let arrival = self.arrived.notified();
            if done(&self.received()) {
                return;
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                panic!("the receiver waited {seconds} s: {:?}", self.received());
            }
        }
    }
}

/// A receiver that accepts connections and never answers: a hung service.
pub struct Silent {
    pub addr: SocketAddr,
    accepted: tokio::sync::watch::Receiver<usize>,
    accepting: tokio::task::JoinHandle<()>,
}

impl Silent {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (count, accepted) = tokio::sync::watch::channel(0);
        let accepting = tokio::spawn(async move {
            // Kept open, never read nor written, until the test ends.
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
                count.send_replace(open.len());
            }
        });
        Self {
            addr,
            accepted,
            accepting,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Waits for a first connection; panics after `seconds` without one.
    pub async fn wait_for_a_connection(&self, seconds: u64) {
        let mut accepted = self.accepted.clone();
        tokio::time::timeout(
            std::time::Duration::from_secs(seconds),
            accepted.wait_for(|n| *n > 0),
        )
        .await
        .expect("no connection to the silent receiver")
        .unwrap();
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}
