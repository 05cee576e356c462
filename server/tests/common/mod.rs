//! A real handoff-server process on a free loopback port, and a small HTTP client for it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const AT: &str = "2026-11-25T09:00:00Z";

/// A fresh directory for one test's database.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "handoff-{name}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub db: PathBuf,
    pub output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, &[]).unwrap_or_else(|output| panic!("the server did not start:\n{output}"))
    }

    /// Starts the server with extra arguments; `Err` holds what it printed if it did not start.
    pub fn start_with(db: &Path, extra: &[&str]) -> Result<Server, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_handoff-server"))
            .args(["--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0", "--www", "../www", "--pkg", "../pkg"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        for line in lines.by_ref().map_while(Result::ok) {
            output.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(addr) = line.strip_prefix("listening on ") {
                base = Some(addr.to_owned());
                break;
            }
        }
        let sink = output.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        match base {
            Some(base) => Ok(Server { child: Some(child), base, db: db.to_owned(), output }),
            None => {
                let status = child.wait().unwrap();
                std::thread::sleep(Duration::from_millis(50));
                Err(format!("exit {status}\n{}", output.lock().unwrap()))
            }
        }
    }

    /// kill -9: no chance to clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP client that reports every status instead of failing on 4xx/5xx.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// POST `body` with `token`; the status and the body as JSON (or a string).
pub fn post(server: &Server, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = agent().post(&server.url(path)).header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request.send(body).unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().with_config().limit(64 << 20).read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub fn push(server: &Server, token: &str, client: &str, mutations: Value) -> (u16, Value) {
    let body = json!({ "schemaVersion": 2, "clientId": client, "mutations": mutations });
    post(server, "/sync/push", Some(token), &body.to_string())
}

pub fn pull(server: &Server, token: &str, client: &str, cookie: Option<&str>) -> (u16, Value) {
    let body = json!({ "schemaVersion": 2, "clientId": client, "cookie": cookie });
    post(server, "/sync/pull", Some(token), &body.to_string())
}

/// A case of the demo's portal client, `smith` (the demo tokens' `client-token`).
pub fn start_case(id: u64, case: &str) -> Value {
    json!({ "id": id, "caseId": case, "kind": "startCase",
            "input": { "caseId": case, "workflowId": "chapter-7", "clients": ["smith"] }, "at": AT })
}

pub fn command(id: u64, case: &str, command: Value) -> Value {
    json!({ "id": id, "caseId": case, "kind": "command", "command": command, "at": AT })
}

pub fn statuses(response: &Value) -> Vec<String> {
    response["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap().to_owned()).collect()
}

pub fn case<'a>(pulled: &'a Value, id: &str) -> &'a Value {
    pulled["cases"].as_array().unwrap().iter().find(|c| c["caseId"] == id).unwrap_or(&Value::Null)
}
