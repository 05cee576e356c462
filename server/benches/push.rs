//! Push throughput and latency of the reference server on loopback, on SQLite and on PostgreSQL,
//! each beside the raw commit rate of the same database with the same durability, measured in the
//! same run (`npm run bench`). A bounded load: a fixed number of requests, then it stops.
//!
//! What each figure is:
//! - raw commits: one connection, one autocommit `INSERT` of a 600-byte row per operation, one
//!   after another; SQLite with the server's settings (WAL, `synchronous=FULL`) in a file beside
//!   the server's, PostgreSQL in its own database of the same cluster (so the same WAL and disk)
//!   with the cluster's defaults, which the server keeps (`fsync` and `synchronous_commit` on).
//!   One durable commit of one row: the least a durable single-mutation push can cost.
//! - single-mutation pushes: one client, one mutation (a `startCase`) per push, one after another,
//!   from one server process on a fresh database; each mutation is one transaction, as §6 says.
//!   The ratio to raw is the budget (≥ 0.5 on each backend).
//! - several clients: each pushes single mutations one after another, all at once; on
//!   PostgreSQL through one process and then through two processes sharing one database, the
//!   clients split between them. This machine has two cores, shared by the clients, the
//!   processes and PostgreSQL: these show contention rather than scaling, and have no budget.
//!
//! The disk's commit latency here drifts by a factor of several within seconds (the machine and
//! its disk are shared), so raw commits and pushes are timed in turn, one commit then one push
//! (or the other way round), in rounds; the printed rates and ratio are the medians of the
//! rounds'. And both are timed in the same state of SQLite's WAL: past its first checkpoint,
//! when commits write over the file instead of growing it, which costs this disk about half as
//! much per commit (measured: 2.07× the commits per second, interleaved), and is where a running
//! server stays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// Rounds of raw commits and single pushes in turn; each round does `PER_ROUND` of each.
const ROUNDS: usize = 30;
const PER_ROUND: usize = 40;
/// Untimed operations of each kind first: connections opened, caches and the WAL warm.
const WARM_UP: usize = 20;
/// Clients pushing at once, and how many single-mutation pushes they make between them.
const CLIENTS: usize = 4;
const CONCURRENT: usize = 400;
const BATCH: usize = 50;
const BATCHES: usize = 16;
const ROW: usize = 600;

/// The bench's own temporary folder, removed when dropped, also when the bench panics.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("handoff-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One durable single-row commit per call.
trait RawCommits {
    fn commit(&mut self, id: i64);
}

struct RawSqlite(rusqlite::Connection);

impl RawSqlite {
    /// The server's settings (WAL, synchronous=FULL).
    fn open(path: &Path) -> Self {
        let connection = rusqlite::Connection::open(path).unwrap();
        connection.pragma_update(None, "journal_mode", "WAL").unwrap();
        connection.pragma_update(None, "synchronous", "FULL").unwrap();
        connection.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").unwrap();
        // Past the first checkpoint (1,000 pages), as the server's file will be when timed.
        let fill = connection.unchecked_transaction().unwrap();
        for id in 1..=7000 {
            fill.execute("INSERT INTO t (id, body) VALUES (?1, ?2)", rusqlite::params![-id, "x".repeat(ROW)]).unwrap();
        }
        fill.commit().unwrap();
        RawSqlite(connection)
    }
}

impl RawCommits for RawSqlite {
    fn commit(&mut self, id: i64) {
        let mut insert = self.0.prepare_cached("INSERT INTO t (id, body) VALUES (?1, ?2)").unwrap();
        insert.execute(rusqlite::params![id, "x".repeat(ROW)]).unwrap();
    }
}

struct RawPostgres {
    client: postgres::Client,
    insert: postgres::Statement,
}

impl RawPostgres {
    /// The session's defaults, as the server's: autocommit, synchronous_commit as the cluster
    /// has it.
    fn open(url: &str) -> Self {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        client.batch_execute("CREATE TABLE t (id BIGINT PRIMARY KEY, body TEXT NOT NULL)").unwrap();
        let insert = client.prepare("INSERT INTO t (id, body) VALUES ($1, $2)").unwrap();
        RawPostgres { client, insert }
    }
}

impl RawCommits for RawPostgres {
    fn commit(&mut self, id: i64) {
        self.client.execute(&self.insert, &[&id, &"x".repeat(ROW)]).unwrap();
    }
}

/// A private PostgreSQL cluster (`scripts/pg.sh`), stopped and removed when dropped, also when
/// the bench panics.
struct Cluster {
    dir: PathBuf,
    url: String,
}

fn pg_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh")
}

impl Cluster {
    fn start(dir: PathBuf) -> Self {
        let output =
            Command::new("bash").arg(pg_sh()).arg("start").arg(&dir).stderr(Stdio::inherit()).output().unwrap();
        assert!(
            output.status.success(),
            "scripts/pg.sh start failed (is PostgreSQL installed? bash scripts/pg.sh install)"
        );
        let url = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        Cluster { dir, url }
    }

    /// The URL of a new, empty database of this cluster.
    fn database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (server, _) = self.url.rsplit_once('/').unwrap();
        format!("{server}/{name}")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(pg_sh()).arg("stop").arg(&self.dir).status();
    }
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `handoff-server --db db` on a free port; its stderr goes to `log`, printed if it
    /// does not start.
    fn start(db: &str, log: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_handoff-server"))
            .args(["--db", db, "--addr", "127.0.0.1:0"])
            // Anything it writes outside --db lands in the bench's own folder.
            .current_dir(log.parent().unwrap())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
        let base = lines.find_map(|line| line.strip_prefix("listening on ").map(str::to_owned));
        let Some(base) = base else {
            let _ = child.kill();
            panic!("handoff-server --db {db} did not start:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        };
        // Whatever it prints later is read and dropped: a closed pipe would fail its next print.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pushes batches until the server's SQLite WAL stops growing: past its first checkpoint, after
/// which commits write over the file rather than append to it. An appending commit costs this
/// disk up to twice as much (the file's size must be made durable too), so raw commits and
/// pushes are both timed in the state a running server is in.
fn past_first_checkpoint(pusher: &mut Pusher, wal: &Path) {
    let mut size = 0;
    for _ in 0..40 {
        pusher.push(BATCH);
        let now = std::fs::metadata(wal).unwrap().len();
        if now == size {
            return;
        }
        size = now;
    }
    panic!("{} still grows", wal.display());
}

/// One sync client of one server: its own mutation counter, and one case per mutation.
struct Pusher {
    agent: ureq::Agent,
    base: String,
    client_id: String,
    last: usize,
}

impl Pusher {
    fn new(server: &Server, client_id: &str) -> Self {
        let agent = ureq::Agent::config_builder().build().into();
        Pusher { agent, base: server.base.clone(), client_id: client_id.to_owned(), last: 0 }
    }

    /// Pushes the next `count` mutations in one request; how long the request took.
    fn push(&mut self, count: usize) -> Duration {
        let mutations: Vec<_> = (self.last + 1..=self.last + count)
            .map(|id| {
                let case = format!("{}-{id}", self.client_id);
                json!({ "id": id, "caseId": case, "kind": "startCase",
                        "input": { "caseId": case, "workflowId": "chapter-7" }, "at": "2026-11-25T09:00:00Z" })
            })
            .collect();
        self.last += count;
        let body = json!({ "schemaVersion": 2, "clientId": self.client_id, "mutations": mutations }).to_string();
        let started = Instant::now();
        let mut response = self
            .agent
            .post(&format!("{}/sync/push", self.base))
            .header("Authorization", "Bearer dana-token")
            .send(body)
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let text = response.body_mut().read_to_string().unwrap();
        let elapsed = started.elapsed();
        assert!(!text.contains("\"rejected\""), "a mutation was rejected: {text}");
        elapsed
    }
}

/// Raw commits and single pushes, timed in turn one by one, so that the disk's drift weighs on
/// both alike; each round's ratio is of its own pushes and commits.
struct Paired {
    /// Each operation's time, sorted.
    raw: Vec<Duration>,
    pushes: Vec<Duration>,
    /// Each round's commits and pushes per second, the ratio of the two, and the time a push
    /// took beyond a commit, on average.
    raw_rates: Vec<f64>,
    push_rates: Vec<f64>,
    ratios: Vec<f64>,
    added: Vec<f64>,
}

fn paired(raw: &mut dyn RawCommits, pusher: &mut Pusher) -> Paired {
    let mut row = 0;
    let mut commit = |raw: &mut dyn RawCommits| {
        row += 1;
        let started = Instant::now();
        raw.commit(row);
        started.elapsed()
    };
    for _ in 0..WARM_UP {
        commit(raw);
        pusher.push(1);
    }
    let (mut raws, mut pushes) = (vec![], vec![]);
    let (mut raw_rates, mut push_rates, mut ratios, mut added) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let (mut raw_time, mut push_time) = (Duration::ZERO, Duration::ZERO);
        for i in 0..PER_ROUND {
            // Each goes first every other time, so that neither always follows the other.
            let (r, p) = if i % 2 == 0 {
                let r = commit(raw);
                (r, pusher.push(1))
            } else {
                let p = pusher.push(1);
                (commit(raw), p)
            };
            raw_time += r;
            push_time += p;
            raws.push(r);
            pushes.push(p);
        }
        raw_rates.push(PER_ROUND as f64 / raw_time.as_secs_f64());
        push_rates.push(PER_ROUND as f64 / push_time.as_secs_f64());
        ratios.push(raw_time.as_secs_f64() / push_time.as_secs_f64());
        added.push((push_time.as_secs_f64() - raw_time.as_secs_f64()) * 1000.0 / PER_ROUND as f64);
    }
    raws.sort();
    pushes.sort();
    Paired { raw: raws, pushes, raw_rates, push_rates, ratios, added }
}

/// `clients` clients at once, each pushing single mutations one after another to the server
/// it is given (round robin over `servers`); mutations per second and the pushes' latencies.
fn concurrent(servers: &[&Server], clients: usize, name: &str) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let mut pusher = Pusher::new(servers[c % servers.len()], &format!("{name}-{c}"));
            std::thread::spawn(move || (0..CONCURRENT / clients).map(|_| pusher.push(1)).collect::<Vec<_>>())
        })
        .collect();
    let mut latencies: Vec<Duration> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies)
}

fn middle(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn latency(sorted: &[Duration]) -> String {
    format!("p50 {:.2} ms, p99 {:.2} ms", percentile(sorted, 0.5), percentile(sorted, 0.99))
}

/// The table rows of one backend's paired rounds. bench.mjs reads the ratio of the "pushes"
/// row, the figure before "× raw", to judge the budget.
fn print_paired(backend: &str, raw_what: &str, figures: &Paired) {
    let (raw, pushes, ratio) = (middle(&figures.raw_rates), middle(&figures.push_rates), middle(&figures.ratios));
    let low = figures.ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = figures.ratios.iter().copied().fold(0.0, f64::max);
    println!(
        "| {backend}: raw single-row commits, one connection ({raw_what}) | {raw:.0} commits/s; {} |",
        latency(&figures.raw)
    );
    println!(
        "| {backend}: single-mutation pushes, 1 client, one server process / raw commits | \
         {pushes:.0} / {raw:.0} per second ({ratio:.2}× raw; medians of {ROUNDS} rounds, their ratios {low:.2} to {high:.2}) |"
    );
    println!("| {backend}: latency of a single-mutation push | {} |", latency(&figures.pushes));
    println!(
        "| {backend}: the time a single-mutation push takes beyond a raw commit (the server's own work) | \
         {:.2} ms (median of the rounds' means) |",
        middle(&figures.added)
    );
}

fn main() {
    let dir = Scratch::new();
    println!(
        "push throughput on loopback, one transaction per mutation, medians of rounds alternating with raw commits"
    );
    println!("| what | figure |");
    println!("|---|---|");

    let mut raw = RawSqlite::open(&dir.join("raw.sqlite"));
    let server = Server::start(dir.join("h.sqlite").to_str().unwrap(), &dir.join("sqlite.log"));
    past_first_checkpoint(&mut Pusher::new(&server, "warm-up"), &dir.join("h.sqlite-wal"));
    let figures = paired(&mut raw, &mut Pusher::new(&server, "single"));
    print_paired("SQLite", "WAL, synchronous=FULL", &figures);
    let (rate, latencies) = concurrent(&[&server], CLIENTS, "client");
    println!(
        "| SQLite: single-mutation pushes, {CLIENTS} clients at once | {rate:.0} mutations/s; {} |",
        latency(&latencies)
    );
    // Batches: each mutation still gets its own transaction.
    let mut batched = Pusher::new(&server, "batched");
    let took: Duration = (0..BATCHES).map(|_| batched.push(BATCH)).sum();
    let rate = (BATCHES * BATCH) as f64 / took.as_secs_f64();
    println!(
        "| SQLite: pushes of {BATCH} mutations, 1 client | {rate:.0} mutations/s ({:.2}× raw) |",
        rate / middle(&figures.raw_rates)
    );
    drop(server);

    let cluster = Cluster::start(dir.join("pg"));
    let mut raw = RawPostgres::open(&cluster.database("raw"));
    let one = Server::start(&cluster.database("handoff_one"), &dir.join("pg-one.log"));
    let figures = paired(&mut raw, &mut Pusher::new(&one, "single"));
    print_paired("PostgreSQL", "autocommit, fsync and synchronous_commit on", &figures);
    let (rate, latencies) = concurrent(&[&one], CLIENTS, "client");
    println!(
        "| PostgreSQL: single-mutation pushes, {CLIENTS} clients at once, one server process | \
         {rate:.0} mutations/s; {} |",
        latency(&latencies)
    );
    drop(one);
    let shared = cluster.database("handoff_two");
    let first = Server::start(&shared, &dir.join("pg-first.log"));
    let second = Server::start(&shared, &dir.join("pg-second.log"));
    let (rate, latencies) = concurrent(&[&first, &second], CLIENTS, "client");
    println!(
        "| PostgreSQL: single-mutation pushes, {CLIENTS} clients at once, two server processes on one database \
         ({} each) | {rate:.0} mutations/s; {} |",
        CLIENTS / 2,
        latency(&latencies)
    );
}
