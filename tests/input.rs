//! Reading input: wrong shapes are `invalid-input` naming the first bad field in document
//! order; limits hold; deep nesting is refused without exhausting the stack.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::{Actor, CaseState, Command, Ctx, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::model::{EngineConfig, WorkflowDefinition};
use handoff_engine::{ErrorCode, HandoffError};
use serde_json::json;

fn def_error(text: &str) -> HandoffError {
    let error = from_json::<WorkflowDefinition>(text).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    error
}

fn path(error: &HandoffError) -> &str {
    error.details.path.as_deref().unwrap()
}

#[test]
fn a_typo_is_an_unknown_field_not_no_handoff() {
    let error = def_error(
        &json!({ "id": "w", "name": "W", "version": 1, "steps": [{ "id": "a", "name": "A", "handof": null }] })
            .to_string(),
    );
    assert_eq!(path(&error), "steps[0].handof");
    assert!(error.message.contains("unknown field `handof`"), "{}", error.message);
}

#[test]
fn the_first_bad_field_in_document_order_is_named() {
    let text =
        r#"{"id":"w","name":"W","version":1,"steps":[{"id":"a","name":"A"},{"id":"b","name":7,"clientFacing":"yes"}]}"#;
    assert_eq!(path(&def_error(text)), "steps[1].name");
    let text = r#"{"id":"w","name":"W","version":1,"steps":[{"id":"a","name":"A","handoff":{"to":{"kind":"robot","id":"x"}}}]}"#;
    assert_eq!(path(&def_error(text)), "steps[0].handoff.to.kind");
    let text = r#"{"id":"w","name":"W","steps":[]}"#;
    assert_eq!(path(&def_error(text)), "version");
    assert_eq!(path(&def_error(r#"{"id":"w","name":"W","version":0,"steps":[]}"#)), "version");
    assert_eq!(path(&def_error(r#"{"id":"w","name":"W","version":1.5,"steps":[]}"#)), "version");
}

#[test]
fn conditions_have_exactly_one_shape() {
    let step = |when: serde_json::Value| {
        json!({ "id": "w", "name": "W", "version": 1, "steps": [{ "id": "a", "name": "A", "when": when }] }).to_string()
    };
    assert_eq!(path(&def_error(&step(json!({ "fact": "x", "equals": 1, "in": [1] })))), "steps[0].when");
    assert_eq!(path(&def_error(&step(json!({ "all": [{ "fact": "x", "equal": 1 }] })))), "steps[0].when.all[0].equal");
    assert_eq!(path(&def_error(&step(json!({ "fact": "x", "equals": [1] })))), "steps[0].when.equals");
    assert!(from_json::<WorkflowDefinition>(&step(json!({ "any": [{ "fact": "x", "in": [1, "a", true] }] }))).is_ok());
}

fn nested_condition(depth: usize) -> String {
    let mut when = String::from(r#"{"fact":"x","equals":1}"#);
    for _ in 1..depth {
        when = format!(r#"{{"not":{when}}}"#);
    }
    format!(r#"{{"id":"w","name":"W","version":1,"steps":[{{"id":"a","name":"A","when":{when}}}]}}"#)
}

#[test]
fn conditions_nest_at_most_32_deep() {
    assert!(from_json::<WorkflowDefinition>(&nested_condition(32)).is_ok());
    let error = def_error(&nested_condition(33));
    assert!(path(&error).starts_with("steps[0].when.not.not"), "{}", path(&error));
    assert!(error.message.contains("32 levels"));
}

#[test]
fn absurd_nesting_is_refused_without_recursing_through_it() {
    // 200,000 levels: recursing through this would overflow any stack, let alone wasm's.
    let depth = 200_000;
    let text = format!(
        "{}{}{}",
        r#"{"id":"w","name":"W","version":1,"steps":[{"id":"a","name":"A","when":"#,
        r#"{"not":"#.repeat(depth),
        "}".repeat(depth)
    );
    let error = def_error(&text);
    assert!(error.message.contains("nested too deeply"), "{}", error.message);
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert_eq!(from_json::<EngineConfig>(&arrays).unwrap_err().code, ErrorCode::InvalidInput);
}

#[test]
fn limits_on_sizes_and_counts() {
    let long_name = "n".repeat(2_001);
    let text = json!({ "id": "w", "name": long_name, "version": 1, "steps": [] }).to_string();
    assert_eq!(path(&def_error(&text)), "name");
    let steps: Vec<_> = (0..20_001).map(|i| json!({ "id": format!("s{i}"), "name": "S" })).collect();
    let text = json!({ "id": "w", "name": "W", "version": 1, "steps": steps }).to_string();
    assert_eq!(path(&def_error(&text)), "steps");
    let huge = " ".repeat(65 * 1024 * 1024);
    let error = from_json::<EngineConfig>(&huge).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(error.message.contains("at most 67108864 are accepted"), "{}", error.message);
    // Under the limit, text of findStuckWork's scale (10,000 open 50-step cases: 39 MB) is read.
    let definition = json!({ "id": "w", "name": "W", "version": 1, "steps": [] }).to_string();
    let padded = format!("{}{definition}", " ".repeat(40_000_000));
    assert!(from_json::<WorkflowDefinition>(&padded).is_ok());
}

#[test]
fn junk_of_every_kind_is_invalid_input() {
    for junk in ["", "null", "42", "\"text\"", "[]", "{}", "{", "NaN", "true", r#"{"directory":{}}"#, "{} {}"] {
        let error = from_json::<EngineConfig>(junk).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput, "{junk}");
        assert!(!error.message.is_empty());
    }
}

#[test]
fn commands_name_their_bad_field() {
    let cases = [
        (json!({ "type": "completeStep" }), "stepId"),
        (json!({ "type": "completeStep", "stepId": 5 }), "stepId"),
        (json!({ "type": "completeStep", "stepId": "" }), "stepId"),
        (json!({ "type": "claim", "stepId": "a" }), "stepId"),
        (json!({ "type": "skipStep", "stepId": "a", "reason": "  " }), "reason"),
        (json!({ "type": "skipStep", "stepId": "a" }), "reason"),
        (json!({ "type": "assignStep", "stepId": "a" }), "to"),
        (json!({ "type": "assignStep", "stepId": "a", "to": "paula" }), "to"),
        (json!({ "type": "completeHandoff", "stepId": "a", "to": { "kind": "member", "id": "p" } }), "to"),
        (json!({ "type": "transferOwnership", "to": null, "reason": "r" }), "to"),
        (json!({ "type": "launchRocket" }), "type"),
        (json!({ "type": "claim", "actor": { "kind": "member", "id": "morgan" } }), "actor"),
    ];
    for (value, expected) in cases {
        let error = Command::from_json(&value.to_string()).unwrap_err();
        assert_eq!((error.code, path(&error)), (ErrorCode::InvalidInput, expected), "{value}");
    }
    let ok = Command::from_json(&json!({ "type": "assignStep", "stepId": "a", "to": null }).to_string()).unwrap();
    assert_eq!(ok, Command::AssignStep { step_id: "a".into(), to: None });
}

#[test]
fn context_and_start_input_are_checked() {
    let cases = [
        (json!({ "actor": { "kind": "member", "id": "dana" }, "at": "yesterday" }), "at"),
        (json!({ "actor": { "kind": "member" }, "at": "2026-11-25T09:00:00Z" }), "actor.id"),
        (json!({ "actor": { "kind": "client", "id": "" }, "at": "2026-11-25T09:00:00Z" }), "actor.id"),
        (json!({ "actor": { "kind": "system", "id": "x" }, "at": "2026-11-25T09:00:00Z" }), "actor.id"),
        // Timestamps are real instants, not just the right shape (issue 13, item 7).
        (json!({ "actor": { "kind": "system" }, "at": "2026-99-99T99:99:99Z" }), "at"),
        (json!({ "actor": { "kind": "system" }, "at": "2026-02-30T09:00:00Z" }), "at"),
        (json!({ "actor": { "kind": "system" }, "at": "2026-11-25T09:00:00+23:99" }), "at"),
        (json!({ "actor": { "kind": "system" }, "at": "1970" }), "at"),
        (json!({ "actor": { "kind": "robot" }, "at": "2026-11-25T09:00:00Z" }), "actor.kind"),
        (json!({ "actor": { "kind": "system" }, "at": "2026-11-25T09:00:00Z", "tz": 1 }), "tz"),
    ];
    for (value, expected) in cases {
        let error = from_json::<Ctx>(&value.to_string()).unwrap_err();
        assert_eq!(path(&error), expected, "{value}");
    }
    let error = from_json::<StartCase>(&json!({ "caseId": "c", "workflowId": "w", "facts": { "x": [1] } }).to_string())
        .unwrap_err();
    assert_eq!(path(&error), "facts.x");
    let error = from_json::<StartCase>(&json!({ "caseId": "c\u{0}", "workflowId": "w" }).to_string()).unwrap_err();
    assert_eq!(path(&error), "caseId");
    let ctx = from_json::<Ctx>(
        &json!({ "actor": { "kind": "client", "id": "smith" }, "at": "2026-11-25T09:00:00.5-05:00" }).to_string(),
    );
    assert_eq!(ctx.unwrap().actor, Actor::Client { id: Some("smith".into()) });
}

#[test]
fn a_case_is_for_at_most_sixteen_clients() {
    let many: Vec<String> = (0..17).map(|n| format!("client-{n}")).collect();
    for (clients, expected) in
        [(json!(many), "clients"), (json!(["smith", ""]), "clients[1]"), (json!("smith"), "clients")]
    {
        let input = json!({ "caseId": "c", "workflowId": "w", "clients": clients });
        let error = from_json::<StartCase>(&input.to_string()).unwrap_err();
        assert_eq!(path(&error), expected, "{input}");
        let command = json!({ "type": "setClients", "clients": clients, "reason": "joint filing" });
        let error = Command::from_json(&command.to_string()).unwrap_err();
        assert_eq!(path(&error), expected, "{command}");
    }
    let input = json!({ "caseId": "c", "workflowId": "w", "clients": many[..16] });
    assert_eq!(from_json::<StartCase>(&input.to_string()).unwrap().clients.len(), 16);
    let twice = json!({ "caseId": "c", "workflowId": "w", "clients": ["smith", "smith"] });
    assert_eq!(from_json::<StartCase>(&twice.to_string()).unwrap().clients, ["smith", "smith"], "kept as given");
    let blank = json!({ "type": "setClients", "clients": [], "reason": " " });
    assert_eq!(path(&Command::from_json(&blank.to_string()).unwrap_err()), "reason");
}

#[test]
fn a_case_state_from_outside_is_read_strictly() {
    let engine = firm();
    let state = start(&engine, "chapter-7");
    let mut value = to_json(&state);
    value["steps"]["documents"]["note"] = json!("x");
    let error = from_json::<CaseState>(&value.to_string()).unwrap_err();
    assert_eq!(path(&error), "steps.documents.note");
    let round_trip: CaseState = from_json(&serde_json::to_string(&state).unwrap()).unwrap();
    assert_eq!(round_trip, state);
}

#[test]
fn facts_keep_their_numbers_and_compare_by_value() {
    let input: StartCase =
        from_json(&json!({ "caseId": "c", "workflowId": "w", "facts": { "chapter": 7, "debt": 1.5 } }).to_string())
            .unwrap();
    assert_eq!(serde_json::to_string(&input.facts).unwrap(), r#"{"chapter":7,"debt":1.5}"#);
}
