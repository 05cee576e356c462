//! Running cases through change (SPEC §10, §13) over real HTTP, on both backends: the stuck work
//! of every open case from the server's index (`GET /sync/stuck`), exactly the core's answer
//! and read without reading the cases; reassigning a person's work (`POST /sync/reassign`) and
//! migrating running cases (`POST /sync/migrate`), dry runs and real ones, stored like any
//! command, pulled by other clients, and a second run finding nothing left to do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::CaseState;
use handoff_engine::input::from_json;
use handoff_engine::Engine;
use serde_json::{json, Value};

const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");

/// A server that says how many case states each answer read (`HANDOFF_COUNT_READS`).
fn counting_server(db: &TestDb) -> Server {
    Server::start_with_env(db, &[], &[("HANDOFF_COUNT_READS", "1")])
        .unwrap_or_else(|output| panic!("the server did not start:\n{output}"))
}

/// The case states the store read to answer, from the response's header (none on a request
/// refused before the store was asked).
fn states_read(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    response.headers().get("handoff-states-read").map(|header| header.to_str().unwrap().parse().unwrap())
}

/// `GET /sync/stuck` as `token`: the status, the body and how many case states it read.
fn stuck(server: &Server, token: &str) -> (u16, Value, Option<u64>) {
    let mut response =
        agent().get(&server.url("/sync/stuck")).header("Authorization", &format!("Bearer {token}")).call().unwrap();
    let read = states_read(&response);
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), read)
}

/// A whole pull as a new client of `token`: the body and how many case states it read.
fn counted_pull(server: &Server, token: &str, client: &str) -> (Value, Option<u64>) {
    let body = json!({ "schemaVersion": 2, "clientId": client, "cookie": null });
    let mut response = agent()
        .post(&server.url("/sync/pull"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    let read = states_read(&response);
    let text = response.body_mut().with_config().limit(64 << 20).read_to_string().unwrap();
    (serde_json::from_str(&text).unwrap(), read)
}

/// What the core says is stuck in every open case the server holds, under the configuration
/// it serves: `engine.find_stuck_work` of the open cases, in the order of their ids.
fn cores_answer(server: &Server) -> Value {
    let (_, mut config) = get(server, "/sync/config", "morgan-token");
    config.as_object_mut().unwrap().remove("configVersion");
    let engine = Engine::from_json(&config.to_string()).unwrap();
    let mut open: Vec<CaseState> = fresh_view(server, "morgan-token")
        .into_values()
        .map(|state| from_json::<CaseState>(&state.to_string()).unwrap())
        .filter(|state| !state.closed)
        .collect();
    open.sort_by(|a, b| a.case_id.cmp(&b.case_id));
    serde_json::to_value(engine.find_stuck_work(&open)).unwrap()
}

fn change(server: &Server, body: Value) -> (u16, Value) {
    let (status, answer, _) = counted_change(server, body);
    (status, answer)
}

/// A configuration change by the admin: the status, the body and how many case states it read.
fn counted_change(server: &Server, body: Value) -> (u16, Value, Option<u64>) {
    let mut response = agent()
        .post(&server.url("/sync/config/change"))
        .header("Authorization", "Bearer morgan-token")
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    let read = states_read(&response);
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), read)
}

/// The example firm's directory with `member` deactivated.
fn without(member: &str) -> Value {
    let mut config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
    for entry in config["directory"]["members"].as_array_mut().unwrap() {
        if entry["id"] == member {
            entry["active"] = json!(false);
        }
    }
    config["directory"].clone()
}

fn codes_of<'a>(stuck: &'a Value, case: &str) -> Vec<&'a str> {
    stuck["stuck"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["caseId"] == case)
        .map(|s| s["code"].as_str().unwrap())
        .collect()
}

fn member(id: &str) -> Value {
    json!({ "kind": "member", "id": id })
}

#[test]
fn stuck_work_follows_a_deactivation_and_the_commands_that_fix_it_and_is_the_cores_answer() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "stuck");
        let server = counting_server(&db);
        // k1 owned by Dana, k2 with a step assigned to Dana, k3 nothing of Dana's; then many
        // more, so that reading every case would show.
        let mut mutations = vec![
            start_case(1, "k1"),
            start_case(2, "k2"),
            start_case(3, "k3"),
            command(4, "k1", json!({ "type": "claim" })),
        ];
        mutations.extend((0..40).map(|n| start_case(5 + n, &format!("m{n:02}"))));
        push_all(&server, "dana-token", "dana-1", mutations);
        let assign = json!({ "type": "assignStep", "stepId": "petition", "to": member("dana") });
        let (_, body) = push(&server, "morgan-token", "morgan-1", json!([command(1, "k2", assign)]));
        assert_eq!(statuses(&body), ["applied"], "{body}");
        // kc, Dana's too, closed: every step skipped by the admin.
        let (_, body) = push(
            &server,
            "dana-token",
            "dana-1",
            json!([start_case(45, "kc"), command(46, "kc", json!({ "type": "claim" }))]),
        );
        assert_eq!(statuses(&body), ["applied", "applied"], "{body}");
        let steps = ["documents", "credit-report", "questionnaire", "review-call", "petition", "final-review"];
        let skips: Vec<Value> = steps
            .iter()
            .enumerate()
            .map(|(k, step)| {
                command(2 + k as u64, "kc", json!({ "type": "skipStep", "stepId": step, "reason": "Withdrawn" }))
            })
            .collect();
        let (_, body) = push(&server, "morgan-token", "morgan-1", Value::Array(skips));
        assert!(statuses(&body).iter().all(|s| s == "applied"), "{body}");
        assert_eq!(case(&pull(&server, "morgan-token", "morgan-view", None).1, "kc")["closed"], true);

        let (status, before, read) = stuck(&server, "paula-token");
        assert_eq!((status, &before["configVersion"]), (200, &json!(1)), "{before}");
        assert_eq!(before["stuck"], json!([]), "nobody has left yet");
        assert_eq!(read, Some(0));

        // Dana leaves, through the configuration as an admin changes it.
        let (status, changed, read) = counted_change(
            &server,
            json!({ "baseConfigVersion": 1, "directory": without("dana"), "reason": "Dana left" }),
        );
        assert_eq!(status, 200, "{changed}");
        assert_eq!(read, Some(43), "the change reads the open cases only, through the index: not kc");
        let (status, after, read) = stuck(&server, "paula-token");
        assert_eq!(status, 200);
        assert_eq!(after["configVersion"], 2);
        assert_eq!(read, Some(0), "the stuck work is read from the index, not from the cases");
        assert_eq!(codes_of(&after, "k1"), ["owner-inactive"], "{after}");
        assert_eq!(codes_of(&after, "k2"), ["assignee-inactive"], "{after}");
        assert!(codes_of(&after, "k3").is_empty(), "{after}");
        assert!(codes_of(&after, "kc").is_empty(), "a closed case is never stuck: {after}");
        assert!(after["stuck"][0]["message"].as_str().unwrap().contains("Dana Whitfield"), "named by name: {after}");
        assert_eq!(after["stuck"], cores_answer(&server), "exactly the core's answer over every open case");
        assert_eq!(after["stuck"], changed["stuck"], "what the change said it would leave");
        let (pulled, read) = counted_pull(&server, "paula-token", "paula-count");
        assert_eq!((pulled["cases"].as_array().unwrap().len(), read), (44, Some(44)), "a whole pull reads each case");

        // A command that fixes it: the owner is Paula now, and k1 is no longer stuck.
        let transfer = json!({ "type": "transferOwnership", "to": member("paula"), "reason": "Dana left" });
        let (_, body) = push(&server, "morgan-token", "morgan-1", json!([command(8, "k1", transfer)]));
        assert_eq!(statuses(&body), ["applied"], "{body}");
        let (_, fixed, read) = stuck(&server, "avery-token");
        assert!(codes_of(&fixed, "k1").is_empty(), "{fixed}");
        assert_eq!(codes_of(&fixed, "k2"), ["assignee-inactive"]);
        assert_eq!((fixed["stuck"].clone(), read), (cores_answer(&server), Some(0)));

        // Publishing a version makes every open case `newer-version` (info), as the core says.
        let mut config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
        let mut v2 = config["workflows"][0].take();
        v2["version"] = json!(2);
        let (status, body) = change(&server, json!({ "baseConfigVersion": 2, "publish": [v2], "reason": "v2" }));
        assert_eq!(status, 200, "{body}");
        let (_, published, _) = stuck(&server, "avery-token");
        assert_eq!(codes_of(&published, "k3"), ["newer-version"]);
        assert_eq!(published["stuck"], cores_answer(&server));

        // Members only: a client learns nothing of which cases exist; no token, no answer.
        assert_eq!(stuck(&server, "client-token").0, 403);
        assert_eq!(get(&server, "/sync/stuck", "nobody").0, 401);
    });
}

#[test]
fn reassigning_moves_what_a_person_holds_once_stored_like_any_command_and_pulled_by_others() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "reassign");
        let server = counting_server(&db);
        let mut mutations = vec![
            start_case(1, "k1"),
            start_case(2, "k2"),
            start_case(3, "k3"),
            command(4, "k1", json!({ "type": "claim" })),
            command(5, "k3", json!({ "type": "claim" })),
        ];
        mutations.extend((0..30).map(|n| start_case(6 + n, &format!("m{n:02}"))));
        push_all(&server, "dana-token", "dana-1", mutations);
        let assign = json!({ "type": "assignStep", "stepId": "petition", "to": member("dana") });
        push(&server, "morgan-token", "morgan-1", json!([command(1, "k2", assign)]));
        // Another member's client, up to date before the reassignment.
        let (status, seen) = pull(&server, "paula-token", "paula-1", None);
        assert_eq!(status, 200);
        let cookie = seen["cookie"].as_str().unwrap().to_owned();
        let events_before = get(&server, "/sync/cases/k1/events", "morgan-token").1["events"].as_array().unwrap().len();

        let request = |extra: Value| {
            let mut body = json!({ "from": "dana", "to": "pete", "reason": "Dana left the firm" });
            for (key, value) in extra.as_object().unwrap() {
                body[key] = value.clone();
            }
            post(&server, "/sync/reassign", Some("morgan-token"), &body.to_string())
        };
        let (status, dry) = request(json!({ "dryRun": true }));
        assert_eq!(status, 200, "{dry}");
        let planned: Vec<(&str, &str, &str)> = dry["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (r["caseId"].as_str().unwrap(), r["command"]["type"].as_str().unwrap(), r["status"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            planned,
            [
                ("k1", "transferOwnership", "planned"),
                ("k2", "assignStep", "planned"),
                ("k3", "transferOwnership", "planned")
            ]
        );
        assert_eq!(dry["skipped"], json!([]));
        let (_, unchanged) = pull(&server, "paula-token", "paula-1", Some(&cookie));
        assert_eq!(unchanged["cases"], json!([]), "a dry run changes nothing");

        // Only some cases, when named.
        let (status, only) = request(json!({ "dryRun": true, "caseIds": ["k3"] }));
        assert_eq!(status, 200);
        assert_eq!(only["results"].as_array().unwrap().len(), 1, "{only}");

        let (status, real) = request(json!({}));
        assert_eq!(status, 200, "{real}");
        let applied: Vec<&str> =
            real["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(applied, ["applied", "applied", "applied"], "{real}");
        for result in real["results"].as_array().unwrap() {
            assert_eq!(
                result["command"],
                dry["results"][planned.iter().position(|p| p.0 == result["caseId"]).unwrap()]["command"]
            );
        }

        // Stored like any command: another client's pull brings the new states, the audit trail
        // shows the admin's events.
        let (_, moved) = pull(&server, "paula-token", "paula-1", Some(&cookie));
        assert_eq!(case_ids(&moved), ["k1", "k2", "k3"]);
        assert_eq!(case(&moved, "k1")["owner"], member("pete"));
        assert_eq!(case(&moved, "k3")["owner"], member("pete"));
        assert_eq!(case(&moved, "k2")["steps"]["petition"]["assignee"], member("pete"));
        let (_, trail) = get(&server, "/sync/cases/k1/events", "morgan-token");
        let events = trail["events"].as_array().unwrap();
        assert_eq!(events.len(), events_before + 1);
        let last = events.last().unwrap();
        assert_eq!(
            (&last["type"], &last["actor"], &last["reason"]),
            (&json!("ownershipTransferred"), &member("morgan"), &json!("Dana left the firm"))
        );

        // Run twice: nothing is left to move.
        let (status, again) = request(json!({}));
        assert_eq!(status, 200);
        assert_eq!(again["results"], json!([]), "{again}");

        // Refused: `to` not an active member other than `from`, malformed, too large, not an admin.
        for (body, field) in [
            (json!({ "from": "dana", "to": "dana", "reason": "x" }), "to"),
            (json!({ "from": "dana", "to": "ivan", "reason": "x" }), "to"),
            (json!({ "from": "dana", "to": "nobody", "reason": "x" }), "to"),
            (json!({ "from": "dana", "to": "pete" }), "reason"),
            (json!({ "from": "dana", "to": "pete", "reason": "x", "dryRun": "yes" }), "dryRun"),
            (json!({ "from": "dana", "to": "pete", "reason": "x", "extra": 1 }), "extra"),
        ] {
            let (status, error) = post(&server, "/sync/reassign", Some("morgan-token"), &body.to_string());
            assert_eq!((status, &error["error"]["code"]), (400, &json!("invalid-request")), "{body}: {error}");
            assert!(error["error"]["message"].as_str().unwrap().contains(field), "{body}: {error}");
        }
        let huge = format!(r#"{{"from":"dana","to":"pete","reason":"{}"}}"#, "x".repeat(1024 * 1024));
        assert_eq!(post(&server, "/sync/reassign", Some("morgan-token"), &huge).0, 413);
        let body = json!({ "from": "pete", "to": "paula", "reason": "x" }).to_string();
        for (token, status) in [("dana-token", 403), ("client-token", 403), ("nobody", 401)] {
            let (got, error) = post(&server, "/sync/reassign", Some(token), &body);
            assert_eq!(got, status, "{token}: {error}");
        }
        let (_, after_refusals) = pull(&server, "paula-token", "paula-1", Some(moved["cookie"].as_str().unwrap()));
        assert_eq!(after_refusals["cases"], json!([]), "the refused requests changed nothing");
    });
}

/// Chapter 7, version 2: the credit report review gone, a means test after the documents.
fn version_2() -> Value {
    let config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
    let mut workflow = config["workflows"][0].clone();
    workflow["version"] = json!(2);
    let steps = workflow["steps"].as_array_mut().unwrap();
    steps.retain(|step| step["id"] != "credit-report");
    steps.insert(1, json!({ "id": "means-test", "name": "Means test" }));
    workflow
}

fn migration(server: &Server, token: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({ "workflowId": "chapter-7", "fromVersion": 1, "toVersion": 2, "reason": "Version 2" });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    post(server, "/sync/migrate", Some(token), &body.to_string())
}

fn by_case(answer: &Value) -> Vec<(String, String)> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["caseId"].as_str().unwrap().to_owned(), r["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn migrating_a_version_moves_each_case_on_its_own_and_a_dry_run_says_what_it_drops_and_adds() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "migrate");
        let server = counting_server(&db);
        // k1 just started (documents active); k2 with the credit report under way, which version
        // 2 lacks; k3 on its documents, like k1.
        push_all(&server, "dana-token", "dana-1", vec![start_case(1, "k1"), start_case(2, "k2"), start_case(3, "k3")]);
        let (_, body) = push(
            &server,
            "devon-token",
            "devon-1",
            json!([command(1, "k2", json!({ "type": "completeStep", "stepId": "documents" }))]),
        );
        assert_eq!(statuses(&body), ["applied"], "{body}");
        let (_, body) = push(&server, "dana-token", "dana-1", json!([command(4, "k2", json!({ "type": "claim" }))]));
        assert_eq!(statuses(&body), ["applied"], "{body}");
        let (status, body) =
            change(&server, json!({ "baseConfigVersion": 1, "publish": [version_2()], "reason": "v2" }));
        assert_eq!(status, 200, "{body}");
        let (_, seen) = pull(&server, "paula-token", "paula-1", None);
        let cookie = seen["cookie"].as_str().unwrap().to_owned();

        let (status, dry) = migration(&server, "morgan-token", json!({ "dryRun": true }));
        assert_eq!(status, 200, "{dry}");
        assert_eq!(
            by_case(&dry),
            [("k1".into(), "planned".into()), ("k2".into(), "rejected".into()), ("k3".into(), "planned".into())]
        );
        let k1 = &dry["results"][0];
        assert_eq!((&k1["dropped"], &k1["added"]), (&json!(["credit-report"]), &json!(["means-test"])), "{dry}");
        let k2 = &dry["results"][1];
        assert_eq!(k2["code"], "migration-invalid");
        assert_eq!(k2["problems"][0]["stepId"], "credit-report", "{k2}");
        let (_, unchanged) = pull(&server, "paula-token", "paula-1", Some(&cookie));
        assert_eq!(unchanged["cases"], json!([]), "a dry run changes nothing");

        let (status, real) = migration(&server, "morgan-token", json!({}));
        assert_eq!(status, 200, "{real}");
        assert_eq!(
            by_case(&real),
            [("k1".into(), "applied".into()), ("k2".into(), "rejected".into()), ("k3".into(), "applied".into())],
            "each case decided on its own: k2's rejection stops nothing"
        );
        let (_, moved) = pull(&server, "paula-token", "paula-1", Some(&cookie));
        assert_eq!(case_ids(&moved), ["k1", "k3"]);
        assert_eq!(case(&moved, "k1")["workflowVersion"], 2);
        assert!(case(&moved, "k1")["steps"].get("means-test").is_some());
        let (_, trail) = get(&server, "/sync/cases/k1/events", "morgan-token");
        let migrated =
            trail["events"].as_array().unwrap().iter().find(|e| e["type"] == "caseMigrated").expect("stored");
        assert_eq!((&migrated["actor"], &migrated["toVersion"]), (&member("morgan"), &json!(2)));

        // Once k2's credit report is done, it can go too; then nothing is left on version 1.
        let (_, body) = push(
            &server,
            "dana-token",
            "dana-1",
            json!([command(5, "k2", json!({ "type": "completeStep", "stepId": "credit-report" }))]),
        );
        assert_eq!(statuses(&body), ["applied"], "{body}");
        let (_, last) = migration(&server, "morgan-token", json!({}));
        assert_eq!(by_case(&last), [("k2".into(), "applied".into())], "{last}");
        assert_eq!(last["results"][0]["dropped"], json!(["credit-report"]), "dropped, done");
        let (status, again) = migration(&server, "morgan-token", json!({}));
        assert_eq!((status, &again["results"]), (200, &json!([])), "a second run finds nothing to do");
        let (_, stuck_now, _) = stuck(&server, "morgan-token");
        assert_eq!(stuck_now["stuck"], json!([]), "none on an older version any more");
        assert_eq!(stuck_now["stuck"], cores_answer(&server));

        // Refused: malformed (naming the field), an unknown workflow, too large, not an admin.
        for (extra, field) in [
            (json!({ "fromVersion": "one" }), "fromVersion"),
            (json!({ "reason": "  " }), "reason"),
            (json!({ "mapping": { "documents": "" } }), "mapping"),
            (json!({ "workflowId": "chapter-13" }), "workflowId"),
        ] {
            let (status, error) = migration(&server, "morgan-token", extra.clone());
            assert_eq!((status, &error["error"]["code"]), (400, &json!("invalid-request")), "{extra}: {error}");
            assert!(error["error"]["message"].as_str().unwrap().contains(field), "{extra}: {error}");
        }
        let huge =
            json!({ "workflowId": "chapter-7", "fromVersion": 1, "toVersion": 2, "reason": "x".repeat(1024 * 1024) });
        assert_eq!(post(&server, "/sync/migrate", Some("morgan-token"), &huge.to_string()).0, 413);
        for (token, status) in [("dana-token", 403), ("client-token", 403), ("nobody", 401)] {
            assert_eq!(migration(&server, token, json!({})).0, status, "{token}");
        }
    });
}

#[test]
fn a_database_without_the_index_is_indexed_at_start() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "index-build");
        let mut server = counting_server(&db);
        push_all(
            &server,
            "dana-token",
            "dana-1",
            vec![start_case(1, "k1"), start_case(2, "k2"), command(3, "k1", json!({ "type": "claim" }))],
        );
        let (status, _) =
            change(&server, json!({ "baseConfigVersion": 1, "directory": without("dana"), "reason": "Dana left" }));
        assert_eq!(status, 200);
        let indexed = stuck(&server, "paula-token").1;
        assert_eq!(codes_of(&indexed, "k1"), ["owner-inactive"]);
        server.terminate();

        // As a database from before the index, or one seeded straight into its tables.
        db.execute("DELETE FROM open_cases", &[]);
        db.execute("DELETE FROM case_members", &[]);
        db.execute("UPDATE meta SET value = 0 WHERE key = 'case_index'", &[]);
        let server = counting_server(&db);
        assert!(
            server.output.lock().unwrap().contains("indexed the 2 open cases"),
            "{}",
            server.output.lock().unwrap()
        );
        let (_, rebuilt, read) = stuck(&server, "paula-token");
        assert_eq!((&rebuilt, read), (&indexed, Some(0)));
        assert_eq!(rebuilt["stuck"], cores_answer(&server));
        let body = json!({ "from": "dana", "to": "paula", "reason": "Dana left" });
        let (status, moved) = post(&server, "/sync/reassign", Some("morgan-token"), &body.to_string());
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["results"][0]["caseId"], "k1", "found through the rebuilt index of members: {moved}");
        let (_, migrated) = migration(&server, "morgan-token", json!({ "toVersion": 1, "dryRun": true }));
        assert_eq!(by_case(&migrated).len(), 2, "found through the rebuilt index of versions: {migrated}");
    });
}
