//! Deadlines on the server (SPEC §11, §12, §13) over real HTTP, on both backends: the scheduler
//! ticks each open case whose next deadline has passed, as the system actor, within its
//! `--tick-interval`, once, finding them through the index; each tick is stored like any
//! command (pulled, in the audit trail, numbered); after a `kill -9` the first round catches up,
//! late and once; two processes on one PostgreSQL database act on each deadline once.
//!
//! **How deadlines pass in a test.** The shortest duration is a minute, and the server decides
//! with its own clock. So the cases are made by the engine itself (the public crate API) at
//! times an hour or two before now, and stored in the database as the server stores them (its
//! rows in `cases`, `events` and `case_clients`, numbered as it numbers changes), with the index
//! left to the server to build at its next start (`meta.case_index` 0, as for a database from
//! before the index): the deadlines are then already passed, or a few seconds ahead, on the
//! server's clock. A deadline moved by a command through the server (`extendDeadline`) shows
//! that every case write keeps the index in step, not only the start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use handoff_engine::case::{CaseState, Command, Ctx, Event, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::time::Instant;
use handoff_engine::Engine;
use serde_json::{json, Value};

const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");
const HOUR: i64 = 3_600;
/// The scheduler's interval in these tests.
const INTERVAL: &str = "0.2";
/// How late a tick may come on a busy test machine, beyond the interval.
const SLACK: Duration = Duration::from_secs(3);

/// The example firm with deadlines: the documents are due an hour after the case starts, and
/// the review call's handoff escalates to Paula when unclaimed for an hour.
fn deadline_config() -> String {
    let mut config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
    let steps = config["workflows"][0]["steps"].as_array_mut().unwrap();
    steps[0]["due"] = json!("PT1H");
    steps[3]["handoff"]["escalate"] = json!({ "after": "PT1H", "to": { "kind": "member", "id": "paula" } });
    config.to_string()
}

fn now_seconds() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn time(seconds: i64) -> String {
    Instant { seconds, nanos: 0 }.utc_text()
}

fn ctx(actor: &str, at: i64) -> Ctx {
    let actor = if actor == "smith" {
        json!({ "kind": "client", "id": "smith" })
    } else {
        json!({ "kind": "member", "id": actor })
    };
    from_json(&json!({ "actor": actor, "at": time(at) }).to_string()).unwrap()
}

/// A case as the engine made it: its state and every event.
struct Made {
    state: CaseState,
    events: Vec<Event>,
}

/// Case `id` started by Dana at `start`, then `commands` (actor, command, time) in turn.
fn make(engine: &Engine, id: &str, start: i64, commands: &[(&str, &str, i64)]) -> Made {
    let input: StartCase =
        from_json(&json!({ "caseId": id, "workflowId": "chapter-7", "clients": ["smith"] }).to_string()).unwrap();
    let started = engine.start_case(&input, &ctx("dana", start)).unwrap();
    let (mut state, mut events) = (started.state, started.events);
    for (actor, command, at) in commands {
        let outcome = engine.execute(&state, &Command::from_json(command).unwrap(), &ctx(actor, *at)).unwrap();
        state = outcome.state;
        events.extend(outcome.events);
    }
    Made { state, events }
}

/// Up to the review call's handoff, requested at `at` (the documents done before they are due).
fn to_the_handoff(at: i64) -> Vec<(&'static str, &'static str, i64)> {
    vec![
        ("devon", r#"{"type":"completeStep","stepId":"documents"}"#, at),
        ("dana", r#"{"type":"claim"}"#, at),
        ("dana", r#"{"type":"completeStep","stepId":"credit-report"}"#, at),
        ("smith", r#"{"type":"completeStep","stepId":"questionnaire"}"#, at),
    ]
}

/// A whole case's life, to its close.
fn to_the_close(at: i64) -> Vec<(&'static str, &'static str, i64)> {
    let mut commands = to_the_handoff(at);
    commands.extend([
        ("dana", r#"{"type":"completeHandoff","stepId":"review-call","to":"paula"}"#, at),
        ("paula", r#"{"type":"completeStep","stepId":"review-call"}"#, at),
        ("paula", r#"{"type":"completeStep","stepId":"petition"}"#, at),
        ("paula", r#"{"type":"completeHandoff","stepId":"final-review","to":"avery"}"#, at),
        ("avery", r#"{"type":"completeStep","stepId":"final-review"}"#, at),
    ]);
    commands
}

/// A database with the deadline configuration stored (by the server's first start), and then
/// `cases` stored as the server stores them, each in a change of its own, the index left to
/// the server's next start.
fn seeded(backend: &Backend, name: &str, cases: &[Made]) -> TestDb {
    let db = TestDb::new(backend, name);
    let config = db.dir.join("deadlines.json");
    std::fs::write(&config, deadline_config()).unwrap();
    let mut first = Server::start_with(&db, &["--config", config.to_str().unwrap()]).unwrap();
    first.terminate();
    store(&db, cases);
    db
}

/// A made case's texts as stored: its id, state and last event time, and each event's `seq`,
/// JSON and time.
struct Texts {
    id: String,
    state: String,
    last_at: String,
    events: Vec<(i64, String, String)>,
}

impl Texts {
    fn of(made: &Made) -> Texts {
        let events = made
            .events
            .iter()
            .map(|e| (i64::try_from(e.seq).unwrap(), serde_json::to_string(e).unwrap(), e.at.to_string()))
            .collect();
        Texts {
            id: made.state.case_id.clone(),
            state: serde_json::to_string(&made.state).unwrap(),
            last_at: made.events.last().unwrap().at.to_string(),
            events,
        }
    }
}

/// Stores `cases` as the server would have (see the file's comment), on one connection.
fn store(db: &TestDb, cases: &[Made]) {
    let rows: Vec<Texts> = cases.iter().map(Texts::of).collect();
    if db.is_postgres() {
        let mut client = db.postgres_client();
        for (number, Texts { id, state, last_at, events }) in rows.iter().enumerate() {
            // Each case a change of its own, numbered by its transaction, as the server does.
            let mut change = client.transaction().unwrap();
            change
                .execute(
                    "INSERT INTO cases (case_id, state, changed, last_at, seq)
                     VALUES ($1, $2, pg_current_xact_id()::text::bigint, $3, nextval('cases_seq'))",
                    &[id, state, last_at],
                )
                .unwrap();
            let mutation = i64::try_from(number).unwrap() + 1;
            for (seq, event, at) in events {
                change
                    .execute(
                        "INSERT INTO events (case_id, seq, client_id, mutation_id, change, event, client_at)
                         VALUES ($1, $2, 'seed', $3, pg_current_xact_id()::text::bigint, $4, $5)",
                        &[id, seq, &mutation, event, at],
                    )
                    .unwrap();
            }
            change.execute("INSERT INTO case_clients (client_id, case_id) VALUES ('smith', $1)", &[id]).unwrap();
            change.commit().unwrap();
        }
        client.batch_execute("UPDATE meta SET value = 0 WHERE key = 'case_index'").unwrap();
    } else {
        let mut connection = rusqlite::Connection::open(&db.arg).unwrap();
        for (number, Texts { id, state, last_at, events }) in rows.iter().enumerate() {
            // Each case a change of its own, counted as the server counts them.
            let change = connection.transaction().unwrap();
            let changed: i64 = change
                .query_row("UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value", [], |r| r.get(0))
                .unwrap();
            change
                .execute(
                    "INSERT INTO cases (case_id, state, changed, last_at, seq)
                     VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM cases))",
                    rusqlite::params![id, state, changed, last_at],
                )
                .unwrap();
            let mutation = i64::try_from(number).unwrap() + 1;
            for (seq, event, at) in events {
                change
                    .execute(
                        "INSERT INTO events (case_id, seq, client_id, mutation_id, change, event, client_at)
                         VALUES (?1, ?2, 'seed', ?3, ?4, ?5, ?6)",
                        rusqlite::params![id, seq, mutation, changed, event, at],
                    )
                    .unwrap();
            }
            change.execute("INSERT INTO case_clients (client_id, case_id) VALUES ('smith', ?1)", [id]).unwrap();
            change.commit().unwrap();
        }
        connection.execute("UPDATE meta SET value = 0 WHERE key = 'case_index'", []).unwrap();
    }
}

/// A server on `db` ticking every [`INTERVAL`], printing its rounds.
fn ticking(db: &impl AsRef<std::ffi::OsStr>, interval: &str) -> Server {
    Server::start_with_env(db, &["--tick-interval", interval], &[("HANDOFF_DEBUG", "scheduler")])
        .unwrap_or_else(|output| panic!("the server did not start:\n{output}"))
}

/// The audit trail of `case`, as the admin sees it.
fn trail(server: &Server, case: &str) -> Vec<Value> {
    let (status, body) = get(server, &format!("/sync/cases/{case}/events"), "morgan-token");
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|event| event["type"] == kind).collect()
}

/// Waits until `done` holds, at most `within`.
fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what} did not happen within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Each round the server printed: (states read, cases due, cases ticked).
fn rounds(server: &Server) -> Vec<(u64, u64, u64)> {
    let output = server.output.lock().unwrap().clone();
    output
        .lines()
        .filter_map(|line| line.strip_prefix("scheduler: round read "))
        .map(|rest| {
            let numbers: Vec<u64> = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter(|part| !part.is_empty())
                .take(3)
                .map(|part| part.parse().unwrap())
                .collect();
            (numbers[0], numbers[1], numbers[2])
        })
        .collect()
}

fn seconds_of(text: &str) -> i64 {
    Instant::parse(text).unwrap().seconds
}

#[test]
fn a_due_step_becomes_overdue_and_a_handoff_escalates_once_each_stored_like_any_command() {
    on_each_backend(|backend| {
        let engine = Engine::from_json(&deadline_config()).unwrap();
        let now = now_seconds();
        let soon = now - HOUR + 10;
        let mut cases = vec![
            // The documents were due an hour ago.
            make(&engine, "overdue", now - 2 * HOUR, &[]),
            // The review call's handoff has waited two hours; the documents were done in time.
            make(&engine, "escalating", now - 2 * HOUR, &to_the_handoff(now - 2 * HOUR + 60)),
            // The documents fall due ten seconds from now, while the server runs.
            make(&engine, "soon", soon, &[]),
            // Closed before anything was due.
            make(&engine, "closed", now - 3 * HOUR, &to_the_close(now - 3 * HOUR + 60)),
        ];
        // Open cases with nothing due for an hour: the rounds must not read them.
        cases.extend((0..20).map(|n| make(&engine, &format!("later-{n:02}"), now, &[])));
        assert!(cases[3].state.closed);
        let db = seeded(backend, "deadlines", &cases);
        let server = ticking(&db, INTERVAL);

        // Caught up at once: the deadlines that passed while no server ran.
        wait_until(SLACK, "the catch-up round", || {
            !of_type(&trail(&server, "overdue"), "stepOverdue").is_empty()
                && !of_type(&trail(&server, "escalating"), "handoffEscalated").is_empty()
        });
        let pulled_at = now_seconds();
        let (_, before_soon) = pull(&server, "morgan-token", "morgan-1", None);
        assert!(pulled_at < soon + HOUR, "the test took too long to get here to see 'soon' before its deadline");
        let overdue = case(&before_soon, "overdue");
        assert_eq!(overdue["steps"]["documents"]["overdue"], true, "{overdue}");
        let escalated = case(&before_soon, "escalating");
        assert_eq!(escalated["pendingHandoff"]["to"], json!({ "kind": "member", "id": "paula" }), "{escalated}");
        assert_eq!(escalated["pendingHandoff"]["escalatesAt"], Value::Null, "no further escalation: {escalated}");
        assert_eq!(case(&before_soon, "soon")["steps"]["documents"]["overdue"], false, "not early");

        // The deadline that passes while it runs is acted on within the interval, never early.
        let due_at = time(soon + HOUR);
        wait_until(Duration::from_secs(10) + SLACK, "the tick of 'soon'", || {
            !of_type(&trail(&server, "soon"), "stepOverdue").is_empty()
        });
        let noticed = now_seconds();
        // Several more rounds: nothing is acted on twice.
        std::thread::sleep(Duration::from_secs(1));
        for (id, kind) in [("overdue", "stepOverdue"), ("escalating", "handoffEscalated"), ("soon", "stepOverdue")] {
            let events = trail(&server, id);
            let acted = of_type(&events, kind);
            assert_eq!(acted.len(), 1, "{id}: {events:?}");
            assert_eq!(acted[0]["actor"], json!({ "kind": "system" }), "{id}: {}", acted[0]);
            assert_eq!(events.len(), cases.iter().find(|c| c.state.case_id == id).unwrap().events.len() + 1);
        }
        let tick = of_type(&trail(&server, "soon"), "stepOverdue")[0].clone();
        assert_eq!(tick["dueAt"], json!(due_at.as_str()));
        let at = seconds_of(tick["at"].as_str().unwrap());
        assert!(at >= seconds_of(&due_at), "never early: ticked at {at}, due {due_at}");
        assert!(
            noticed - seconds_of(&due_at) <= 1 + i64::try_from(SLACK.as_secs()).unwrap(),
            "late by {}",
            noticed - seconds_of(&due_at)
        );

        // Stored like any command: pulled past the cookie from before it, numbered as a change,
        // its events the scheduler's (client id "server:scheduler", no mutation of a client).
        let (_, after) = pull(&server, "morgan-token", "morgan-1", before_soon["cookie"].as_str());
        assert!(case_ids(&after).contains(&"soon"), "{after}");
        assert!(
            !case_ids(&after).iter().any(|id| id.starts_with("later")),
            "untouched cases are not pulled again: {after}"
        );
        assert_eq!(case(&after, "soon")["steps"]["documents"]["overdue"], true);
        for id in ["overdue", "escalating", "soon"] {
            let rows = db.rows(
                "SELECT e.client_id, e.mutation_id, e.change, c.changed, c.last_at FROM events e
                 JOIN cases c ON c.case_id = e.case_id WHERE e.case_id = $1 AND e.client_id <> 'seed'",
                &[id.into()],
            );
            assert_eq!(rows.len(), 1, "{id}: {rows:?}");
            let row = &rows[0];
            assert_eq!((row[0].text(), row[1].int()), ("server:scheduler", 0), "{id}");
            assert_eq!(row[2], row[3], "{id}: the case's change is the tick's");
        }
        // A closed case is never ticked, and the untouched ones keep their events.
        assert_eq!(trail(&server, "closed").len(), cases[3].events.len());
        assert_eq!(trail(&server, "later-00").len(), cases[4].events.len());
        let smith = pull(&server, "client-token", "smith-1", None).1;
        assert_eq!(case(&smith, "soon")["steps"]["documents"]["overdue"], true, "a client pulls it too");

        // The rounds read exactly the due cases (three, once each), not the 23 open ones.
        let rounds = rounds(&server);
        assert!(rounds.len() >= 5, "{rounds:?}");
        assert!(rounds.iter().all(|(read, due, _)| read == due), "{rounds:?}");
        assert_eq!(rounds.iter().map(|r| r.0).sum::<u64>(), 3, "{rounds:?}");
        assert_eq!(rounds.iter().map(|r| r.2).sum::<u64>(), 3, "{rounds:?}");
        assert!(!server.output.lock().unwrap().contains("refused"), "{}", server.output.lock().unwrap());
    });
}

#[test]
fn a_deadline_a_command_moves_is_found_through_the_index_that_command_wrote() {
    on_each_backend(|backend| {
        let engine = Engine::from_json(&deadline_config()).unwrap();
        let now = now_seconds();
        // Overdue already (ticked an hour ago): nothing is ahead of it.
        let made = make(&engine, "extended", now - 3 * HOUR, &[("morgan", r#"{"type":"tick"}"#, now - HOUR)]);
        assert!(made.state.steps["documents"].overdue);
        let db = seeded(backend, "extended", &[made]);
        let server = ticking(&db, INTERVAL);
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(rounds(&server).iter().map(|r| r.0).sum::<u64>(), 0, "nothing is due");

        // Extended to three seconds from now through the server: due again then.
        let to = time(now_seconds() + 3);
        let extend =
            json!({ "type": "extendDeadline", "stepId": "documents", "dueAt": to, "reason": "The bank is late" });
        let (_, body) = push(&server, "morgan-token", "morgan-1", json!([command(1, "extended", extend)]));
        assert_eq!(statuses(&body), ["applied"], "{body}");
        wait_until(Duration::from_secs(3) + SLACK, "the tick after the extension", || {
            of_type(&trail(&server, "extended"), "stepOverdue").len() == 2
        });
        let events = trail(&server, "extended");
        let last = events.last().unwrap();
        assert_eq!(
            (&last["type"], &last["dueAt"], &last["actor"]),
            (&json!("stepOverdue"), &json!(to), &json!({ "kind": "system" }))
        );
        assert!(seconds_of(last["at"].as_str().unwrap()) >= seconds_of(&to), "never early: {last}");
        assert_eq!(rounds(&server).iter().map(|r| r.0).sum::<u64>(), 1, "{:?}", rounds(&server));
    });
}

#[test]
fn a_kill_between_a_deadline_passing_and_its_tick_is_caught_up_once_late_at_the_restart() {
    on_each_backend(|backend| {
        let engine = Engine::from_json(&deadline_config()).unwrap();
        let now = now_seconds();
        let start = now - HOUR + 2;
        let db = seeded(backend, "restart", &[make(&engine, "restart", start, &[])]);
        // A long interval: after its first round (nothing due yet) this process would not look
        // again for a minute.
        let mut server = ticking(&db, "60");
        let due = start + HOUR;
        while now_seconds() <= due {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        assert!(of_type(&trail(&server, "restart"), "stepOverdue").is_empty(), "not ticked before the kill");
        server.kill();

        let mut server = ticking(&db, "60");
        wait_until(SLACK, "the catch-up after the restart", || {
            !of_type(&trail(&server, "restart"), "stepOverdue").is_empty()
        });
        let tick = of_type(&trail(&server, "restart"), "stepOverdue")[0].clone();
        assert!(seconds_of(tick["at"].as_str().unwrap()) >= due, "late, never early: {tick}");
        server.kill();
        // Killed and started again: never twice.
        let server = ticking(&db, "60");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(of_type(&trail(&server, "restart"), "stepOverdue").len(), 1);
        assert_eq!(rounds(&server), vec![(0, 0, 0)], "the restart's round finds nothing due");
    });
}

/// Entries the index holds that no longer say what their case does, as the ones a round read
/// just before a command on another process closed the case or moved its deadline would be:
/// the closed case is never ticked and leaves the index; the open one is read once, ticked
/// with no events (nothing stored), and its entry set right, so no later round reads it.
#[test]
fn entries_the_index_holds_stale_are_read_once_and_set_right_and_a_closed_case_is_never_ticked() {
    on_each_backend(|backend| {
        let engine = Engine::from_json(&deadline_config()).unwrap();
        let now = now_seconds();
        let closed = make(&engine, "closed", now - 3 * HOUR, &to_the_close(now - 3 * HOUR + 60));
        let ahead = make(&engine, "ahead", now, &[]);
        let trail_of_ahead = ahead.events.len();
        let db = seeded(backend, "stale", &[closed, ahead]);
        let mut server = ticking(&db, "60");
        server.terminate();
        let entries = "SELECT case_id, next_deadline FROM open_cases ORDER BY case_id";
        let indexed = db.rows(entries, &[]);
        assert_eq!(
            indexed,
            vec![vec![Cell::from("ahead"), Cell::Int((now + HOUR) * 1_000)]],
            "a closed case has no entry"
        );
        let an_hour_ago = Cell::Int((now - HOUR) * 1_000);
        db.execute(
            "INSERT INTO open_cases (case_id, workflow_id, workflow_version, next_deadline)
             VALUES ('closed', 'chapter-7', 1, $1)",
            std::slice::from_ref(&an_hour_ago),
        );
        db.execute("UPDATE open_cases SET next_deadline = $1 WHERE case_id = 'ahead'", &[an_hour_ago]);
        let changed = db.value("SELECT changed FROM cases WHERE case_id = 'ahead'", &[]);

        let server = ticking(&db, INTERVAL);
        std::thread::sleep(Duration::from_millis(800));
        let output = server.output.lock().unwrap().clone();
        assert!(!output.contains("refused"), "{output}");
        assert!(of_type(&trail(&server, "closed"), "stepOverdue").is_empty());
        assert_eq!(trail(&server, "ahead").len(), trail_of_ahead, "nothing was due: no events");
        assert_eq!(db.value("SELECT changed FROM cases WHERE case_id = 'ahead'", &[]), changed, "nothing stored");
        assert_eq!(db.rows(entries, &[]), indexed, "the closed case's entry is gone, the open one's set right");
        let rounds = rounds(&server);
        assert_eq!(rounds.iter().map(|r| r.0).sum::<u64>(), 2, "each read once, then no longer due: {rounds:?}");
    });
}

/// Two processes on one PostgreSQL database, both ticking every 0.2 s from the same moment: 300
/// cases already due and 100 that fall due while they run, each acted on once.
#[test]
fn two_processes_on_postgres_act_on_each_deadline_once() {
    let Some(backend) = postgres() else { return };
    let _turn = postgres_turn(&backend);
    let engine = Engine::from_json(&deadline_config()).unwrap();
    let now = now_seconds();
    let mut cases: Vec<Made> = (0..300).map(|n| make(&engine, &format!("past-{n:03}"), now - 2 * HOUR, &[])).collect();
    cases.extend((0..100).map(|n| make(&engine, &format!("soon-{n:03}"), now - HOUR + 3, &[])));
    cases.extend(
        (0..50).map(|n| make(&engine, &format!("handoff-{n:02}"), now - 2 * HOUR, &to_the_handoff(now - 2 * HOUR))),
    );
    let db = seeded(&backend, "two-processes", &cases);
    let both = std::thread::scope(|scope| {
        let one = scope.spawn(|| ticking(&db, INTERVAL));
        let two = scope.spawn(|| ticking(&db, INTERVAL));
        [one.join().unwrap(), two.join().unwrap()]
    });
    let acted = |kind: &str| {
        db.value(&format!("SELECT COUNT(*) FROM events WHERE event LIKE '%\"type\":\"{kind}\"%'"), &[]).int()
    };
    wait_until(Duration::from_secs(5) + SLACK, "every deadline acted on", || {
        acted("stepOverdue") >= 400 && acted("handoffEscalated") >= 50
    });
    std::thread::sleep(Duration::from_secs(1));
    let twice = db.rows(
        "SELECT case_id, COUNT(*) FROM events WHERE client_id = 'server:scheduler' GROUP BY case_id HAVING COUNT(*) > 1",
        &[],
    );
    assert!(twice.is_empty(), "acted on twice: {twice:?}");
    assert_eq!((acted("stepOverdue"), acted("handoffEscalated")), (400, 50));
    let ticked: Vec<u64> = both.iter().map(|server| rounds(server).iter().map(|r| r.2).sum()).collect();
    assert_eq!(ticked.iter().sum::<u64>(), 450, "{ticked:?}");
    for server in &both {
        let output = server.output.lock().unwrap().clone();
        assert!(
            !output.contains("failed") && !output.contains("refused"),
            "neither stands in the other's way: {output}"
        );
    }
    eprintln!("ticks per process: {ticked:?}");
}

#[test]
fn a_tick_interval_that_is_not_a_positive_number_is_a_start_error() {
    let db = TestDb::new(&Backend::Sqlite, "interval");
    for bad in ["0", "-1", "soon", "NaN"] {
        let output =
            Server::start_with(&db, &["--tick-interval", bad]).err().unwrap_or_else(|| panic!("{bad} started"));
        assert!(output.contains(&format!("--tick-interval {bad} is not a number of seconds")), "{output}");
    }
}
