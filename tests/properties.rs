//! Properties over random workflows, random command sequences by random actors, and random
//! or mutated input: nothing panics; replay reproduces the state; a state through JSON decides
//! the same; `allowedCommands` and `check` agree both ways; `check` agrees with `execute`. And
//! through change (SPEC §10): a migration to a random next version is refused with its problems
//! or fits that version; a reassignment plan passes and leaves nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::{Actor, AllowedCommand, CaseState, Command, CommandType, Ctx, Event, StartCase, StepStatus};
use handoff_engine::input::from_json;
use handoff_engine::model::{EngineConfig, WorkflowDefinition};
use handoff_engine::{Engine, ErrorCode};
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

const MEMBERS: [&str; 8] = ["dana", "devon", "paula", "pete", "avery", "morgan", "ivan", "ghost"];

/// Mostly parties that exist and are active, sometimes ones that do not.
fn party() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(&MEMBERS[..6]).prop_map(|id| json!({ "kind": "member", "id": id })),
        1 => prop::sample::select(&MEMBERS[6..]).prop_map(|id| json!({ "kind": "member", "id": id })),
        6 => prop::sample::select(&["paralegal", "attorney"][..]).prop_map(|id| json!({ "kind": "role", "id": id })),
        4 => Just(json!({ "kind": "team", "id": "documents" })),
        1 => prop::sample::select(&["role", "team"][..]).prop_map(|kind| json!({ "kind": kind, "id": "ghost" })),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        (0..3i64).prop_map(|n| json!({ "fact": "chapter", "equals": n })),
        any::<bool>().prop_map(|b| json!({ "fact": "business", "equals": b })),
        prop::collection::vec(0..3i64, 0..3).prop_map(|ns| json!({ "fact": "chapter", "in": ns })),
        Just(json!({ "fact": "missing", "equals": "x" })),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|c| json!({ "all": c })),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|c| json!({ "any": c })),
            inner.prop_map(|c| json!({ "not": c })),
        ]
    })
}

/// Steps whose `after` mostly points backwards (a runnable workflow), sometimes anywhere.
fn workflow() -> impl Strategy<Value = Value> {
    (1usize..9).prop_flat_map(|count| {
        let step = (
            any::<bool>(),
            prop::option::weighted(0.15, party()),
            prop::option::weighted(0.3, (party(), prop::bool::weighted(0.8))),
            prop::option::weighted(0.2, prop::collection::vec(0..count + 1, 0..3)),
            prop::option::weighted(0.25, condition()),
            prop::bool::weighted(0.05),
            // A deadline in minutes (the moves below are a minute apart), now and then one
            // that does not read; an escalation after minutes, to anyone.
            prop::option::weighted(0.3, prop::sample::select(&["PT1M", "PT5M", "PT20M", "P1D", "PT0M", "P1W"][..])),
            prop::option::weighted(0.3, (prop::sample::select(&["PT2M", "PT10M", "PT90M"][..]), party())),
        );
        prop::collection::vec(step, count).prop_map(move |steps| {
            let steps: Vec<Value> = steps
                .into_iter()
                .enumerate()
                .map(|(i, (client, assignee, handoff, after, when, wild, due, escalate))| {
                    let mut step = json!({ "id": format!("s{i}"), "name": format!("Step {i}") });
                    if client && i % 3 == 2 {
                        step["clientFacing"] = json!(true);
                    }
                    if let Some(assignee) = assignee {
                        step["assignee"] = assignee;
                    }
                    if let Some((to, required)) = handoff {
                        step["handoff"] = json!({ "to": to, "required": required });
                        if let Some((after, to)) = escalate {
                            step["handoff"]["escalate"] = json!({ "after": after, "to": to });
                        }
                    }
                    if let Some(due) = due {
                        step["due"] = json!(due);
                    }
                    if let Some(after) = after {
                        let ids: Vec<String> =
                            after.into_iter().filter(|&a| wild || a < i).map(|a| format!("s{a}")).collect();
                        step["after"] = json!(ids);
                    }
                    if let Some(when) = when {
                        step["when"] = when;
                    }
                    step
                })
                .collect();
            json!({ "id": "w", "name": "Random", "version": 1, "steps": steps })
        })
    })
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        8 => prop::sample::select(&MEMBERS[..]).prop_map(|id| Actor::Member { id: id.into() }),
        1 => Just(Actor::Client { id: None }),
        1 => prop::sample::select(&CLIENTS[..]).prop_map(|id| Actor::Client { id: Some(id.into()) }),
        1 => Just(Actor::System),
    ]
}

/// Client ids: a case is for none, one or both of them.
const CLIENTS: [&str; 2] = ["c1", "c2"];

fn clients() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![json!([]), json!(["c1"]), json!(["c1", "c2"])])
}

fn any_command() -> impl Strategy<Value = Value> {
    let step = prop::sample::select(&["s0", "s1", "s2", "s3", "s4", "s5", "nope"][..]);
    let member = prop::sample::select(&MEMBERS[..]);
    prop_oneof![
        (step.clone(), prop::option::of(member.clone()))
            .prop_map(|(s, to)| json!({ "type": "completeHandoff", "stepId": s, "to": to })),
        step.clone().prop_map(|s| json!({ "type": "revertHandoff", "stepId": s })),
        Just(json!({ "type": "claim" })),
        step.clone().prop_map(|s| json!({ "type": "completeStep", "stepId": s })),
        step.clone().prop_map(|s| json!({ "type": "skipStep", "stepId": s, "reason": "r" })),
        (step.clone(), prop::option::of(party()))
            .prop_map(|(s, to)| json!({ "type": "assignStep", "stepId": s, "to": to })),
        party().prop_map(|to| json!({ "type": "transferOwnership", "to": to, "reason": "r" })),
        (prop::sample::select(&["paralegal", "attorney"][..]), member)
            .prop_map(|(r, m)| json!({ "type": "setCaseRole", "roleId": r, "memberId": m })),
        clients().prop_map(|c| json!({ "type": "setClients", "clients": c, "reason": "r" })),
        (step.clone(), party())
            .prop_map(|(s, to)| json!({ "type": "redirectHandoff", "stepId": s, "to": to, "reason": "r" })),
        (0..3u32).prop_map(|v| json!({ "type": "migrateCase", "toVersion": v, "reason": "r" })),
        Just(json!({ "type": "tick" })),
        (
            step.clone(),
            prop::sample::select(&["2026-11-26T09:00:00Z", "2026-11-26T10:30:00+01:00", "2026-11-27T00:00:00Z"][..])
        )
            .prop_map(|(s, at)| json!({ "type": "extendDeadline", "stepId": s, "dueAt": at, "reason": "r" })),
    ]
}

#[derive(Clone, Debug)]
enum Move {
    /// Pick one of the actors who may do something, and the n-th thing they may do.
    Allowed(usize, usize),
    Any(Actor, Value),
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    let one = prop_oneof![
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Move::Allowed(a, n)),
        1 => (actor(), any_command()).prop_map(|(a, c)| Move::Any(a, c)),
    ];
    prop::collection::vec(one, 0..60)
}

fn facts() -> impl Strategy<Value = Value> {
    // A fractional fact too, which no condition reads: for how numbers are written (sixty-fourths,
    // which serde_json's own reader, used by a check below, reads back exactly).
    (0..3i64, any::<bool>(), -(1i64 << 20)..(1 << 20)).prop_map(
        |(chapter, business, n)| json!({ "chapter": chapter, "business": business, "ratio": n as f64 / 64.0 }),
    )
}

/// What the module writes (`output::to_json`, the WebAssembly's writer) is what serde_json
/// writes for the server, text for text.
fn written_alike<T: serde::Serialize + handoff_engine::output::ToJson + ?Sized>(
    value: &T,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(handoff_engine::output::to_json(value), serde_json::to_string(value).unwrap());
    Ok(())
}

fn written_alike_either<T: serde::Serialize + handoff_engine::output::ToJson>(
    value: &Result<T, handoff_engine::HandoffError>,
) -> Result<(), TestCaseError> {
    match value {
        Ok(value) => written_alike(value),
        Err(error) => written_alike(error),
    }
}

/// The command an allowed entry stands for, with what a person supplies filled in validly.
fn fill(engine: &Engine, state: &CaseState, entry: &AllowedCommand, actor: &Actor) -> Command {
    let step_id = entry.step_id.clone().unwrap_or_default();
    match entry.kind {
        CommandType::CompleteHandoff => {
            let plain = Command::CompleteHandoff { step_id: step_id.clone(), to: None };
            let ctx = Ctx { actor: actor.clone(), at: "2026-11-25T09:00:00Z".into() };
            if engine.check(state, &plain, &ctx).is_ok() {
                plain
            } else {
                let to = entry.candidates.as_ref().and_then(|c| c.first().cloned());
                Command::CompleteHandoff { step_id, to }
            }
        }
        CommandType::RevertHandoff => Command::RevertHandoff { step_id, reason: None },
        CommandType::Claim => Command::Claim,
        CommandType::CompleteStep => Command::CompleteStep { step_id },
        CommandType::SkipStep => Command::SkipStep { step_id, reason: "because".into() },
        CommandType::AssignStep => Command::AssignStep { step_id, to: None },
        CommandType::TransferOwnership => Command::TransferOwnership {
            to: handoff_engine::model::Party::member(actor.member_id().unwrap()),
            reason: "because".into(),
        },
        CommandType::SetClients => Command::SetClients { clients: vec!["c2".into()], reason: "because".into() },
        CommandType::RedirectHandoff => Command::RedirectHandoff {
            step_id,
            to: handoff_engine::model::Party::member(actor.member_id().unwrap()),
            reason: "because".into(),
        },
        CommandType::Tick => Command::Tick,
        CommandType::ExtendDeadline => {
            let due_at = state.steps.get(&step_id).and_then(|s| s.due_at.as_deref()).unwrap();
            let later = handoff_engine::time::later_by(due_at, "PT1H").unwrap();
            Command::ExtendDeadline { step_id, due_at: later, reason: "because".into() }
        }
        CommandType::MigrateCase => {
            let to_version = engine.latest_workflow(&state.workflow_id).unwrap().def.version;
            Command::MigrateCase {
                to_version: to_version.into(),
                mapping: Default::default(),
                reason: "because".into(),
            }
        }
        CommandType::SetCaseRole => {
            let roster = engine.roster();
            let (role, member) = roster
                .directory()
                .roles
                .iter()
                .flat_map(|r| {
                    roster
                        .active_members_of(&handoff_engine::model::Party::role(&r.id))
                        .into_iter()
                        .map(move |m| (r.id.clone(), m.id.clone()))
                })
                .find(|(role, member)| {
                    let cmd = Command::SetCaseRole { role_id: role.clone(), member_id: member.clone() };
                    engine.check(state, &cmd, &Ctx { actor: actor.clone(), at: "2026-11-25T09:00:00Z".into() }).is_ok()
                })
                .unwrap();
            Command::SetCaseRole { role_id: role, member_id: member }
        }
    }
}

fn everyone() -> impl Iterator<Item = Actor> {
    MEMBERS
        .iter()
        .map(|m| Actor::Member { id: (*m).into() })
        .chain([Actor::Client { id: None }, Actor::System])
        .chain(CLIENTS.iter().map(|c| Actor::Client { id: Some((*c).into()) }))
}

fn listed(allowed: &[AllowedCommand], command: &Command) -> bool {
    let kind = to_json(command)["type"].as_str().unwrap().to_owned();
    allowed.iter().any(|a| to_json(&a.kind) == json!(kind) && a.step_id.as_deref() == command.step_id())
}

proptest! {
    // PROPTEST_CASES=N runs longer; 300 keeps `npm test` quick.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_workflows_validate_without_panicking(def in workflow()) {
        let engine = firm();
        let text = def.to_string();
        let def: WorkflowDefinition = from_json(&text).unwrap();
        let validation = engine.validate_workflow(&def);
        written_alike(&validation)?;
        written_alike(&def)?;
        prop_assert_eq!(validation.ok, validation.diagnostics.iter().all(|d| d.severity != handoff_engine::Severity::Error));
        prop_assert!(validation.timeline.len() <= def.steps.len());
        for entry in &validation.timeline {
            prop_assert_eq!(entry.owner.is_some(), entry.possible_owners.len() == 1);
        }
    }

    #[test]
    fn random_cases_hold_every_invariant(def in workflow(), facts in facts(), clients in clients(), moves in moves()) {
        let engine = firm_with(def);
        let input = json!({ "caseId": "c", "workflowId": "w", "facts": facts, "clients": clients });
        let input: StartCase = from_json(&input.to_string()).unwrap();
        let Ok(started) = engine.start_case(&input, &ctx("dana")) else {
            prop_assert!(!engine.latest_workflow("w").unwrap().validation.ok);
            return Ok(());
        };
        written_alike(&started)?;
        let mut state = started.state;
        // The same case kept in place, as CaseHandle keeps it: it must decide exactly alike.
        let mut kept = engine.keep(state.clone()).unwrap();
        let mut log: Vec<Event> = started.events;
        for (i, step) in moves.into_iter().enumerate() {
            let (actor, command) = match step {
                Move::Allowed(a, n) => {
                    let able: Vec<(Actor, Vec<AllowedCommand>)> = everyone()
                        .map(|who| (who.clone(), engine.allowed_commands(&state, &who).unwrap()))
                        .filter(|(_, allowed)| !allowed.is_empty())
                        .collect();
                    if able.is_empty() { continue; }
                    let (actor, allowed) = &able[a % able.len()];
                    let entry = &allowed[n % allowed.len()];
                    (actor.clone(), fill(&engine, &state, entry, actor))
                }
                Move::Any(actor, value) => match Command::from_json(&value.to_string()) {
                    Ok(command) => (actor, command),
                    Err(_) => continue,
                },
            };
            let ctx = Ctx { actor: actor.clone(), at: format!("2026-11-25T09:{:02}:00Z", i % 60).into() };
            let checked = engine.check(&state, &command, &ctx);
            let allowed = engine.allowed_commands(&state, &actor).unwrap();
            // A client the case is not for may do nothing on it, whatever the command.
            if state.shuts_out(&actor) {
                prop_assert_eq!(checked.as_ref().map_err(|e| e.code), Err(handoff_engine::ErrorCode::NotPermitted));
                prop_assert!(allowed.is_empty());
            }
            if checked.is_ok() {
                prop_assert!(listed(&allowed, &command), "check accepts {:?} but allowedCommands lacks it", command);
            }
            // Through JSON and back, the state decides exactly the same.
            let copy: CaseState = from_json(&serde_json::to_string(&state).unwrap()).unwrap();
            let result = engine.execute(&state, &command, &ctx);
            written_alike(&command)?;
            written_alike(&allowed)?;
            written_alike_either(&result)?;
            prop_assert_eq!(&engine.execute(&copy, &command, &ctx), &result);
            prop_assert_eq!(engine.check_kept(&kept, &command, &ctx), checked.clone());
            prop_assert_eq!(engine.allowed_kept(&kept, &actor).unwrap(), allowed.clone());
            let in_place = engine.execute_kept(&mut kept, &command, &ctx);
            prop_assert_eq!(in_place.as_ref().ok(), result.as_ref().ok().map(|outcome| &outcome.events));
            prop_assert_eq!(in_place.err(), result.as_ref().err().cloned());
            match (checked, result) {
                (Ok(()), Ok(outcome)) => {
                    match outcome.events.first() {
                        Some(first) => prop_assert_eq!(first.seq, state.version + 1),
                        // Only a tick with nothing due records nothing, and changes nothing.
                        None => {
                            prop_assert_eq!(&command, &Command::Tick);
                            prop_assert_eq!(&outcome.state, &state);
                        }
                    }
                    log.extend(outcome.events);
                    state = outcome.state;
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (checked, result) => prop_assert!(false, "check {:?} but execute {:?}", checked, result.map(|o| o.events)),
            }
            // Applied in place when accepted; untouched when rejected; still fitting, as the
            // kept case's commands assume without checking.
            prop_assert_eq!(kept.state(), &state);
            prop_assert!(engine.fits(kept.state()).is_ok());
        }
        // Every allowed entry, filled in, passes check, for every actor.
        for who in everyone() {
            let ctx = Ctx { actor: who.clone(), at: "2026-11-25T10:00:00Z".into() };
            for entry in engine.allowed_commands(&state, &who).unwrap() {
                let command = fill(&engine, &state, &entry, &who);
                prop_assert!(engine.check(&state, &command, &ctx).is_ok(), "{:?} for {:?}", entry, who);
            }
        }
        written_alike(&log)?;
        written_alike(&engine.find_stuck_work(std::slice::from_ref(&state)))?;
        prop_assert_eq!(engine.replay(&log).unwrap(), state.clone());
        prop_assert_eq!(state.version, log.len() as u64);
        let events_json: Vec<Event> = serde_json::from_str(&serde_json::to_string(&log).unwrap()).unwrap();
        prop_assert_eq!(events_json, log);
    }

    #[test]
    fn mutated_configs_never_panic(path in prop::collection::vec(any::<prop::sample::Index>(), 1..6), junk in junk()) {
        let mut config: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
        mutate(&mut config, &path, junk);
        if let Ok(config) = from_json::<EngineConfig>(&config.to_string()) {
            let engine = Engine::new(config);
            let _ = engine.validate_config();
            let input = StartCase { case_id: "c".into(), workflow_id: "chapter-7".into(), facts: Default::default(), case_roles: Default::default(), clients: Vec::new() };
            if let Ok(started) = engine.start_case(&input, &ctx("dana")) {
                for who in MEMBERS {
                    let _ = engine.allowed_commands(&started.state, &Actor::Member { id: who.into() });
                }
            }
        }
    }

    #[test]
    fn mutated_states_and_commands_are_rejected_or_decided_never_panic(
        path in prop::collection::vec(any::<prop::sample::Index>(), 1..5),
        junk in junk(),
        command in any_command(),
        who in actor(),
    ) {
        let engine = firm();
        let state = start(&engine, "chapter-7");
        let mut value = to_json(&state);
        mutate(&mut value, &path, junk.clone());
        if let Ok(state) = from_json::<CaseState>(&value.to_string()) {
            if let Ok(command) = Command::from_json(&command.to_string()) {
                let ctx = Ctx { actor: who.clone(), at: "2026-11-25T09:00:00Z".into() };
                let _ = engine.execute(&state, &command, &ctx);
                let _ = engine.allowed_commands(&state, &who);
            }
        }
        let mut command = command;
        mutate(&mut command, &path, junk);
        let _ = Command::from_json(&command.to_string());
        let _ = from_json::<Ctx>(&command.to_string());
        let _ = from_json::<StartCase>(&command.to_string());
    }
}

proptest! {
    /// Arbitrary text, and JSON-ish text, into every reader: an error or a value, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![any::<String>(), "[\\[\\]{}\":,0-9a-z\\\\ ]{0,64}"]) {
        let _ = from_json::<EngineConfig>(&text);
        let _ = from_json::<WorkflowDefinition>(&text);
        let _ = from_json::<CaseState>(&text);
        let _ = from_json::<Ctx>(&text);
        let _ = from_json::<StartCase>(&text);
        let _ = Command::from_json(&text);
    }
}

fn junk() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(json!("")),
        Just(json!({ "kind": "member", "id": "ivan" })),
    ];
    leaf.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value reached by following `path` (indexes into arrays and objects) with `junk`.
fn mutate(value: &mut Value, path: &[prop::sample::Index], junk: Value) {
    let Some((index, rest)) = path.split_first() else {
        *value = junk;
        return;
    };
    match value {
        Value::Array(items) if !items.is_empty() => {
            let i = index.index(items.len());
            mutate(&mut items[i], rest, junk);
        }
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(index.index(map.len())).unwrap().clone();
            mutate(map.get_mut(&key).unwrap(), rest, junk);
        }
        _ => *value = junk,
    }
}

/// One pull page as a server (honest or not) might answer: some of the cases `pool` holds, each
/// perhaps closed, a `lastMutationId`, `more`, a cookie that may be no id, rejections of any id.
fn page(pool: usize) -> impl Strategy<Value = (Vec<(usize, bool)>, u64, bool, String, Vec<u64>)> {
    (
        prop::collection::vec((0..pool, any::<bool>()), 0..6),
        0..12_u64,
        any::<bool>(),
        prop_oneof![Just("7".to_owned()), Just("1.2.3.4".to_owned()), Just(String::new()), "[0-9.\\n]{1,8}"],
        prop::collection::vec(0..12_u64, 0..3),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Random pages, honest or not, into a replica with pending mutations, kept closed cases or
    /// not: never a panic; a page it refuses changes nothing; a page with more to come confirms
    /// nothing; a last page confirms exactly through its `lastMutationId`; a closed case no pending
    /// mutation names is never kept without `keepClosed`; and the saved queue reads back.
    #[test]
    fn random_pages_never_panic_and_confirm_only_with_a_last_page(
        keep_closed in any::<bool>(),
        pending in 0..8_usize,
        pages in prop::collection::vec(page(6), 1..8),
    ) {
        use handoff_engine::sync::{PullResponse, Rejection, Replica};
        let engine = Engine::from_json(include_str!("../config/example-firm.json")).unwrap();
        let dana = Actor::Member { id: "dana".into() };
        let ctx = Ctx { actor: dana, at: "2026-11-25T09:00:00Z".into() };
        let input = |n: usize| StartCase {
            case_id: format!("k{n}"),
            workflow_id: "chapter-7".into(),
            facts: Default::default(),
            case_roles: Default::default(),
            clients: Vec::new(),
        };
        let pool: Vec<CaseState> = (0..6).map(|n| engine.start_case(&input(n), &ctx).unwrap().state).collect();
        let mut replica = Replica::new("dana-1");
        replica.keep_closed = keep_closed;
        for n in 0..pending {
            replica.start_case(&engine, input(n % 6 + 10 * (n / 6)), &ctx).unwrap();
        }
        for (cases, last, more, cookie, rejected) in pages {
            let response = PullResponse {
                cookie,
                last_mutation_id: last,
                config_version: 1,
                cases: cases.iter().map(|&(n, closed)| CaseState { closed, ..pool[n].clone() }).collect(),
                rejections: rejected.iter().map(|&id| Rejection { id, code: "not-permitted".into(), message: "No.".into() }).collect(),
                more,
            };
            let before = replica.clone();
            match replica.apply_pull(response.clone()) {
                Err(error) => {
                    prop_assert_eq!(error.code, handoff_engine::ErrorCode::ProtocolError);
                    prop_assert_eq!(&replica, &before, "a refused page changes nothing");
                }
                Ok(reported) => {
                    prop_assert!(reported.iter().all(|r| rejected.contains(&r.id)));
                    if more {
                        prop_assert_eq!(&replica.pending, &before.pending, "a page with more to come confirms nothing");
                        prop_assert!(reported.is_empty());
                    } else {
                        let through = before.last_mutation_id.max(last);
                        let kept: Vec<u64> = before.pending.iter().map(|p| p.mutation.id).filter(|&id| id > through).collect();
                        prop_assert_eq!(replica.pending.iter().map(|p| p.mutation.id).collect::<Vec<_>>(), kept);
                    }
                    prop_assert_eq!(replica.cookie.as_deref(), Some(response.cookie.as_str()));
                }
            }
            if !keep_closed {
                for state in replica.confirmed.values().filter(|s| s.closed) {
                    prop_assert!(replica.pending.iter().any(|p| p.mutation.case_id == state.case_id), "{} kept", state.case_id);
                }
            }
            written_alike(&replica.views(&engine))?;
            written_alike(&replica.push_request())?;
            written_alike(&replica.pull_request())?;
            let restored = Replica::restore(&replica.save()).unwrap();
            prop_assert_eq!((&restored.pending, restored.last_assigned), (&replica.pending, replica.last_assigned));
        }
    }
}

/// Fewer moves than `moves()`: a case here is run several times, under several configurations.
fn few_moves() -> impl Strategy<Value = Vec<Move>> {
    let one = prop_oneof![
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Move::Allowed(a, n)),
        1 => (actor(), any_command()).prop_map(|(a, c)| Move::Any(a, c)),
    ];
    prop::collection::vec(one, 0..10)
}

/// The command one of the actors able to act would send: the `a`-th of them (modulo), its
/// `n`-th allowed entry, filled in; `None` when nobody may act.
fn pick_allowed(engine: &Engine, state: &CaseState, a: usize, n: usize) -> Option<(Actor, Command)> {
    let able: Vec<(Actor, Vec<AllowedCommand>)> = everyone()
        .map(|who| (who.clone(), engine.allowed_commands(state, &who).unwrap()))
        .filter(|(_, allowed)| !allowed.is_empty())
        .collect();
    if able.is_empty() {
        return None;
    }
    let (actor, allowed) = &able[a % able.len()];
    Some((actor.clone(), fill(engine, state, &allowed[n % allowed.len()], actor)))
}

/// `moves` played on `state` under `engine`: an allowed command of one of the actors able to
/// act, or any command; what is accepted is applied.
fn advance(engine: &Engine, mut state: CaseState, moves: &[Move]) -> CaseState {
    for (i, step) in moves.iter().enumerate() {
        let (actor, command) = match step {
            Move::Allowed(a, n) => match pick_allowed(engine, &state, *a, *n) {
                Some(picked) => picked,
                None => continue,
            },
            Move::Any(actor, value) => match Command::from_json(&value.to_string()) {
                Ok(command) => (actor.clone(), command),
                Err(_) => continue,
            },
        };
        let ctx = Ctx { actor, at: format!("2026-11-26T10:{:02}:00Z", i % 60).into() };
        if let Ok(outcome) = engine.execute(&state, &command, &ctx) {
            state = outcome.state;
        }
    }
    state
}

/// One edit of a configuration change (SPEC §9), of the kinds an admin makes while cases run.
#[derive(Clone, Debug)]
enum Edit {
    /// A new version of workflow "w" (numbered above the latest when the change is made).
    Publish(Value),
    /// The latest version of "w" published again as a new version.
    Republish,
    /// A member leaves: deactivated, never removed.
    Deactivate(prop::sample::Index),
    /// A member's roles and teams replaced.
    Memberships(prop::sample::Index, Vec<&'static str>, Vec<&'static str>),
    /// Who owns new cases of "w": a party, or (None) the firm-wide default.
    Owner(Option<Value>),
    /// A member, role or team removed (and the role or team from every member's lists): only
    /// accepted when nothing in use names it, which the property holds the rules to.
    Remove(&'static str, prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => workflow().prop_map(Edit::Publish),
        1 => Just(Edit::Republish),
        2 => any::<prop::sample::Index>().prop_map(Edit::Deactivate),
        2 => (
            any::<prop::sample::Index>(),
            prop::sample::subsequence(vec!["paralegal", "attorney"], 0..=2),
            prop::sample::subsequence(vec!["documents"], 0..=1),
        )
            .prop_map(|(member, roles, teams)| Edit::Memberships(member, roles, teams)),
        1 => prop::option::of(party()).prop_map(Edit::Owner),
        1 => (prop::sample::select(vec!["members", "roles", "teams"]), any::<prop::sample::Index>())
            .prop_map(|(list, at)| Edit::Remove(list, at)),
    ]
}

/// The change `edits` make to `engine`'s configuration, as the JSON an editor would send.
fn change_of(engine: &Engine, edits: &[Edit], base: u64) -> Value {
    let config = engine.config();
    let mut change = json!({ "baseConfigVersion": base });
    let mut directory = to_json(&config.directory);
    let mut owners = to_json(&config.owners);
    let (mut directory_edited, mut owners_edited) = (false, false);
    let mut next = engine.latest_workflow("w").map_or(1, |w| w.def.version + 1);
    let mut publish = Vec::new();
    for edit in edits {
        match edit {
            Edit::Publish(def) => {
                let mut def = def.clone();
                def["version"] = json!(next);
                next += 1;
                publish.push(def);
            }
            Edit::Republish => {
                let Some(latest) = engine.latest_workflow("w") else { continue };
                let mut def = to_json(&latest.def);
                def["version"] = json!(next);
                next += 1;
                publish.push(def);
            }
            Edit::Deactivate(member) => {
                let members = directory["members"].as_array_mut().unwrap();
                let at = member.index(members.len());
                members[at]["active"] = json!(false);
                directory_edited = true;
            }
            Edit::Memberships(member, roles, teams) => {
                let members = directory["members"].as_array_mut().unwrap();
                let at = member.index(members.len());
                members[at]["roles"] = json!(roles);
                members[at]["teams"] = json!(teams);
                directory_edited = true;
            }
            Edit::Owner(party) => {
                match party {
                    Some(party) => owners["workflows"]["w"] = party.clone(),
                    None => drop(owners["workflows"].as_object_mut().unwrap().remove("w")),
                }
                owners_edited = true;
            }
            Edit::Remove(list, at) => {
                let entries = directory[*list].as_array_mut().unwrap();
                if entries.is_empty() {
                    continue;
                }
                let gone = entries.remove(at.index(entries.len()))["id"].clone();
                if *list != "members" {
                    for member in directory["members"].as_array_mut().unwrap() {
                        if let Some(held) = member[*list].as_array_mut() {
                            held.retain(|id| *id != gone);
                        }
                    }
                }
                directory_edited = true;
            }
        }
    }
    if directory_edited {
        change["directory"] = directory;
    }
    if owners_edited {
        change["owners"] = owners;
    }
    if !publish.is_empty() {
        change["publish"] = json!(publish);
    }
    change
}

fn start_on(engine: &Engine, case_id: String, facts: &Value) -> Option<CaseState> {
    let input = json!({ "caseId": case_id, "workflowId": "w", "facts": facts });
    engine.start_case(&from_json(&input.to_string()).unwrap(), &ctx("dana")).ok().map(|outcome| outcome.state)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// SPEC §9: a change that `check_config_change` accepts never makes an open case unusable.
    /// Random configurations, random cases run on them, then random changes (versions
    /// published, members deactivated, roles and teams replaced, owners changed), each followed
    /// by more work on the cases and new ones: after every accepted change, every open case
    /// still fits its version under the new configuration, and an admin may still transfer it.
    #[test]
    fn accepted_config_changes_keep_every_open_case_fitting_and_transferable(
        def in workflow(),
        starts in prop::collection::vec((facts(), few_moves()), 1..6),
        changes in prop::collection::vec(
            (prop::collection::vec(edit(), 1..3), prop::collection::vec((facts(), few_moves()), 0..3), few_moves()),
            1..4,
        ),
    ) {
        use handoff_engine::change::{check_config_change, ConfigChange};
        let mut engine = firm_with(def);
        let mut cases: Vec<CaseState> = Vec::new();
        let mut started = 0;
        let mut start = |engine: &Engine, cases: &mut Vec<CaseState>, facts: &Value, moves: &[Move]| {
            started += 1;
            if let Some(state) = start_on(engine, format!("case-{started}"), facts) {
                cases.push(advance(engine, state, moves));
            }
        };
        for (facts, moves) in &starts {
            start(&engine, &mut cases, facts, moves);
        }
        for (base, (edits, more, moves)) in changes.iter().enumerate() {
            let value = change_of(&engine, edits, base as u64 + 1);
            let text = value.to_string();
            let change: ConfigChange = from_json(&text).unwrap();
            let check = check_config_change(&engine, change, &cases, &[]);
            let accepted = check.accepted();
            let (result, candidate) = check.into_result(false, base as u64 + 1);
            written_alike(&result)?;
            if !accepted {
                continue;
            }
            written_alike(candidate.config())?;
            written_alike(&candidate.validate_config())?;
            let admin = candidate.config().directory.members.iter().find(|m| m.active && m.admin);
            prop_assert!(admin.is_some(), "accepted without an active admin: {}", value);
            let admin = ctx(&admin.unwrap().id);
            for case in cases.iter().filter(|case| !case.closed) {
                prop_assert!(candidate.fits(case).is_ok(), "{} no longer fits after {}: {:?}", case.case_id, value, candidate.fits(case));
                let transfer = Command::TransferOwnership {
                    to: handoff_engine::model::Party::member(admin.actor.member_id().unwrap()),
                    reason: "The configuration changed".into(),
                };
                prop_assert!(candidate.check(case, &transfer, &admin).is_ok(), "{}: {:?}", case.case_id, candidate.check(case, &transfer, &admin));
            }
            engine = candidate;
            cases = cases.into_iter().map(|case| if case.closed { case } else { advance(&engine, case, moves) }).collect();
            for (facts, moves) in more {
                start(&engine, &mut cases, facts, moves);
            }
        }
    }

    /// SPEC §9 `party-in-use`: removing from the directory a member, role or team that an open
    /// case names (any of its names) is always refused.
    #[test]
    fn removing_a_party_an_open_case_names_is_refused(
        def in workflow(),
        facts in facts(),
        moves in few_moves(),
        pick in any::<prop::sample::Index>(),
    ) {
        use handoff_engine::change::{check_config_change, ConfigChange};
        use handoff_engine::model::PartyKind;
        let engine = firm_with(def);
        let Some(state) = start_on(&engine, "c".into(), &facts) else { return Ok(()) };
        let state = advance(&engine, state, &moves);
        if state.closed {
            return Ok(());
        }
        let mut named: Vec<(PartyKind, String)> = Vec::new();
        state.each_party(|kind, id| named.push((kind, id.to_owned())));
        let (kind, id) = pick.get(&named).clone();
        let mut directory = to_json(&engine.config().directory);
        let list = match kind {
            PartyKind::Member => "members",
            PartyKind::Role => "roles",
            PartyKind::Team => "teams",
        };
        directory[list].as_array_mut().unwrap().retain(|entry| entry["id"] != json!(id));
        let value = json!({ "baseConfigVersion": 1, "directory": directory });
        let text = value.to_string();
        let change: ConfigChange = from_json(&text).unwrap();
        let check = check_config_change(&engine, change, &[state], &[]);
        let refused = check.blocking().iter().any(|d| d.diagnostic.code == handoff_engine::RuleCode::PartyInUse && d.diagnostic.path == format!("directory.{list}"));
        prop_assert!(refused, "removing {:?} {} was not refused as party-in-use: {:#?}", kind, id, check.blocking());
    }
}

/// What becomes of a step in the next version.
#[derive(Clone, Copy, Debug)]
enum Fate {
    Kept,
    Renamed,
    Removed,
}

/// A mapping entry that is wrong on purpose, sometimes.
#[derive(Clone, Copy, Debug)]
enum Bogus {
    None,
    UnknownOld,
    UnknownNew,
    TwoOntoOne,
}

/// A workflow, and a next version of it with the mapping that goes with it: each step kept,
/// renamed (and mapped) or removed, new steps put in, handoffs changed, `after` lists following
/// the renames and losing the removed steps; now and then a mapping entry that is wrong.
fn two_versions() -> impl Strategy<Value = (Value, Value, Value)> {
    workflow()
        .prop_flat_map(|def| {
            let count = def["steps"].as_array().map_or(0, Vec::len);
            let fate = prop_oneof![5 => Just(Fate::Kept), 2 => Just(Fate::Renamed), 2 => Just(Fate::Removed)];
            let handoff = prop::option::weighted(0.15, prop::option::of((party(), prop::bool::weighted(0.8))));
            let added =
                prop::collection::vec((0..count + 1, any::<bool>(), prop::option::weighted(0.15, party())), 0..3);
            let bogus = prop_oneof![
                17 => Just(Bogus::None),
                1 => Just(Bogus::UnknownOld),
                1 => Just(Bogus::UnknownNew),
                1 => Just(Bogus::TwoOntoOne),
            ];
            let swap = prop::option::weighted(0.3, (0..count + 3, 0..count + 3));
            (Just(def), prop::collection::vec((fate, handoff), count), added, bogus, swap)
        })
        .prop_map(|(def, fates, added, bogus, swap)| {
            let old: Vec<Value> = def["steps"].as_array().cloned().unwrap_or_default();
            let mut mapping = serde_json::Map::new();
            let new_id = |i: usize, fate: Fate| match fate {
                Fate::Kept => Some(format!("s{i}")),
                Fate::Renamed => Some(format!("r{i}")),
                Fate::Removed => None,
            };
            let ids: Vec<Option<String>> = fates.iter().enumerate().map(|(i, (fate, _))| new_id(i, *fate)).collect();
            let mut steps = Vec::new();
            for (i, (step, (fate, handoff))) in old.iter().zip(&fates).enumerate() {
                for (n, (_, after_previous, handoff)) in added.iter().enumerate().filter(|(_, (at, ..))| *at == i) {
                    let mut new = json!({ "id": format!("n{n}"), "name": format!("New {n}") });
                    if !after_previous {
                        new["after"] = json!([]);
                    }
                    if let Some(to) = handoff {
                        new["handoff"] = json!({ "to": to });
                    }
                    steps.push(new);
                }
                let Some(id) = &ids[i] else { continue };
                if matches!(fate, Fate::Renamed) {
                    mapping.insert(format!("s{i}"), json!(id));
                }
                let mut step = step.clone();
                step["id"] = json!(id);
                if let Some(after) = step.get("after").and_then(Value::as_array).cloned() {
                    let after: Vec<Value> = after
                        .iter()
                        .filter_map(|a| a.as_str()?.strip_prefix('s')?.parse::<usize>().ok())
                        .filter_map(|a| ids.get(a).cloned().flatten())
                        .map(Value::from)
                        .collect();
                    step["after"] = json!(after);
                }
                match handoff {
                    Some(Some((to, required))) if step.get("clientFacing").is_none() => {
                        step["handoff"] = json!({ "to": to, "required": required })
                    }
                    Some(_) => {
                        step.as_object_mut().unwrap().remove("handoff");
                    }
                    None => {}
                }
                steps.push(step);
            }
            for (n, (at, after_previous, handoff)) in added.iter().enumerate().filter(|(_, (at, ..))| *at >= old.len())
            {
                let _ = at;
                let mut new = json!({ "id": format!("n{n}"), "name": format!("New {n}") });
                if !after_previous {
                    new["after"] = json!([]);
                }
                if let Some(to) = handoff {
                    new["handoff"] = json!({ "to": to });
                }
                steps.push(new);
            }
            // Two steps change places (the steps they come after by default change with them).
            if let Some((a, b)) = swap.filter(|&(a, b)| a < steps.len() && b < steps.len()) {
                steps.swap(a, b);
            }
            let kept: Vec<String> = ids.iter().flatten().cloned().collect();
            match bogus {
                Bogus::None => {}
                Bogus::UnknownOld => {
                    mapping.insert("zz".into(), json!(kept.first().cloned().unwrap_or_else(|| "n0".into())));
                }
                Bogus::UnknownNew => {
                    mapping.insert("s0".into(), json!("zz"));
                }
                Bogus::TwoOntoOne if kept.len() >= 2 => {
                    let onto = kept[1].clone();
                    let from = (0..old.len()).find(|&i| ids[i].as_deref() == Some(kept[0].as_str())).unwrap();
                    mapping.insert(format!("s{from}"), json!(onto));
                }
                Bogus::TwoOntoOne => {}
            }
            let next = json!({ "id": "w", "name": "Random", "version": 2, "steps": steps });
            (def, next, Value::Object(mapping))
        })
}

/// Drives a case with allowed commands only, as in `random_cases_hold_every_invariant`.
fn drive(engine: &Engine, mut state: CaseState, log: &mut Vec<Event>, moves: &[(usize, usize)]) -> CaseState {
    for (i, &(a, n)) in moves.iter().enumerate() {
        let Some((actor, command)) = pick_allowed(engine, &state, a, n) else { break };
        let ctx = Ctx { actor, at: format!("2026-11-25T09:{:02}:00Z", i % 60).into() };
        let outcome = engine.execute(&state, &command, &ctx).unwrap();
        log.extend(outcome.events);
        state = outcome.state;
    }
    state
}

proptest! {
    // Six times as many: most random cases close first, or cannot start (their workflow has
    // errors), and a run should see every kind of migration.
    #![proptest_config(ProptestConfig { cases: 6 * cases(), ..ProptestConfig::default() })]

    /// Random workflows, random running cases, a random next version: a migration is either
    /// rejected with its problems or yields a state that fits the next version, replays from
    /// its events, keeps the owner, case roles, facts and clients, and runs to its close.
    #[test]
    fn migrations_are_rejected_with_problems_or_fit_the_next_version(
        (def, next, mapping) in two_versions(),
        facts in facts(),
        clients in clients(),
        moves in prop::collection::vec((any::<usize>(), any::<usize>()), 0..12),
    ) {
        let before = firm_with(def.clone());
        let mut config = handoff_engine::input::from_json::<EngineConfig>(EXAMPLE_FIRM).unwrap().into_owned();
        config.workflows = vec![definition(def), definition(next)];
        let engine = Engine::new(config);
        let input = json!({ "caseId": "c", "workflowId": "w", "facts": facts, "clients": clients });
        let Ok(started) = before.start_case(&from_json(&input.to_string()).unwrap(), &ctx("dana")) else { return Ok(()) };
        let mut log = started.events;
        let state = drive(&before, started.state, &mut log, &moves);
        prop_assert!(engine.fits(&state).is_ok(), "the same version in both engines");

        let migrate = json!({ "type": "migrateCase", "toVersion": 2, "mapping": mapping, "reason": "v2" });
        let command = Command::from_json(&migrate.to_string()).unwrap();
        let morgan = ctx("morgan");
        let result = engine.execute(&state, &command, &morgan);
        // The dry run says the same; the kept case decides the same.
        prop_assert_eq!(engine.check(&state, &command, &morgan).err(), result.as_ref().err().cloned());
        let mut kept = engine.keep(state.clone()).unwrap();
        prop_assert_eq!(engine.execute_kept(&mut kept, &command, &morgan).ok(), result.as_ref().ok().map(|o| o.events.clone()));

        let v1 = before.latest_workflow("w").unwrap();
        let v2 = engine.workflow("w", 2).unwrap();
        let renamed = |id: &str| mapping.get(id).and_then(Value::as_str).unwrap_or(id).to_owned();
        // A step under way that the next version lacks cannot be left behind.
        let stranded = v1.def.steps.iter().find(|s| {
            let status = state.steps[s.id.as_ref()].status;
            status != StepStatus::Pending && !status.is_done() && v2.step(&renamed(&s.id)).is_none()
        });
        let outcome = match result {
            Err(error) if state.closed => {
                prop_assert_eq!(error.code, ErrorCode::CaseClosed);
                return Ok(());
            }
            Err(error) => {
                prop_assert_eq!(error.code, ErrorCode::MigrationInvalid, "{}", error.message);
                let problems = error.details.problems.clone().unwrap();
                prop_assert!(!problems.is_empty());
                prop_assert!(problems.iter().all(|p| !p.message.is_empty()));
                if !v2.validation.ok {
                    prop_assert!(problems.iter().any(|p| p.step_id.is_none()), "{:?}", problems);
                } else if let Some(step) = stranded {
                    prop_assert!(problems.iter().any(|p| p.step_id.as_deref() == Some(step.id.as_ref())), "{:?}", problems);
                }
                return Ok(());
            }
            Ok(outcome) => outcome,
        };
        prop_assert!(stranded.is_none() && v2.validation.ok);
        let migrated = &outcome.state;
        prop_assert!(engine.fits(migrated).is_ok(), "{:?}", engine.fits(migrated));
        prop_assert_eq!(migrated.workflow_version, 2);
        prop_assert_eq!(
            (&migrated.owner, &migrated.case_roles, &migrated.facts, &migrated.clients),
            (&state.owner, &state.case_roles, &state.facts, &state.clients)
        );
        prop_assert!(migrated.last_handoff.is_none());
        let first = to_json(&outcome.events[0]);
        prop_assert_eq!((&first["type"], &first["fromVersion"], &first["toVersion"]), (&json!("caseMigrated"), &json!(1), &json!(2)));
        prop_assert_eq!(&first["mapping"], &mapping);
        // A step that had started keeps its status (a handoff that ended leaves it active, and
        // one requested again under the target's required handoff has it wait) and its assignee.
        for step in &v1.def.steps {
            let old = &state.steps[step.id.as_ref()];
            let Some(new) = migrated.steps.get(&renamed(&step.id)) else {
                prop_assert!(first["dropped"].as_array().unwrap().contains(&json!(step.id)));
                continue;
            };
            prop_assert_eq!(&new.assignee, &old.assignee);
            if old.status != StepStatus::Pending {
                let ended = old.status == StepStatus::AwaitingHandoff && new.status == StepStatus::Active;
                let pending_on = |case: &CaseState, id: &str| case.pending_handoff.as_ref().is_some_and(|p| p.step_id == id);
                let requested_again = old.status == StepStatus::Active
                    && new.status == StepStatus::AwaitingHandoff
                    && pending_on(&state, &step.id)
                    && pending_on(migrated, &renamed(&step.id));
                prop_assert!(
                    new.status == old.status || ended || requested_again,
                    "{}: {:?} became {:?}", step.id, old.status, new.status
                );
            }
        }
        log.extend(outcome.events.clone());
        prop_assert_eq!(&engine.replay(&log).unwrap(), migrated);
        let events_json: Vec<Event> = serde_json::from_str(&serde_json::to_string(&log).unwrap()).unwrap();
        prop_assert_eq!(&events_json, &log);
        // An admin can take it to its close: every step started can be skipped.
        let mut state = outcome.state;
        for _ in 0..=2 * v2.def.steps.len() {
            let Some((step_id, _)) = state.steps.iter().find(|(_, s)| matches!(s.status, StepStatus::Active | StepStatus::AwaitingHandoff)) else { break };
            let skip = Command::SkipStep { step_id: step_id.clone(), reason: "done".into() };
            state = engine.execute(&state, &skip, &morgan).unwrap().state;
        }
        prop_assert!(state.closed, "{:?}", state.steps);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Random cases and a random reassignment: the plan's commands pass as an admin's, each case's
    /// in order, and once they are executed `from` holds nothing the plan covers, so that a second
    /// plan moves nothing (and skips what the first skipped).
    #[test]
    fn a_reassignment_plan_passes_and_leaves_nothing_behind(
        def in workflow(),
        runs in prop::collection::vec(prop::collection::vec((any::<usize>(), any::<usize>()), 0..12), 1..4),
        assign in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(&MEMBERS[..6])), 0..4),
        pick in any::<prop::sample::Index>(),
        to in prop::sample::select(&MEMBERS[..]),
    ) {
        let engine = firm_with(def);
        let mut cases = Vec::new();
        for (n, moves) in runs.iter().enumerate() {
            let input = StartCase { case_id: format!("c{n}"), workflow_id: "w".into(), facts: Default::default(), case_roles: Default::default(), clients: Vec::new() };
            let Ok(started) = engine.start_case(&input, &ctx("dana")) else { return Ok(()) };
            let mut state = drive(&engine, started.state, &mut Vec::new(), moves);
            // Steps given to people, so that there are assignments to move.
            for (step, member) in &assign {
                let step_id = state.steps.keys().nth(step.index(state.steps.len())).unwrap().clone();
                let to = Some(handoff_engine::model::Party::member(*member));
                if let Ok(outcome) = engine.execute(&state, &Command::AssignStep { step_id, to }, &ctx("morgan")) {
                    state = outcome.state;
                }
            }
            cases.push(state);
        }
        // Mostly someone who holds something.
        let holders: Vec<String> = cases
            .iter()
            .flat_map(|c| {
                let mut held = vec![c.owner.clone()];
                held.extend(c.steps.values().filter_map(|s| s.assignee.clone()));
                held.extend(c.pending_handoff.iter().map(|p| p.to.clone()));
                held.extend(c.case_roles.values().map(handoff_engine::model::Party::member));
                held
            })
            .filter(|p| p.kind == handoff_engine::model::PartyKind::Member)
            .map(|p| p.id)
            .chain(MEMBERS.iter().map(|m| m.to_string()))
            .collect();
        let from = holders[pick.index(holders.len())].as_str();
        let request: handoff_engine::case::Reassignment =
            from_json(&json!({ "from": from, "to": to, "reason": "Left the firm" }).to_string()).unwrap();
        let plan = match engine.plan_reassignment(&cases, &request) {
            Err(error) => {
                let ineligible = from == to || engine.roster().active_member(to).is_none();
                let unknown = engine.roster().member(from).is_none();
                prop_assert_eq!(error.code, ErrorCode::InvalidInput);
                prop_assert_eq!(error.details.path.as_deref(), Some(if unknown { "from" } else { "to" }));
                prop_assert!(unknown || ineligible);
                return Ok(());
            }
            Ok(plan) => plan,
        };
        let morgan = ctx("morgan");
        for case in &mut cases {
            let id = case.case_id.clone();
            for planned in plan.commands.iter().filter(|p| p.case_id == id) {
                prop_assert!(engine.check(case, &planned.command, &morgan).is_ok(), "{:?}: {:?}", planned, engine.check(case, &planned.command, &morgan));
                *case = engine.execute(case, &planned.command, &morgan).unwrap().state;
            }
        }
        let gone = handoff_engine::model::Party::member(from);
        let receiver = engine.roster().member(to).unwrap();
        for case in cases.iter().filter(|c| !c.closed) {
            prop_assert!(case.owner != gone);
            prop_assert!(case.steps.values().all(|s| s.status.is_done() || s.assignee.as_ref() != Some(&gone)));
            prop_assert!(case.pending_handoff.as_ref().is_none_or(|p| p.to != gone));
            for (role, holder) in &case.case_roles {
                prop_assert!(holder != from || !receiver.roles.contains(role));
            }
        }
        let again = engine.plan_reassignment(&cases, &request).unwrap();
        prop_assert!(again.commands.is_empty(), "{:?}", again.commands);
        prop_assert_eq!(again.skipped, plan.skipped);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// SPEC §11: ticking at t1 ≤ t2 ≤ … ≤ tn leaves the same steps overdue and the same handoff
    /// targets as one tick at tn (their times may differ); no deadline is acted on twice, and
    /// nothing becomes overdue or escalates before its time.
    #[test]
    fn many_ticks_do_what_one_tick_at_the_last_time_does(
        def in workflow(),
        facts in facts(),
        moves in few_moves(),
        mut offsets in prop::collection::vec(0i64..3 * 24 * 60, 1..8),
    ) {
        use handoff_engine::case::{deadlines, next_deadline, Change};
        use handoff_engine::time::Instant;
        let engine = firm_with(def);
        let Some(state) = start_on(&engine, "c".into(), &facts) else { return Ok(()) };
        let state = advance(&engine, state, &moves);
        if state.closed {
            return Ok(());
        }
        // Minutes after the last move's time (the moves are at 10:00 to 10:59).
        offsets.sort_unstable();
        let base = Instant::parse("2026-11-26T11:00:00Z").unwrap();
        let time = |minutes: i64| base.plus(minutes * 60).unwrap().utc_text();
        let tick = |state: &CaseState, at: String| {
            engine.execute(state, &Command::Tick, &Ctx { actor: Actor::System, at: at.into() }).unwrap()
        };
        let mut many = state.clone();
        let mut events = Vec::new();
        for &minutes in &offsets {
            let at = time(minutes);
            // What is due before this tick: nothing it does may be earlier than its time.
            let due = deadlines(&many, &at);
            let outcome = tick(&many, at.clone());
            for event in &outcome.events {
                let step = event.change.step_id().unwrap_or_default();
                let kind = match &event.change {
                    Change::StepOverdue { .. } => handoff_engine::case::DeadlineKind::Due,
                    Change::HandoffEscalated { .. } => handoff_engine::case::DeadlineKind::Escalation,
                    other => return Err(TestCaseError::fail(format!("a tick made {other:?}"))),
                };
                let deadline = due.iter().find(|d| d.step_id == step && d.kind == kind);
                prop_assert!(deadline.is_some_and(|d| d.passed), "{:?} at {} before its time: {:?}", event, at, due);
            }
            events.extend(outcome.events);
            many = outcome.state;
            // Nothing is left for a tick at the same time to do.
            prop_assert!(tick(&many, at.clone()).events.is_empty());
            prop_assert!(next_deadline(&many).is_none_or(|next| Instant::parse(&next).unwrap() > Instant::parse(&at).unwrap()));
        }
        let once = tick(&state, time(*offsets.last().unwrap())).state;
        let overdue = |s: &CaseState| s.steps.iter().filter(|(_, step)| step.overdue).map(|(id, _)| id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(overdue(&many), overdue(&once));
        prop_assert_eq!(many.pending_handoff.as_ref().map(|p| &p.to), once.pending_handoff.as_ref().map(|p| &p.to));
        prop_assert_eq!(many.pending_handoff.as_ref().map(|p| &p.escalates_at), once.pending_handoff.as_ref().map(|p| &p.escalates_at));
        // Each deadline acted on once.
        let mut acted: Vec<(String, String)> = events
            .iter()
            .map(|e| (to_json(e)["type"].as_str().unwrap().to_owned(), e.change.step_id().unwrap_or_default().to_owned()))
            .collect();
        let count = acted.len();
        acted.sort();
        acted.dedup();
        prop_assert_eq!(acted.len(), count, "an event twice: {:?}", events);
        prop_assert!(engine.fits(&many).is_ok());
    }
}
