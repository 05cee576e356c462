//! Helpers shared by the integration tests: the Example Law Firm engine, contexts, commands.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use handoff_engine::case::{Actor, CaseState, Command, Ctx, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::model::{EngineConfig, WorkflowDefinition};
use handoff_engine::{Engine, ErrorCode, HandoffError, Outcome};
use serde_json::{json, Value};

pub const EXAMPLE_FIRM: &str = include_str!("../../config/example-firm.json");

pub fn config() -> EngineConfig<'static> {
    from_json(EXAMPLE_FIRM).unwrap()
}

pub fn firm() -> Engine {
    Engine::new(config())
}

/// The example firm with `workflow` (JSON) as its only workflow.
pub fn firm_with(workflow: Value) -> Engine {
    let mut config = config();
    config.workflows = vec![definition(workflow)];
    Engine::new(config)
}

pub fn definition(value: Value) -> WorkflowDefinition<'static> {
    from_json::<WorkflowDefinition>(&value.to_string()).unwrap().into_owned()
}

pub fn ctx(member: &str) -> Ctx {
    Ctx { actor: Actor::Member { id: member.into() }, at: "2026-11-25T09:00:00Z".into() }
}

pub fn client() -> Ctx {
    Ctx { actor: Actor::Client { id: None }, at: "2026-11-25T09:00:00Z".into() }
}

pub fn system() -> Ctx {
    Ctx { actor: Actor::System, at: "2026-11-25T09:00:00Z".into() }
}

pub fn command(value: Value) -> Command {
    Command::from_json(&value.to_string()).unwrap()
}

pub fn start(engine: &Engine, workflow: &str) -> CaseState {
    let input = StartCase {
        case_id: "case-1".into(),
        workflow_id: workflow.into(),
        facts: Default::default(),
        case_roles: Default::default(),
        clients: Vec::new(),
    };
    engine.start_case(&input, &ctx("dana")).unwrap().state
}

pub fn run(engine: &Engine, state: &CaseState, by: &str, value: Value) -> Outcome {
    engine.execute(state, &command(value), &ctx(by)).unwrap_or_else(|e| panic!("{} rejected: {e}", by))
}

pub fn rejection(engine: &Engine, state: &CaseState, by: &Ctx, value: Value) -> HandoffError {
    engine.execute(state, &command(value), by).expect_err("the command should be rejected")
}

pub fn assert_code(error: &HandoffError, code: ErrorCode) {
    assert_eq!(error.code, code, "{error:?}");
}

pub fn event_types(outcome: &Outcome) -> Vec<String> {
    outcome.events.iter().map(|e| serde_json::to_value(e).unwrap()["type"].as_str().unwrap().to_owned()).collect()
}

pub fn status(state: &CaseState, step: &str) -> String {
    serde_json::to_value(state.steps[step].status).unwrap().as_str().unwrap().to_owned()
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

pub fn owner(state: &CaseState) -> Value {
    json!(state.owner)
}
