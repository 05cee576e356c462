//! The sync protocol of SPEC §6 against the real server over loopback HTTP, on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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

/// SPEC §7 as amended by §9: an older version's errors only keep its running cases, so they are
/// printed as warnings and the server starts; new cases start on the latest version.
#[test]
fn an_older_versions_errors_are_warnings_and_the_server_starts() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "older-version-errors");
        let dir = &db.dir;
        let mut config: Value = serde_json::from_str(include_str!("../../config/example-firm.json")).unwrap();
        let mut older = config["workflows"][0].clone();
        older["steps"][3]["handoff"]["to"] = json!({ "kind": "member", "id": "ivan" });
        let mut latest = config["workflows"][0].clone();
        latest["version"] = json!(2);
        config["workflows"] = json!([older, latest]);
        std::fs::write(dir.join("older.json"), config.to_string()).unwrap();
        let server = Server::start_with(&db, &["--config", dir.join("older.json").to_str().unwrap()]).unwrap();
        // stderr is read beside stdout: the warning may land a moment after "listening on".
        let deadline = Instant::now() + Duration::from_secs(5);
        while !server.output.lock().unwrap().contains("warning: an older") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = server.output.lock().unwrap().clone();
        assert!(output.contains("warning: an older workflow version has an error: inactive-member"), "{output}");
        assert!(output.contains("Ivan Gone"), "{output}");
        assert_eq!(statuses(&push(&server, "dana-token", "c1", json!([start_case(1, "k1")])).1), ["applied"]);
        assert_eq!(case(&pull(&server, "dana-token", "c1", None).1, "k1")["workflowVersion"], 2);
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

// Paged pulls (SPEC §14).

fn ids(names: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut ids: Vec<String> = names.into_iter().map(Into::into).collect();
    ids.sort_unstable();
    ids
}

fn error_code(response: &(u16, Value)) -> (u16, &str) {
    (response.0, response.1["error"]["code"].as_str().unwrap_or_else(|| panic!("no error in {}", response.1)))
}

#[test]
fn a_first_pull_in_pages_walks_them_all_and_gets_every_case_exactly_once() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let names: Vec<String> = (1..=7).map(|i| format!("k{i}")).collect();
        push_all(&server, "dana-token", "c1", (1..=7).map(|i| start_case(i, &names[i as usize - 1])).collect());
        let whole = fresh_view(&server, "dana-token");
        assert_eq!(whole.keys().cloned().collect::<Vec<_>>(), names);
        for limit in [1_u64, 2, 3, 6, 7, 8] {
            let reader = format!("reader-{limit}");
            let pages = walk(&server, "dana-token", &reader, None, limit, |_, _| {});
            let expected = 7_u64.div_ceil(limit) as usize;
            assert_eq!(pages.len(), expected, "limit {limit}: {pages:?}");
            let mut every = Vec::new();
            for (n, page) in pages.iter().enumerate() {
                let last = n + 1 == pages.len();
                assert_eq!(page["more"], json!(!last), "limit {limit}, page {}", n + 1);
                let size = page["cases"].as_array().unwrap().len() as u64;
                assert_eq!(size, if last { 7 - limit * n as u64 } else { limit }, "limit {limit}, page {}", n + 1);
                every.extend(case_ids(page).into_iter().map(str::to_owned));
            }
            assert_eq!(ids(every), names, "limit {limit}: every case exactly once");
            assert_eq!(held(&pages), whole, "limit {limit}");
            // The last page's cookie is an ordinary one: nothing has changed since.
            let (_, after) = pull(&server, "dana-token", &reader, pages.last().unwrap()["cookie"].as_str());
            assert_eq!((&after["cases"], &after["more"]), (&json!([]), &json!(false)), "limit {limit}: {after}");
        }
        // Without a limit, the one page is the server's cap.
        let (_, unpaged) = pull(&server, "dana-token", "reader", None);
        assert_eq!((case_ids(&unpaged).len(), &unpaged["more"]), (7, &json!(false)));
    });
}

#[test]
fn what_is_pushed_between_pages_has_arrived_by_the_last_page() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let names: Vec<String> = (1..=6).map(|i| format!("k{i}")).collect();
        push_all(&server, "dana-token", "c1", (1..=6).map(|i| start_case(i, &names[i as usize - 1])).collect());
        let mut next = 1;
        let mut mutate = |mutations: Vec<Value>| {
            let mutations: Vec<Value> = mutations
                .into_iter()
                .map(|mut m| {
                    m["id"] = json!(next);
                    next += 1;
                    m
                })
                .collect();
            push_all(&server, "devon-token", "devon-1", mutations);
        };
        let mut seen: Vec<String> = Vec::new();
        let mut passed = String::new();
        let pages = walk(&server, "dana-token", "reader", None, 2, |n, page| {
            seen.extend(case_ids(page).into_iter().map(str::to_owned));
            match n {
                // A case already passed changes, so does one not yet reached, and a case starts.
                1 => {
                    passed = seen[0].clone();
                    let ahead = names.iter().find(|name| !seen.contains(name)).unwrap();
                    mutate(vec![
                        command(0, &passed, json!({ "type": "claim" })),
                        command(0, ahead, json!({ "type": "claim" })),
                        start_case(0, "k7"),
                    ]);
                }
                // The passed case changes again, and another case starts.
                2 => mutate(vec![
                    command(0, &passed, json!({ "type": "completeStep", "stepId": "documents" })),
                    start_case(0, "k8"),
                ]),
                _ => {}
            }
        });
        assert!(pages.len() >= 3, "{pages:?}");
        let view = held(&pages);
        assert_eq!(view.len(), 8, "{view:?}");
        assert_eq!(view, fresh_view(&server, "dana-token"), "the last page leaves the view of an unpaged pull");
        assert_eq!(view[&passed]["steps"]["documents"]["status"], "completed");
        let (_, after) = pull(&server, "dana-token", "reader", pages.last().unwrap()["cookie"].as_str());
        assert_eq!(after["cases"], json!([]), "the last cookie is past every change: {after}");
    });
}

#[test]
fn only_the_last_page_confirms_mutations_and_reports_rejections() {
    use handoff_engine::case::{Actor, Command, Ctx};
    use handoff_engine::input::from_json;
    use handoff_engine::sync::{PullResponse, Replica};
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let engine = handoff_engine::Engine::from_json(include_str!("../../config/example-firm.json")).unwrap();
        let ctx = Ctx { actor: Actor::Member { id: "dana".into() }, at: AT.into() };
        push_all(&server, "morgan-token", "seed", (1..=4).map(|i| start_case(i, &format!("k{i}"))).collect());
        let mut replica = Replica::new("dana-r");
        let pull_page = |replica: &Replica| {
            let mut request = replica.pull_request();
            request.limit = Some(1);
            let (status, body) =
                post(&server, "/sync/pull", Some("dana-token"), &serde_json::to_string(&request).unwrap());
            assert_eq!(status, 200, "{body}");
            (from_json::<PullResponse>(&body.to_string()).unwrap(), body)
        };
        let push_pending = |replica: &Replica| {
            let request = serde_json::to_string(&replica.push_request().unwrap()).unwrap();
            let (status, body) = post(&server, "/sync/push", Some("dana-token"), &request);
            assert_eq!(status, 200, "{body}");
            body
        };
        // The replica's first pull, whole.
        let (first, _) = {
            let (status, body) = pull(&server, "dana-token", "dana-r", None);
            assert_eq!(status, 200);
            (from_json::<PullResponse>(&body.to_string()).unwrap(), body)
        };
        assert!(replica.apply_pull(first).unwrap().is_empty());
        // Devon completes k2's first step; dana, not yet knowing, completes it too (rejected) and
        // claims k1. Her push's answer is lost: she learns of both from pulls only.
        push_all(
            &server,
            "devon-token",
            "devon-1",
            vec![command(1, "k2", json!({ "type": "completeStep", "stepId": "documents" }))],
        );
        replica.dispatch(&engine, "k1", Command::Claim, &ctx).unwrap();
        replica.dispatch(&engine, "k2", Command::CompleteStep { step_id: "documents".into() }, &ctx).unwrap();
        let pushed = push_pending(&replica);
        assert_eq!(statuses(&pushed), ["applied", "rejected"], "{pushed}");

        let mut pages = 0;
        let rejected = loop {
            let (page, body) = pull_page(&replica);
            pages += 1;
            assert!(pages <= 20, "a pull that does not end");
            if !page.more {
                break replica.apply_pull(page).unwrap();
            }
            assert_eq!(body["rejections"], json!([]), "a rejection on page {pages}, which is not the last: {body}");
            assert!(page.last_mutation_id >= 2, "the server has handled both: {body}");
            let pending = replica.pending_count();
            assert!(replica.apply_pull(page).unwrap().is_empty());
            assert_eq!(replica.pending_count(), pending, "page {pages} confirmed mutations, but more follow");
            assert_eq!(replica.last_mutation_id, 0);
            if pages == 1 {
                // Between pages she claims k3, and this push's answer arrives.
                replica.dispatch(&engine, "k3", Command::Claim, &ctx).unwrap();
                let body = push_pending(&replica);
                assert_eq!(statuses(&body), ["duplicate", "duplicate", "applied"], "{body}");
            }
        };
        // k2 and k1 changed since the cookie, k3 between the first two pages: one a page.
        assert_eq!(pages, 3);
        let reported: Vec<(u64, &str)> = rejected.iter().map(|r| (r.id, r.code.as_str())).collect();
        assert_eq!(reported, [(2, "step-not-active")], "the last page reports the rejection");
        assert_eq!((replica.pending_count(), replica.last_mutation_id), (0, 3), "and confirms all three");
        // Confirmed and dropped, yet their effects are in the view: the last page's snapshot.
        let views: BTreeMap<String, Value> = replica
            .views(&engine)
            .into_iter()
            .map(|state| (state.case_id.clone(), serde_json::to_value(&state).unwrap()))
            .collect();
        assert_eq!(views, fresh_view(&server, "dana-token"));
        assert_eq!(views["k3"]["owner"], json!({ "kind": "member", "id": "dana" }), "claimed between pages");
        // Reported once: the next pull, with the last page's cookie, has it no more.
        let (_, after) = pull(&server, "dana-token", "dana-r", replica.cookie.as_deref());
        assert_eq!((&after["rejections"], &after["cases"]), (&json!([]), &json!([])), "{after}");
    });
}

#[test]
fn a_page_holds_at_most_1000_cases_whatever_the_limit_and_a_pull_names_at_most_1000() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        let started = std::time::Instant::now();
        let names: Vec<String> = (1..=1_001).map(|i| format!("k{i:04}")).collect();
        push_all(&server, "dana-token", "c1", names.iter().zip(1..).map(|(name, id)| start_case(id, name)).collect());
        eprintln!("1,001 cases started in {:?}", started.elapsed());
        for limit in [Some(1_001), Some(5_000), Some(u64::MAX), None] {
            let fields = limit.map_or(json!({}), |limit| json!({ "limit": limit }));
            let (status, first) = pull_with(&server, "dana-token", "reader", None, fields.clone());
            assert_eq!(status, 200, "limit {limit:?}: {first}");
            assert_eq!((case_ids(&first).len(), &first["more"]), (1_000, &json!(true)), "limit {limit:?}");
            let (_, second) = pull_with(&server, "dana-token", "reader", first["cookie"].as_str(), fields);
            assert_eq!((case_ids(&second).len(), &second["more"]), (1, &json!(false)), "limit {limit:?}");
            let mut every: Vec<String> =
                case_ids(&first).into_iter().chain(case_ids(&second)).map(str::to_owned).collect();
            every.sort_unstable();
            assert_eq!(every, names, "limit {limit:?}");
        }
        // A pull may name 1,000 cases, not one more.
        let (status, named) = pull_with(&server, "dana-token", "reader", None, json!({ "caseIds": &names[..1_000] }));
        assert_eq!((status, case_ids(&named).len()), (200, 1_000));
        let refused = pull_with(&server, "dana-token", "reader", None, json!({ "caseIds": names }));
        assert_eq!(error_code(&refused), (400, "invalid-request"), "{}", refused.1);
        eprintln!("all in {:?}", started.elapsed());
    });
}

#[test]
fn a_limit_of_nothing_and_page_cookies_the_server_did_not_give_are_refused() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        push_all(&server, "dana-token", "c1", (1..=3).map(|i| start_case(i, &format!("k{i}"))).collect());
        for limit in [json!(0), json!(-1), json!(1.5), json!("2")] {
            let refused = pull_with(&server, "dana-token", "c1", None, json!({ "limit": limit }));
            assert_eq!(error_code(&refused), (400, "invalid-request"), "limit {limit}: {}", refused.1);
        }
        let (_, page) = pull_with(&server, "dana-token", "c1", None, json!({ "limit": 1 }));
        assert_eq!(page["more"], true);
        let given = page["cookie"].as_str().unwrap().to_owned();
        let (status, _) = pull_with(&server, "dana-token", "c1", Some(&given), json!({ "limit": 1 }));
        assert_eq!(status, 200, "the page cookie it gave: {given}");
        let numbers: Vec<u64> = given.split('.').map(|n| n.parse().unwrap()).collect();
        let [since, horizon, changed, seq] = numbers[..] else { panic!("a page cookie {given}") };
        let junk = [
            "1.2.3".to_owned(),
            "1.2.3.4.5".to_owned(),
            "...".to_owned(),
            // A horizon past the server's.
            format!("{since}.{}.{changed}.{seq}", horizon + 1_000_000),
            "0.999999.0.1".to_owned(),
            // Beginning after its own horizon, or after its place.
            format!("{}.{horizon}.{changed}.{seq}", horizon + 1),
            format!("{}.{horizon}.0.{seq}", since + 1),
            format!("{since}.{horizon}.0{changed}.{seq}"),
            format!("{since}.{horizon}.{changed}.{seq}."),
        ];
        for cookie in &junk {
            for fields in [json!({ "limit": 1 }), json!({}), json!({ "caseIds": ["k1"] })] {
                let refused = pull_with(&server, "dana-token", "c1", Some(cookie), fields.clone());
                assert_eq!(error_code(&refused), (410, "client-state-not-found"), "{cookie} {fields}: {}", refused.1);
                assert_eq!(
                    refused.1["error"]["message"],
                    "This server did not give that cookie; start over with a new client id."
                );
            }
        }
    });
}

#[test]
fn a_pull_of_named_cases_answers_those_and_moves_nothing() {
    on_each_backend(|backend| {
        let (db, server) = server(backend);
        let names: Vec<String> = (1..=4).map(|i| format!("k{i}")).collect();
        push_all(&server, "dana-token", "c1", names.iter().zip(1..).map(|(name, id)| start_case(id, name)).collect());
        let (_, first) = pull(&server, "dana-token", "c1", None);
        let cookie = first["cookie"].as_str().unwrap().to_owned();
        // A rejected mutation, and a change to k2.
        let (_, body) = push(
            &server,
            "dana-token",
            "c1",
            json!([
                command(5, "k1", json!({ "type": "completeStep", "stepId": "petition" })),
                command(6, "k2", json!({ "type": "claim" })),
            ]),
        );
        assert_eq!(statuses(&body), ["rejected", "applied"]);
        let rejection = json!([{ "id": 5, "code": "step-not-active", "message": body["results"][0]["message"] }]);
        let whole = fresh_view(&server, "dana-token");
        for cookie in [None, Some(cookie.as_str())] {
            let (status, named) = pull_with(
                &server,
                "dana-token",
                "c1",
                cookie,
                json!({ "caseIds": ["k3", "k2", "no-such-case", "k3"], "limit": 1 }),
            );
            assert_eq!(status, 200, "{named}");
            assert_eq!(case_ids(&named), ["k2", "k3"], "those named, each once, changed or not: {named}");
            let mut current = whole.clone();
            current.retain(|id, _| id == "k2" || id == "k3");
            assert_eq!(held(std::slice::from_ref(&named)), current, "as they are now");
            assert_eq!(named["cookie"], cookie.unwrap_or("0"), "the cookie stays where it was");
            assert_eq!((&named["more"], &named["lastMutationId"]), (&json!(false), &json!(6)));
            assert_eq!(named["rejections"], rejection, "and the rejections since it, as usual");
            let (_, none) = pull_with(&server, "dana-token", "c1", cookie, json!({ "caseIds": [] }));
            assert_eq!((&none["cases"], &none["more"]), (&json!([]), &json!(false)), "{none}");
        }
        // The pull the cookie leads to is as it would have been: k2 changed, and the rejection.
        let (_, next) = pull(&server, "dana-token", "c1", Some(&cookie));
        assert_eq!((case_ids(&next), &next["rejections"]), (vec!["k2"], &rejection));
        // A named pull with the cookie that reported the rejection does not delete it: only the
        // pull that cookie leads to does.
        let next_cookie = next["cookie"].as_str().unwrap();
        let stored = || db.value("SELECT COUNT(*) FROM rejections", &[]).int();
        assert_eq!(stored(), 1);
        let (status, _) = pull_with(&server, "dana-token", "c1", Some(next_cookie), json!({ "caseIds": ["k1"] }));
        assert_eq!((status, stored()), (200, 1));
        let (_, last) = pull(&server, "dana-token", "c1", Some(next_cookie));
        assert_eq!((&last["cases"], &last["rejections"], stored()), (&json!([]), &json!([]), 0));
        // More than 1,000 is refused whole, as is a name that is no id (empty).
        let many: Vec<String> = (0..1_001).map(|i| format!("k{i}")).collect();
        let refused = pull_with(&server, "dana-token", "c1", None, json!({ "caseIds": many }));
        assert_eq!(error_code(&refused), (400, "invalid-request"), "{}", refused.1);
        let refused = pull_with(&server, "dana-token", "c1", None, json!({ "caseIds": [""] }));
        assert_eq!(error_code(&refused), (400, "invalid-request"), "{}", refused.1);
    });
}

#[test]
fn a_client_s_pulls_paged_or_named_hold_only_its_own_cases() {
    on_each_backend(|backend| {
        let (_db, server) = server(backend);
        // Smith's cases (the demo's client token), Jones's and the firm's own, interleaved.
        let mut mutations = Vec::new();
        for i in 1..=5 {
            mutations.push(start_case(0, &format!("smith-{i}")));
            mutations.push(start_case_for(0, &format!("jones-{i}"), json!(["jones"])));
            mutations.push(start_case_for(0, &format!("firm-{i}"), json!([])));
        }
        for (id, mutation) in mutations.iter_mut().enumerate() {
            mutation["id"] = json!(id + 1);
        }
        push_all(&server, "dana-token", "c1", mutations);
        let smiths = ids((1..=5).map(|i| format!("smith-{i}")));
        let pages = walk(&server, "client-token", "portal", None, 2, |_, _| {});
        assert_eq!(pages.len(), 3, "{pages:?}");
        let mut every = Vec::new();
        for page in &pages {
            every.extend(case_ids(page).into_iter().map(str::to_owned));
        }
        assert_eq!(ids(every), smiths, "Smith's cases, each once, and no other");

        // Between pages Jones's case becomes Smith's too, and a case of the firm's changes.
        let pages = walk(&server, "client-token", "portal-2", None, 2, |n, _| {
            if n == 1 {
                let joint = json!({ "type": "setClients", "clients": ["jones", "smith"], "reason": "joint filing" });
                push_all(&server, "morgan-token", "morgan-1", vec![command(1, "jones-1", joint)]);
                push_all(&server, "devon-token", "devon-1", vec![command(1, "firm-1", json!({ "type": "claim" }))]);
            }
        });
        let view = held(&pages);
        let mut expected = smiths.clone();
        expected.push("jones-1".into());
        assert_eq!(view.keys().cloned().collect::<Vec<_>>(), ids(expected));
        assert_eq!(view, fresh_view(&server, "client-token"));

        // Named cases: only Smith's, whatever else is named.
        let (status, named) = pull_with(
            &server,
            "client-token",
            "portal",
            None,
            json!({ "caseIds": ["smith-2", "jones-2", "firm-2", "jones-1", "no-such-case"] }),
        );
        assert_eq!((status, case_ids(&named)), (200, vec!["jones-1", "smith-2"]), "{named}");
        assert!(!named.to_string().contains("jones-2") && !named.to_string().contains("firm-2"));
    });
}
