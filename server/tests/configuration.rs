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

/// The example firm's directory with `edit` applied.
fn directory(edit: impl FnOnce(&mut Value)) -> Value {
    let mut config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
    edit(&mut config["directory"]);
    config["directory"].clone()
}

fn member_index(directory: &Value, id: &str) -> usize {
    directory["members"].as_array().unwrap().iter().position(|m| m["id"] == id).unwrap()
}

fn change(server: &Server, token: &str, body: Value) -> (u16, Value) {
    post(server, "/sync/config/change", Some(token), &body.to_string())
}

/// Devon deactivated.
fn without_devon() -> Value {
    directory(|d| {
        let at = member_index(d, "devon");
        d["members"][at]["active"] = json!(false);
    })
}

#[test]
fn an_admin_changes_the_directory_and_the_next_decision_is_made_with_it() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "change-directory");
        let server = Server::start(&db);
        push(&server, "dana-token", "dana-1", json!([start_case(1, "k1")]));
        let (status, answer) = change(
            &server,
            "morgan-token",
            json!({ "baseConfigVersion": 1, "directory": without_devon(), "reason": "Devon left" }),
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!((answer["applied"].as_bool(), answer["configVersion"].as_u64()), (Some(true), Some(2)));
        assert!(answer["diagnostics"].is_array() && answer["stuck"].is_array(), "{answer}");
        let (status, refused) =
            push(&server, "devon-token", "devon-1", json!([command(1, "k1", json!({ "type": "claim" }))]));
        assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("not-permitted")), "{refused}");
        let (_, config) = get(&server, "/sync/config", "dana-token");
        assert_eq!(config["configVersion"], 2);
        let (_, pulled) = pull(&server, "dana-token", "dana-1", None);
        assert_eq!(pulled["configVersion"], 2);
        let (_, history) = get(&server, "/sync/config/history", "morgan-token");
        let latest = &history["changes"][1];
        assert_eq!((latest["configVersion"].as_u64(), latest["by"].as_str()), (Some(2), Some("morgan")));
        assert_eq!((latest["directory"].as_bool(), latest["owners"].as_bool()), (Some(true), Some(false)));
        assert_eq!(latest["reason"], "Devon left");
        assert_eq!(get(&server, "/sync/config/2", "morgan-token").1, config);
        assert_ne!(get(&server, "/sync/config/1", "morgan-token").1, config, "version 1 is kept as it was");
    });
}

#[test]
fn only_admins_change_it_a_stale_base_conflicts_a_dry_run_changes_nothing_and_a_retry_gets_its_first_answer() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "change-rules");
        let server = Server::start(&db);
        let body = json!({ "baseConfigVersion": 1, "directory": without_devon(), "changeId": "c-1" });
        for token in ["dana-token", "client-token"] {
            let (status, refused) = change(&server, token, body.clone());
            assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("not-permitted")), "{token}: {refused}");
        }
        let (status, dry) = change(
            &server,
            "morgan-token",
            json!({ "baseConfigVersion": 1, "directory": without_devon(), "dryRun": true }),
        );
        assert_eq!(status, 200, "{dry}");
        assert_eq!(
            (dry["applied"].as_bool(), dry["configVersion"].as_u64()),
            (Some(false), Some(1)),
            "a dry run reports the current version"
        );
        assert_eq!(get(&server, "/sync/config/history", "morgan-token").1["changes"].as_array().unwrap().len(), 1);

        let (status, first) = change(&server, "morgan-token", body.clone());
        assert_eq!((status, first["configVersion"].as_u64()), (200, Some(2)), "{first}");
        let (status, again) = change(&server, "morgan-token", body.clone());
        assert_eq!((status, &again), (200, &first), "a retry of the same changeId gets the first answer");
        let (status, stale) =
            change(&server, "morgan-token", json!({ "baseConfigVersion": 1, "directory": without_devon() }));
        assert_eq!((status, stale["error"]["code"].as_str()), (409, Some("config-conflict")), "{stale}");
        let (status, stale_dry) = change(
            &server,
            "morgan-token",
            json!({ "baseConfigVersion": 1, "directory": without_devon(), "dryRun": true }),
        );
        assert_eq!(status, 409, "a dry run answers what the change would: {stale_dry}");
        assert_eq!(get(&server, "/sync/config/history", "morgan-token").1["changes"].as_array().unwrap().len(), 2);
    });
}

#[test]
fn a_change_with_errors_is_refused_with_every_error_and_a_malformed_one_names_its_field() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "change-invalid");
        let server = Server::start(&db);
        let no_admin = directory(|d| {
            let at = member_index(d, "morgan");
            d["members"][at]["admin"] = json!(false);
        });
        let (status, refused) =
            change(&server, "morgan-token", json!({ "baseConfigVersion": 1, "directory": no_admin }));
        assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("config-invalid")), "{refused}");
        let codes: Vec<&str> =
            refused["error"]["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"no-admin"), "{codes:?}");
        let config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
        let (status, again) =
            change(&server, "morgan-token", json!({ "baseConfigVersion": 1, "publish": [config["workflows"][0]] }));
        assert_eq!(status, 422, "{again}");
        assert!(again["error"]["diagnostics"].to_string().contains("version-exists"), "{again}");

        let (status, malformed) = change(&server, "morgan-token", json!({ "baseConfigVersion": "one" }));
        assert_eq!((status, malformed["error"]["code"].as_str()), (400, Some("invalid-request")), "{malformed}");
        assert!(malformed["error"]["message"].as_str().unwrap().contains("baseConfigVersion"), "{malformed}");
        let mut broken = config["workflows"][0].clone();
        broken["version"] = json!(2);
        broken["steps"][3] = json!({ "id": "x" });
        let (status, shape) = change(&server, "morgan-token", json!({ "baseConfigVersion": 1, "publish": [broken] }));
        assert_eq!(status, 400, "{shape}");
        assert!(shape["error"]["message"].as_str().unwrap().contains("publish[0].steps[3]"), "{shape}");
        assert_eq!(
            get(&server, "/sync/config/history", "morgan-token").1["changes"].as_array().unwrap().len(),
            1,
            "nothing stored"
        );
    });
}

#[test]
fn a_published_version_starts_new_cases_and_running_ones_keep_theirs() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "change-publish");
        let server = Server::start(&db);
        push(&server, "dana-token", "dana-1", json!([start_case(1, "old")]));
        let config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
        let mut next = config["workflows"][0].clone();
        next["version"] = json!(2);
        next["name"] = json!("Chapter 7, revised");
        let (status, answer) =
            change(&server, "morgan-token", json!({ "baseConfigVersion": 1, "publish": [next], "reason": "v2" }));
        assert_eq!(status, 200, "{answer}");
        push(
            &server,
            "dana-token",
            "dana-1",
            json!([start_case(2, "new"), command(3, "old", json!({ "type": "claim" }))]),
        );
        let (_, pulled) = pull(&server, "morgan-token", "morgan-1", None);
        assert_eq!(case(&pulled, "old")["workflowVersion"], 1, "a running case keeps its version");
        assert_eq!(case(&pulled, "old")["owner"]["id"], "dana", "and still works on it");
        assert_eq!(case(&pulled, "new")["workflowVersion"], 2, "a new case starts on the latest");
        let (_, history) = get(&server, "/sync/config/history", "morgan-token");
        assert_eq!(history["changes"][1]["published"], json!([{ "workflowId": "chapter-7", "version": 2 }]));
    });
}

#[test]
fn a_change_made_through_one_process_is_used_by_the_others_next_decision() {
    let Some(backend) = postgres() else {
        eprintln!("not run: HANDOFF_TEST_POSTGRES names no PostgreSQL cluster");
        return;
    };
    let _turn = postgres_turn(&backend);
    let db = TestDb::new(&backend, "change-two-processes");
    let (one, two) = (Server::start(&db), Server::start(&db));
    push(&two, "devon-token", "devon-1", json!([start_case(1, "k1")]));
    let (status, answer) =
        change(&one, "morgan-token", json!({ "baseConfigVersion": 1, "directory": without_devon() }));
    assert_eq!(status, 200, "{answer}");
    // Process two has not read version 2 yet: its next decision does, inside the mutation.
    let (status, refused) = push(&two, "devon-token", "devon-1", json!([command(2, "k1", json!({ "type": "claim" }))]));
    assert_eq!(status, 403, "{refused}");
    assert_eq!(get(&two, "/sync/config", "dana-token").1["configVersion"], 2);
    assert_eq!(pull(&two, "dana-token", "dana-1", None).1["configVersion"], 2);
}

#[test]
fn a_crash_in_a_stream_of_changes_and_pushes_leaves_every_acknowledged_one_and_no_half_change() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "change-crash");
        let mut server = Server::start(&db);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (changes, pushes) = std::thread::scope(|scope| {
            let changer = scope.spawn(|| {
                let mut acknowledged = Vec::new();
                let mut base = 1;
                for n in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let renamed = directory(|d| d["members"][0]["name"] = json!(format!("Dana {n}")));
                    let Ok((status, answer)) = std::panic::catch_unwind(|| {
                        change(&server, "morgan-token", json!({ "baseConfigVersion": base, "directory": renamed }))
                    }) else {
                        break;
                    };
                    if status == 200 {
                        base = answer["configVersion"].as_u64().unwrap();
                        acknowledged.push((base, format!("Dana {n}")));
                    }
                }
                acknowledged
            });
            let pusher = scope.spawn(|| {
                let mut acknowledged = 0;
                for id in 1.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let Ok((status, _)) = std::panic::catch_unwind(|| {
                        push(&server, "dana-token", "dana-1", json!([start_case(id, &format!("k{id}"))]))
                    }) else {
                        break;
                    };
                    if status == 200 {
                        acknowledged = id;
                    }
                }
                acknowledged
            });
            // kill -9 in the middle of the stream: changes and pushes under way die with it.
            std::thread::sleep(Duration::from_millis(1500));
            std::process::Command::new("kill").args(["-9", &server.pid().to_string()]).status().unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            (changer.join().unwrap(), pusher.join().unwrap())
        });
        server.kill();
        let server = Server::start(&db);
        let (_, history) = get(&server, "/sync/config/history", "morgan-token");
        let versions: Vec<u64> =
            history["changes"].as_array().unwrap().iter().map(|c| c["configVersion"].as_u64().unwrap()).collect();
        assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>(), "versions count 1, 2, 3 …");
        assert!(
            !changes.is_empty() && pushes > 0,
            "the stream did something: {} changes, {pushes} pushes",
            changes.len()
        );
        for (version, name) in &changes {
            let (status, stored) = get(&server, &format!("/sync/config/{version}"), "morgan-token");
            assert_eq!((status, stored["directory"]["members"][0]["name"].as_str()), (200, Some(name.as_str())));
        }
        let (_, config) = get(&server, "/sync/config", "morgan-token");
        assert_eq!(
            config["configVersion"].as_u64(),
            versions.last().copied(),
            "the one in use is the latest stored, whole"
        );
        let (_, pulled) = pull(&server, "dana-token", "dana-1", None);
        assert!(pulled["lastMutationId"].as_u64().unwrap() >= pushes);
    });
}
