//! handoff-server: the reference backend (SPEC §7). The sync protocol of SPEC §6 over HTTP, with
//! the engine running natively and SQLite or PostgreSQL as storage; it also serves the demo and the package.
//! This file wires the parts together: the database lock, the store, the routes, the rate limit
//! and the connection loop.

mod api;
mod cli;
mod db;
mod limit;
mod lock;
mod retention;
mod serve;
mod store;
mod tokens;

use std::process::ExitCode;
use std::sync::Arc;

use handoff_engine::Engine;

const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("handoff-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = cli::Args::parse(std::env::args().skip(1)).map_err(|e| format!("{e}\n{}", cli::USAGE))?;
    let config_text = match &args.config {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => EXAMPLE_FIRM.to_owned(),
    };
    let engine = Engine::from_json(&config_text).map_err(|e| format!("the config is not valid: {e}"))?;
    // Only errors that would block a change refuse a start (SPEC §7 as amended by §9): an older
    // version's only keep its running cases, and are printed as warnings.
    let verdict = engine.config_verdict();
    let line = |d: &handoff_engine::Diagnostic| format!("{} at {}: {}", d.code.as_str(), d.path, d.message);
    if !verdict.blocking.is_empty() {
        let mut message = String::from("the config has errors, so the server does not start:");
        for finding in &verdict.blocking {
            message.push_str(&format!("\n  {}", line(&finding.diagnostic)));
        }
        return Err(message);
    }
    for finding in verdict.reported.iter().filter(|d| d.diagnostic.severity == handoff_engine::Severity::Error) {
        eprintln!("warning: an older workflow version has an error: {}", line(&finding.diagnostic));
    }
    let tokens = match &args.tokens {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            tokens::Tokens::from_json(&text)?
        }
        None => {
            let tokens = tokens::Tokens::from_json(tokens::DEMO_TOKENS)?;
            println!("no --tokens given: using the demo tokens of the example firm");
            for line in tokens.describe() {
                println!("  {line}");
            }
            tokens
        }
    };
    for warning in tokens.warnings(&engine) {
        eprintln!("warning: {warning}");
    }
    let target = args.target(std::env::var("DATABASE_URL").ok());
    // Before the store opens: a second process must not touch a SQLite file at all. Processes
    // sharing PostgreSQL are kept apart by the database's own locks.
    let _lock = match &target {
        db::Target::Sqlite(path) => Some(lock::acquire(path)?),
        db::Target::Postgres(_) => None,
    };
    let store = store::Store::open(&target, args.db_connections).await?;
    let config_json: serde_json::Value = serde_json::from_str(&config_text).map_err(|e| e.to_string())?;
    let app = Arc::new(api::App { engine, config_version: config_version(&config_json), config_json, tokens, store });
    let mut router = api::router(app, args.www.clone(), args.pkg.clone());
    if let Some(limiter) = limit::Limiter::new(args.rate_limit) {
        router = router.layer(axum::middleware::from_fn_with_state(limiter, limit::middleware));
    }
    let listener =
        tokio::net::TcpListener::bind(args.addr).await.map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    serve::run(listener, router, args.limits, shutdown()).await;
    println!("stopped");
    Ok(())
}

/// A stable number for the configuration (FNV-1a of its canonical JSON, within JS's safe
/// integers), so clients can tell when it changed.
fn config_version(config: &serde_json::Value) -> u64 {
    let text = config.to_string();
    let hash = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3));
    hash & ((1 << 53) - 1)
}

/// Resolves on SIGTERM or SIGINT: the server then finishes the requests in flight, within the
/// grace, and stops.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
