//! One test per rejection code of SPEC §4, plus the permissions and precedence rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::{CaseState, StartCase};
use handoff_engine::ErrorCode;
use serde_json::json;

/// Chapter 7 up to the paralegal handoff, owned by Dana.
fn at_paralegal_handoff() -> (handoff_engine::Engine, CaseState) {
    let engine = firm();
    let mut state = start(&engine, "chapter-7");
    for (by, cmd) in [
        ("dana", json!({ "type": "claim" })),
        ("dana", json!({ "type": "completeStep", "stepId": "documents" })),
        ("dana", json!({ "type": "completeStep", "stepId": "credit-report" })),
    ] {
        state = run(&engine, &state, by, cmd).state;
    }
    state = engine
        .execute(&state, &command(json!({ "type": "completeStep", "stepId": "questionnaire" })), &client())
        .unwrap()
        .state;
    (engine, state)
}

fn start_input(workflow: &str) -> StartCase {
    StartCase {
        case_id: "c".into(),
        workflow_id: workflow.into(),
        facts: Default::default(),
        case_roles: Default::default(),
        clients: Vec::new(),
    }
}

#[test]
fn unknown_case_workflow() {
    let engine = firm();
    let error = engine.start_case(&start_input("chapter-99"), &ctx("dana")).unwrap_err();
    assert_code(&error, ErrorCode::UnknownCaseWorkflow);
    let mut state = start(&engine, "chapter-7");
    state.workflow_version = 7;
    assert_code(&rejection(&engine, &state, &ctx("dana"), json!({ "type": "claim" })), ErrorCode::UnknownCaseWorkflow);
}

#[test]
fn workflow_invalid_carries_the_error_diagnostics() {
    let engine = firm_with(json!({ "id": "broken", "name": "Broken", "version": 1, "steps": [
        { "id": "a", "name": "Intake", "handoff": { "to": { "kind": "member", "id": "ivan" } } }
    ]}));
    let error = engine.start_case(&start_input("broken"), &ctx("dana")).unwrap_err();
    assert_code(&error, ErrorCode::WorkflowInvalid);
    let diagnostics = error.into_parts().details.diagnostics.unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.as_str(), "inactive-member");
}

#[test]
fn unknown_step() {
    let (engine, state) = at_paralegal_handoff();
    let error = rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeStep", "stepId": "nope" }));
    assert_code(&error, ErrorCode::UnknownStep);
    assert_eq!(error.details.step_id.as_deref(), Some("nope"));
}

#[test]
fn step_not_active() {
    let (engine, state) = at_paralegal_handoff();
    for step in ["documents", "petition"] {
        let error = rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeStep", "stepId": step }));
        assert_code(&error, ErrorCode::StepNotActive);
    }
    let error =
        rejection(&engine, &state, &ctx("dana"), json!({ "type": "assignStep", "stepId": "documents", "to": null }));
    assert_code(&error, ErrorCode::StepNotActive);
}

#[test]
fn handoff_pending() {
    let (engine, state) = at_paralegal_handoff();
    let error = rejection(&engine, &state, &ctx("morgan"), json!({ "type": "completeStep", "stepId": "review-call" }));
    assert_code(&error, ErrorCode::HandoffPending);
}

#[test]
fn no_pending_handoff() {
    let (engine, state) = at_paralegal_handoff();
    let error =
        rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeHandoff", "stepId": "final-review" }));
    assert_code(&error, ErrorCode::NoPendingHandoff);
}

#[test]
fn not_permitted() {
    let (engine, state) = at_paralegal_handoff();
    let cases = [
        (ctx("paula"), json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" })),
        (client(), json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" })),
        (ctx("ivan"), json!({ "type": "setCaseRole", "roleId": "paralegal", "memberId": "paula" })),
        (ctx("stranger"), json!({ "type": "claim" })),
        (ctx("dana"), json!({ "type": "transferOwnership", "to": { "kind": "member", "id": "paula" }, "reason": "r" })),
        (ctx("dana"), json!({ "type": "skipStep", "stepId": "review-call", "reason": "r" })),
        (system(), json!({ "type": "claim" })),
    ];
    for (by, cmd) in cases {
        let error = rejection(&engine, &state, &by, cmd.clone());
        assert_code(&error, ErrorCode::NotPermitted);
        assert!(error.message.contains("may not"), "{cmd}: {}", error.message);
    }
    // The client may not start a case; the system may.
    let error = engine.start_case(&start_input("chapter-7"), &client()).unwrap_err();
    assert_code(&error, ErrorCode::NotPermitted);
    assert!(engine.start_case(&start_input("chapter-7"), &system()).is_ok());
}

#[test]
fn target_required() {
    let (engine, state) = at_paralegal_handoff();
    let error = rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeHandoff", "stepId": "review-call" }));
    assert_code(&error, ErrorCode::TargetRequired);
    assert!(error.message.contains("Paralegal"));
}

#[test]
fn target_ineligible() {
    let (engine, state) = at_paralegal_handoff();
    for to in ["ivan", "avery", "ghost"] {
        let error = rejection(
            &engine,
            &state,
            &ctx("dana"),
            json!({ "type": "completeHandoff", "stepId": "review-call", "to": to }),
        );
        assert_code(&error, ErrorCode::TargetIneligible);
    }
    let error = rejection(
        &engine,
        &state,
        &ctx("dana"),
        json!({ "type": "setCaseRole", "roleId": "attorney", "memberId": "paula" }),
    );
    assert_code(&error, ErrorCode::TargetIneligible);
    let error = rejection(
        &engine,
        &state,
        &ctx("morgan"),
        json!({ "type": "transferOwnership", "to": { "kind": "member", "id": "ivan" }, "reason": "r" }),
    );
    assert_code(&error, ErrorCode::TargetIneligible);
}

#[test]
fn revert_not_allowed() {
    let (engine, state) = at_paralegal_handoff();
    let error = rejection(&engine, &state, &ctx("dana"), json!({ "type": "revertHandoff", "stepId": "review-call" }));
    assert_code(&error, ErrorCode::RevertNotAllowed);
    // A claim after the handoff closes the window.
    let handed =
        run(&engine, &state, "dana", json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" }));
    let moved = run(
        &engine,
        &handed.state,
        "morgan",
        json!({ "type": "transferOwnership", "to": { "kind": "role", "id": "paralegal" }, "reason": "pool" }),
    );
    let claimed = run(&engine, &moved.state, "pete", json!({ "type": "claim" }));
    let error =
        rejection(&engine, &claimed.state, &ctx("morgan"), json!({ "type": "revertHandoff", "stepId": "review-call" }));
    assert_code(&error, ErrorCode::RevertNotAllowed);
}

#[test]
fn only_the_member_who_made_the_handoff_or_an_admin_may_revert_it() {
    let (engine, state) = at_paralegal_handoff();
    let handed =
        run(&engine, &state, "dana", json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" }));
    let error =
        rejection(&engine, &handed.state, &ctx("paula"), json!({ "type": "revertHandoff", "stepId": "review-call" }));
    assert_code(&error, ErrorCode::NotPermitted);
    let reverted = run(&engine, &handed.state, "morgan", json!({ "type": "revertHandoff", "stepId": "review-call" }));
    assert_eq!(owner(&reverted.state), json!({ "kind": "member", "id": "dana" }));
}

#[test]
fn case_closed() {
    let engine =
        firm_with(json!({ "id": "tiny", "name": "Tiny", "version": 1, "steps": [{ "id": "a", "name": "Only" }] }));
    let state = start(&engine, "tiny");
    let done = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": "a" }));
    assert!(done.state.closed);
    let error = rejection(&engine, &done.state, &ctx("dana"), json!({ "type": "completeStep", "stepId": "nope" }));
    assert_code(&error, ErrorCode::CaseClosed);
}

#[test]
fn invalid_input_for_a_state_that_does_not_fit_its_workflow() {
    let (engine, state) = at_paralegal_handoff();
    let mut extra_step = state.clone();
    extra_step.steps.remove("petition");
    let mut bad_owner = state.clone();
    bad_owner.owner = handoff_engine::model::Party::member("ghost");
    let mut early = state.clone();
    early.steps.get_mut("petition").unwrap().status = handoff_engine::case::StepStatus::Active;
    let mut lost_pending = state.clone();
    lost_pending.pending_handoff = None;
    let mut closed_early = state.clone();
    closed_early.closed = true;
    for (bad, path) in [
        (extra_step, "steps"),
        (bad_owner, "owner"),
        (early, "steps.petition.status"),
        (lost_pending, "steps.review-call.status"),
        (closed_early, "closed"),
    ] {
        let error = rejection(&engine, &bad, &ctx("dana"), json!({ "type": "claim" }));
        assert_code(&error, ErrorCode::InvalidInput);
        assert_eq!(error.details.path.as_deref(), Some(path));
    }
}

#[test]
fn precedence_follows_the_spec_order() {
    let (engine, state) = at_paralegal_handoff();
    // A stranger completing an unknown step of a closed case: case-closed comes first.
    let mut closed = state.clone();
    for step in closed.steps.values_mut() {
        step.status = handoff_engine::case::StepStatus::Completed;
    }
    closed.pending_handoff = None;
    closed.closed = true;
    let by = ctx("stranger");
    assert_code(
        &rejection(&engine, &closed, &by, json!({ "type": "completeStep", "stepId": "x" })),
        ErrorCode::CaseClosed,
    );
    // unknown-step before not-permitted; step status before not-permitted; not-permitted before target.
    assert_code(
        &rejection(&engine, &state, &by, json!({ "type": "completeStep", "stepId": "x" })),
        ErrorCode::UnknownStep,
    );
    assert_code(
        &rejection(&engine, &state, &by, json!({ "type": "completeStep", "stepId": "petition" })),
        ErrorCode::StepNotActive,
    );
    assert_code(
        &rejection(&engine, &state, &by, json!({ "type": "completeHandoff", "stepId": "review-call", "to": "ghost" })),
        ErrorCode::NotPermitted,
    );
}

#[test]
fn check_agrees_with_execute_and_never_changes_anything() {
    let (engine, state) = at_paralegal_handoff();
    let good = command(json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" }));
    let bad = command(json!({ "type": "completeHandoff", "stepId": "review-call" }));
    assert!(engine.check(&state, &good, &ctx("dana")).is_ok());
    assert_code(&engine.check(&state, &bad, &ctx("dana")).unwrap_err(), ErrorCode::TargetRequired);
}

#[test]
fn assignment_never_changes_ownership() {
    let (engine, state) = at_paralegal_handoff();
    let assigned = run(
        &engine,
        &state,
        "dana",
        json!({ "type": "assignStep", "stepId": "petition", "to": { "kind": "member", "id": "pete" } }),
    );
    assert_eq!(event_types(&assigned), ["stepAssigned"]);
    assert_eq!(assigned.state.owner, state.owner);
    assert_eq!(to_json(&assigned.state.steps["petition"].assignee), json!({ "kind": "member", "id": "pete" }));
    let unknown_member = rejection(
        &engine,
        &assigned.state,
        &ctx("dana"),
        json!({ "type": "assignStep", "stepId": "review-call", "to": { "kind": "member", "id": "ghost" } }),
    );
    assert_code(&unknown_member, ErrorCode::TargetIneligible);
}

#[test]
fn the_assignee_may_complete_the_step_without_owning_the_case() {
    let engine = firm();
    let state = start(&engine, "chapter-7");
    let assigned = run(
        &engine,
        &state,
        "dana",
        json!({ "type": "assignStep", "stepId": "documents", "to": { "kind": "member", "id": "paula" } }),
    );
    let done = run(&engine, &assigned.state, "paula", json!({ "type": "completeStep", "stepId": "documents" }));
    assert_eq!(done.state.owner, state.owner);
}

#[test]
fn conditions_skip_steps_and_their_dependants_trigger_as_if_completed() {
    let engine = firm_with(json!({ "id": "ch13", "name": "Chapter 13", "version": 1, "steps": [
        { "id": "intake", "name": "Intake" },
        { "id": "business", "name": "Business review", "when": { "fact": "hasBusiness", "equals": true },
          "handoff": { "to": { "kind": "role", "id": "attorney" } } },
        { "id": "plan", "name": "Plan", "when": { "not": { "fact": "chapter", "in": [7] } } },
        { "id": "file", "name": "Filing" }
    ]}));
    let input = StartCase {
        case_id: "c".into(),
        workflow_id: "ch13".into(),
        facts: serde_json::from_value(json!({ "chapter": 13.0, "hasBusiness": false })).unwrap(),
        case_roles: Default::default(),
        clients: Vec::new(),
    };
    let state = engine.start_case(&input, &ctx("dana")).unwrap().state;
    let next = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": "intake" }));
    assert_eq!(event_types(&next), ["stepCompleted", "stepSkipped", "stepTriggered"]);
    assert_eq!(status(&next.state, "plan"), "active");
    assert!(next.state.pending_handoff.is_none());
}

#[test]
fn an_optional_handoff_is_offered_and_withdrawn_when_the_step_completes() {
    let engine = firm_with(json!({ "id": "opt", "name": "Optional", "version": 1, "steps": [
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Review", "handoff": { "to": { "kind": "team", "id": "documents" }, "required": false } },
        { "id": "c", "name": "Filing" }
    ]}));
    let mut state = start(&engine, "opt");
    state = run(&engine, &state, "dana", json!({ "type": "claim" })).state;
    state = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": "a" })).state;
    assert_eq!(status(&state, "b"), "active");
    assert!(!state.pending_handoff.as_ref().unwrap().required);
    let done = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": "b" }));
    assert!(done.state.pending_handoff.is_none());
    assert_eq!(owner(&done.state), json!({ "kind": "member", "id": "dana" }));
    // Taking the offer to a team makes the team the owner.
    let taken = run(&engine, &state, "dana", json!({ "type": "completeHandoff", "stepId": "b" }));
    assert_eq!(owner(&taken.state), json!({ "kind": "team", "id": "documents" }));
}

#[test]
fn a_role_handoff_goes_to_the_case_role_holder_when_to_is_omitted() {
    let engine = firm();
    let input = StartCase {
        case_id: "c".into(),
        workflow_id: "chapter-7".into(),
        facts: Default::default(),
        case_roles: [("paralegal".to_owned(), "pete".to_owned())].into(),
        clients: Vec::new(),
    };
    let mut state = engine.start_case(&input, &ctx("dana")).unwrap().state;
    for step in ["documents", "credit-report"] {
        state = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": step })).state;
    }
    state = engine
        .execute(&state, &command(json!({ "type": "completeStep", "stepId": "questionnaire" })), &client())
        .unwrap()
        .state;
    let handed = run(&engine, &state, "devon", json!({ "type": "completeHandoff", "stepId": "review-call" }));
    assert_eq!(owner(&handed.state), json!({ "kind": "member", "id": "pete" }));
}

#[test]
fn skipping_a_step_whose_required_handoff_is_pending_is_for_admins() {
    let (engine, state) = at_paralegal_handoff();
    let skipped = run(
        &engine,
        &state,
        "morgan",
        json!({ "type": "skipStep", "stepId": "review-call", "reason": "Client declined the call" }),
    );
    assert_eq!(event_types(&skipped), ["stepSkipped", "stepTriggered"]);
    assert!(skipped.state.pending_handoff.is_none());
    assert_eq!(skipped.state.owner, state.owner);
}

#[test]
fn client_facing_steps_take_no_assignment_at_all() {
    let engine = firm();
    let mut state = start(&engine, "chapter-7");
    for step in ["documents", "credit-report"] {
        state = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": step })).state;
    }
    let error = rejection(
        &engine,
        &state,
        &ctx("morgan"),
        json!({ "type": "assignStep", "stepId": "questionnaire", "to": null }),
    );
    assert_code(&error, ErrorCode::TargetIneligible);
}

/// A kept case skips the fit check only with the engine that kept it (and found it fitting).
#[test]
fn a_kept_case_runs_only_on_the_engine_that_kept_it() {
    let (engine, state) = at_paralegal_handoff();
    let claim = command(json!({ "type": "claim" }));
    let mut kept = engine.keep(state.clone()).unwrap();
    let other = firm();
    let refused = other.execute_kept(&mut kept, &claim, &ctx("dana")).unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert_eq!(other.check_kept(&kept, &claim, &ctx("dana")).unwrap_err(), refused);
    assert_eq!(other.allowed_kept(&kept, &ctx("dana").actor).unwrap_err(), refused);
    assert_eq!(kept.state(), &state, "untouched");

    let mut misfit = state;
    misfit.owner = handoff_engine::model::Party::member("nobody");
    assert_eq!(engine.keep(misfit).unwrap_err().code, ErrorCode::InvalidInput);
}

fn client_of(id: &str) -> handoff_engine::case::Ctx {
    handoff_engine::case::Ctx {
        actor: handoff_engine::case::Actor::Client { id: Some(id.into()) },
        at: "2026-11-25T09:00:00Z".into(),
    }
}

/// Chapter 7 at the client questionnaire, for Smith.
fn smiths_case_at_questionnaire() -> (handoff_engine::Engine, CaseState) {
    let engine = firm();
    let input = StartCase { clients: vec!["smith".into()], ..start_input("chapter-7") };
    let mut state = engine.start_case(&input, &ctx("dana")).unwrap().state;
    for step in ["documents", "credit-report"] {
        state = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": step })).state;
    }
    (engine, state)
}

#[test]
fn a_client_acts_only_on_the_cases_it_is_for() {
    let (engine, state) = smiths_case_at_questionnaire();
    let questionnaire = json!({ "type": "completeStep", "stepId": "questionnaire" });
    let done = engine.execute(&state, &command(questionnaire.clone()), &client_of("smith")).unwrap();
    assert_eq!(status(&done.state, "questionnaire"), "completed");
    assert_eq!(done.events[0].actor, handoff_engine::case::Actor::Client { id: Some("smith".into()) });
    assert_code(&rejection(&engine, &state, &client_of("jones"), questionnaire), ErrorCode::NotPermitted);
    assert!(engine.allowed_commands(&state, &client_of("jones").actor).unwrap().is_empty());
    // Not-permitted comes before everything but invalid-input: Jones learns nothing of the
    // case, not even that a step does not exist or that the case is closed.
    let unknown = json!({ "type": "completeStep", "stepId": "nope" });
    assert_code(&rejection(&engine, &state, &client_of("jones"), unknown.clone()), ErrorCode::NotPermitted);
    let mut closed = state.clone();
    while !closed.closed {
        let open = closed
            .steps
            .iter()
            .find(|(_, s)| matches!(to_json(&s.status).as_str(), Some("active" | "awaitingHandoff")));
        let step = open.map(|(id, _)| id.clone()).unwrap();
        closed = run(&engine, &closed, "morgan", json!({ "type": "skipStep", "stepId": step, "reason": "done" })).state;
    }
    assert_code(&rejection(&engine, &closed, &client_of("smith"), unknown.clone()), ErrorCode::CaseClosed);
    let mut elsewhere = state.clone();
    elsewhere.workflow_version = 99;
    assert_code(
        &rejection(&engine, &elsewhere, &client_of("smith"), json!({ "type": "claim" })),
        ErrorCode::UnknownCaseWorkflow,
    );
    assert_code(
        &rejection(&engine, &elsewhere, &client_of("jones"), json!({ "type": "claim" })),
        ErrorCode::NotPermitted,
    );
    assert_code(&rejection(&engine, &closed, &client_of("jones"), unknown), ErrorCode::NotPermitted);
    assert_eq!(
        engine.check(&state, &command(json!({ "type": "claim" })), &client_of("jones")).unwrap_err().message,
        "This client may not act on this case."
    );
}

#[test]
fn set_clients_is_for_the_owner_and_admins_and_is_recorded() {
    let (engine, state) = smiths_case_at_questionnaire();
    let set = json!({ "type": "setClients", "clients": ["smith", "jones"], "reason": "joint filing" });
    assert_code(&rejection(&engine, &state, &ctx("paula"), set.clone()), ErrorCode::NotPermitted);
    assert_code(&rejection(&engine, &state, &client_of("smith"), set.clone()), ErrorCode::NotPermitted);
    let outcome = run(&engine, &state, "morgan", set);
    assert_eq!(event_types(&outcome), ["clientsSet"]);
    let event = to_json(&outcome.events[0]);
    assert_eq!(
        (&event["from"], &event["to"], &event["reason"]),
        (&json!(["smith"]), &json!(["smith", "jones"]), &json!("joint filing"))
    );
    assert_eq!(outcome.state.clients, ["smith", "jones"]);
    let questionnaire = json!({ "type": "completeStep", "stepId": "questionnaire" });
    assert!(engine.execute(&outcome.state, &command(questionnaire), &client_of("jones")).is_ok());
}

#[test]
fn a_case_stops_before_its_version_passes_javascripts_exact_integers() {
    let engine = firm();
    let state = start(&engine, "chapter-7");
    let max = (1_u64 << 53) - 1;
    // Six steps: a command records at most 2 × 6 + 2 events.
    let mut near = state.clone();
    near.version = max - 14;
    let outcome = run(&engine, &near, "dana", json!({ "type": "claim" }));
    assert!(outcome.events.iter().all(|e| e.seq <= max));
    near.version = max - 13;
    let error = rejection(&engine, &near, &ctx("dana"), json!({ "type": "claim" }));
    assert_code(&error, ErrorCode::InvalidInput);
    assert_eq!(error.details.path.as_deref(), Some("version"));
    let mut past = to_json(&state);
    past["version"] = json!(max + 1);
    let error = handoff_engine::input::from_json::<CaseState>(&past.to_string()).unwrap_err();
    assert_eq!(error.details.path.as_deref(), Some("version"));
    past["version"] = json!(u64::MAX);
    assert!(handoff_engine::input::from_json::<CaseState>(&past.to_string()).is_err());
}
