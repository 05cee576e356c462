//! Several server processes on one PostgreSQL database (SPEC §12): they start together on a
//! fresh database, a mutation takes effect once whichever process gets it or its retry, racing
//! commands through different processes have one winner, and a pull's cookie never misses a
//! change committed after a later one.
//!
//! These need the cluster that `HANDOFF_TEST_POSTGRES` names (`npm test` starts one, fails when
//! it cannot, and sets `HANDOFF_REQUIRE_POSTGRES`, which makes a missing cluster a failure:
//! `common::postgres`); run by hand without it, each says so on stderr and has nothing to check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::{Barrier, MutexGuard};

use common::*;
use serde_json::{json, Value};

/// The cluster, and this binary's turn on it (see `common::on_each_backend`).
fn cluster(test: &str) -> Option<(Backend, MutexGuard<'static, ()>)> {
    let Some(backend) = postgres() else {
        eprintln!("{test}: not run, HANDOFF_TEST_POSTGRES names no PostgreSQL cluster");
        return None;
    };
    let turn = postgres_turn(&backend).unwrap();
    Some((backend, turn))
}

/// The cluster's turn, a fresh database and two server processes on it.
fn two_processes(test: &str, name: &str) -> Option<(MutexGuard<'static, ()>, TestDb, [Server; 2])> {
    let (backend, turn) = cluster(test)?;
    let db = TestDb::new(&backend, name);
    let servers = [Server::start(&db), Server::start(&db)];
    Some((turn, db, servers))
}

/// Runs `job(0)` … `job(n - 1)` on threads of their own, all let go at the same moment; their
/// results in that order.
fn at_once<T: Send>(n: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, job) = (&barrier, &job);
                scope.spawn(move || {
                    barrier.wait();
                    job(i)
                })
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().unwrap()).collect()
    })
}

#[test]
fn four_processes_started_at_once_on_a_fresh_database_all_start_and_serve() {
    let Some((backend, _turn)) = cluster("four_processes") else { return };
    for round in 0..3 {
        let db = TestDb::new(&backend, "four-at-once");
        // Each creates the schema it finds missing, at the same moment as the others.
        let starts = at_once(4, |_| Server::start_with(&db, &[]));
        let servers: Vec<Server> = starts
            .into_iter()
            .enumerate()
            .map(|(i, started)| {
                started.unwrap_or_else(|output| panic!("round {round}: process {i} did not start:\n{output}"))
            })
            .collect();
        for (i, server) in servers.iter().enumerate() {
            let (status, body) = push(server, "dana-token", &format!("c{i}"), json!([start_case(1, &format!("k{i}"))]));
            assert_eq!(
                (status, statuses(&body)),
                (200, vec!["applied".to_owned()]),
                "round {round}, process {i}: {body}"
            );
        }
        // Each process sees what every other wrote.
        for (i, server) in servers.iter().enumerate() {
            let (_, pulled) = pull(server, "morgan-token", &format!("m{i}"), None);
            assert_eq!(case_ids(&pulled), ["k0", "k1", "k2", "k3"], "round {round}, process {i}");
        }
    }
}

/// A case at the paralegal handoff, which both Dana and Devon (the Documents Team) may complete.
fn at_the_handoff(server: &Server, case_id: &str) {
    let setup = json!([
        start_case(1, case_id),
        command(2, case_id, json!({ "type": "completeStep", "stepId": "documents" })),
        command(3, case_id, json!({ "type": "completeStep", "stepId": "credit-report" })),
    ]);
    let (_, body) = push(server, "dana-token", &format!("setup-{case_id}"), setup);
    assert_eq!(statuses(&body), ["applied", "applied", "applied"], "{body}");
    let questionnaire = json!([command(1, case_id, json!({ "type": "completeStep", "stepId": "questionnaire" }))]);
    let (_, body) = push(server, "client-token", &format!("client-{case_id}"), questionnaire);
    assert_eq!(statuses(&body), ["applied"], "{body}");
}

#[test]
fn racing_handoffs_through_two_processes_have_exactly_one_winner() {
    let Some((_turn, db, servers)) = two_processes("racing_handoffs", "race") else { return };
    for round in 0..10 {
        let case_id = format!("race-{round}");
        at_the_handoff(&servers[round % 2], &case_id);
        // Dana through one process, Devon through the other, at the same moment.
        let racers = [("dana-token", "paula", &servers[0]), ("devon-token", "pete", &servers[1])];
        let outcomes = at_once(racers.len(), |i| {
            let (token, to, server) = racers[i];
            let handoff = json!({ "type": "completeHandoff", "stepId": "review-call", "to": to });
            let (status, body) =
                push(server, token, &format!("{token}-{case_id}"), json!([command(1, &case_id, handoff)]));
            assert_eq!(status, 200, "{body}");
            (body["results"][0]["status"].as_str().unwrap().to_owned(), to)
        });
        let mut statuses: Vec<&str> = outcomes.iter().map(|(status, _)| status.as_str()).collect();
        statuses.sort();
        assert_eq!(statuses, ["applied", "rejected"], "round {round}");
        // The case went to the winner's choice, once.
        let winner = outcomes.iter().find(|(status, _)| status == "applied").unwrap().1;
        let (_, pulled) = pull(&servers[0], "morgan-token", "observer", None);
        let state = case(&pulled, &case_id);
        assert_eq!(state["owner"]["id"], winner, "round {round}: {state}");
        let completed = r#"SELECT COUNT(*) FROM events WHERE case_id = $1 AND event LIKE '%"handoffCompleted"%'"#;
        assert_eq!(db.value(completed, &[(&case_id).into()]).int(), 1, "round {round}");
    }
}

#[test]
fn a_retry_sent_to_the_other_process_is_a_duplicate() {
    let Some((_turn, _db, servers)) = two_processes("retry_to_the_other_process", "retry") else { return };
    let batch = json!([start_case(1, "k1"), command(2, "k1", json!({ "type": "claim" }))]);
    let (_, first) = push(&servers[0], "dana-token", "c1", batch.clone());
    assert_eq!(statuses(&first), ["applied", "applied"], "{first}");
    let mut again = batch.as_array().unwrap().clone();
    again.push(command(3, "k1", json!({ "type": "completeStep", "stepId": "documents" })));
    let (_, second) = push(&servers[1], "dana-token", "c1", Value::Array(again));
    assert_eq!(statuses(&second), ["duplicate", "duplicate", "applied"], "{second}");
    assert_eq!(second["lastMutationId"], 3);
    // And a gap is a gap whichever process sees it.
    let (status, body) = push(&servers[0], "dana-token", "c1", json!([command(5, "k1", json!({ "type": "claim" }))]));
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("mutation-gap")));
    let (_, pulled) = pull(&servers[0], "dana-token", "c1", None);
    assert_eq!(case(&pulled, "k1")["version"], 5, "started (2 events), claimed (1), completed and triggered (2)");
    assert_eq!(pulled["lastMutationId"], 3);
}

#[test]
fn one_batch_sent_to_both_processes_at_once_takes_effect_once() {
    let Some((_turn, _db, servers)) = two_processes("one_batch_to_both", "both-at-once") else { return };
    for round in 0..10 {
        // A new client's first push, and its retry through the other process while the first is
        // still under way (a load balancer's retry after a timeout).
        let (client, case_id) = (format!("c{round}"), format!("k{round}"));
        let batch = json!([
            start_case(1, &case_id),
            command(2, &case_id, json!({ "type": "claim" })),
            command(3, &case_id, json!({ "type": "completeStep", "stepId": "documents" })),
        ]);
        let responses = at_once(servers.len(), |i| push(&servers[i], "dana-token", &client, batch.clone()));
        for (status, body) in &responses {
            assert_eq!(*status, 200, "round {round}: {body}");
        }
        for id in 0..3 {
            let mut outcomes: Vec<&str> =
                responses.iter().map(|(_, body)| body["results"][id]["status"].as_str().unwrap()).collect();
            outcomes.sort();
            assert_eq!(outcomes, ["applied", "duplicate"], "round {round}, mutation {}", id + 1);
        }
        let (_, pulled) = pull(&servers[round % 2], "dana-token", &client, None);
        assert_eq!(case(&pulled, &case_id)["version"], 5, "round {round}");
        assert_eq!(pulled["lastMutationId"], 3);
    }
}

#[test]
fn a_pull_never_misses_a_change_committed_after_a_later_one() {
    let Some((backend, _turn)) = cluster("out_of_order_commit") else { return };
    let db = TestDb::new(&backend, "out-of-order");
    let server = Server::start(&db);
    push(&server, "dana-token", "dana-1", json!([start_case(1, "k1")]));
    let (_, first) = pull(&server, "morgan-token", "morgan-1", None);
    let (_, first_smith) = pull(&server, "client-token", "smith-1", None);
    // A valid state (a case for Smith) to write as a push would.
    let mut late = case(&first, "k1").clone();
    late["caseId"] = json!("late");

    // A transaction takes its id (as a push on another process would) and stays open…
    let mut connection = db.postgres_client();
    let mut held = connection.transaction().unwrap();
    let held_id: i64 = held.query_one("SELECT pg_current_xact_id()::text::bigint", &[]).unwrap().get(0);
    // …while a later one commits through the server, and both pulls see that later change.
    let (_, body) = push(&server, "dana-token", "dana-1", json!([command(2, "k1", json!({ "type": "claim" }))]));
    assert_eq!(statuses(&body), ["applied"], "{body}");
    let (_, noted) = pull(&server, "morgan-token", "morgan-1", first["cookie"].as_str());
    let (_, noted_smith) = pull(&server, "client-token", "smith-1", first_smith["cookie"].as_str());
    assert_eq!(case_ids(&noted), ["k1"]);
    assert_eq!(case_ids(&noted_smith), ["k1"]);
    let later = db.value("SELECT MAX(change) FROM events WHERE mutation_id = 2", &[]).int();
    assert!(later > held_id, "the push's transaction ({later}) is the later one, after {held_id}");

    // Only now does the earlier transaction write its case, and commit.
    held.execute(
        "INSERT INTO cases (case_id, state, changed, last_at, seq)
         VALUES ('late', $1, pg_current_xact_id()::text::bigint, $2, nextval('cases_seq'))",
        &[&late.to_string(), &AT],
    )
    .unwrap();
    held.execute("INSERT INTO case_clients (client_id, case_id) VALUES ('smith', 'late')", &[]).unwrap();
    held.commit().unwrap();

    // The cookies of the pulls that ran while it was open must still lead to it. Were a cookie
    // the largest change committed when its pull ran (plus one, like SQLite's counter), it would
    // be past the push's transaction id `later`, itself above `held_id`: `changed >= cookie`
    // would pass over 'late' in this pull and every later one, and no client would ever see that
    // case. A snapshot's xmin is at most `held_id` while that transaction runs, so the cookies
    // of the pulls above are too, and the pulls below include 'late'.
    let (_, next) = pull(&server, "morgan-token", "morgan-1", noted["cookie"].as_str());
    assert!(case_ids(&next).contains(&"late"), "a member's pull missed a commit (transaction {held_id}): {next}");
    let (_, next_smith) = pull(&server, "client-token", "smith-1", noted_smith["cookie"].as_str());
    assert!(
        case_ids(&next_smith).contains(&"late"),
        "a client's pull missed a commit (transaction {held_id}): {next_smith}"
    );
}

/// A push whose client gives up while its transaction waits for a lock (another process holds
/// the client's row) still runs to its end once the lock is free, rather than stopping half-way
/// and leaving its transaction open, holding its locks, on a connection the pool hands out again:
/// the database is left with no transaction of the server's open, and the client's retry is
/// answered at once, as a duplicate.
#[test]
fn a_push_its_client_gave_up_on_leaves_no_transaction_open() {
    let Some((backend, _turn)) = cluster("abandoned_push") else { return };
    let db = TestDb::new(&backend, "abandoned");
    let server = Server::start(&db);
    let (_, body) = push(&server, "dana-token", "quitter", json!([start_case(1, "q1")]));
    assert_eq!(statuses(&body), ["applied"], "{body}");
    // Another process's transaction holds the client's row for two seconds.
    let mut holder = db.postgres_client();
    let mut held = holder.transaction().unwrap();
    held.execute("SELECT 1 FROM clients WHERE client_id = 'quitter' FOR UPDATE", &[]).unwrap();
    let mutation = json!([command(2, "q1", json!({ "type": "claim" }))]);
    let body = json!({ "schemaVersion": 2, "clientId": "quitter", "mutations": mutation }).to_string();
    let impatient: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(std::time::Duration::from_millis(500))).build().into();
    let gave_up = impatient
        .post(&server.url("/sync/push"))
        .header("Authorization", "Bearer dana-token")
        .header("Content-Type", "application/json")
        .send(&body);
    assert!(gave_up.is_err(), "the push waits for the lock, so its client times out first");
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    held.commit().unwrap();
    // The abandoned push finishes on its own; then nothing of the server's is left open.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let open_ones = |holder: &mut postgres::Client| -> i64 {
        holder
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                 AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0)
    };
    while open_ones(&mut holder) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(open_ones(&mut holder), 0, "a transaction of the server's is still open");
    let started = std::time::Instant::now();
    let (status, body) = push(&server, "dana-token", "quitter", mutation);
    assert_eq!((status, statuses(&body)), (200, vec!["duplicate".to_owned()]), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "the retry waited on a lock");
    let claimed = db.value("SELECT count(*) FROM events WHERE case_id = 'q1' AND mutation_id = 2", &[]);
    assert!(claimed.int() >= 1, "the abandoned push was applied once it could be");
}

/// A paged pull (SPEC §14) never misses a change committed late at a place its pages have
/// passed: a push that took its transaction id before a page's snapshot and commits after it is
/// numbered before that page's last case, so the next pages' `(changed, seq)` order would pass it
/// by, and every later cookie too. The next page brings back what changed behind its place.
#[test]
fn a_paged_pull_never_misses_a_change_committed_late_behind_its_place() {
    let Some((backend, _turn)) = cluster("paged_out_of_order") else { return };
    let db = TestDb::new(&backend, "paged-late");
    let server = Server::start(&db);
    push(&server, "dana-token", "dana-1", json!([start_case(1, "k1")]));

    // Another transaction holds k1's row, so that devon's claim of k1 takes its transaction id and
    // waits for the row…
    let mut connection = db.postgres_client();
    let mut holder = connection.transaction().unwrap();
    holder.execute("SELECT 1 FROM cases WHERE case_id = 'k1' FOR UPDATE", &[]).unwrap();
    let waiting = std::thread::scope(|scope| {
        let claim = scope
            .spawn(|| push(&server, "devon-token", "devon-1", json!([command(1, "k1", json!({ "type": "claim" }))])));
        let mut watcher = db.postgres_client();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let blocked: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .unwrap()
                .get(0);
            if blocked > 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the claim never waited for k1's row");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // …while two cases start after it and commit; a member's and a client's first pages pass
        // k1 and k2.
        let (_, body) = push(&server, "dana-token", "dana-1", json!([start_case(2, "k2"), start_case(3, "k3")]));
        assert_eq!(statuses(&body), ["applied", "applied"], "{body}");
        let first_pages: Vec<(&str, Value)> = [("morgan-token", "morgan-1"), ("client-token", "smith-1")]
            .into_iter()
            .map(|(token, client)| {
                let (status, page) = pull_with(&server, token, client, None, json!({ "limit": 2 }));
                assert_eq!((status, case_ids(&page), &page["more"]), (200, vec!["k1", "k2"], &json!(true)), "{page}");
                (token, page)
            })
            .collect();
        // Only now does the claim get k1's row, and commit.
        holder.commit().unwrap();
        let (status, body) = claim.join().unwrap();
        assert_eq!((status, statuses(&body)), (200, vec!["applied".to_owned()]), "{body}");
        first_pages
    });
    let changed = |case: &str| db.value("SELECT changed FROM cases WHERE case_id = $1", &[case.into()]).int();
    assert!(changed("k1") < changed("k2"), "the claim is numbered before k2, which the first pages passed");

    for ((token, first), client) in waiting.into_iter().zip(["morgan-1", "smith-1"]) {
        let mut pages = vec![first.clone()];
        pages.extend(walk(&server, token, client, first["cookie"].as_str(), 2, |_, _| {}));
        let view = held(&pages);
        assert_eq!(
            view["k1"]["owner"],
            json!({ "kind": "member", "id": "devon" }),
            "{token} missed the claim: {pages:?}"
        );
        assert_eq!(view, fresh_view(&server, token), "{token}");
    }
}
