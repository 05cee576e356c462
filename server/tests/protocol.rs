//! The sync protocol of SPEC §6 against the real server over loopback HTTP, on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};

/// A server on a fresh database; the database goes when the test ends.
fn server(backend: &Backend) -> (TestDb, Server) {
    let db = TestDb::new(backend, "protocol");
    let server = Server::start(&db);
    (db, server)
}

#[test]
fn a_re_pushed_batch_applies_once() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let batch = json!([start_case(1, "k1"), command(2, "k1", json!({ "type": "claim" }))]);
        let (status, first) = push(&server, "dana-token", "c1", batch.clone());
        assert_eq!((status, statuses(&first)), (200, vec!["applied".to_owned(), "applied".into()]));
        let mut again = batch.as_array().unwrap().clone();
        again.push(command(3, "k1", json!({ "type": "completeStep", "stepId": "documents" })));
        let (_, second) = push(&server, "dana-token", "c1", Value::Array(again));
        assert_eq!(statuses(&second), ["duplicate", "duplicate", "applied"]);
        assert_eq!(second["lastMutationId"], 3);
        let (_, pulled) = pull(&server, "dana-token", "c1", None);
        assert_eq!(case(&pulled, "k1")["version"], 5, "started (2 events), claimed (1), completed and triggered (2)");
        assert_eq!(pulled["lastMutationId"], 3);
    });
}

#[test]
fn a_gap_stops_the_batch_with_409() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        push(&server, "dana-token", "c1", json!([start_case(1, "k1")]));
        let (status, body) = push(&server, "dana-token", "c1", json!([command(3, "k1", json!({ "type": "claim" }))]));
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("mutation-gap")));
        let (_, pulled) = pull(&server, "dana-token", "c1", None);
        assert_eq!(pulled["lastMutationId"], 1);
    });
}

#[test]
fn an_unknown_client_starting_past_one_must_reset() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let (status, body) = push(&server, "dana-token", "fresh", json!([start_case(7, "k1")]));
        assert_eq!((status, body["error"]["code"].as_str()), (410, Some("client-state-not-found")));
    });
}

#[test]
fn a_rejection_advances_the_counter_and_is_reported_by_pull() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let batch = json!([
            start_case(1, "k1"),
            command(2, "k1", json!({ "type": "completeStep", "stepId": "petition" })),
            command(3, "k1", json!({ "type": "no-such-command" })),
            json!({ "id": 4, "caseId": "k1", "kind": "command", "at": AT }),
            command(5, "k1", json!({ "type": "claim" })),
        ]);
        let (status, response) = push(&server, "dana-token", "c1", batch);
        assert_eq!(status, 200);
        assert_eq!(statuses(&response), ["applied", "rejected", "rejected", "rejected", "applied"]);
        assert_eq!(response["results"][1]["code"], "step-not-active");
        assert_eq!(response["results"][2]["code"], "invalid-input");
        assert_eq!(response["lastMutationId"], 5);
        let (_, pulled) = pull(&server, "dana-token", "c1", None);
        let codes: Vec<(u64, &str)> = pulled["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_u64().unwrap(), r["code"].as_str().unwrap()))
            .collect();
        assert_eq!(codes, [(2, "step-not-active"), (3, "invalid-input"), (4, "invalid-input")]);
        // A later pull with the cookie does not repeat them.
        let (_, later) = pull(&server, "dana-token", "c1", pulled["cookie"].as_str());
        assert_eq!(later["rejections"], json!([]));
        assert_eq!(later["cases"], json!([]));
    });
}

#[test]
fn the_actor_is_always_the_token_s() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        push(&server, "paula-token", "paula-1", json!([start_case(1, "k1")]));
        // A forged actor anywhere in a mutation is refused; the command never runs as morgan.
        let forged = json!([
            { "id": 2, "caseId": "k1", "kind": "command", "command": { "type": "transferOwnership", "to": { "kind": "member", "id": "paula" }, "reason": "r" }, "at": AT, "actor": { "kind": "member", "id": "morgan" } },
            command(3, "k1", json!({ "type": "transferOwnership", "to": { "kind": "member", "id": "paula" }, "reason": "r", "actor": { "kind": "member", "id": "morgan" } })),
            command(4, "k1", json!({ "type": "transferOwnership", "to": { "kind": "member", "id": "paula" }, "reason": "r" })),
        ]);
        let (_, response) = push(&server, "paula-token", "paula-1", forged);
        assert_eq!(statuses(&response), ["rejected", "rejected", "rejected"]);
        assert_eq!(response["results"][0]["code"], "invalid-input");
        assert_eq!(response["results"][1]["code"], "invalid-input");
        assert_eq!(response["results"][2]["code"], "not-permitted", "paula is no admin");
        // The same command with morgan's token is decided as morgan, an admin.
        let (_, response) = push(
            &server,
            "morgan-token",
            "morgan-1",
            json!([command(
                1,
                "k1",
                json!({ "type": "transferOwnership", "to": { "kind": "member", "id": "paula" }, "reason": "r" })
            )]),
        );
        assert_eq!(statuses(&response), ["applied"]);
        // A client id is bound to the user who first pushed with it.
        let (status, body) = push(&server, "dana-token", "paula-1", json!([]));
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not-permitted")));
        let (status, _) = pull(&server, "dana-token", "paula-1", None);
        assert_eq!(status, 403);
    });
}

#[test]
fn racing_handoffs_have_exactly_one_winner() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        // A case at the paralegal handoff, owned by the Documents Team (Dana and Devon both may hand off).
        let setup = json!([
            start_case(1, "k1"),
            command(2, "k1", json!({ "type": "completeStep", "stepId": "documents" })),
            command(3, "k1", json!({ "type": "completeStep", "stepId": "credit-report" })),
        ]);
        push(&server, "dana-token", "setup", setup);
        push(
            &server,
            "client-token",
            "the-client",
            json!([command(1, "k1", json!({ "type": "completeStep", "stepId": "questionnaire" }))]),
        );
        for round in 0..10 {
            let case_id = format!("race-{round}");
            let setup = json!([
                start_case(1, &case_id),
                command(2, &case_id, json!({ "type": "completeStep", "stepId": "documents" })),
                command(3, &case_id, json!({ "type": "completeStep", "stepId": "credit-report" })),
            ]);
            push(&server, "dana-token", &format!("setup-{round}"), setup);
            push(
                &server,
                "client-token",
                &format!("client-{round}"),
                json!([command(1, &case_id, json!({ "type": "completeStep", "stepId": "questionnaire" }))]),
            );
            let racers: Vec<_> = [("dana-token", "paula"), ("devon-token", "pete")]
                .into_iter()
                .map(|(token, to)| {
                    let (base, case_id) = (server.base.clone(), case_id.clone());
                    std::thread::spawn(move || {
                        let body = json!({ "schemaVersion": 2, "clientId": format!("{token}-{case_id}"),
                            "mutations": [command(1, &case_id, json!({ "type": "completeHandoff", "stepId": "review-call", "to": to }))] });
                        let mut response = agent()
                            .post(&format!("{base}/sync/push"))
                            .header("Authorization", &format!("Bearer {token}"))
                            .send(body.to_string())
                            .unwrap();
                        let value: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
                        value["results"][0]["status"].as_str().unwrap().to_owned()
                    })
                })
                .collect();
            let mut outcomes: Vec<String> = racers.into_iter().map(|r| r.join().unwrap()).collect();
            outcomes.sort();
            assert_eq!(outcomes, ["applied", "rejected"], "round {round}");
        }
    });
}

#[test]
fn cookies_return_only_what_changed() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        push(&server, "dana-token", "c1", json!([start_case(1, "k1"), start_case(2, "k2")]));
        let (_, all) = pull(&server, "dana-token", "c1", None);
        assert_eq!(all["cases"].as_array().unwrap().len(), 2);
        push(&server, "dana-token", "c1", json!([command(3, "k2", json!({ "type": "claim" }))]));
        let (_, changed) = pull(&server, "dana-token", "c1", all["cookie"].as_str());
        let ids: Vec<&str> =
            changed["cases"].as_array().unwrap().iter().map(|c| c["caseId"].as_str().unwrap()).collect();
        assert_eq!(ids, ["k2"]);
        // Another user sees the same cases (they are the firm's), with their own lastMutationId.
        let (_, other) = pull(&server, "paula-token", "p1", None);
        assert_eq!((other["cases"].as_array().unwrap().len(), other["lastMutationId"].as_u64()), (2, Some(0)));
        let (status, body) = pull(&server, "dana-token", "c1", Some("999999"));
        assert_eq!((status, body["error"]["code"].as_str()), (410, Some("client-state-not-found")));
        // A cookie this server never gives is no reason to fail for good: the client starts over.
        // Past the database's integers too (a 500 there would have the client retry for ever).
        for junk in ["not-a-cookie", "-5", "007", "", "9223372036854775808", "18446744073709551615"] {
            let (status, body) = pull(&server, "dana-token", "c1", Some(junk));
            assert_eq!((status, body["error"]["code"].as_str()), (410, Some("client-state-not-found")), "{junk}");
        }
    });
}

/// The engine keeps a client named twice as given (harmless); the server stores whom the case is
/// for once, rather than failing the mutation on its own key, which the client would retry for
/// ever, wedging its queue.
#[test]
fn a_case_for_a_client_named_twice_is_stored_once() {
    on_each_backend(|backend| {
        let (db, server) = server(backend);
        let twice = json!([{ "id": 1, "caseId": "k1", "kind": "startCase",
            "input": { "caseId": "k1", "workflowId": "chapter-7", "clients": ["smith", "smith"] }, "at": AT }]);
        let (status, body) = push(&server, "dana-token", "c1", twice);
        assert_eq!((status, statuses(&body)), (200, vec!["applied".to_owned()]), "{body}");
        let rows = db.value("SELECT count(*) FROM case_clients WHERE case_id = 'k1'", &[]);
        assert_eq!(rows.int(), 1);
        let (_, pulled) = pull(&server, "client-token", "portal", None);
        assert_eq!(pulled["cases"].as_array().map(Vec::len), Some(1), "smith sees the case: {pulled}");
        let again = json!([command(
            2,
            "k1",
            json!({ "type": "setClients", "clients": ["smith", "jones", "jones"],
            "reason": "joint filer" })
        )]);
        let (status, body) = push(&server, "dana-token", "c1", again);
        assert_eq!((status, statuses(&body)), (200, vec!["applied".to_owned()]), "{body}");
        assert_eq!(db.value("SELECT count(*) FROM case_clients WHERE case_id = 'k1'", &[]).int(), 2);
    });
}

#[test]
fn malformed_requests_and_limits() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let check = |(status, body): (u16, Value), expected: u16, code: &str| {
            assert_eq!(status, expected, "{body}");
            assert_eq!(body["error"]["code"], code, "{body}");
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        };
        check(post(&server, "/sync/push", None, "{}"), 401, "unauthenticated");
        check(post(&server, "/sync/pull", Some("stolen"), "{}"), 401, "unauthenticated");
        check(post(&server, "/sync/push", Some("dana-token"), "not json"), 400, "invalid-request");
        check(post(&server, "/sync/push", Some("dana-token"), "[]"), 400, "invalid-request");
        check(
            post(&server, "/sync/push", Some("dana-token"), r#"{"schemaVersion":1,"clientId":"c","mutations":[]}"#),
            426,
            "unsupported-schema-version",
        );
        let long_id = "x".repeat(129);
        check(push(&server, "dana-token", &long_id, json!([])), 400, "invalid-request");
        check(push(&server, "dana-token", "c1", json!([{ "caseId": "k" }])), 400, "invalid-request");
        check(push(&server, "dana-token", "c1", json!({ "not": "a list" })), 400, "invalid-request");
        check(
            post(
                &server,
                "/sync/push",
                Some("dana-token"),
                r#"{"schemaVersion":1,"clientId":"c","mutations":[],"extra":1}"#,
            ),
            400,
            "invalid-request",
        );
        let many: Vec<Value> = (1..=501).map(|i| start_case(i, &format!("k{i}"))).collect();
        check(push(&server, "dana-token", "c1", Value::Array(many)), 413, "too-large");
        let huge = format!(r#"{{"schemaVersion":1,"clientId":"c","mutations":[],"pad":"{}"}}"#, "x".repeat(1 << 20));
        check(post(&server, "/sync/push", Some("dana-token"), &huge), 413, "too-large");
        // None of that moved the client's counter.
        let (_, pulled) = pull(&server, "dana-token", "c1", None);
        assert_eq!(pulled["lastMutationId"], 0);
    });
}

#[test]
fn the_config_endpoint_serves_the_config_with_its_version() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let mut response =
            agent().get(&server.url("/sync/config")).header("Authorization", "Bearer avery-token").call().unwrap();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert!(body["configVersion"].as_u64().is_some());
        assert_eq!(body["workflows"][0]["id"], "chapter-7");
        assert_eq!(body["directory"]["members"][0]["name"], "Dana Whitfield");
        let response = agent().get(&server.url("/sync/config")).call().unwrap();
        assert_eq!(response.status().as_u16(), 401);
    });
}

#[test]
fn the_demo_is_served_from_the_same_origin_under_a_content_security_policy() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let response = agent().get(&server.url("/")).call().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let policy = response.headers().get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'") && !policy.contains("unsafe-inline"),
            "{policy}"
        );
    });
}

#[test]
fn the_server_refuses_an_invalid_config_and_prints_why() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "invalid-config");
        let dir = &db.dir;
        let mut config: Value = serde_json::from_str(include_str!("../../config/example-firm.json")).unwrap();
        config["workflows"][0]["steps"][3]["handoff"]["to"] = json!({ "kind": "member", "id": "ivan" });
        std::fs::write(dir.join("bad.json"), config.to_string()).unwrap();
        let output = Server::start_with(&db, &["--config", dir.join("bad.json").to_str().unwrap()]).err().unwrap();
        assert!(output.contains("inactive-member"), "{output}");
        assert!(output.contains("Ivan Gone"), "{output}");
        assert!(!output.contains("listening on"));
    });
}

#[test]
fn tokens_from_a_file_replace_the_demo_ones() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "tokens");
        let dir = &db.dir;
        std::fs::write(dir.join("tokens.json"), r#"{ "tokens": { "s3cret": { "kind": "member", "id": "avery" } } }"#)
            .unwrap();
        let server = Server::start_with(&db, &["--tokens", dir.join("tokens.json").to_str().unwrap()]).unwrap();
        assert_eq!(pull(&server, "s3cret", "a1", None).0, 200);
        assert_eq!(pull(&server, "dana-token", "a1", None).0, 401);
        assert!(!server.output.lock().unwrap().contains("demo tokens"));
    });
}

#[test]
fn sigterm_stops_the_server_cleanly_and_keeps_everything_acknowledged() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "sigterm");
        let mut server = Server::start(&db);
        push(&server, "dana-token", "c1", json!([start_case(1, "k1")]));
        let status = server.terminate();
        assert!(status.success(), "{status}");
        let server = Server::start(&db);
        let (_, pulled) = pull(&server, "dana-token", "c1", None);
        assert_eq!((pulled["lastMutationId"].as_u64(), pulled["cases"].as_array().unwrap().len()), (Some(1), 1));
    });
}

#[test]
fn each_refusal_has_its_status_code_and_a_sentence_saying_what_to_do() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let refused = |(status, body): (u16, Value)| {
            (
                status,
                body["error"]["code"].as_str().unwrap().to_owned(),
                body["error"]["message"].as_str().unwrap().to_owned(),
            )
        };
        let expect = |status: u16, code: &str, message: &str| (status, code.to_owned(), message.to_owned());
        push(&server, "dana-token", "c1", json!([start_case(1, "k1")]));
        assert_eq!(
            refused(push(&server, "dana-token", "c1", json!([command(3, "k1", json!({ "type": "claim" }))]))),
            expect(409, "mutation-gap", "Mutation 3 arrived, but the last one handled was 1.")
        );
        assert_eq!(
            refused(push(&server, "dana-token", "fresh", json!([start_case(2, "k2")]))),
            expect(
                410,
                "client-state-not-found",
                "This server has no record of client fresh; start over with a new client id."
            )
        );
        assert_eq!(
            refused(push(&server, "paula-token", "c1", json!([]))),
            expect(403, "not-permitted", "This client id belongs to another user.")
        );
        assert_eq!(
            refused(pull(&server, "dana-token", "c1", Some("007"))),
            expect(
                410,
                "client-state-not-found",
                "This server did not give that cookie; start over with a new client id."
            )
        );
        assert_eq!(
            refused(post(
                &server,
                "/sync/pull",
                Some("dana-token"),
                r#"{"schemaVersion":1,"clientId":"c1","cookie":null}"#
            )),
            expect(
                426,
                "unsupported-schema-version",
                "Schema version 1 is not supported; this server speaks 2. Reload the app."
            )
        );
        let many: Vec<Value> = (1..=501).map(|i| start_case(i, &format!("k{i}"))).collect();
        assert_eq!(
            refused(push(&server, "dana-token", "c1", Value::Array(many))),
            expect(413, "too-large", "A push may carry at most 500 mutations.")
        );
        assert_eq!(
            refused(post(&server, "/sync/pull", Some("dana-token"), r#"{"schemaVersion":2,"clientId":"c1"}"#)),
            expect(400, "invalid-request", "Invalid input at cookie: missing field `cookie`.")
        );
    });
}
