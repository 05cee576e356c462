//! The stored configuration (SPEC §9) over real HTTP, on both backends: seeded once and then
//! the database's, its history and versions for admins, the audit trail of a case, and a tokens
//! file re-read while the server runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_config_file_seeds_an_empty_database_once_and_the_stored_one_is_used_after() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "config-seed");
        let dir = temp_dir("config-seed");
        let mut server = Server::start(&db);
        assert!(server
            .output
            .lock()
            .unwrap()
            .contains("seeded the configuration from the Example Law Firm: configVersion 1"));
        let (status, config) = get(&server, "/sync/config", "dana-token");
        assert_eq!((status, config["configVersion"].as_u64()), (200, Some(1)));
        let (_, pulled) = pull(&server, "dana-token", "dana-1", None);
        assert_eq!(pulled["configVersion"], 1);
        server.terminate();

        // Another file at the next start is not used: the database's configuration is.
        let mut other: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
        other["directory"]["members"][0]["name"] = json!("Someone Else");
        let path = write(&dir, "other.json", &other.to_string());
        let server = Server::start_with(&db, &["--config", &path]).unwrap();
        assert!(
            server.output.lock().unwrap().contains("using the stored configuration: configVersion 1"),
            "{}",
            server.output.lock().unwrap()
        );
        let (_, again) = get(&server, "/sync/config", "dana-token");
        assert_eq!(again, config, "the stored one, whatever the file says");
    });
}

#[test]
fn a_seed_with_errors_refuses_to_start_and_stores_nothing() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "config-bad-seed");
        let dir = temp_dir("config-bad-seed");
        let mut bad: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
        bad["owners"]["default"] = json!({ "kind": "member", "id": "nobody" });
        let path = write(&dir, "bad.json", &bad.to_string());
        let output = Server::start_with(&db, &["--config", &path]).err().expect("refused");
        assert!(output.contains("the config has errors"), "{output}");
        let server = Server::start(&db);
        assert!(
            server.output.lock().unwrap().contains("seeded the configuration"),
            "nothing was stored by the refused start"
        );
    });
}

#[test]
fn history_and_versions_are_for_admins() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "config-history");
        let server = Server::start(&db);
        let (status, history) = get(&server, "/sync/config/history", "morgan-token");
        assert_eq!(status, 200, "{history}");
        let changes = history["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0]["configVersion"], 1);
        assert_eq!(changes[0]["by"], Value::Null, "the seed has no author");
        assert_eq!(changes[0]["published"], json!([]));
        assert!(changes[0]["at"].as_str().unwrap().ends_with('Z'));
        let (status, first) = get(&server, "/sync/config/1", "morgan-token");
        assert_eq!(status, 200);
        assert_eq!(first, get(&server, "/sync/config", "morgan-token").1);
        for missing in ["/sync/config/2", "/sync/config/0", "/sync/config/01", "/sync/config/x"] {
            let (status, body) = get(&server, missing, "morgan-token");
            assert_eq!(status, 404, "{missing}: {body}");
        }
        for (token, status) in [("dana-token", 403), ("client-token", 403), ("nobody", 401)] {
            assert_eq!(get(&server, "/sync/config/history", token).0, status, "{token}");
            assert_eq!(get(&server, "/sync/config/1", token).0, status, "{token}");
        }
        assert_eq!(get(&server, "/sync/config", "client-token").0, 200, "a client's engine needs it");
    });
}

#[test]
fn the_audit_trail_is_every_event_for_members_and_the_client_facing_ones_for_the_cases_client() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "config-trail");
        let server = Server::start(&db);
        let (_, body) = push(
            &server,
            "dana-token",
            "dana-1",
            json!([start_case_for(1, "k1", json!(["smith"])), start_case_for(2, "k2", json!(["jones"]))]),
        );
        assert_eq!(statuses(&body), ["applied", "applied"], "{body}");
        push(
            &server,
            "devon-token",
            "devon-1",
            json!([command(1, "k1", json!({ "type": "completeStep", "stepId": "documents" }))]),
        );
        push(
            &server,
            "dana-token",
            "dana-1",
            json!([
                command(3, "k1", json!({ "type": "claim" })),
                command(4, "k1", json!({ "type": "completeStep", "stepId": "credit-report" }))
            ]),
        );
        push(
            &server,
            "client-token",
            "smith-1",
            json!([command(1, "k1", json!({ "type": "completeStep", "stepId": "questionnaire" }))]),
        );

        let (status, trail) = get(&server, "/sync/cases/k1/events", "paula-token");
        assert_eq!(status, 200, "{trail}");
        assert_eq!(trail["caseId"], "k1");
        let events = trail["events"].as_array().unwrap();
        let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "every event, in seq order");
        let actors: Vec<&str> = events.iter().filter_map(|e| e["actor"]["id"].as_str()).collect();
        assert!(actors.contains(&"devon") && actors.contains(&"dana"), "whoever caused them: {actors:?}");

        let (status, theirs) = get(&server, "/sync/cases/k1/events", "client-token");
        assert_eq!(status, 200);
        let types: Vec<(&str, &str)> = theirs["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["type"].as_str().unwrap(), e["stepId"].as_str().unwrap_or("")))
            .collect();
        assert!(!types.is_empty());
        assert!(types.iter().all(|(_, step)| *step == "questionnaire"), "only the client-facing step: {types:?}");
        assert_eq!(
            get(&server, "/sync/cases/k2/events", "client-token").0,
            404,
            "another client's case does not exist for Smith"
        );
        assert_eq!(get(&server, "/sync/cases/nope/events", "client-token").0, 404);
        let (status, unknown) = get(&server, "/sync/cases/nope/events", "dana-token");
        assert_eq!((status, unknown["error"]["code"].as_str()), (404, Some("unknown-case")));
    });
}

#[test]
fn a_tokens_file_that_changes_is_read_again_without_a_restart() {
    let db = TestDb::new(&Backend::Sqlite, "config-tokens");
    let dir = temp_dir("config-tokens");
    let tokens = json!({ "tokens": { "dana-s3cret": { "kind": "member", "id": "dana" } } });
    let path = write(&dir, "tokens.json", &tokens.to_string());
    let server = Server::start_with(&db, &["--tokens", &path]).unwrap();
    assert_eq!(get(&server, "/sync/config", "dana-s3cret").0, 200);
    assert_eq!(get(&server, "/sync/config", "paula-s3cret").0, 401);
    // A person given a token while the server runs (mtime granularity: write a moment later).
    std::thread::sleep(Duration::from_millis(1100));
    let tokens = json!({ "tokens": {
        "dana-s3cret": { "kind": "member", "id": "dana" },
        "paula-s3cret": { "kind": "member", "id": "paula" }
    } });
    write(&dir, "tokens.json", &tokens.to_string());
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&server, "/sync/config", "paula-s3cret").0 != 200 {
        assert!(Instant::now() < deadline, "the new token was never taken:\n{}", server.output.lock().unwrap());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(server.output.lock().unwrap().contains("re-read the tokens file: 2 tokens"));
    // A file that no longer reads leaves the tokens as they were, and says why, never the secret.
    std::thread::sleep(Duration::from_millis(1100));
    write(&dir, "tokens.json", "{ \"tokens\": ");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.output.lock().unwrap().contains("the tokens file was not re-read") {
        assert!(Instant::now() < deadline, "no word of the bad file:\n{}", server.output.lock().unwrap());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(get(&server, "/sync/config", "paula-s3cret").0, 200, "the previous tokens stay");
    assert!(!server.output.lock().unwrap().contains("s3cret"));
}
