//! The Example Law Firm, end to end: new Chapter 7 cases belong to the Documents Team, who
//! collect documents and review the credit report; the client fills in the questionnaire; the
//! case is handed to a Paralegal for the review call and petition, then to an Attorney.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::Event;
use handoff_engine::ErrorCode;
use serde_json::json;

#[test]
fn a_chapter_7_case_runs_through_both_handoffs_to_closing() {
    let engine = firm();
    let mut log: Vec<Event> = Vec::new();

    // Start: the Documents Team owns the case by the Workflow Owners setting, not by a handoff.
    let input = handoff_engine::case::StartCase {
        case_id: "smith-2026".into(),
        workflow_id: "chapter-7".into(),
        facts: Default::default(),
        case_roles: Default::default(),
        clients: Vec::new(),
    };
    let started = engine.start_case(&input, &ctx("dana")).unwrap();
    assert_eq!(event_types(&started), ["caseStarted", "stepTriggered"]);
    assert_eq!(owner(&started.state), json!({ "kind": "team", "id": "documents" }));
    assert_eq!(status(&started.state, "documents"), "active");
    assert_eq!(started.state.version, 2);
    log.extend(started.events.clone());
    let mut state = started.state;

    let mut step = |state: &mut handoff_engine::case::CaseState, by: &handoff_engine::case::Ctx, cmd| {
        let outcome = engine.execute(state, &command(cmd), by).unwrap();
        log.extend(outcome.events.clone());
        *state = outcome.state.clone();
        outcome
    };

    // Any member of the team may work the team's case; Dana takes it personally (not a handoff).
    step(&mut state, &ctx("devon"), json!({ "type": "completeStep", "stepId": "documents" }));
    let claimed = step(&mut state, &ctx("dana"), json!({ "type": "claim" }));
    assert_eq!(event_types(&claimed), ["ownershipClaimed"]);
    assert_eq!(owner(&state), json!({ "kind": "member", "id": "dana" }));
    step(&mut state, &ctx("dana"), json!({ "type": "completeStep", "stepId": "credit-report" }));
    assert_eq!(status(&state, "questionnaire"), "active");

    // The client fills in the questionnaire; ownership does not change there.
    let answered = step(&mut state, &client(), json!({ "type": "completeStep", "stepId": "questionnaire" }));
    assert_eq!(event_types(&answered), ["stepCompleted", "stepTriggered", "handoffRequested"]);
    assert_eq!(owner(&state), json!({ "kind": "member", "id": "dana" }));
    assert_eq!(status(&state, "review-call"), "awaitingHandoff");
    assert_eq!(
        to_json(&state.pending_handoff),
        json!({
            "stepId": "review-call",
            "to": { "kind": "role", "id": "paralegal" },
            "required": true,
            "requestedAt": "2026-11-25T09:00:00Z",
            "escalatesAt": null
        })
    );

    // The handoff must be completed before the step proceeds, and to a particular paralegal.
    let blocked = rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeStep", "stepId": "review-call" }));
    assert_code(&blocked, ErrorCode::HandoffPending);
    let who = rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeHandoff", "stepId": "review-call" }));
    assert_code(&who, ErrorCode::TargetRequired);

    // Handoff to Pete, then a change of mind: Dana reverts it, and hands off to Paula instead.
    let handed =
        step(&mut state, &ctx("dana"), json!({ "type": "completeHandoff", "stepId": "review-call", "to": "pete" }));
    assert_eq!(event_types(&handed), ["handoffCompleted"]);
    assert_eq!(owner(&state), json!({ "kind": "member", "id": "pete" }));
    assert_eq!(state.case_roles["paralegal"], "pete");
    assert_eq!(status(&state, "review-call"), "active");
    let reverted = step(
        &mut state,
        &ctx("dana"),
        json!({ "type": "revertHandoff", "stepId": "review-call", "reason": "Pete is on leave" }),
    );
    assert_eq!(event_types(&reverted), ["handoffReverted"]);
    assert_eq!(owner(&state), json!({ "kind": "member", "id": "dana" }));
    assert!(state.case_roles.is_empty());
    assert_eq!(status(&state, "review-call"), "awaitingHandoff");
    step(&mut state, &ctx("dana"), json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" }));
    assert_eq!(owner(&state), json!({ "kind": "member", "id": "paula" }));
    assert_eq!(state.last_handoff.as_ref().unwrap().by, "dana");

    // Dana no longer owns the case: she cannot do Paula's work.
    let not_hers = rejection(&engine, &state, &ctx("dana"), json!({ "type": "completeStep", "stepId": "review-call" }));
    assert_code(&not_hers, ErrorCode::NotPermitted);

    step(&mut state, &ctx("paula"), json!({ "type": "completeStep", "stepId": "review-call" }));
    let late = rejection(&engine, &state, &ctx("dana"), json!({ "type": "revertHandoff", "stepId": "review-call" }));
    assert_code(&late, ErrorCode::RevertNotAllowed);
    let prepared = step(&mut state, &ctx("paula"), json!({ "type": "completeStep", "stepId": "petition" }));
    assert_eq!(event_types(&prepared), ["stepCompleted", "stepTriggered", "handoffRequested"]);

    // Second handoff, to the Attorney role: Avery is the only active attorney.
    let allowed =
        to_json(&engine.allowed_commands(&state, &handoff_engine::case::Actor::Member { id: "paula".into() }).unwrap());
    assert_eq!(allowed[0], json!({ "type": "completeHandoff", "stepId": "final-review", "candidates": ["avery"] }));
    step(&mut state, &ctx("paula"), json!({ "type": "completeHandoff", "stepId": "final-review", "to": "avery" }));
    assert_eq!(owner(&state), json!({ "kind": "member", "id": "avery" }));

    // An admin moves the case; a transfer is recorded but is not a handoff.
    let transferred = step(
        &mut state,
        &ctx("morgan"),
        json!({ "type": "transferOwnership", "to": { "kind": "member", "id": "paula" }, "reason": "Avery is in court all week" }),
    );
    assert_eq!(event_types(&transferred), ["ownershipTransferred"]);
    assert!(state.last_handoff.is_none());

    let closed = step(&mut state, &ctx("paula"), json!({ "type": "completeStep", "stepId": "final-review" }));
    assert_eq!(event_types(&closed), ["stepCompleted", "caseClosed"]);
    assert!(state.closed);
    let after = rejection(&engine, &state, &ctx("morgan"), json!({ "type": "claim" }));
    assert_code(&after, ErrorCode::CaseClosed);

    // The audit trail: exactly three handoffs completed (one reverted), one transfer, and the
    // events replay to the very same state.
    let kinds: Vec<String> = log.iter().map(|e| to_json(e)["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "handoffCompleted").count(), 3);
    assert_eq!(kinds.iter().filter(|k| *k == "ownershipTransferred").count(), 1);
    assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as u64 + 1));
    assert_eq!(engine.replay(&log).unwrap(), state);
    assert_eq!(state.version, log.len() as u64);
}

#[test]
fn the_example_firm_config_is_valid_and_its_timeline_reads_like_the_firm_works() {
    let engine = firm();
    let report = engine.validate_config();
    assert!(report.ok, "{:#?}", report.diagnostics);
    let validation = engine.validate_workflow(&engine.latest_workflow("chapter-7").unwrap().def);
    let owners: Vec<_> = validation.timeline.iter().map(|t| (t.step_id.as_str(), to_json(&t.owner))).collect();
    let team = json!({ "kind": "team", "id": "documents" });
    let paralegal = json!({ "kind": "role", "id": "paralegal" });
    let attorney = json!({ "kind": "role", "id": "attorney" });
    assert_eq!(
        owners,
        [
            ("documents", team.clone()),
            ("credit-report", team.clone()),
            ("questionnaire", team.clone()),
            ("review-call", paralegal.clone()),
            ("petition", paralegal),
            ("final-review", attorney),
        ]
    );
    let questionnaire = &validation.timeline[2];
    assert!(questionnaire.client_facing && questionnaire.worker.is_none());
    assert_eq!(validation.timeline.iter().filter(|t| t.handoff).count(), 2);
}

#[test]
fn events_carry_who_what_when_and_from_whom_to_whom() {
    let engine = firm();
    let state = start(&engine, "chapter-7");
    let outcome = run(&engine, &state, "dana", json!({ "type": "claim" }));
    assert_eq!(
        to_json(&outcome.events[0]),
        json!({
            "seq": 3, "type": "ownershipClaimed", "at": "2026-11-25T09:00:00Z",
            "actor": { "kind": "member", "id": "dana" },
            "from": { "kind": "team", "id": "documents" }, "to": { "kind": "member", "id": "dana" },
            "caseRole": null
        })
    );
}

#[test]
fn a_publishing_edit_does_not_move_a_running_case() {
    let mut config = config();
    let mut v2 = config.workflows[0].clone();
    v2.version = 2;
    v2.steps.retain(|s| s.id != "credit-report");
    config.workflows.push(v2);
    let engine = handoff_engine::Engine::new(config);
    let old_case = {
        let v1_only = firm();
        start(&v1_only, "chapter-7")
    };
    // A new case starts on version 2; the old case still decides on version 1.
    let new_case = start(&engine, "chapter-7");
    assert_eq!(new_case.workflow_version, 2);
    assert!(!new_case.steps.contains_key("credit-report"));
    let next = run(&engine, &old_case, "dana", json!({ "type": "completeStep", "stepId": "documents" }));
    assert_eq!(status(&next.state, "credit-report"), "active");
}
