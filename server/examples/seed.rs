//! A firm's history for `npm run bench` (bench/bench.mjs, the store at a firm's size): a SQLite
//! file of the reference server holding `--cases N` Example Law Firm cases, nine in ten closed,
//! written straight into the database instead of pushed (a closed case is 13 mutations: 100,000
//! cases are 1.2 million mutations, 10 to 20 minutes of pushes here, against 5 seconds this way).
//!
//! The states are real: each case is started and run natively by the engine, through the
//! sequence of tests/js/example-firm.test.mjs (both handoffs, a revert, a claim, a transfer, the
//! close), the closed ones to the end and the open ones part of the way. The schema is the
//! server's own: `--template` is a file the server created and migrated (the bench starts it
//! once on an empty file and stops it), copied and then filled as the server would have filled
//! it, in one transaction: each case's row in `cases` (its state's JSON, `changed` the number of
//! its last change, `last_at` its last event's time, `seq` its place in the order cases were
//! first stored, 1 to N), its client in `case_clients`, and the change counter in `meta` at the
//! last change. The event log (`events`) is left empty: pulls never read it, and a push reads a
//! case's `last_at`, which every row has. The index of open cases is left to the server, which
//! builds it when it first starts on the file (`meta.case_index` 0).
//!
//! Cases are numbered by when they were started; the last tenth, the most recent, are open (a
//! firm's open cases are its recent ones), each stopped somewhere in the sequence. Changes are
//! numbered in that order too, so that a first pull's pages bring the closed history first and
//! the open cases last, as a real firm's database would.
//!
//! The file goes to `--cache DIR` under a name made of N, the schema's version, this tool's
//! version and a hash of two states the engine makes now (so that an engine whose states read
//! or write differently gets a fresh file): a second run finds it and only prints its path.
//!
//! `cargo run --release -p handoff-server --example seed -- --template T --cache DIR --cases N`
//! prints the file's path.
//!
//! **Deadlines** (`--deadlines DUE --config FILE --out FILE`, for bench/deadlines.mjs): instead,
//! N open cases of the configuration in FILE (the one the template's server was started with),
//! each just started, written to `--out` (never cached: which are due depends on the clock). The
//! first DUE cases were started a week ago, so that every deadline of their first steps has
//! passed on the server's clock; the others a moment ago, so that theirs are ahead (the
//! configuration's durations are the bench's to choose, at least a minute, at most a week).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use handoff_engine::case::{CaseState, Command, Ctx, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::time::Instant;
use handoff_engine::Engine;

const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");
/// Changes whenever what this tool writes does, so that an older cached file is not reused.
const SEED_VERSION: u32 = 2;
/// One case in this many is open.
const OPEN_EVERY: usize = 10;
/// Who runs each command of a case's life after `startCase` (by Dana), in order; the last one
/// closes it. `CLIENT` is the case's own client.
const CLIENT: &str = "";
const SEQUENCE: &[(&str, &str)] = &[
    ("devon", r#"{"type":"completeStep","stepId":"documents"}"#),
    ("dana", r#"{"type":"claim"}"#),
    ("dana", r#"{"type":"completeStep","stepId":"credit-report"}"#),
    (CLIENT, r#"{"type":"completeStep","stepId":"questionnaire"}"#),
    ("dana", r#"{"type":"completeHandoff","stepId":"review-call","to":"pete"}"#),
    ("dana", r#"{"type":"revertHandoff","stepId":"review-call","reason":"Pete is out"}"#),
    ("dana", r#"{"type":"completeHandoff","stepId":"review-call","to":"paula"}"#),
    ("paula", r#"{"type":"completeStep","stepId":"review-call"}"#),
    ("paula", r#"{"type":"completeStep","stepId":"petition"}"#),
    ("paula", r#"{"type":"completeHandoff","stepId":"final-review","to":"avery"}"#),
    ("morgan", r#"{"type":"transferOwnership","to":{"kind":"member","id":"paula"},"reason":"Avery is in court"}"#),
    ("paula", r#"{"type":"completeStep","stepId":"final-review"}"#),
];
/// The last case starts here (2026-11-01T09:00:00Z); each earlier one ten minutes before the
/// next, and each command of a case comes two hours after the one before.
const LAST_START: i64 = 1_793_523_600;
const BETWEEN_CASES: i64 = 600;
const BETWEEN_COMMANDS: i64 = 7_200;

struct Args {
    template: PathBuf,
    cache: PathBuf,
    cases: usize,
    deadlines: Option<Deadlines>,
}

/// The deadline mode's arguments (see the file's comment).
struct Deadlines {
    due: usize,
    config: PathBuf,
    out: PathBuf,
}

fn args() -> Args {
    let mut template = None;
    let mut cache = None;
    let mut cases = None;
    let (mut due, mut config, mut out) = (None, None, None);
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--template" => template = Some(PathBuf::from(value)),
            "--cache" => cache = Some(PathBuf::from(value)),
            "--cases" => cases = Some(value.parse().unwrap_or_else(|_| panic!("--cases {value} is not a number"))),
            "--deadlines" => {
                due = Some(value.parse().unwrap_or_else(|_| panic!("--deadlines {value} is not a number")))
            }
            "--config" => config = Some(PathBuf::from(value)),
            "--out" => out = Some(PathBuf::from(value)),
            other => panic!("unknown argument {other}; usage: seed --template FILE --cache DIR --cases N"),
        }
    }
    let deadlines = due.map(|due| Deadlines {
        due,
        config: config.expect("--config FILE: the configuration the template's server was started with"),
        out: out.expect("--out FILE"),
    });
    Args {
        template: template.expect("--template FILE: a database the server migrated"),
        cache: cache.unwrap_or_default(),
        cases: cases.expect("--cases N"),
        deadlines,
    }
}

struct Commands {
    engine: Engine,
    sequence: Vec<(&'static str, Command)>,
}

/// One case as the server would hold it: its state, its last event's time, how many changes
/// (mutations) it took.
struct Seeded {
    state: CaseState,
    last_at: String,
    changes: i64,
}

fn ctx(actor: &str, client: &str, at: i64) -> Ctx {
    let at = Instant { seconds: at, nanos: 0 }.utc_text();
    let actor = if actor == CLIENT {
        format!(r#"{{"kind":"client","id":"{client}"}}"#)
    } else {
        format!(r#"{{"kind":"member","id":"{actor}"}}"#)
    };
    from_json(&format!(r#"{{"actor":{actor},"at":"{at}"}}"#)).unwrap()
}

impl Commands {
    fn new() -> Self {
        let engine = Engine::from_json(EXAMPLE_FIRM).unwrap();
        let sequence = SEQUENCE.iter().map(|(actor, command)| (*actor, Command::from_json(command).unwrap())).collect();
        Commands { engine, sequence }
    }

    /// Case `index` of `total`: started, then run through `steps` commands of the sequence.
    fn case(&self, index: usize, total: usize) -> Seeded {
        let open = index >= total - total / OPEN_EVERY;
        // An open case stops before the sequence's last command, somewhere along it.
        let steps = if open { index % SEQUENCE.len() } else { SEQUENCE.len() };
        let case_id = format!("case-{index:06}");
        let client = format!("client-{index:06}");
        let back = i64::try_from(total - 1 - index).unwrap();
        let mut at = LAST_START - back * BETWEEN_CASES;
        let input: StartCase = from_json(&format!(
            r#"{{"caseId":"{case_id}","workflowId":"chapter-7","clients":["{client}"],"facts":{{"chapter":7}}}}"#
        ))
        .unwrap();
        let mut state = self.engine.start_case(&input, &ctx("dana", &client, at)).unwrap().state;
        for (actor, command) in self.sequence.iter().take(steps) {
            at += BETWEEN_COMMANDS;
            state = self
                .engine
                .execute(&state, command, &ctx(actor, &client, at))
                .unwrap_or_else(|e| panic!("{case_id}: {e}"))
                .state;
        }
        assert_eq!(state.closed, !open, "{case_id}: the sequence closes a case at its end only");
        Seeded {
            state,
            last_at: Instant { seconds: at, nanos: 0 }.utc_text(),
            changes: 1 + i64::try_from(steps).unwrap(),
        }
    }
}

/// 64-bit FNV-1a: a name for what the engine writes, the same from run to run.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The server's clock, in whole seconds.
fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// The deadline mode's cases (see the file's comment): case `index` of them, just started.
fn started(engine: &Engine, index: usize, due: usize, now: i64) -> Seeded {
    let case_id = format!("case-{index:06}");
    let client = format!("client-{index:06}");
    let back = i64::try_from(index).unwrap() % 600;
    let at = if index < due { now - 7 * 86_400 - back } else { now - back };
    let input: StartCase =
        from_json(&format!(r#"{{"caseId":"{case_id}","workflowId":"chapter-7","clients":["{client}"]}}"#)).unwrap();
    let state = engine.start_case(&input, &ctx("dana", &client, at)).unwrap().state;
    Seeded { state, last_at: Instant { seconds: at, nanos: 0 }.utc_text(), changes: 1 }
}

fn seed(commands: &Commands, template: &Path, file: &Path, total: usize) {
    seed_with(template, file, total, |index| commands.case(index, total));
}

fn seed_with(template: &Path, file: &Path, total: usize, case_of: impl Fn(usize) -> Seeded) {
    let partial = file.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    // A clean copy of the migrated file, its WAL included.
    let source = rusqlite::Connection::open(template).unwrap();
    source.execute("VACUUM INTO ?1", [partial.to_str().unwrap()]).unwrap();
    drop(source);
    let mut db = rusqlite::Connection::open(&partial).unwrap();
    db.pragma_update(None, "synchronous", "OFF").unwrap();
    let filled = db.transaction().unwrap();
    let empty: i64 = filled.query_row("SELECT COUNT(*) FROM cases", [], |row| row.get(0)).unwrap();
    assert_eq!(empty, 0, "the template holds cases already");
    let mut change = 0_i64;
    {
        let mut case = filled
            .prepare("INSERT INTO cases (case_id, state, changed, last_at, seq) VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        let mut client = filled.prepare("INSERT INTO case_clients (client_id, case_id) VALUES (?1, ?2)").unwrap();
        for index in 0..total {
            let Seeded { state, last_at, changes } = case_of(index);
            change += changes;
            let text = serde_json::to_string(&state).unwrap();
            let seq = i64::try_from(index).unwrap() + 1;
            case.execute(rusqlite::params![state.case_id, text, change, last_at, seq]).unwrap();
            for id in &state.clients {
                client.execute(rusqlite::params![id, state.case_id]).unwrap();
            }
        }
    }
    let counted = filled.execute("UPDATE meta SET value = ?1 WHERE key = 'change'", [change]).unwrap();
    assert_eq!(counted, 1, "the template has no change counter");
    // The index of open cases (stuck work, members, versions) is the engine's to fill: the server
    // builds it at its first start on this file, as for a database from before it.
    let unindexed = filled.execute("UPDATE meta SET value = 0 WHERE key = 'case_index'", []).unwrap();
    assert_eq!(unindexed, 1, "the template has no case index");
    filled.commit().unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.close().map_err(|(_, e)| e).unwrap();
    std::fs::rename(&partial, file).unwrap();
}

fn main() {
    let Args { template, cache, cases, deadlines } = args();
    if let Some(Deadlines { due, config, out }) = deadlines {
        let engine = Engine::from_json(&std::fs::read_to_string(&config).unwrap()).unwrap();
        let now = now();
        let started_at = std::time::Instant::now();
        let _ = std::fs::remove_file(&out);
        seed_with(&template, &out, cases, |index| started(&engine, index, due, now));
        eprintln!(
            "seeded {cases} open cases ({due} due) into {} in {:.1} s",
            out.display(),
            started_at.elapsed().as_secs_f64()
        );
        println!("{}", out.display());
        return;
    }
    assert!(cases >= OPEN_EVERY, "--cases is at least {OPEN_EVERY}");
    let commands = Commands::new();
    let schema: i64 =
        rusqlite::Connection::open(&template).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    assert!(schema > 0, "{} is not a database the server migrated", template.display());
    let sample = [commands.case(0, OPEN_EVERY), commands.case(OPEN_EVERY - 1, OPEN_EVERY)]
        .map(|seeded| serde_json::to_string(&seeded.state).unwrap())
        .join("\n");
    let name = format!("cases-{cases}-schema{schema}-seed{SEED_VERSION}-{:016x}.sqlite", fnv(&sample));
    std::fs::create_dir_all(&cache).unwrap();
    let file = cache.join(name);
    if !file.exists() {
        let started = std::time::Instant::now();
        seed(&commands, &template, &file, cases);
        eprintln!("seeded {cases} cases into {} in {:.1} s", file.display(), started.elapsed().as_secs_f64());
    }
    println!("{}", file.display());
}
