use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tower_sessions::ExpiredDeletion;
use tracing_subscriber::EnvFilter;

use app::server::{
    service::accounts::{self, NewUser},
    session::DbSessionStore,
    state::AppState,
};
use tessera::config::{Cli, Command, ServeArgs, UserCommand};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let db = tessera::connect(&cli.database.database_url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    // "First start" is the first command that finds no users, whichever it is: an operator
    // who creates a user with the CLI before serving still gets an administrator.
    match accounts::bootstrap_admin(&db, cli.serve.bootstrap_admin_password.clone()).await {
        Ok(Some(password)) => tracing::warn!(
            "created the administrator 'admin' with the one-time password {password} \
             (it is not shown again; change it after signing in)"
        ),
        Ok(None) => {}
        Err(e) => return Err(format!("creating the first administrator: {e}")),
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::User(UserCommand::Create {
            username,
            admin,
            technical,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("reading the password from standard input: {e}"))?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let user = accounts::create_user(
                &db,
                NewUser {
                    username,
                    password,
                    admin,
                    technical,
                    ..Default::default()
                },
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("created user {}", user.username);
            Ok(())
        }
        Command::Serve => serve(db, cli.serve).await,
    }
}

async fn serve(db: sea_orm::DatabaseConnection, args: ServeArgs) -> Result<(), String> {
    let leptos_options = leptos::prelude::get_configuration(None)
        .map_err(|e| format!("leptos configuration: {e}"))?
        .leptos_options;
    let addr = leptos_options.site_addr;
    let state = AppState {
        db: db.clone(),
        sessions: args.session_config(),
    };
    tokio::spawn(delete_expired_sessions(DbSessionStore::new(db)));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    axum::serve(
        listener,
        tessera::router(state, leptos_options).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server: {e}"))
}

async fn delete_expired_sessions(store: DbSessionStore) {
    let mut every_minute = tokio::time::interval(tokio::time::Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
    }
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
