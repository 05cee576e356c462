//! handoff-server: the reference backend (SPEC §7). The sync protocol of SPEC §6 over HTTP, with
//! the engine running natively and SQLite or PostgreSQL as storage; it also serves the demo and the package.
//! This file wires the parts together: the database lock, the store, the scheduler, the routes,
//! the rate limit and the connection loop.

mod api;
mod change;
mod cli;
mod db;
mod limit;
mod lock;
mod retention;
mod scheduler;
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
    let (seed_label, seed_text) = match &args.config {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => ("the Example Law Firm".to_owned(), EXAMPLE_FIRM.to_owned()),
    };
    let tokens = match &args.tokens {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            tokens::Watched::file(path.clone(), tokens::Tokens::from_json(&text)?)
        }
        None => {
            let tokens = tokens::Tokens::from_json(tokens::DEMO_TOKENS)?;
            println!("no --tokens given: using the demo tokens of the example firm");
            for line in tokens.describe() {
                println!("  {line}");
            }
            tokens::Watched::fixed(tokens)
        }
    };
    let target = args.target(std::env::var("DATABASE_URL").ok());
    // Before the store opens: a second process must not touch a SQLite file at all. Processes
    // sharing PostgreSQL are kept apart by the database's own locks.
    let _lock = match &target {
        db::Target::Sqlite(path) => Some(lock::acquire(path)?),
        db::Target::Postgres(_) => None,
    };
    // The seed is read only for a database without a configuration (SPEC §9).
    let seed = || seed_config(&seed_text);
    let (store, seeded) = store::Store::open(&target, args.db_connections, &seed).await?;
    let current = store.current();
    if seeded {
        println!("seeded the configuration from {seed_label}: configVersion {}", current.version);
    } else {
        println!("using the stored configuration: configVersion {}", current.version);
    }
    for warning in tokens.current().warnings(&current.engine) {
        eprintln!("warning: {warning}");
    }
    let app = Arc::new(api::App { tokens, store });
    let watcher = tokio::spawn(watch_tokens(app.clone()));
    // Its first round catches up on the deadlines that passed while no server ran.
    let debug = scheduler::debug_from(std::env::var("HANDOFF_DEBUG").ok().as_deref());
    let scheduler = tokio::spawn(scheduler::run(app.clone(), args.tick_interval, debug));
    let mut router = api::router(app, args.www.clone(), args.pkg.clone());
    if let Some(limiter) = limit::Limiter::new(args.rate_limit) {
        router = router.layer(axum::middleware::from_fn_with_state(limiter, limit::middleware));
    }
    let listener =
        tokio::net::TcpListener::bind(args.addr).await.map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    serve::run(listener, router, args.limits, shutdown()).await;
    // Both timed tasks stop before the runtime does: one left waiting on its timer while the
    // runtime shuts down would poll a timer already gone, and panic. A scheduler round cut short
    // keeps the batches it committed; the batch under way is rolled back, and the next start
    // catches up on it.
    for task in [scheduler, watcher] {
        task.abort();
        let _ = task.await;
    }
    println!("stopped");
    Ok(())
}

/// The configuration a new database starts from, as stored: refused (with every error) when it
/// does not read, or has errors that would block a change (SPEC §7 as amended by §9: an older
/// version's errors only keep its running cases, and are printed as warnings).
fn seed_config(text: &str) -> Result<String, String> {
    let engine = Engine::from_json(text).map_err(|e| format!("the config is not valid: {e}"))?;
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
    serde_json::to_string(engine.config()).map_err(|e| e.to_string())
}

/// Re-reads the tokens file when it changes (looked at every two seconds) and on SIGHUP.
async fn watch_tokens(app: Arc<api::App>) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        let pause = tokio::time::sleep(std::time::Duration::from_secs(2));
        #[cfg(unix)]
        let force = match hangup.as_mut() {
            Some(signal) => tokio::select! {
                _ = pause => false,
                _ = signal.recv() => true,
            },
            None => {
                pause.await;
                false
            }
        };
        #[cfg(not(unix))]
        let force = {
            pause.await;
            false
        };
        match app.tokens.reload(force) {
            Ok(Some(count)) => {
                println!("re-read the tokens file: {count} tokens");
                for warning in app.tokens.current().warnings(&app.store.current().engine) {
                    eprintln!("warning: {warning}");
                }
            }
            Ok(None) => {}
            Err(error) => {
                eprintln!("handoff-server: the tokens file was not re-read; the previous tokens stay: {error}")
            }
        }
    }
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
