//! Native benchmarks (`npm run bench:native`): validation of generated workflows of 50, 2,000
//! and 10,000 steps (typed, and from JSON text), and decide/apply on long cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use handoff_engine::case::{Actor, CaseState, Command, CommandType, Ctx, StartCase, StepStatus};
use handoff_engine::input::from_json;
use handoff_engine::model::{EngineConfig, WorkflowDefinition};
use handoff_engine::Engine;
use serde_json::{json, Value};

fn main() {
    divan::main();
}

/// A directory of 400 members in 4 teams and 4 roles; member m0 is an admin.
fn directory() -> Value {
    let members: Vec<Value> = (0..400)
        .map(|i| {
            json!({ "id": format!("m{i}"), "name": format!("Member {i}"), "roles": [format!("r{}", i % 4)],
                    "teams": [format!("t{}", i % 4)], "admin": i == 0 })
        })
        .collect();
    let roles: Vec<Value> = (0..4).map(|i| json!({ "id": format!("r{i}"), "name": format!("Role {i}") })).collect();
    let teams: Vec<Value> = (0..4).map(|i| json!({ "id": format!("t{i}"), "name": format!("Team {i}") })).collect();
    json!({ "members": members, "roles": roles, "teams": teams })
}

/// `steps` steps: mostly a chain, every 7th a join of the two before, handoffs to members,
/// roles and teams every 5th step, client-facing steps, assignees and a few conditions.
fn workflow(steps: usize) -> Value {
    let list: Vec<Value> = (0..steps)
        .map(|i| {
            let mut step = json!({ "id": format!("s{i}"), "name": format!("Step {i}") });
            if i % 7 == 6 {
                step["after"] = json!([format!("s{}", i - 1), format!("s{}", i - 2)]);
            }
            if i % 11 == 3 {
                step["clientFacing"] = json!(true);
            } else if i % 5 == 4 {
                let to = match i % 3 {
                    0 => json!({ "kind": "member", "id": format!("m{}", i % 400) }),
                    1 => json!({ "kind": "role", "id": format!("r{}", i % 4) }),
                    _ => json!({ "kind": "team", "id": format!("t{}", i % 4) }),
                };
                step["handoff"] = json!({ "to": to, "required": i % 10 != 9 });
            } else if i % 13 == 0 {
                step["assignee"] = json!({ "kind": "member", "id": format!("m{}", (i * 7) % 400) });
            }
            if i % 17 == 8 {
                step["when"] =
                    json!({ "any": [{ "fact": "chapter", "equals": 7 }, { "fact": "assets", "in": [1, 2] }] });
            }
            step
        })
        .collect();
    json!({ "id": "w", "name": "Generated", "version": 1, "steps": list })
}

fn engine_with(steps: usize) -> (Engine, WorkflowDefinition<'static>) {
    let def = workflow(steps);
    let config = json!({ "directory": directory(), "owners": { "default": { "kind": "team", "id": "t0" } }, "workflows": [def] });
    let config = from_json::<EngineConfig>(&config.to_string()).unwrap().into_owned();
    let def = config.workflows[0].clone();
    (Engine::new(config), def)
}

fn admin() -> Ctx {
    Ctx { actor: Actor::Member { id: "m0".into() }, at: "2026-11-25T09:00:00Z".into() }
}

fn started(engine: &Engine) -> CaseState {
    let input = StartCase {
        case_id: "c".into(),
        workflow_id: "w".into(),
        facts: Default::default(),
        case_roles: Default::default(),
        clients: Vec::new(),
    };
    engine.start_case(&input, &admin()).unwrap().state
}

#[divan::bench(args = [50, 2_000, 10_000])]
fn validate_workflow(bencher: divan::Bencher, steps: usize) {
    let (engine, def) = engine_with(steps);
    bencher.bench(|| engine.validate_workflow(divan::black_box(&def)));
}

#[divan::bench(args = [50, 2_000, 10_000])]
fn parse_and_validate_json(bencher: divan::Bencher, steps: usize) {
    let (engine, def) = engine_with(steps);
    let text = serde_json::to_string(&def).unwrap();
    bencher.bench(|| {
        let def: WorkflowDefinition = from_json(divan::black_box(&text)).unwrap();
        engine.validate_workflow(&def)
    });
}

/// The floor for the line above: only reading the same JSON text into a generic value.
#[divan::bench(args = [50, 2_000, 10_000])]
fn baseline_json_parse(bencher: divan::Bencher, steps: usize) {
    let text = workflow(steps).to_string();
    bencher.bench(|| serde_json::from_str::<Value>(divan::black_box(&text)).unwrap());
}

/// One decide + apply (`execute`) completing the first step of a case of `steps` steps.
#[divan::bench(args = [6, 50, 2_000])]
fn execute_complete_step(bencher: divan::Bencher, steps: usize) {
    let (engine, _) = engine_with(steps);
    let state = started(&engine);
    let command = Command::CompleteStep { step_id: "s0".into() };
    let ctx = admin();
    bencher.bench(|| engine.execute(divan::black_box(&state), &command, &ctx).unwrap());
}

/// A whole 200-step case, start to close: every handoff and every step (about 250 commands).
#[divan::bench]
fn run_case_to_close(bencher: divan::Bencher) {
    let (engine, _) = engine_with(200);
    let ctx = admin();
    let client = Ctx { actor: Actor::Client { id: None }, at: ctx.at.clone() };
    bencher.bench(|| {
        let mut state = started(&engine);
        let mut commands = 0usize;
        while !state.closed {
            let allowed = engine.allowed_commands(&state, &ctx.actor).unwrap();
            let (command, by) = if let Some(pending) = &state.pending_handoff {
                let to = engine.roster().active_members_of(&pending.to).first().map(|m| m.id.clone());
                (Command::CompleteHandoff { step_id: pending.step_id.clone(), to }, &ctx)
            } else if let Some(step) = allowed.iter().find(|a| a.kind == CommandType::CompleteStep) {
                (Command::CompleteStep { step_id: step.step_id.clone().unwrap() }, &ctx)
            } else {
                let (id, _) = state.steps.iter().find(|(_, s)| s.status == StepStatus::Active).unwrap();
                (Command::CompleteStep { step_id: id.clone() }, &client)
            };
            state = engine.execute(&state, &command, by).unwrap().state;
            commands += 1;
        }
        commands
    });
}

/// 10,000 open 50-step cases, as `findStuckWork` gets them: read from their JSON text, then the
/// scan (the package's figure is against `JSON.parse` of the same text).
fn open_cases(engine: &Engine) -> Vec<CaseState> {
    let first = started(engine);
    (0..10_000).map(|i| CaseState { case_id: format!("case-{i}"), ..first.clone() }).collect()
}

#[divan::bench]
fn find_stuck_work_in_10_000_cases(bencher: divan::Bencher) {
    let (engine, _) = engine_with(50);
    let cases = open_cases(&engine);
    bencher.bench(|| engine.find_stuck_work(divan::black_box(&cases)));
}

#[divan::bench]
fn read_10_000_cases(bencher: divan::Bencher) {
    let (engine, _) = engine_with(50);
    let text = serde_json::to_string(&open_cases(&engine)).unwrap();
    bencher.bench(|| from_json::<Vec<CaseState>>(divan::black_box(&text)).unwrap());
}
