//! A real handoff-server process on a free loopback port, a small HTTP client for it, and the
//! databases it runs on: a SQLite file always, and a PostgreSQL database of its own on the
//! cluster that `HANDOFF_TEST_POSTGRES` names (`npm test` starts one), so that each test that is
//! about the protocol rather than the storage is written once and run on both.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const AT: &str = "2026-11-25T09:00:00Z";

/// A fresh directory for one test's files.
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

/// Where a test's server keeps its data.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// The URL of a cluster's administrative database, where each test creates its own.
    Postgres(String),
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        })
    }
}

/// The PostgreSQL cluster to test on, if `HANDOFF_TEST_POSTGRES` names one. With
/// `HANDOFF_REQUIRE_POSTGRES` set (`npm test` sets both), a missing one fails the test rather
/// than leaving PostgreSQL untested.
pub fn postgres() -> Option<Backend> {
    let backend = std::env::var("HANDOFF_TEST_POSTGRES").ok().filter(|url| !url.is_empty()).map(Backend::Postgres);
    assert!(
        backend.is_some() || std::env::var_os("HANDOFF_REQUIRE_POSTGRES").is_none(),
        "HANDOFF_REQUIRE_POSTGRES is set, but HANDOFF_TEST_POSTGRES names no PostgreSQL cluster"
    );
    backend
}

/// SQLite always; PostgreSQL as well when `HANDOFF_TEST_POSTGRES` names a cluster.
pub fn backends() -> Vec<Backend> {
    std::iter::once(Backend::Sqlite).chain(postgres()).collect()
}

/// Runs `test` on every backend of `backends()`, one after the other, saying which in the output
/// that a failing test shows.
///
/// The PostgreSQL runs of a test binary take turns: a snapshot's xmin, which a pull's cookie is,
/// counts the transactions running in every database of the cluster, so another test's push in
/// flight holds the cookie back and a pull returns again cases it returned before. That is
/// correct (a cookie may only err towards more), but it is not what the tests that check which
/// cases a cookie returns assert. Cargo runs test binaries one at a time.
pub fn on_each_backend(test: impl Fn(&Backend)) {
    for backend in backends() {
        let _turn = postgres_turn(&backend);
        eprintln!("-- on {backend}");
        test(&backend);
    }
}

/// This binary's turn on the PostgreSQL cluster (see `on_each_backend`); nothing for SQLite.
pub fn postgres_turn(backend: &Backend) -> Option<MutexGuard<'static, ()>> {
    static TURN: Mutex<()> = Mutex::new(());
    match backend {
        Backend::Sqlite => None,
        // A test that failed in its turn must not fail the others.
        Backend::Postgres(_) => Some(TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())),
    }
}

/// A fresh, empty database for one test: a file in a temporary folder, or a database of its own
/// on the cluster (dropped when the test passes; a failed test's is kept for a look).
pub struct TestDb {
    pub backend: Backend,
    /// A temporary folder for the test's other files (tokens, configs); the SQLite file is in it.
    pub dir: PathBuf,
    /// What `--db` is given.
    pub arg: String,
    /// The database's name on the cluster.
    name: Option<String>,
}

impl TestDb {
    pub fn new(backend: &Backend, test: &str) -> TestDb {
        let dir = temp_dir(test);
        match backend {
            Backend::Sqlite => {
                let arg = dir.join("h.sqlite").to_str().unwrap().to_owned();
                TestDb { backend: backend.clone(), dir, arg, name: None }
            }
            Backend::Postgres(admin) => {
                static COUNT: AtomicU32 = AtomicU32::new(0);
                let name = format!("handoff_{}_{}", std::process::id(), COUNT.fetch_add(1, Ordering::SeqCst));
                admin_client(admin).batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let arg = database_url(admin, &name);
                TestDb { backend: backend.clone(), dir, arg, name: Some(name) }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The rows a checking query returns, each as its cells. Parameters are written `$1`, `$2`
    /// … on both backends.
    pub fn rows(&self, sql: &str, args: &[Cell]) -> Vec<Vec<Cell>> {
        match &self.backend {
            Backend::Sqlite => {
                let connection = rusqlite::Connection::open(&self.arg).unwrap();
                let mut statement = connection.prepare(&sqlite_placeholders(sql)).unwrap();
                let width = statement.column_count();
                let mut rows = statement.query(rusqlite::params_from_iter(args.iter())).unwrap();
                let mut found = Vec::new();
                while let Some(row) = rows.next().unwrap() {
                    found.push((0..width).map(|i| Cell::from_sqlite(row.get_ref(i).unwrap())).collect());
                }
                found
            }
            Backend::Postgres(_) => {
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args.iter().map(Cell::as_postgres).collect();
                let rows = self.postgres_client().query(sql, &params).unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.iter().map(|row| (0..row.len()).map(|i| Cell::from_postgres(row, i)).collect()).collect()
            }
        }
    }

    /// The one value a query returns (a count, say).
    pub fn value(&self, sql: &str, args: &[Cell]) -> Cell {
        let rows = self.rows(sql, args);
        assert_eq!(rows.len(), 1, "{sql} returned {} rows", rows.len());
        rows[0][0].clone()
    }

    /// Runs a changing statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[Cell]) -> u64 {
        match &self.backend {
            Backend::Sqlite => {
                let connection = rusqlite::Connection::open(&self.arg).unwrap();
                connection.execute(&sqlite_placeholders(sql), rusqlite::params_from_iter(args.iter())).unwrap() as u64
            }
            Backend::Postgres(_) => {
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args.iter().map(Cell::as_postgres).collect();
                self.postgres_client().execute(sql, &params).unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        }
    }

    /// A connection of the test's own to its PostgreSQL database.
    pub fn postgres_client(&self) -> postgres::Client {
        assert!(self.is_postgres(), "a PostgreSQL connection to a SQLite database");
        postgres::Client::connect(&self.arg, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.arg))
    }
}

impl AsRef<OsStr> for TestDb {
    fn as_ref(&self) -> &OsStr {
        self.arg.as_ref()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Backend::Postgres(admin), Some(name)) = (&self.backend, &self.name) {
            if !std::thread::panicking() {
                // FORCE: a server killed a moment ago may still hold a connection.
                let _ = admin_client(admin).batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn admin_client(admin: &str) -> postgres::Client {
    postgres::Client::connect(admin, postgres::NoTls).unwrap_or_else(|e| {
        panic!("HANDOFF_TEST_POSTGRES is {admin}, but its cluster does not answer ({e}); `npm test` starts one")
    })
}

/// The admin URL with its database replaced by `name`.
fn database_url(admin: &str, name: &str) -> String {
    let (address, query) = admin.split_once('?').map_or((admin, None), |(a, q)| (a, Some(q)));
    let scheme_end = address.find("://").map_or(0, |i| i + 3);
    let host_end = address[scheme_end..].find('/').map_or(address.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &address[..host_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// `$1` → `?1`: SQLite numbers `$1` by its first appearance, not by its digits.
fn sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// One value of a checking query's row, or one of its parameters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(value) => *value,
            other => panic!("{other:?} is not an integer"),
        }
    }

    pub fn uint(&self) -> u64 {
        u64::try_from(self.int()).unwrap()
    }

    pub fn text(&self) -> &str {
        match self {
            Cell::Text(value) => value,
            other => panic!("{other:?} is not text"),
        }
    }

    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Cell {
        use rusqlite::types::ValueRef;
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(value) => Cell::Int(value),
            ValueRef::Text(text) => Cell::Text(String::from_utf8(text.to_vec()).unwrap()),
            other => panic!("a checking query returned {other:?}"),
        }
    }

    fn from_postgres(row: &postgres::Row, i: usize) -> Cell {
        use postgres::types::Type;
        let kind = row.columns()[i].type_().clone();
        let cell = match kind {
            Type::INT8 => row.get::<_, Option<i64>>(i).map(Cell::Int),
            Type::INT4 => row.get::<_, Option<i32>>(i).map(|v| Cell::Int(v.into())),
            Type::INT2 => row.get::<_, Option<i16>>(i).map(|v| Cell::Int(v.into())),
            Type::BOOL => row.get::<_, Option<bool>>(i).map(|v| Cell::Int(v.into())),
            Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => row.get::<_, Option<String>>(i).map(Cell::Text),
            other => panic!("a checking query returned a column of type {other}; cast it to text or bigint"),
        };
        cell.unwrap_or(Cell::Null)
    }

    fn as_postgres(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            Cell::Null => {
                static NULL: Option<String> = None;
                &NULL
            }
            Cell::Int(value) => value,
            Cell::Text(value) => value,
        }
    }
}

impl rusqlite::ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Cell::Null => rusqlite::types::Null.to_sql(),
            Cell::Int(value) => value.to_sql(),
            Cell::Text(value) => value.to_sql(),
        }
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }
}

impl From<&String> for Cell {
    fn from(value: &String) -> Cell {
        Cell::Text(value.clone())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Cell {
        Cell::Int(value)
    }
}

impl From<u64> for Cell {
    fn from(value: u64) -> Cell {
        Cell::Int(i64::try_from(value).unwrap())
    }
}

pub struct Server {
    child: Option<Child>,
    pub base: String,
    /// The `--db` it was started with, to start another on the same database.
    pub db: String,
    pub output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// A server on `db`: a `TestDb`, or any `--db` value.
    pub fn start(db: &impl AsRef<OsStr>) -> Server {
        Server::start_with(db, &[]).unwrap_or_else(|output| panic!("the server did not start:\n{output}"))
    }

    /// Starts the server with extra arguments; `Err` holds what it printed if it did not start.
    pub fn start_with(db: &impl AsRef<OsStr>, extra: &[&str]) -> Result<Server, String> {
        Server::start_with_env(db, extra, &[])
    }

    /// Starts the server with extra arguments and environment variables.
    pub fn start_with_env(db: &impl AsRef<OsStr>, extra: &[&str], env: &[(&str, &str)]) -> Result<Server, String> {
        let db = db.as_ref().to_str().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_handoff-server"))
            .args(["--db", db, "--addr", "127.0.0.1:0", "--www", "../www", "--pkg", "../pkg"])
            .args(extra)
            .envs(env.iter().copied())
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

    /// The process's id, to signal it from another thread.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
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

/// GET `path` with `token`; the status and the body as JSON (or a string).
pub fn get(server: &Server, path: &str, token: &str) -> (u16, Value) {
    let mut response =
        agent().get(&server.url(path)).header("Authorization", &format!("Bearer {token}")).call().unwrap();
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

/// The ids of a pull's cases, sorted: a pull promises no order (a page follows the changes).
pub fn case_ids(pulled: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> =
        pulled["cases"].as_array().unwrap().iter().map(|c| c["caseId"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids
}

/// A pull with more of the request's fields (`limit`, `caseIds`) set as in `fields`.
pub fn pull_with(server: &Server, token: &str, client: &str, cookie: Option<&str>, fields: Value) -> (u16, Value) {
    let mut body = json!({ "schemaVersion": 2, "clientId": client, "cookie": cookie });
    for (name, value) in fields.as_object().unwrap() {
        body[name] = value.clone();
    }
    post(server, "/sync/pull", Some(token), &body.to_string())
}

/// A case for these clients (`start_case`'s are for `smith`).
pub fn start_case_for(id: u64, case: &str, clients: Value) -> Value {
    json!({ "id": id, "caseId": case, "kind": "startCase",
            "input": { "caseId": case, "workflowId": "chapter-7", "clients": clients }, "at": AT })
}

/// Pushes `mutations` as `client`, as many pushes of at most 500 as it takes, each applied whole.
pub fn push_all(server: &Server, token: &str, client: &str, mutations: Vec<Value>) {
    for chunk in mutations.chunks(500) {
        let (status, body) = push(server, token, client, Value::Array(chunk.to_vec()));
        assert_eq!(status, 200, "{body}");
        assert!(statuses(&body).iter().all(|s| s == "applied"), "{body}");
    }
}

/// Pulls page after page from `cookie`, `limit` cases at a time, until a page says no more
/// follow; `between(n, page)` runs after page `n` (counting from 1) when more do. The pages.
pub fn walk(
    server: &Server,
    token: &str,
    client: &str,
    cookie: Option<&str>,
    limit: u64,
    mut between: impl FnMut(usize, &Value),
) -> Vec<Value> {
    let mut pages: Vec<Value> = Vec::new();
    let mut cookie = cookie.map(str::to_owned);
    loop {
        let (status, page) = pull_with(server, token, client, cookie.as_deref(), json!({ "limit": limit }));
        assert_eq!(status, 200, "{page}");
        let more = page["more"].as_bool().unwrap_or_else(|| panic!("no more in {page}"));
        cookie = Some(page["cookie"].as_str().unwrap().to_owned());
        pages.push(page);
        assert!(pages.len() <= 200, "a pull that does not end");
        if !more {
            return pages;
        }
        between(pages.len(), pages.last().unwrap());
    }
}

/// What a client holds after these pages: each case as the latest page that carried it has it.
pub fn held(pages: &[Value]) -> BTreeMap<String, Value> {
    let mut cases = BTreeMap::new();
    for page in pages {
        for state in page["cases"].as_array().unwrap() {
            cases.insert(state["caseId"].as_str().unwrap().to_owned(), state.clone());
        }
    }
    cases
}

/// What a fresh client's one unpaged pull holds.
pub fn fresh_view(server: &Server, token: &str) -> BTreeMap<String, Value> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let client = format!("fresh-{}", COUNT.fetch_add(1, Ordering::SeqCst));
    let (status, whole) = pull(server, token, &client, None);
    assert_eq!((status, &whole["more"]), (200, &json!(false)), "{whole}");
    held(&[whole])
}
