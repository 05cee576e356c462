//! The holes found by attacking the server (issue 13), over real HTTP: clients see and change
//! only their own cases, deactivated and unknown members are refused everything, the server's
//! clock writes the audit trail, each mutation is read once by the engine's reader, and stored
//! rejections do not pile up; on each backend. The upgrade of a first-release file is SQLite's
//! alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};

const TOKENS: &str = r#"{ "tokens": {
    "dana-token": { "kind": "member", "id": "dana" },
    "morgan-token": { "kind": "member", "id": "morgan" },
    "smith-token": { "kind": "client", "id": "smith" },
    "jones-token": { "kind": "client", "id": "jones" },
    "ivan-token": { "kind": "member", "id": "ivan" },
    "ghost-token": { "kind": "member", "id": "ghost" },
    "cron-token": { "kind": "system" }
} }"#;

/// A fresh database and the server on it with `tokens`; `Err` holds what it printed if it did
/// not start.
fn server_with(backend: &Backend, tokens: &str) -> Result<(TestDb, Server), String> {
    let db = TestDb::new(backend, "security");
    std::fs::write(tokens_file(&db), tokens).unwrap();
    let server = Server::start_with(&db, &["--tokens", tokens_file(&db).to_str().unwrap()])?;
    Ok((db, server))
}

fn tokens_file(db: &TestDb) -> std::path::PathBuf {
    db.dir.join("tokens.json")
}

fn server(backend: &Backend) -> (TestDb, Server) {
    server_with(backend, TOKENS).unwrap_or_else(|output| panic!("the server did not start:\n{output}"))
}

fn count_rejections(db: &TestDb) -> i64 {
    db.value("SELECT COUNT(*) FROM rejections", &[]).int()
}

fn start_for(id: u64, case: &str, clients: Value) -> Value {
    json!({ "id": id, "caseId": case, "kind": "startCase",
            "input": { "caseId": case, "workflowId": "chapter-7", "clients": clients,
                       "facts": { "debtor": format!("{case} debtor, SSN 123-45-6789") } }, "at": AT })
}

/// Two cases at the client questionnaire: `smith-case` for Smith, `jones-case` for Jones.
fn two_clients_cases(server: &Server) {
    let mut mutations =
        vec![start_for(1, "smith-case", json!(["smith"])), start_for(2, "jones-case", json!(["jones"]))];
    let mut id = 2;
    for case in ["smith-case", "jones-case"] {
        for step in ["documents", "credit-report"] {
            id += 1;
            mutations.push(command(id, case, json!({ "type": "completeStep", "stepId": step })));
        }
    }
    let (status, body) = push(server, "dana-token", "dana-1", Value::Array(mutations));
    assert_eq!(status, 200, "{body}");
    assert!(statuses(&body).iter().all(|s| s == "applied"), "{body}");
}

#[test]
fn a_client_pulls_and_changes_only_its_own_cases() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        two_clients_cases(&server);
        let (status, pulled) = pull(&server, "smith-token", "smith-1", None);
        assert_eq!(status, 200);
        assert_eq!(case_ids(&pulled), ["smith-case"], "Smith sees only Smith's case");
        assert!(!pulled.to_string().contains("jones-case debtor"), "nothing of Jones's case reaches Smith");

        // Smith can complete the questionnaire of Smith's case, not of Jones's; a case that does not
        // exist gets the very same answer, so a client learns nothing about which cases exist.
        let questionnaire = json!({ "type": "completeStep", "stepId": "questionnaire" });
        let (_, body) = push(
            &server,
            "smith-token",
            "smith-1",
            json!([
                command(1, "jones-case", questionnaire.clone()),
                command(2, "no-such-case", questionnaire.clone()),
                start_for(3, "smith-new", json!(["smith"])),
                command(4, "smith-case", questionnaire.clone()),
            ]),
        );
        assert_eq!(statuses(&body), ["rejected", "rejected", "rejected", "applied"], "{body}");
        let results = body["results"].as_array().unwrap();
        assert!(results[..3].iter().all(|r| r["code"] == "not-permitted"), "{body}");
        assert_eq!(results[0]["message"], results[1]["message"], "another's case and a missing one look alike");
        let (_, morgan) = pull(&server, "morgan-token", "morgan-1", None);
        assert_eq!(case(&morgan, "jones-case")["steps"]["questionnaire"]["status"], "active");
        assert_eq!(case(&morgan, "smith-case")["steps"]["questionnaire"]["status"], "completed");

        // Jones never sees Smith's rejections or cases, and may read the configuration.
        let (_, jones) = pull(&server, "jones-token", "jones-1", None);
        assert_eq!(case_ids(&jones), ["jones-case"]);
        assert_eq!(jones["rejections"], json!([]));
        let (status, _) = get(&server, "/sync/config", "jones-token");
        assert_eq!(status, 200);
    });
}

#[test]
fn set_clients_moves_a_case_into_and_out_of_a_clients_view() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        two_clients_cases(&server);
        let (_, body) = push(
            &server,
            "morgan-token",
            "morgan-1",
            json!([command(
                1,
                "jones-case",
                json!({ "type": "setClients", "clients": ["jones", "smith"], "reason": "joint filing" })
            )]),
        );
        assert_eq!(statuses(&body), ["applied"], "{body}");
        let (_, smith) = pull(&server, "smith-token", "smith-1", None);
        assert_eq!(case_ids(&smith), ["jones-case", "smith-case"]);
        assert_eq!(case(&smith, "jones-case")["clients"], json!(["jones", "smith"]));
        push(
            &server,
            "morgan-token",
            "morgan-1",
            json!([command(
                2,
                "jones-case",
                json!({ "type": "setClients", "clients": ["jones"], "reason": "filed alone" })
            )]),
        );
        let (_, smith) = pull(&server, "smith-token", "smith-2", None);
        assert_eq!(case_ids(&smith), ["smith-case"]);
        // A client may not change who a case is for.
        let (_, body) = push(
            &server,
            "smith-token",
            "smith-3",
            json!([command(1, "smith-case", json!({ "type": "setClients", "clients": [], "reason": "x" }))]),
        );
        assert_eq!(body["results"][0]["code"], "not-permitted", "{body}");
    });
}

#[test]
fn an_unscoped_client_token_refuses_the_start_and_names_the_entry_not_the_secret() {
    on_each_backend(|backend| {
        let tokens = r#"{ "tokens": { "dana-token": { "kind": "member", "id": "dana" }, "portal-s3cret": { "kind": "client" } } }"#;
        let output = match server_with(backend, tokens) {
            Ok(_) => panic!("the server started with an unscoped client token"),
            Err(output) => output,
        };
        assert!(output.contains("token 2 (a client without an id)"), "{output}");
        assert!(!output.contains("portal-s3cret"), "{output}");
    });
}

#[test]
fn deactivated_and_unknown_members_are_refused_every_request_and_named_at_start() {
    on_each_backend(|backend| {
        let (db, server) = server(backend);
        two_clients_cases(&server);
        let output = server.output.lock().unwrap().clone();
        assert!(output.contains("token 6 (member ghost) names a member the directory lacks"), "{output}");
        assert!(output.contains("token 5 (member ivan) names a deactivated member"), "{output}");
        assert!(output.contains("token 7 (the system)"), "{output}");
        assert!(!output.contains("ghost-token"), "{output}");
        for token in ["ivan-token", "ghost-token"] {
            let (status, body) = pull(&server, token, &format!("{token}-1"), None);
            assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not-permitted")), "{token} pull");
            let (status, _) = get(&server, "/sync/config", token);
            assert_eq!(status, 403, "{token} config");
            let (status, _) = push(
                &server,
                token,
                &format!("{token}-1"),
                json!([command(1, "smith-case", json!({ "type": "claim" }))]),
            );
            assert_eq!(status, 403, "{token} push");
        }
        // Nothing of theirs was stored: no rejection rows to fill a disk with.
        assert_eq!(count_rejections(&db), 0);
    });
}

#[test]
fn the_servers_clock_writes_the_audit_trail_and_never_runs_backwards() {
    on_each_backend(|backend| {
        let (db, mut server) = server(backend);
        let before = handoff_engine::time::Instant::parse(&now_text()).unwrap();
        let backdated = json!({ "id": 1, "caseId": "k1", "kind": "startCase",
            "input": { "caseId": "k1", "workflowId": "chapter-7" }, "at": "1970-01-01T00:00:00Z" });
        let impossible = json!({ "id": 2, "caseId": "k1", "kind": "command",
            "command": { "type": "claim" }, "at": "2026-99-99T99:99:99Z" });
        let offset = json!({ "id": 3, "caseId": "k1", "kind": "command",
            "command": { "type": "claim" }, "at": "2026-11-25T09:00:00+23:99" });
        let (_, body) = push(&server, "dana-token", "dana-1", json!([backdated, impossible, offset]));
        assert_eq!(statuses(&body), ["applied", "rejected", "rejected"], "{body}");
        assert_eq!(body["results"][1]["code"], "invalid-input");
        let row = &db.rows("SELECT event, client_at FROM events WHERE case_id = 'k1' AND seq = 1", &[])[0];
        let (event, client_at) = (row[0].text(), row[1].text());
        let event: Value = serde_json::from_str(event).unwrap();
        let at = handoff_engine::time::Instant::parse(event["at"].as_str().unwrap()).unwrap();
        assert!(at >= before, "the event's time is the server's, not 1970: {event}");
        assert_eq!(client_at, "1970-01-01T00:00:00Z", "the client's own time is kept beside it");

        // A case whose last event is later than the server's clock (a clock set back) keeps its
        // order: the next event is at that later time, not before it.
        server.terminate();
        assert_eq!(db.execute("UPDATE cases SET last_at = '2100-01-01T00:00:00Z' WHERE case_id = 'k1'", &[]), 1);
        let server = Server::start_with(&db, &["--tokens", tokens_file(&db).to_str().unwrap()]).unwrap();
        let (_, body) = push(&server, "dana-token", "dana-1", json!([command(4, "k1", json!({ "type": "claim" }))]));
        assert_eq!(statuses(&body), ["applied"], "{body}");
        let event = db.value("SELECT event FROM events WHERE case_id = 'k1' ORDER BY seq DESC LIMIT 1", &[]);
        let event: Value = serde_json::from_str(event.text()).unwrap();
        assert_eq!(event["at"], "2100-01-01T00:00:00Z");
    });
}

fn now_text() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    handoff_engine::time::Instant { seconds: seconds - 1, nanos: 0 }.utc_text()
}

#[test]
fn each_mutation_is_read_once_by_the_engines_reader() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        two_clients_cases(&server);
        // Duplicate keys: the engine refuses them, so the server does too, instead of taking the
        // last (which skipped credit-report when the module had refused the very same text).
        let duplicate = r#"{"id":1,"caseId":"smith-case","kind":"command","at":"2026-11-25T09:00:00Z",
            "command":{"type":"skipStep","stepId":"questionnaire","reason":"first","reason":"second","stepId":"review-call"}}"#;
        // A lone surrogate in one mutation is that mutation's rejection, not the whole push's.
        let surrogate = r#"{"id":2,"caseId":"smith-case","kind":"command","at":"2026-11-25T09:00:00Z",
            "command":{"type":"skipStep","stepId":"questionnaire","reason":"\ud800"}}"#;
        let good = r#"{"id":3,"caseId":"smith-case","kind":"command","at":"2026-11-25T09:00:00Z",
            "command":{"type":"transferOwnership","to":{"kind":"member","id":"dana"},"reason":"cover"}}"#;
        // Even in a field name of the mutation itself.
        let in_a_name = r#"{"id":4,"caseId":"smith-case","kind":"command","at":"2026-11-25T09:00:00Z",
            "command":{"type":"claim"},"\ud800":1}"#;
        let body = format!(
            r#"{{"schemaVersion":2,"clientId":"morgan-1","mutations":[{duplicate},{surrogate},{good},{in_a_name}]}}"#
        );
        let (status, response) = post(&server, "/sync/push", Some("morgan-token"), &body);
        assert_eq!(status, 200, "{response}");
        assert_eq!(statuses(&response), ["rejected", "rejected", "applied", "rejected"], "{response}");
        assert_eq!(response["results"][0]["code"], "invalid-input");
        assert!(response["results"][0]["message"].as_str().unwrap().contains("duplicate field"), "{response}");
        assert_eq!(response["lastMutationId"], 4, "the bad ones still advanced the counter");
        let (_, pulled) = pull(&server, "morgan-token", "morgan-1", None);
        assert_eq!(case(&pulled, "smith-case")["steps"]["questionnaire"]["status"], "active");
        assert_eq!(case(&pulled, "smith-case")["steps"]["review-call"]["status"], "pending");
        // A duplicate field in the envelope itself is a malformed request.
        let twice = r#"{"schemaVersion":2,"clientId":"a","clientId":"b","mutations":[]}"#;
        assert_eq!(post(&server, "/sync/push", Some("morgan-token"), twice).0, 400);
    });
}

#[test]
fn rejections_are_pruned_once_a_pull_has_reported_them() {
    on_each_backend(|backend| {
        let (db, server) = server(backend);
        let claims: Vec<Value> = (1..=50).map(|id| command(id, "nowhere", json!({ "type": "claim" }))).collect();
        let (_, body) = push(&server, "dana-token", "dana-1", Value::Array(claims));
        assert!(statuses(&body).iter().all(|s| s == "rejected"));
        let count = || count_rejections(&db);
        assert_eq!(count(), 50);
        let (_, first) = pull(&server, "dana-token", "dana-1", None);
        assert_eq!(first["rejections"].as_array().unwrap().len(), 50, "reported once");
        assert_eq!(count(), 50, "kept until the client shows it has the report");
        let (_, second) = pull(&server, "dana-token", "dana-1", first["cookie"].as_str());
        assert_eq!(second["rejections"], json!([]));
        assert_eq!(count(), 0, "the next pull, which carries the first one's cookie, prunes them");
    });
}

#[test]
fn no_caller_can_fill_the_disk_with_rejections() {
    on_each_backend(|backend| {
        let (db, server) = server(backend);
        let started = std::time::Instant::now();
        // A message quoting a huge field name is stored cut short.
        let huge = format!(
            r#"{{"id":1,"caseId":"k","kind":"command","at":"{AT}","command":{{"type":"claim","{}":1}}}}"#,
            "x".repeat(200_000)
        );
        let body = format!(r#"{{"schemaVersion":2,"clientId":"smith-0","mutations":[{huge}]}}"#);
        let (status, response) = post(&server, "/sync/push", Some("smith-token"), &body);
        assert_eq!((status, statuses(&response)), (200, vec!["rejected".to_owned()]));
        let longest = db.value("SELECT MAX(LENGTH(message)) FROM rejections", &[]).int();
        assert!(longest <= 501, "a stored message of {longest} characters");
        // A caller that never pulls and takes a new client id for every push: past 10,000 stored
        // rejections per actor, further ones are answered but not stored.
        for push_number in 0..21 {
            let claims: Vec<Value> = (1..=500).map(|id| command(id, "nowhere", json!({ "type": "claim" }))).collect();
            let (_, response) =
                push(&server, "smith-token", &format!("smith-{}", push_number + 1), Value::Array(claims));
            assert!(statuses(&response).iter().all(|s| s == "rejected"));
        }
        assert_eq!(count_rejections(&db), 10_000);
        // Another actor is not affected by Smith's.
        let (_, response) =
            push(&server, "dana-token", "dana-1", json!([command(1, "nowhere", json!({ "type": "claim" }))]));
        assert_eq!(statuses(&response), ["rejected"]);
        let (_, pulled) = pull(&server, "dana-token", "dana-1", None);
        assert_eq!(pulled["rejections"].as_array().unwrap().len(), 1);
        eprintln!("10,501 rejections in {:?}", started.elapsed());
    });
}

#[test]
fn a_first_release_case_keeps_its_times_in_order_after_the_upgrade() {
    // PostgreSQL came with the second release: only a SQLite file can hold a first-release case.
    let (test_db, mut server) = server(&Backend::Sqlite);
    push(&server, "dana-token", "dana-1", json!([start_for(1, "k1", json!([]))]));
    server.terminate();
    // As the first release left it: the client's own (later) times, no last_at.
    let db = rusqlite::Connection::open(&test_db.arg).unwrap();
    db.execute("UPDATE events SET event = json_set(event, '$.at', '2030-06-01T00:00:00Z')", []).unwrap();
    db.execute("UPDATE cases SET last_at = NULL", []).unwrap();
    drop(db);
    let server = Server::start_with(&test_db, &["--tokens", tokens_file(&test_db).to_str().unwrap()]).unwrap();
    let (_, body) = push(&server, "dana-token", "dana-1", json!([command(2, "k1", json!({ "type": "claim" }))]));
    assert_eq!(statuses(&body), ["applied"], "{body}");
    let db = rusqlite::Connection::open(&test_db.arg).unwrap();
    let event: String = db
        .query_row("SELECT event FROM events WHERE case_id = 'k1' ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&event).unwrap()["at"], "2030-06-01T00:00:00Z");
}

#[test]
fn a_first_release_file_is_upgraded_in_place() {
    let dir = temp_dir("upgrade");
    let db_path = dir.join("h.sqlite");
    let db = rusqlite::Connection::open(&db_path).unwrap();
    db.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
         INSERT INTO meta (key, value) VALUES ('change', 0);
         CREATE TABLE clients (client_id TEXT PRIMARY KEY, actor TEXT NOT NULL, last_mutation_id INTEGER NOT NULL);
         CREATE TABLE cases (case_id TEXT PRIMARY KEY, state TEXT NOT NULL, changed INTEGER NOT NULL);
         CREATE INDEX cases_by_change ON cases (changed);
         CREATE TABLE events (case_id TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT NOT NULL,
             mutation_id INTEGER NOT NULL, change INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (case_id, seq));
         CREATE TABLE rejections (client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL, code TEXT NOT NULL,
             message TEXT NOT NULL, changed INTEGER NOT NULL, PRIMARY KEY (client_id, mutation_id));",
    )
    .unwrap();
    drop(db);
    let tokens = dir.join("tokens.json");
    std::fs::write(&tokens, TOKENS).unwrap();
    let server = Server::start_with(&db_path, &["--tokens", tokens.to_str().unwrap()]).unwrap();
    let (_, body) = push(
        &server,
        "dana-token",
        "dana-1",
        json!([start_for(1, "k1", json!(["smith"])), command(2, "nowhere", json!({ "type": "claim" }))]),
    );
    assert_eq!(statuses(&body), ["applied", "rejected"], "{body}");
    let (_, smith) = pull(&server, "smith-token", "smith-1", None);
    assert_eq!(case_ids(&smith), ["k1"]);
    let db = rusqlite::Connection::open(&db_path).unwrap();
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 6);
    let indexed: i64 = db.query_row("SELECT COUNT(*) FROM open_cases", [], |r| r.get(0)).unwrap();
    assert_eq!(indexed, 1, "the case started after the upgrade is in the index of open cases");
}
