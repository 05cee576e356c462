//! One test per stuck-work code (SPEC §10, §13): a case of the Example Law Firm brought to the
//! point where it waits on someone, and the firm's directory then changed under it. Each
//! asserts the code, severity, step, party and a message that names people and steps by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::CaseState;
use handoff_engine::model::{EngineConfig, Party};
use handoff_engine::stuck::{StuckCode, StuckWork};
use handoff_engine::{Engine, Severity};
use serde_json::{json, Value};

/// The example firm with these members deactivated.
fn deactivated(ids: &[&str]) -> EngineConfig<'static> {
    let mut config = config();
    for member in &mut config.directory.members {
        if ids.contains(&member.id.as_str()) {
            member.active = false;
        }
    }
    config
}

fn stuck(config: EngineConfig<'static>, cases: &[CaseState]) -> Vec<StuckWork> {
    Engine::new(config).find_stuck_work(cases)
}

/// The one finding with `code`; fails if there is none or several.
fn only(found: &[StuckWork], code: StuckCode) -> StuckWork {
    let matching: Vec<&StuckWork> = found.iter().filter(|w| w.code == code).collect();
    assert_eq!(matching.len(), 1, "expected one {code:?}, got {found:#?}");
    matching[0].clone()
}

fn codes(found: &[StuckWork]) -> Vec<StuckCode> {
    found.iter().map(|w| w.code).collect()
}

/// A Chapter 7 case run by Dana up to its review call: the handoff to a Paralegal is pending.
fn at_review_call(engine: &Engine) -> CaseState {
    let state = start(engine, "chapter-7");
    let state = run(engine, &state, "dana", json!({ "type": "completeStep", "stepId": "documents" })).state;
    let state = run(engine, &state, "dana", json!({ "type": "claim" })).state;
    let state = run(engine, &state, "dana", json!({ "type": "completeStep", "stepId": "credit-report" })).state;
    engine
        .execute(&state, &command(json!({ "type": "completeStep", "stepId": "questionnaire" })), &client())
        .unwrap()
        .state
}

fn with_case_role(engine: &Engine, state: &CaseState, role: &str, member: &str) -> CaseState {
    run(engine, state, "morgan", json!({ "type": "setCaseRole", "roleId": role, "memberId": member })).state
}

#[test]
fn a_case_nobody_waits_on_is_not_stuck() {
    let engine = firm();
    assert!(engine.find_stuck_work(&[start(&engine, "chapter-7"), at_review_call(&engine)]).is_empty());
}

#[test]
fn owner_inactive() {
    let engine = firm();
    let state = run(&engine, &start(&engine, "chapter-7"), "dana", json!({ "type": "claim" })).state;
    let found = stuck(deactivated(&["dana"]), &[state]);
    let w = only(&found, StuckCode::OwnerInactive);
    assert_eq!((w.severity, w.case_id.as_str(), w.step_id.as_deref()), (Severity::Error, "case-1", None));
    assert_eq!(w.party, Some(Party::member("dana")));
    assert_eq!(w.message, "Case case-1 is owned by Dana Whitfield, who is no longer active.");
}

#[test]
fn owner_unstaffed() {
    let engine = firm();
    let state = start(&engine, "chapter-7"); // owned by the Documents Team: Dana and Devon
    assert!(stuck(deactivated(&["dana"]), std::slice::from_ref(&state)).is_empty(), "Devon is still there");
    let found = stuck(deactivated(&["dana", "devon"]), &[state]);
    let w = only(&found, StuckCode::OwnerUnstaffed);
    assert_eq!((w.severity, w.party), (Severity::Error, Some(Party::team("documents"))));
    assert_eq!(w.message, "Case case-1 is owned by the Documents Team, and no active member belongs to that team.");
}

#[test]
fn handoff_target_inactive_a_member() {
    let mut firm = config();
    firm.workflows = vec![definition(json!({ "id": "chapter-7", "name": "Chapter 7", "version": 1, "steps": [
        { "id": "intake", "name": "Intake" },
        { "id": "review", "name": "Review", "handoff": { "to": { "kind": "member", "id": "paula" } } },
    ] }))];
    let engine = Engine::new(firm.clone());
    let state =
        run(&engine, &start(&engine, "chapter-7"), "dana", json!({ "type": "completeStep", "stepId": "intake" })).state;
    for member in &mut firm.directory.members {
        member.active &= member.id != "paula";
    }
    let found = stuck(firm, &[state]);
    let w = only(&found, StuckCode::HandoffTargetInactive);
    assert_eq!((w.severity, w.step_id.as_deref()), (Severity::Error, Some("review")));
    assert_eq!(w.party, Some(Party::member("paula")));
    assert_eq!(w.message, "The handoff of case case-1 at step Review goes to Paula Park, who is no longer active.");
}

#[test]
fn handoff_target_inactive_a_role_whose_case_holder_left() {
    let engine = firm();
    let state = with_case_role(&engine, &at_review_call(&engine), "paralegal", "pete");
    let found = stuck(deactivated(&["pete"]), &[state]);
    let w = only(&found, StuckCode::HandoffTargetInactive);
    assert_eq!((w.step_id.as_deref(), w.party.clone()), (Some("review-call"), Some(Party::member("pete"))));
    assert!(
        w.message.starts_with("The handoff of case case-1 at step Client review call goes to the Paralegal role, whose holder on this case, Pete Alvarez, is no longer active"),
        "{}",
        w.message
    );
    // Pete's case role is a finding of its own.
    assert_eq!(codes(&found), [StuckCode::HandoffTargetInactive, StuckCode::CaseRoleInactive]);
}

#[test]
fn handoff_target_unstaffed() {
    let engine = firm();
    let state = with_case_role(&engine, &at_review_call(&engine), "paralegal", "pete");
    // Ivan was gone already; with Paula and Pete gone too, no Paralegal is left to receive it:
    // unstaffed, and not also inactive.
    let found = stuck(deactivated(&["paula", "pete"]), &[state]);
    let w = only(&found, StuckCode::HandoffTargetUnstaffed);
    assert_eq!((w.severity, w.step_id.as_deref()), (Severity::Error, Some("review-call")));
    assert_eq!(w.party, Some(Party::role("paralegal")));
    assert_eq!(
        w.message,
        "The handoff of case case-1 at step Client review call goes to the Paralegal role, and no active member holds that role."
    );
    assert_eq!(codes(&found), [StuckCode::HandoffTargetUnstaffed, StuckCode::CaseRoleInactive]);
}

#[test]
fn case_role_inactive() {
    let engine = firm();
    let state = with_case_role(&engine, &start(&engine, "chapter-7"), "attorney", "avery");
    let found = stuck(deactivated(&["avery"]), &[state]);
    let w = only(&found, StuckCode::CaseRoleInactive);
    assert_eq!((w.severity, w.step_id.as_deref()), (Severity::Warning, None));
    assert_eq!(w.party, Some(Party::member("avery")));
    assert_eq!(w.message, "On case case-1, the Attorney role is held by Avery Stone, who is no longer active.");
}

#[test]
fn assignee_inactive_only_for_steps_not_yet_done() {
    let engine = firm();
    let assign = |state: &CaseState, step: &str| {
        let to = json!({ "kind": "member", "id": "paula" });
        run(&engine, state, "morgan", json!({ "type": "assignStep", "stepId": step, "to": to })).state
    };
    let state = assign(&assign(&start(&engine, "chapter-7"), "documents"), "petition");
    let state = run(&engine, &state, "paula", json!({ "type": "completeStep", "stepId": "documents" })).state;
    let found = stuck(deactivated(&["paula"]), &[state]);
    let w = only(&found, StuckCode::AssigneeInactive);
    assert_eq!((w.severity, w.step_id.as_deref()), (Severity::Warning, Some("petition")));
    assert_eq!(w.party, Some(Party::member("paula")));
    assert_eq!(
        w.message,
        "Step Petition preparation of case case-1 is assigned to Paula Park, who is no longer active."
    );
}

#[test]
fn newer_version() {
    let engine = firm();
    let state = start(&engine, "chapter-7");
    let mut config = config();
    let mut next = config.workflows[0].clone();
    next.version = 2;
    config.workflows.push(next);
    let found = stuck(config, &[state]);
    let w = only(&found, StuckCode::NewerVersion);
    assert_eq!((w.severity, w.step_id.as_deref(), w.party.clone()), (Severity::Info, None, None));
    assert_eq!(w.message, "Case case-1 runs on version 1 of Chapter 7 case preparation; version 2 is the latest.");
}

#[test]
fn case_unfit_is_reported_and_the_other_cases_are_still_examined() {
    let engine = firm();
    let good = run(&engine, &start(&engine, "chapter-7"), "dana", json!({ "type": "claim" })).state;
    let mut missing_step = good.clone();
    missing_step.case_id = "missing-step".into();
    missing_step.steps.remove("petition");
    let mut unknown_version = good.clone();
    unknown_version.case_id = "unknown-version".into();
    unknown_version.workflow_version = 9;
    let mut stranger = good.clone();
    stranger.case_id = "stranger".into();
    stranger.owner = Party::member("nobody");
    let cases = [missing_step, unknown_version, stranger, good];
    let found = stuck(deactivated(&["dana"]), &cases);
    let summary: Vec<(&str, StuckCode, Severity)> =
        found.iter().map(|w| (w.case_id.as_str(), w.code, w.severity)).collect();
    assert_eq!(
        summary,
        [
            ("missing-step", StuckCode::CaseUnfit, Severity::Error),
            ("unknown-version", StuckCode::CaseUnfit, Severity::Error),
            ("stranger", StuckCode::CaseUnfit, Severity::Error),
            ("case-1", StuckCode::OwnerInactive, Severity::Error),
        ]
    );
    assert!(
        found[0].message.starts_with("Case missing-step does not fit its workflow version"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("do not match workflow Chapter 7 case preparation version 1"),
        "{}",
        found[0].message
    );
    assert!(found[1].message.contains("no workflow \"chapter-7\" version 9"), "{}", found[1].message);
    assert!(found[2].message.contains("not in the directory"), "{}", found[2].message);
}

#[test]
fn closed_cases_are_never_stuck() {
    let mut config = config();
    config.workflows = vec![definition(json!({ "id": "chapter-7", "name": "Chapter 7", "version": 1, "steps": [
        { "id": "intake", "name": "Intake" },
    ] }))];
    let engine = Engine::new(config.clone());
    let state = run(&engine, &start(&engine, "chapter-7"), "dana", json!({ "type": "claim" })).state;
    let state = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": "intake" })).state;
    assert!(state.closed);
    for member in &mut config.directory.members {
        member.active = false;
    }
    let mut next = config.workflows[0].clone();
    next.version = 2;
    config.workflows.push(next);
    let mut unfit = state.clone();
    unfit.workflow_version = 7;
    assert!(stuck(config, &[state, unfit]).is_empty());
}

#[test]
fn stuck_work_serializes_as_the_spec_says() {
    let engine = firm();
    let state = run(&engine, &start(&engine, "chapter-7"), "dana", json!({ "type": "claim" })).state;
    let found = stuck(deactivated(&["dana"]), &[state]);
    let value: Value = to_json(&found);
    assert_eq!(
        value,
        json!([{ "caseId": "case-1", "code": "owner-inactive", "severity": "error",
                 "message": "Case case-1 is owned by Dana Whitfield, who is no longer active.",
                 "party": { "kind": "member", "id": "dana" } }])
    );
    let every: Vec<Value> = [
        StuckCode::OwnerInactive,
        StuckCode::OwnerUnstaffed,
        StuckCode::HandoffTargetInactive,
        StuckCode::HandoffTargetUnstaffed,
        StuckCode::CaseRoleInactive,
        StuckCode::AssigneeInactive,
        StuckCode::NewerVersion,
        StuckCode::CaseUnfit,
    ]
    .iter()
    .map(to_json)
    .collect();
    assert_eq!(
        every,
        [
            "owner-inactive",
            "owner-unstaffed",
            "handoff-target-inactive",
            "handoff-target-unstaffed",
            "case-role-inactive",
            "assignee-inactive",
            "newer-version",
            "case-unfit"
        ]
    );
}
