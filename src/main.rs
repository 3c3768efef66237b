use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use app::server::{
    cache::AuthCache,
    service::{
        accounts::{self, NewUser},
        tokens,
    },
    state::AppState,
};
use tessera::config::{Cli, Command, ServeArgs, TokenCommand, UserCommand};

// Requests on both workers allocate and free many small buffers; mimalloc's per-thread
// pages keep that off the shared heap (measured in bench/verify.sh, see the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to standard error: standard output is for what a command prints (a secret).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
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
    // The command line keeps no verification cache of its own; its changes reach the
    // serving instances through the change counter like any other instance's.
    let cache = AuthCache::default();
    match accounts::bootstrap_admin(&db, &cache, cli.serve.bootstrap_admin_password.clone()).await {
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
                &cache,
                NewUser {
                    username,
                    password,
                    admin,
                    technical,
                    ..Default::default()
                },
                accounts::Creator::Operator,
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("created user {}", user.username);
            Ok(())
        }
        Command::User(UserCommand::Unlock { username }) => {
            let user = accounts::unlock(&db, &cache, &username)
                .await
                .map_err(|e| e.to_string())?;
            println!("unlocked user {}", user.username);
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            user,
            name,
            scopes,
            expires_in_days,
        }) => {
            let issued =
                tokens::create_by_operator(&db, &cache, &user, name, &scopes, expires_in_days)
                    .await
                    .map_err(|e| e.to_string())?;
            println!("{}", issued.secret);
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
    let state = AppState::new(db.clone(), args.session_config(addr)?);
    tessera::spawn_background(&state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    tessera::serve::serve(
        listener,
        tessera::router(state.clone(), leptos_options),
        tessera::serve::Limits::default(),
        shutdown_signal(),
    )
    .await;
    // Calls whose clients hung up may still be storing; then what was used and called since
    // the last batches is written before leaving.
    state.calls.close();
    state.calls.wait().await;
    tessera::flush_logs(&state)
        .await
        .map_err(|e| format!("writing logs at shutdown: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
