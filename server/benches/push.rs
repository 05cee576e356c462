//! Push throughput and latency of the reference server on loopback, beside the raw SQLite commit
//! rate measured in the same run on the same disk (`npm run bench`). A bounded load: a fixed
//! number of requests, then it stops.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const SINGLE: usize = 400;
const CLIENTS: usize = 4;
const BATCH: usize = 50;
const BATCHES: usize = 16;

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Single-row transactions with the server's settings (WAL, synchronous=FULL).
fn sqlite_commits_per_second(path: &std::path::Path) -> f64 {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.pragma_update(None, "journal_mode", "WAL").unwrap();
    connection.pragma_update(None, "synchronous", "FULL").unwrap();
    connection.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").unwrap();
    let started = Instant::now();
    for i in 0..SINGLE {
        connection
            .execute("INSERT INTO t (id, body) VALUES (?1, ?2)", rusqlite::params![i as i64, "x".repeat(600)])
            .unwrap();
    }
    SINGLE as f64 / started.elapsed().as_secs_f64()
}

fn mutation(id: usize, case: &str) -> serde_json::Value {
    json!({ "id": id, "caseId": case, "kind": "startCase", "input": { "caseId": case, "workflowId": "chapter-7" },
            "at": "2026-11-25T09:00:00Z" })
}

fn push(agent: &ureq::Agent, base: &str, client: &str, mutations: Vec<serde_json::Value>) -> Duration {
    let body = json!({ "schemaVersion": 2, "clientId": client, "mutations": mutations }).to_string();
    let started = Instant::now();
    let mut response =
        agent.post(&format!("{base}/sync/push")).header("Authorization", "Bearer dana-token").send(body).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let _ = response.body_mut().read_to_string().unwrap();
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn main() {
    let dir = dir();
    let sqlite = sqlite_commits_per_second(&dir.join("raw.sqlite"));

    let mut server = Command::new(env!("CARGO_BIN_EXE_handoff-server"))
        .args(["--db", dir.join("h.sqlite").to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut base = String::new();
    for line in BufReader::new(server.stdout.take().unwrap()).lines().map_while(Result::ok) {
        if let Some(addr) = line.strip_prefix("listening on ") {
            base = addr.to_owned();
            break;
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();

    // One client, one mutation per push, one after another.
    let started = Instant::now();
    let mut latencies: Vec<Duration> =
        (1..=SINGLE).map(|i| push(&agent, &base, "single", vec![mutation(i, &format!("s{i}"))])).collect();
    let single = SINGLE as f64 / started.elapsed().as_secs_f64();
    latencies.sort();

    // Several clients pushing single mutations at once.
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let base = base.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
                for i in 1..=SINGLE / CLIENTS {
                    push(&agent, &base, &format!("client-{c}"), vec![mutation(i, &format!("c{c}-{i}"))]);
                }
            })
        })
        .collect();
    workers.into_iter().for_each(|w| w.join().unwrap());
    let concurrent = SINGLE as f64 / started.elapsed().as_secs_f64();

    // Batches: each mutation still gets its own transaction.
    let started = Instant::now();
    for b in 0..BATCHES {
        let batch = (1..=BATCH).map(|i| mutation(b * BATCH + i, &format!("b{}", b * BATCH + i))).collect();
        push(&agent, &base, "batched", batch);
    }
    let batched = (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64();
    let _ = server.kill();
    let _ = server.wait();

    println!("push throughput on loopback (WAL, synchronous=FULL, one transaction per mutation)");
    println!("| what | figure |");
    println!("|---|---|");
    println!("| raw SQLite single-row commits, same settings | {sqlite:.0} commits/s |");
    println!("| single-mutation pushes, 1 client | {single:.0} mutations/s ({:.2} of raw SQLite) |", single / sqlite);
    println!("| single-mutation pushes, {CLIENTS} clients at once | {concurrent:.0} mutations/s |");
    println!(
        "| pushes of {BATCH} mutations, 1 client | {batched:.0} mutations/s ({:.2} of raw SQLite) |",
        batched / sqlite
    );
    println!(
        "| latency of a single-mutation push | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
