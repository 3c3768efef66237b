//! The Tessera server: wiring of state, sessions, pages, server functions and health checks.
pub mod api;
mod assets;
mod client_ip;
pub mod config;
mod csrf;
mod guard;
mod headers;
mod health;
pub mod serve;

use std::time::Duration;

use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::{middleware, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use tokio::time::MissedTickBehavior;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use app::server::{session::DbSessionStore, state::AppState};
use app::{shell, App};

/// Connects and brings the schema up to date.
pub async fn connect(database_url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
    {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
    }
    let mut options = ConnectOptions::new(database_url);
    options.sqlx_logging(false);
    // Write-ahead log: readers (pages, verification misses) no longer wait for writers, and
    // a commit costs one append instead of rewriting through a rollback journal. NORMAL
    // syncs at checkpoints: a crash of Tessera loses nothing committed; a power cut may
    // lose the last moments, as with any WAL database at this setting.
    options.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    app::server::service::accounts::fill_skeletons(&db)
        .await
        .map_err(|e| DbErr::Custom(format!("cannot fill in usernames' skeletons: {e}")))?;
    Ok(db)
}

/// The whole HTTP application. `leptos_routes` also mounts the server functions (under /sfn).
pub fn router(state: AppState, mut leptos_options: LeptosOptions) -> Router {
    let hashed = assets::use_hashed_names(&mut leptos_options);
    let bundle = assets::router(
        std::path::Path::new(leptos_options.site_root.as_ref()),
        leptos_options.site_pkg_dir.as_ref(),
        hashed,
    );
    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::pages))
        .fallback(leptos_axum::file_and_error_handler_with_context(
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            shell,
        ))
        .with_state(leptos_options);

    let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(state.sessions.cookie_name())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.sessions.secure_cookie)
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(state.sessions.idle_timeout)
                .unwrap_or(time::Duration::minutes(30)),
        ));

    let https = state.sessions.public_origin.starts_with("https://");

    // Pages and API answers by Accept-Encoding; the bundle is sent precompressed (and so
    // passes through). Level 4: a page costs well under a millisecond to compress and
    // shrinks about eightfold; the top levels cost tens of times more for a few per cent.
    let compression = CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(
            |_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions| {
                extensions.get::<api::Uncompressed>().is_none()
            },
        ));
    let router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api::router())
        .with_state(state.clone())
        .merge(bundle)
        .merge(pages)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::check))
        .layer(session_layer)
        .layer(middleware::from_fn(guard::canonical))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            client_ip::resolve_client,
        ))
        .layer(compression);
    headers::add(router, https)
}

/// Runs `round` every `period` on a task of its own for as long as the process runs. A
/// failed round logs its error and the next comes at its time; `missed` says whether rounds
/// that fell behind catch up in a burst or the next one waits a whole period (for those
/// that call out, mail and webhooks).
fn every<F, R>(period: Duration, missed: MissedTickBehavior, mut round: F)
where
    F: FnMut() -> R + Send + 'static,
    R: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(missed);
        loop {
            ticks.tick().await;
            round().await;
        }
    });
}

/// Work that runs beside the server: batched last-use writes, following changes made by
/// other instances, webhook and email sending, the hourly retention round, and removal of
/// expired sessions.
pub fn spawn_background(state: &AppState) {
    use tower_sessions::ExpiredDeletion;

    let usage = state.clone();
    every(USAGE_FLUSH_INTERVAL, MissedTickBehavior::Burst, move || {
        let state = usage.clone();
        async move {
            if let Err(err) = state.usage.flush(&state.db).await {
                tracing::warn!(error = %err, "could not record token use");
            }
        }
    });
    let requests = state.clone();
    every(
        REQUEST_LOG_FLUSH_INTERVAL,
        MissedTickBehavior::Burst,
        move || {
            let state = requests.clone();
            async move {
                if let Err(err) = state.requests.flush(&state.db).await {
                    tracing::warn!(error = %err, "could not write the endpoint request log");
                }
                let (db, refusals) = (&state.db, &state.auth.refusals);
                if let Err(err) = app::server::audit_log::flush_refusals(db, refusals).await {
                    tracing::warn!(error = %err, "could not count refused requests");
                }
            }
        },
    );
    follow_changes(state);
    spawn_webhook_worker(state);
    if state.mailer.is_some() {
        let mail = state.clone();
        every(MAIL_POLL_INTERVAL, MissedTickBehavior::Delay, move || {
            let state = mail.clone();
            async move {
                let Some(mailer) = &state.mailer else {
                    return;
                };
                if let Err(err) = mailer.send_due(&state.db, chrono::Utc::now()).await {
                    tracing::warn!(error = %err, "could not send notice emails");
                }
            }
        });
    }
    let retention = state.clone();
    every(RETENTION_INTERVAL, MissedTickBehavior::Burst, move || {
        let state = retention.clone();
        async move { retention_round(&state, chrono::Utc::now()).await }
    });
    let store = DbSessionStore::new(state.db.clone());
    every(
        SESSION_SWEEP_INTERVAL,
        MissedTickBehavior::Burst,
        move || {
            let store = store.clone();
            async move {
                if let Err(err) = store.delete_expired().await {
                    tracing::warn!(error = %err, "could not delete expired sessions");
                }
            }
        },
    );
}

/// What the hourly round removes or does by the clock: endpoint data, audit events and
/// webhook deliveries past their retention, idle tokens past the policy, ended attempt
/// windows, due expiry notices, rested rate limiters and old calls per day. Each part goes
/// on when another fails.
async fn retention_round(state: &AppState, now: chrono::DateTime<chrono::Utc>) {
    use app::server::service::{audit, expiry, limits, tokens, traffic, webhooks};
    let db = &state.db;
    match traffic::purge(db, now).await {
        Ok((0, 0)) => {}
        Ok((records, calls)) => {
            tracing::info!(records, calls, "purged endpoint data past its retention");
        }
        Err(err) => tracing::warn!(error = %err, "could not purge old endpoint data"),
    }
    let today = now.date_naive();
    match tokens::revoke_idle(db, &state.auth, today).await {
        Ok(0) => {}
        Ok(revoked) => tracing::info!(revoked, "revoked tokens idle past the policy"),
        Err(err) => tracing::warn!(error = %err, "could not revoke idle tokens"),
    }
    if let Err(err) = limits::forget_ended(db, now).await {
        tracing::warn!(error = %err, "could not forget ended attempt windows");
    }
    match expiry::notify_due(db, now).await {
        Ok(0) => {}
        Ok(sent) => tracing::info!(sent, "sent token expiry notices"),
        Err(err) => tracing::warn!(error = %err, "could not send token expiry notices"),
    }
    match audit::purge(db, now).await {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "purged audit events past their retention"),
        Err(err) => tracing::warn!(error = %err, "could not purge old audit events"),
    }
    let kept = now - chrono::Duration::days(webhooks::KEEP_DAYS);
    if let Err(err) = webhooks::forget_before(db, kept).await {
        tracing::warn!(error = %err, "could not forget old webhook deliveries");
    }
    state.rates.forget_rested();
    let first_day = today - chrono::Duration::days(app::model::token::USAGE_DAYS);
    if let Err(err) = app::server::usage::forget_days_before(db, first_day).await {
        tracing::warn!(error = %err, "could not forget old calls per day");
    }
}

/// Starts this instance's webhook worker: every [`WEBHOOK_POLL_INTERVAL`], a sender for each
/// webhook that has none running here (see `Deliverer::start_senders`).
pub fn spawn_webhook_worker(state: &AppState) {
    let webhooks = state.clone();
    every(
        WEBHOOK_POLL_INTERVAL,
        MissedTickBehavior::Delay,
        move || {
            let state = webhooks.clone();
            async move {
                if let Err(err) = state.webhooks.start_senders(&state.db).await {
                    tracing::warn!(error = %err, "could not start webhook senders");
                }
            }
        },
    );
}

/// How often an instance reads the change counter. On PostgreSQL a notification usually
/// arrives first; this bounds the delay when one is lost, and is the only way on SQLite.
pub const CHANGE_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Follows the changes other instances make: every notification on PostgreSQL, and a poll
/// of the change counter on every backend. Either resets this instance's cache when the
/// counter moved.
pub fn follow_changes(state: &AppState) {
    let poll = state.clone();
    every(CHANGE_POLL_INTERVAL, MissedTickBehavior::Burst, move || {
        let state = poll.clone();
        async move {
            if let Err(err) = state.auth.follow(&state.db).await {
                tracing::warn!(error = %err, "could not follow other instances' changes");
            }
        }
    });
    if state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let listen_state = state.clone();
    tokio::spawn(async move {
        use sea_orm::sqlx::postgres::PgListener;
        let pool = listen_state.db.get_postgres_connection_pool();
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for changes; polling only");
                return;
            }
        };
        if let Err(err) = listener.listen(app::server::change::CHANNEL).await {
            tracing::warn!(error = %err, "cannot listen for changes; polling only");
            return;
        }
        loop {
            // `None` means the connection was lost and notifications may have been missed:
            // reading the counter catches up either way.
            match listener.try_recv().await {
                Ok(_) => {
                    if let Err(err) = listen_state.auth.follow(&listen_state.db).await {
                        tracing::warn!(error = %err, "could not follow a notified change");
                    }
                }
                Err(err) => {
                    tracing::debug!(error = %err, "stopped listening for changes");
                    break;
                }
            }
        }
    });
}

/// Writes the batched logs now: token use, the endpoints' request log and the counts of
/// refused requests.
pub async fn flush_logs(state: &AppState) -> Result<(), app::server::error::ServiceError> {
    state.usage.flush(&state.db).await?;
    state.requests.flush(&state.db).await?;
    app::server::audit_log::flush_refusals(&state.db, &state.auth.refusals).await
}

/// How long endpoint calls (and repeated refusals) may wait in memory before they are
/// logged.
pub const REQUEST_LOG_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// How often an instance looks for webhook deliveries that are due.
pub const WEBHOOK_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How often the retention round runs (see `retention_round`).
const RETENTION_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// How often expired sessions are deleted.
const SESSION_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// How often an instance looks for notice emails to send.
pub const MAIL_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How long token use may wait in memory before it is written.
pub const USAGE_FLUSH_INTERVAL: Duration = Duration::from_secs(5);
