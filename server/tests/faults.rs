//! Randomized fault injection, seeded and reproducible: several clients (the pure `Replica` that
//! the browser's CaseStore uses) work on shared cases through a network that drops, duplicates,
//! delays and reorders requests and responses, while the server is killed and restarted. Pulls
//! come in pages of one to four cases (SPEC §14), and the others act and push between the pages
//! of a pull. At the end: every mutation took effect exactly once, in each client's order; every
//! queue is empty; every client's view equals the server's state (its open cases, for a client
//! that does not keep closed ones); every rejection was reported once.
//!
//! On SQLite one process serves; on PostgreSQL two share the database, each request (a retry, a
//! late duplicate) goes to either at random, and at least one is killed with kill -9 and started
//! again during each seed's run.
//!
//! `FAULT_SEEDS=200 cargo test -p handoff-server --release --test faults` for a long run
//! (`FAULT_SEED=n` runs one seed); with `HANDOFF_TEST_POSTGRES=URL` (see `scripts/pg.sh`) the
//! seeds run on PostgreSQL too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use common::*;
use handoff_engine::case::{Actor, CaseState, Command, CommandType, Ctx, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::sync::{PullResponse, PushResponse, Replica, MAX_PULL_LIMIT};
use handoff_engine::Engine;
use serde_json::Value;

const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The faulty network between the clients and the server processes.
struct Net {
    db: TestDb,
    servers: Vec<Server>,
    faults: bool,
    /// Requests that will arrive late, after their sender gave up on them.
    delayed: Vec<(String, String, String)>,
    tally: Tally,
}

/// What the faults did, for the summary line.
#[derive(Default, Debug)]
struct Tally {
    exchanges: u32,
    lost_requests: u32,
    lost_responses: u32,
    duplicated: u32,
    delayed: u32,
    restarts: u32,
    kills: u32,
    /// Pull pages after which more followed, and pushes made between two pages of a pull.
    pages_with_more: u32,
    pushes_between_pages: u32,
    mutations: u64,
    rejections: u64,
    /// Closed cases at the end, which a client that does not keep closed cases has forgotten.
    closed: u64,
}

impl Net {
    /// The process a request goes to: any of them, as behind a load balancer.
    fn pick(&self, rng: &mut Rng) -> usize {
        if self.servers.len() == 1 {
            0
        } else {
            rng.below(self.servers.len())
        }
    }

    fn send(&self, to: usize, token: &str, path: &str, body: &str) -> Option<(u16, Value)> {
        let request = agent()
            .post(&self.servers[to].url(path))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json");
        let mut response = request.send(body).ok()?;
        let status = response.status().as_u16();
        let text = response.body_mut().with_config().limit(64 << 20).read_to_string().ok()?;
        Some((status, serde_json::from_str(&text).ok()?))
    }

    /// One exchange; `None` is what the client sees when a request or its response is lost.
    fn exchange(&mut self, rng: &mut Rng, token: &str, path: &str, body: String) -> Option<(u16, Value)> {
        self.tally.exchanges += 1;
        if self.faults && !self.delayed.is_empty() && rng.chance(25) {
            let (token, path, body) = self.delayed.swap_remove(rng.below(self.delayed.len()));
            let to = self.pick(rng);
            self.send(to, &token, &path, &body); // arrives late, out of order; nobody reads the reply
        }
        let to = self.pick(rng);
        if !self.faults {
            return self.send(to, token, path, &body);
        }
        match rng.below(100) {
            0..=7 => {
                self.tally.lost_requests += 1;
                None
            }
            8..=15 => {
                self.tally.delayed += 1;
                self.delayed.push((token.to_owned(), path.to_owned(), body));
                None
            }
            roll => {
                let response = self.send(to, token, path, &body);
                if roll < 24 {
                    self.tally.duplicated += 1;
                    let again = self.pick(rng);
                    self.send(again, token, path, &body); // duplicated on the way
                }
                if roll >= 92 {
                    self.tally.lost_responses += 1;
                    return None; // the response is lost
                }
                response
            }
        }
    }

    /// Stops a process, with kill -9 or SIGTERM, and starts it again on the same database.
    fn restart(&mut self, rng: &mut Rng) {
        let which = self.pick(rng);
        if rng.chance(50) {
            self.kill(which);
        } else {
            assert!(self.servers[which].terminate().success());
            self.servers[which] = Server::start(&self.db);
            self.tally.restarts += 1;
        }
    }

    /// kill -9, and a new process on the same database in its place.
    fn kill(&mut self, which: usize) {
        self.servers[which].kill();
        self.servers[which] = Server::start(&self.db);
        self.tally.restarts += 1;
        self.tally.kills += 1;
    }
}

struct Client {
    token: &'static str,
    actor: Actor,
    replica: Replica,
    /// Every rejection reported to this client, by id.
    reported: Vec<u64>,
}

impl Client {
    fn ctx(&self, step: usize) -> Ctx {
        Ctx {
            actor: self.actor.clone(),
            at: format!("2026-11-25T{:02}:{:02}:00Z", 9 + step / 60 % 10, step % 60).into(),
        }
    }

    /// Pushes what is pending; false when the exchange was lost, which ends the attempt.
    fn push(&mut self, net: &mut Net, rng: &mut Rng) -> bool {
        let Some(request) = self.replica.push_request() else { return true };
        match net.exchange(rng, self.token, "/sync/push", serde_json::to_string(&request).unwrap()) {
            Some((200, body)) => {
                let response: PushResponse = from_json(&body.to_string()).unwrap();
                let last_sent = request.mutations.last().map_or(0, |m| m.id);
                self.reported.extend(self.replica.apply_push(&response, last_sent).unwrap().iter().map(|r| r.id));
                true
            }
            Some((status, body)) => panic!("push failed with {status}: {body}"),
            None => false,
        }
    }

    /// Pulls one page of at most `limit` cases (SPEC §14), from the cookie the replica holds (a
    /// page's, when the last attempt stopped half-way): whether more follow, or `None` when the
    /// exchange was lost.
    fn pull_page(&mut self, net: &mut Net, rng: &mut Rng, limit: u64) -> Option<bool> {
        let mut request = self.replica.pull_request();
        request.limit = Some(limit);
        match net.exchange(rng, self.token, "/sync/pull", serde_json::to_string(&request).unwrap()) {
            Some((200, body)) => {
                let response: PullResponse = from_json(&body.to_string()).unwrap();
                let more = response.more;
                assert!(response.cases.len() <= MAX_PULL_LIMIT, "a page of {} cases", response.cases.len());
                if more {
                    assert!(response.rejections.is_empty(), "rejections on a page that is not the last: {body}");
                }
                self.reported.extend(self.replica.apply_pull(response).unwrap().iter().map(|r| r.id));
                Some(more)
            }
            Some((status, body)) => panic!("pull failed with {status}: {body}"),
            None => None,
        }
    }

    /// Does something a user of this client could do now, optimistically.
    fn act(&mut self, engine: &Engine, rng: &mut Rng, step: usize) {
        let ctx = self.ctx(step);
        let views: BTreeMap<String, CaseState> =
            self.replica.views(engine).into_iter().map(|state| (state.case_id.clone(), state)).collect();
        if views.is_empty() || (self.actor.client_id().is_none() && rng.chance(12)) {
            if let Actor::Member { id } = &self.actor {
                let case_id = format!("{id}-{step}");
                let input = StartCase {
                    case_id,
                    workflow_id: "chapter-7".into(),
                    facts: Default::default(),
                    case_roles: Default::default(),
                    // Half the cases are for the portal's client, who may act only on those.
                    clients: if rng.chance(50) { vec!["smith".into()] } else { Vec::new() },
                };
                let _ = self.replica.start_case(engine, input, &ctx);
            }
            return;
        }
        let cases: Vec<(&String, &CaseState)> = views.iter().collect();
        let (case_id, state) = cases[rng.below(cases.len())];
        let allowed = engine.allowed_commands(state, &self.actor).unwrap();
        let useful: Vec<_> = allowed
            .iter()
            .filter(|a| {
                !matches!(
                    a.kind,
                    CommandType::AssignStep
                        | CommandType::SetCaseRole
                        | CommandType::SetClients
                        | CommandType::MigrateCase
                        | CommandType::Tick
                        | CommandType::ExtendDeadline
                )
            })
            .collect();
        let Some(entry) = (!useful.is_empty()).then(|| useful[rng.below(useful.len())]) else { return };
        let step_id = entry.step_id.clone().unwrap_or_default();
        let command = match entry.kind {
            CommandType::CompleteHandoff => {
                let candidates = entry.candidates.clone().unwrap_or_default();
                let to = (!candidates.is_empty()).then(|| candidates[rng.below(candidates.len())].clone());
                Command::CompleteHandoff { step_id, to }
            }
            CommandType::RevertHandoff => Command::RevertHandoff { step_id, reason: None },
            CommandType::Claim => Command::Claim,
            CommandType::CompleteStep => Command::CompleteStep { step_id },
            CommandType::SkipStep => Command::SkipStep { step_id, reason: "not needed".into() },
            CommandType::TransferOwnership => Command::TransferOwnership {
                to: handoff_engine::model::Party::team("documents"),
                reason: "rebalancing".into(),
            },
            CommandType::RedirectHandoff => Command::RedirectHandoff {
                step_id,
                to: handoff_engine::model::Party::team("documents"),
                reason: "the pool takes it".into(),
            },
            CommandType::AssignStep
            | CommandType::SetCaseRole
            | CommandType::SetClients
            | CommandType::MigrateCase
            | CommandType::Tick
            | CommandType::ExtendDeadline => return,
        };
        let _ = self.replica.dispatch(engine, case_id, command, &ctx);
    }
}

/// Client `who` pushes, then pulls page after page of a small random size while more follow,
/// as CaseStore.sync() does; a lost exchange simply ends the attempt (the replica keeps the
/// cookie of the last page it took, and the next attempt goes on from there). With `busy`, the
/// others act and push between its pages, and so, now and then, does `who` itself.
fn sync(clients: &mut [Client], who: usize, net: &mut Net, rng: &mut Rng, engine: &Engine, step: usize, busy: bool) {
    if !clients[who].push(net, rng) {
        return;
    }
    let limit = 1 + rng.below(4) as u64;
    for _ in 0..1_000 {
        match clients[who].pull_page(net, rng, limit) {
            Some(true) => net.tally.pages_with_more += 1,
            Some(false) | None => return,
        }
        if busy && rng.chance(40) {
            let other = if rng.chance(20) { who } else { rng.below(clients.len()) };
            clients[other].act(engine, rng, step);
            net.tally.pushes_between_pages += u32::from(clients[other].replica.pending_count() > 0);
            if !clients[other].push(net, rng) && other == who {
                return;
            }
        }
    }
    panic!("client {} pulled 1,000 pages without an end", clients[who].replica.client_id);
}

fn run(backend: &Backend, seed: u64) -> Tally {
    let engine = Engine::from_json(EXAMPLE_FIRM).unwrap();
    let mut rng = Rng::new(seed);
    let db = TestDb::new(backend, &format!("faults-{seed}"));
    // SQLite's file lock lets one process in; PostgreSQL is there for several.
    let processes = if db.is_postgres() { 2 } else { 1 };
    let servers = (0..processes).map(|_| Server::start(&db)).collect();
    let mut net = Net { db, servers, faults: true, delayed: Vec::new(), tally: Tally::default() };
    // The random restarts may miss a seed; this kill -9 does not.
    let kill_at = (processes > 1).then(|| 20 + rng.below(130));
    let members = [
        ("dana-token", "dana"),
        ("devon-token", "devon"),
        ("paula-token", "paula"),
        ("avery-token", "avery"),
        ("morgan-token", "morgan"),
    ];
    let mut clients: Vec<Client> = members
        .iter()
        .map(|(token, id)| Client {
            token,
            actor: Actor::Member { id: (*id).into() },
            replica: Replica::new(format!("{id}-{seed}")),
            reported: Vec::new(),
        })
        .collect();
    clients.push(Client {
        token: "client-token",
        actor: Actor::Client { id: Some("smith".into()) },
        replica: Replica::new(format!("client-{seed}")),
        reported: Vec::new(),
    });
    // Some keep closed cases (SPEC §14 `keepClosed`), the others forget them.
    for (index, client) in clients.iter_mut().enumerate() {
        client.replica.keep_closed = index % 2 == 1;
    }

    for step in 0..160 {
        let who = rng.below(clients.len());
        if rng.chance(40) {
            sync(&mut clients, who, &mut net, &mut rng, &engine, step, true);
        } else {
            clients[who].act(&engine, &mut rng, step);
        }
        if rng.chance(1) {
            net.restart(&mut rng);
        }
        if kill_at == Some(step) {
            let which = net.pick(&mut rng);
            net.kill(which);
        }
    }
    // Heal the network: deliver what is still in flight, then sync until every queue is empty.
    net.faults = false;
    for (token, path, body) in std::mem::take(&mut net.delayed) {
        let to = net.pick(&mut rng);
        net.send(to, &token, &path, &body);
    }
    // A round that begins with every queue empty pushes nothing, so its pulls see the end.
    for _ in 0..10 {
        let quiet = clients.iter().all(|client| client.replica.pending.is_empty());
        for who in 0..clients.len() {
            sync(&mut clients, who, &mut net, &mut rng, &engine, 0, false);
        }
        if quiet {
            break;
        }
    }

    // Every queue is empty, and every client's view is the server's state.
    let (_, everything) = pull(&net.servers[0], "morgan-token", &format!("observer-{seed}"), None);
    assert_eq!(everything["more"], false, "seed {seed}: more than one page of cases");
    let server_cases: BTreeMap<String, CaseState> = everything["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["caseId"].as_str().unwrap().to_owned(), from_json(&c.to_string()).unwrap()))
        .collect();
    assert!(!server_cases.is_empty(), "seed {seed}: no case was ever started");
    net.tally.closed = server_cases.values().filter(|state| state.closed).count() as u64;
    for client in &clients {
        let replica = &client.replica;
        assert!(
            replica.pending.is_empty(),
            "seed {seed}: {} still has {} pending",
            replica.client_id,
            replica.pending.len()
        );
        let views: BTreeMap<String, CaseState> =
            replica.views(&engine).into_iter().map(|state| (state.case_id.clone(), state)).collect();
        // The portal's client sees exactly the cases it is a client of; a client that does not
        // keep closed cases, only the open ones.
        let visible: BTreeMap<String, CaseState> = server_cases
            .iter()
            .filter(|(_, state)| !state.shuts_out(&client.actor))
            .filter(|(_, state)| replica.keep_closed || !state.closed)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(views, visible, "seed {seed}: {} diverged", replica.client_id);
    }

    // Exactly once, in order, from the server's own records.
    for client in &clients {
        let id = &client.replica.client_id;
        // (change, mutation id): the change orders a client's mutations as they were handled.
        let mut handled: Vec<(u64, u64)> = net
            .db
            .rows(
                "SELECT mutation_id, change FROM events WHERE client_id = $1 GROUP BY mutation_id, change",
                &[id.into()],
            )
            .iter()
            .map(|row| (row[1].uint(), row[0].uint()))
            .collect();
        // Rejections are pruned once a pull has reported them, so the client's own reports stand
        // for them: with the applied mutations they cover every id exactly once.
        let unpruned: BTreeSet<u64> = net
            .db
            .rows("SELECT mutation_id FROM rejections WHERE client_id = $1", &[id.into()])
            .iter()
            .map(|row| row[0].uint())
            .collect();
        let reported: BTreeSet<u64> = client.reported.iter().copied().collect();
        assert_eq!(reported.len(), client.reported.len(), "seed {seed}: {id} had a rejection reported twice");
        assert!(unpruned.is_subset(&reported), "seed {seed}: {id} was not told of a rejection: {unpruned:?}");
        handled.sort();
        let applied: Vec<u64> = handled.iter().map(|&(_, mutation)| mutation).collect();
        assert!(applied.windows(2).all(|w| w[0] < w[1]), "seed {seed}: {id} mutations applied out of order or twice");
        let mut every: Vec<u64> = applied.iter().copied().chain(reported.iter().copied()).collect();
        every.sort();
        let expected: Vec<u64> = (1..=client.replica.last_assigned).collect();
        assert_eq!(every, expected, "seed {seed}: {id} mutations were not each handled once");
        let rejected_ids = reported;
        net.tally.mutations += client.replica.last_assigned;
        net.tally.rejections += rejected_ids.len() as u64;
    }
    net.tally
}

fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("FAULT_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let count: u64 = std::env::var("FAULT_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    (1..=count).collect()
}

#[test]
fn every_mutation_takes_effect_exactly_once_through_faults_and_restarts() {
    on_each_backend(|backend| {
        let started = Instant::now();
        let seeds = seeds();
        let mut total = Tally::default();
        for &seed in &seeds {
            let tally = run(backend, seed);
            total.exchanges += tally.exchanges;
            total.lost_requests += tally.lost_requests;
            total.lost_responses += tally.lost_responses;
            total.duplicated += tally.duplicated;
            total.delayed += tally.delayed;
            total.restarts += tally.restarts;
            total.kills += tally.kills;
            total.pages_with_more += tally.pages_with_more;
            total.pushes_between_pages += tally.pushes_between_pages;
            total.closed += tally.closed;
            total.mutations += tally.mutations;
            total.rejections += tally.rejections;
        }
        println!("{backend}: {} seeds in {:.1} s: {total:?}", seeds.len(), started.elapsed().as_secs_f64());
        assert!(total.pages_with_more > 0 && total.pushes_between_pages > 0, "no pull spanned pages: {total:?}");
    });
}
