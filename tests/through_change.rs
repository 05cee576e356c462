//! Running cases through change (SPEC §10, §13): redirecting a pending handoff. One test per
//! rule and per rejection, on the Example Law Firm.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::{CaseState, Command, LastHandoff};
use handoff_engine::model::Party;
use handoff_engine::{Engine, ErrorCode};
use serde_json::{json, Value};

/// Chapter 7 up to the paralegal handoff, owned by Dana.
fn at_paralegal_handoff(engine: &Engine) -> CaseState {
    let mut state = start(engine, "chapter-7");
    for command in [
        json!({ "type": "claim" }),
        json!({ "type": "completeStep", "stepId": "documents" }),
        json!({ "type": "completeStep", "stepId": "credit-report" }),
    ] {
        state = run(engine, &state, "dana", command).state;
    }
    let questionnaire = command(json!({ "type": "completeStep", "stepId": "questionnaire" }));
    engine.execute(&state, &questionnaire, &client()).unwrap().state
}

fn redirect(step: &str, to: Value) -> Value {
    json!({ "type": "redirectHandoff", "stepId": step, "to": to, "reason": "Ivan left the firm" })
}

fn paula() -> Value {
    json!({ "kind": "member", "id": "paula" })
}

// --- redirectHandoff -------------------------------------------------------------------------

#[test]
fn an_admin_redirects_a_pending_handoff_and_it_completes_to_the_new_target() {
    let engine = firm();
    let state = at_paralegal_handoff(&engine);
    let redirected = run(&engine, &state, "morgan", redirect("review-call", paula()));
    assert_eq!(event_types(&redirected), ["handoffRedirected"]);
    let event = to_json(&redirected.events[0]);
    assert_eq!(
        (&event["stepId"], &event["from"], &event["to"], &event["reason"]),
        (&json!("review-call"), &json!({ "kind": "role", "id": "paralegal" }), &paula(), &json!("Ivan left the firm"))
    );
    assert_eq!(
        to_json(&redirected.state.pending_handoff),
        json!({ "stepId": "review-call", "to": paula(), "required": true })
    );
    assert_eq!(status(&redirected.state, "review-call"), "awaitingHandoff", "still awaiting it");
    assert_eq!(redirected.state.owner, state.owner, "a redirect is not a handoff");
    let handed = run(&engine, &redirected.state, "dana", json!({ "type": "completeHandoff", "stepId": "review-call" }));
    assert_eq!(owner(&handed.state), paula());
    assert_eq!(
        engine.replay(&[engine_start_events(&engine), redirected.events.clone()].concat()),
        Ok(redirected.state)
    );
}

/// The events that lead to `at_paralegal_handoff`.
fn engine_start_events(engine: &Engine) -> Vec<handoff_engine::case::Event> {
    let input = handoff_engine::case::StartCase {
        case_id: "case-1".into(),
        workflow_id: "chapter-7".into(),
        facts: Default::default(),
        case_roles: Default::default(),
        clients: Vec::new(),
    };
    let started = engine.start_case(&input, &ctx("dana")).unwrap();
    let mut events = started.events;
    let mut state = started.state;
    for (by, value) in [
        (ctx("dana"), json!({ "type": "claim" })),
        (ctx("dana"), json!({ "type": "completeStep", "stepId": "documents" })),
        (ctx("dana"), json!({ "type": "completeStep", "stepId": "credit-report" })),
        (client(), json!({ "type": "completeStep", "stepId": "questionnaire" })),
    ] {
        let outcome = engine.execute(&state, &command(value), &by).unwrap();
        events.extend(outcome.events);
        state = outcome.state;
    }
    events
}

#[test]
fn a_redirect_takes_the_same_targets_as_an_assignment() {
    let engine = firm();
    let state = at_paralegal_handoff(&engine);
    for to in [json!({ "kind": "team", "id": "documents" }), json!({ "kind": "role", "id": "attorney" }), paula()] {
        assert!(engine.execute(&state, &command(redirect("review-call", to.clone())), &ctx("morgan")).is_ok(), "{to}");
    }
    for to in [
        json!({ "kind": "member", "id": "ivan" }),
        json!({ "kind": "member", "id": "ghost" }),
        json!({ "kind": "team", "id": "ghosts" }),
    ] {
        let error = rejection(&engine, &state, &ctx("morgan"), redirect("review-call", to.clone()));
        assert_code(&error, ErrorCode::TargetIneligible);
    }
}

#[test]
fn only_admins_redirect_and_only_a_pending_handoff() {
    let engine = firm();
    let state = at_paralegal_handoff(&engine);
    for by in ["dana", "paula", "ivan"] {
        let error = rejection(&engine, &state, &ctx(by), redirect("review-call", paula()));
        assert_code(&error, ErrorCode::NotPermitted);
        assert!(error.message.contains("admins only") || by == "ivan", "{}", error.message);
    }
    assert_code(&rejection(&engine, &state, &system(), redirect("review-call", paula())), ErrorCode::NotPermitted);
    let error = rejection(&engine, &state, &ctx("morgan"), redirect("final-review", paula()));
    assert_code(&error, ErrorCode::NoPendingHandoff);
    assert_eq!(error.details.step_id.as_deref(), Some("final-review"));
}

#[test]
fn redirect_rejections_follow_the_spec_order() {
    let engine = firm();
    let state = at_paralegal_handoff(&engine);
    let ivan = json!({ "kind": "member", "id": "ivan" });
    // unknown-step, then no-pending-handoff, before not-permitted; not-permitted before the target.
    assert_code(&rejection(&engine, &state, &ctx("dana"), redirect("nope", ivan.clone())), ErrorCode::UnknownStep);
    assert_code(
        &rejection(&engine, &state, &ctx("dana"), redirect("petition", ivan.clone())),
        ErrorCode::NoPendingHandoff,
    );
    assert_code(&rejection(&engine, &state, &ctx("dana"), redirect("review-call", ivan)), ErrorCode::NotPermitted);
    let tiny =
        firm_with(json!({ "id": "tiny", "name": "Tiny", "version": 1, "steps": [{ "id": "a", "name": "Only" }] }));
    let done = run(&tiny, &start(&tiny, "tiny"), "dana", json!({ "type": "completeStep", "stepId": "a" }));
    assert_code(&rejection(&tiny, &done.state, &ctx("dana"), redirect("nope", paula())), ErrorCode::CaseClosed);
    for (bad, path) in [
        (json!({ "type": "redirectHandoff", "stepId": "review-call", "to": paula() }), "reason"),
        (json!({ "type": "redirectHandoff", "stepId": "review-call", "to": paula(), "reason": " " }), "reason"),
        (json!({ "type": "redirectHandoff", "stepId": "review-call", "to": null, "reason": "r" }), "to"),
        (json!({ "type": "redirectHandoff", "stepId": "review-call", "to": "paula", "reason": "r" }), "to"),
        (json!({ "type": "redirectHandoff", "to": paula(), "reason": "r" }), "stepId"),
    ] {
        let error = Command::from_json(&bad.to_string()).unwrap_err();
        assert_eq!((error.code, error.details.path.as_deref()), (ErrorCode::InvalidInput, Some(path)), "{bad}");
    }
}

#[test]
fn a_redirect_leaves_nothing_to_revert() {
    let engine = firm();
    let mut state = at_paralegal_handoff(&engine);
    // A state from outside may carry both (none that this engine makes does).
    state.last_handoff = Some(LastHandoff {
        step_id: "review-call".into(),
        by: "dana".into(),
        from: Party::team("documents"),
        to: Party::member("dana"),
        case_roles_before: Default::default(),
    });
    assert!(engine
        .check(&state, &command(json!({ "type": "revertHandoff", "stepId": "review-call" })), &ctx("dana"))
        .is_ok());
    let redirected = run(&engine, &state, "morgan", redirect("review-call", paula()));
    assert_eq!(redirected.state.last_handoff, None);
}

#[test]
fn a_redirected_handoff_once_completed_reverts_to_whoever_received_it() {
    let engine = firm();
    let state = at_paralegal_handoff(&engine);
    let revert = json!({ "type": "revertHandoff", "stepId": "review-call" });
    let complete = json!({ "type": "completeHandoff", "stepId": "review-call" });
    for to in [json!({ "kind": "team", "id": "documents" }), json!({ "kind": "member", "id": "avery" })] {
        let redirected = run(&engine, &state, "morgan", redirect("review-call", to));
        let handed = run(&engine, &redirected.state, "dana", complete.clone());
        let reverted = run(&engine, &handed.state, "dana", revert.clone());
        assert_eq!(reverted.state.pending_handoff, redirected.state.pending_handoff);
        assert_eq!(reverted.state.owner, state.owner);
    }
    // One who is of the step's own target gets the step's handoff back, as without a redirect.
    let redirected = run(&engine, &state, "morgan", redirect("review-call", paula()));
    let handed = run(&engine, &redirected.state, "dana", complete);
    let reverted = run(&engine, &handed.state, "dana", revert);
    assert_eq!(reverted.state.pending_handoff, state.pending_handoff);
}

#[test]
fn admins_are_offered_a_redirect_while_a_handoff_is_pending() {
    let engine = firm();
    let state = at_paralegal_handoff(&engine);
    let offered = |state: &CaseState, who: &str| {
        engine
            .allowed_commands(state, &ctx(who).actor)
            .unwrap()
            .iter()
            .any(|a| to_json(&a.kind) == json!("redirectHandoff") && a.step_id.as_deref() == Some("review-call"))
    };
    assert!(offered(&state, "morgan"));
    assert!(!offered(&state, "dana"), "the owner is not an admin");
    let handed =
        run(&engine, &state, "dana", json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" }));
    assert!(!offered(&handed.state, "morgan"), "nothing pending");
}
