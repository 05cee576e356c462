//! Running cases through change (SPEC §10, §13): redirecting a pending handoff, planning the
//! reassignment of a person's work, and migrating a case onto a later version of its workflow.
//! One test per rule and per rejection, on the Example Law Firm.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::{CaseState, Command, LastHandoff, Reassignment, StepStatus};
use handoff_engine::input::from_json;
use handoff_engine::model::Party;
use handoff_engine::{Engine, ErrorCode, HandoffError};
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
        json!({
            "stepId": "review-call",
            "to": paula(),
            "required": true,
            "requestedAt": "2026-11-25T09:00:00Z",
            "escalatesAt": null
        })
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

// --- planReassignment ------------------------------------------------------------------------

/// A workflow whose handoff goes to Paula herself, and whose last step she does.
fn paulas_workflow() -> Engine {
    firm_with(json!({ "id": "intake", "name": "Intake", "version": 1, "steps": [
        { "id": "a", "name": "Intake call" },
        { "id": "b", "name": "Paralegal review", "handoff": { "to": { "kind": "member", "id": "paula" } } },
        { "id": "c", "name": "Filing", "assignee": { "kind": "member", "id": "paula" } }
    ]}))
}

fn reassignment(from: &str, to: &str) -> Reassignment {
    from_json(&json!({ "from": from, "to": to, "reason": "Paula left the firm" }).to_string()).unwrap()
}

fn plan_json(engine: &Engine, cases: &[CaseState], from: &str, to: &str) -> Value {
    to_json(&engine.plan_reassignment(cases, &reassignment(from, to)).unwrap())
}

#[test]
fn a_plan_moves_ownership_case_roles_assignments_and_a_pending_handoff() {
    let engine = paulas_workflow();
    let input = handoff_engine::case::StartCase {
        case_id: "k1".into(),
        workflow_id: "intake".into(),
        facts: Default::default(),
        case_roles: [("paralegal".to_owned(), "paula".to_owned())].into(),
        clients: Vec::new(),
    };
    let mut state = engine.start_case(&input, &ctx("dana")).unwrap().state;
    state =
        run(&engine, &state, "morgan", json!({ "type": "transferOwnership", "to": paula(), "reason": "hers" })).state;
    state = run(&engine, &state, "paula", json!({ "type": "completeStep", "stepId": "a" })).state;
    assert_eq!(to_json(&state.pending_handoff.as_ref().unwrap().to), paula());
    let plan = plan_json(&engine, std::slice::from_ref(&state), "paula", "pete");
    let pete = json!({ "kind": "member", "id": "pete" });
    let reason = "Paula left the firm";
    assert_eq!(
        plan,
        json!({
            "commands": [
                { "caseId": "k1", "command": { "type": "transferOwnership", "to": pete, "reason": reason } },
                { "caseId": "k1", "command": { "type": "setCaseRole", "roleId": "paralegal", "memberId": "pete" } },
                { "caseId": "k1", "command": { "type": "assignStep", "stepId": "c", "to": pete } },
                { "caseId": "k1", "command": { "type": "redirectHandoff", "stepId": "b", "to": pete, "reason": reason } }
            ],
            "skipped": []
        })
    );
}

#[test]
fn a_case_role_the_new_member_cannot_hold_is_skipped_and_nothing_else_is_planned_for_it() {
    let engine = firm();
    let input = handoff_engine::case::StartCase {
        case_id: "k2".into(),
        workflow_id: "chapter-7".into(),
        facts: Default::default(),
        case_roles: [("paralegal".to_owned(), "paula".to_owned())].into(),
        clients: Vec::new(),
    };
    let state = engine.start_case(&input, &ctx("dana")).unwrap().state;
    let plan = plan_json(&engine, &[state], "paula", "avery");
    assert_eq!(plan["commands"], json!([]));
    assert_eq!(plan["skipped"].as_array().unwrap().len(), 1);
    let skipped = &plan["skipped"][0];
    assert_eq!((&skipped["caseId"], &skipped["code"]), (&json!("k2"), &json!("target-ineligible")));
    assert!(skipped["message"].as_str().unwrap().contains("Avery Stone does not hold the Paralegal role"), "{skipped}");
}

#[test]
fn closed_cases_are_left_alone_and_a_case_that_does_not_fit_is_skipped() {
    let engine = paulas_workflow();
    let mut state = start(&engine, "intake");
    state =
        run(&engine, &state, "morgan", json!({ "type": "transferOwnership", "to": paula(), "reason": "hers" })).state;
    let mut closed = state.clone();
    for step in ["a", "b", "c"] {
        let command = json!({ "type": "skipStep", "stepId": step, "reason": "done" });
        closed = run(&engine, &closed, "morgan", command).state;
    }
    assert!(closed.closed);
    let mut misfit = state.clone();
    misfit.case_id = "broken".into();
    misfit.owner = Party::member("nobody");
    let plan = plan_json(&engine, &[closed, misfit, state], "paula", "pete");
    let for_cases: Vec<&Value> = plan["commands"].as_array().unwrap().iter().map(|c| &c["caseId"]).collect();
    assert_eq!(for_cases, [&json!("case-1"), &json!("case-1")], "the owner and step c, of the open case only");
    assert_eq!(plan["skipped"][0]["caseId"], json!("broken"));
    assert_eq!(plan["skipped"][0]["code"], json!("invalid-input"));
}

#[test]
fn a_reassignment_goes_to_an_active_member_other_than_the_one_leaving() {
    let engine = firm();
    let state = start(&engine, "chapter-7");
    for (from, to, path) in
        [("paula", "paula", "to"), ("paula", "ivan", "to"), ("paula", "ghost", "to"), ("ghost", "pete", "from")]
    {
        let error = engine.plan_reassignment(std::slice::from_ref(&state), &reassignment(from, to)).unwrap_err();
        assert_eq!((error.code, error.details.path.as_deref()), (ErrorCode::InvalidInput, Some(path)), "{from} → {to}");
    }
    for (bad, path) in [
        (json!({ "from": "paula", "to": "pete" }), "reason"),
        (json!({ "from": "paula", "to": "pete", "reason": "  " }), "reason"),
        (json!({ "from": "", "to": "pete", "reason": "r" }), "from"),
        (json!({ "from": "paula", "to": "pete", "reason": "r", "dryRun": true }), "dryRun"),
    ] {
        let error = from_json::<Reassignment>(&bad.to_string()).unwrap_err();
        assert_eq!(error.details.path.as_deref(), Some(path), "{bad}");
    }
}

// --- migrateCase -----------------------------------------------------------------------------

/// The example firm with chapter 7 in version 1 and `next` (JSON) as version 2.
fn with_version_2(next: Value) -> Engine {
    let mut config = config();
    config.workflows.push(definition(next));
    Engine::new(config)
}

/// Chapter 7 version 2: a means test after the credit report (the questionnaire now after it),
/// the petition renamed, and the final review's handoff optional.
fn chapter_7_v2() -> Value {
    json!({ "id": "chapter-7", "name": "Chapter 7 case preparation", "version": 2, "steps": [
        { "id": "documents", "name": "Initial document collection" },
        { "id": "credit-report", "name": "Credit report review" },
        { "id": "means-test", "name": "Means test", "assignee": { "kind": "member", "id": "avery" } },
        { "id": "questionnaire", "name": "Client questionnaire", "clientFacing": true },
        { "id": "review-call", "name": "Client review call", "handoff": { "to": { "kind": "role", "id": "paralegal" } } },
        { "id": "petition-draft", "name": "Petition preparation" },
        { "id": "final-review", "name": "Attorney final review",
          "handoff": { "to": { "kind": "role", "id": "attorney" }, "required": false } }
    ]})
}

fn migrate(to_version: u64, mapping: Value) -> Value {
    json!({ "type": "migrateCase", "toVersion": to_version, "mapping": mapping, "reason": "Version 2 adds the means test" })
}

fn problems(error: &HandoffError) -> Vec<(Option<String>, String)> {
    assert_code(error, ErrorCode::MigrationInvalid);
    error.details.problems.clone().unwrap().into_iter().map(|p| (p.step_id, p.message)).collect()
}

#[test]
fn a_migration_keeps_the_case_records_what_changed_and_replays() {
    let engine = with_version_2(chapter_7_v2());
    let events = engine_start_events(&firm());
    let state = engine.replay(&events).unwrap();
    let migrated = run(&engine, &state, "morgan", migrate(2, json!({ "petition": "petition-draft" })));
    // The means test comes before the questionnaire, which the client has done: skipped.
    assert_eq!(event_types(&migrated), ["caseMigrated", "stepSkipped"]);
    let event = to_json(&migrated.events[0]);
    assert_eq!((&event["fromVersion"], &event["toVersion"]), (&json!(1), &json!(2)));
    assert_eq!(
        (&event["mapping"], &event["dropped"], &event["added"]),
        (&json!({ "petition": "petition-draft" }), &json!([]), &json!(["means-test"]))
    );
    assert_eq!(to_json(&migrated.events[1])["reason"], json!("added in version 2 after this point"));
    let after = &migrated.state;
    assert_eq!(after.workflow_version, 2);
    assert_eq!(
        (&after.owner, &after.case_roles, &after.facts, &after.clients),
        (&state.owner, &state.case_roles, &state.facts, &state.clients)
    );
    assert_eq!(status(after, "petition-draft"), "pending");
    assert_eq!(status(after, "means-test"), "skipped");
    assert_eq!(status(after, "review-call"), "awaitingHandoff", "the same handoff stays pending");
    assert_eq!(after.pending_handoff, state.pending_handoff);
    assert!(!after.steps.contains_key("petition"));
    assert!(engine.fits(after).is_ok());
    assert_eq!(engine.replay(&[events, migrated.events.clone()].concat()).unwrap(), migrated.state);
}

#[test]
fn an_added_step_is_triggered_when_all_it_comes_after_is_done_and_pending_otherwise() {
    let engine = with_version_2(json!({ "id": "chapter-7", "name": "Chapter 7", "version": 2, "steps": [
        { "id": "documents", "name": "Initial document collection" },
        { "id": "welcome", "name": "Welcome letter", "after": ["documents"], "assignee": { "kind": "member", "id": "devon" } },
        { "id": "credit-report", "name": "Credit report review", "after": ["documents"] },
        { "id": "questionnaire", "name": "Client questionnaire", "clientFacing": true },
        { "id": "summary", "name": "Summary", "after": ["questionnaire"] },
        { "id": "review-call", "name": "Client review call", "after": ["summary"],
          "handoff": { "to": { "kind": "role", "id": "paralegal" } } },
        { "id": "petition", "name": "Petition preparation" },
        { "id": "final-review", "name": "Attorney final review", "handoff": { "to": { "kind": "role", "id": "attorney" } } }
    ]}));
    let mut state = start(&firm(), "chapter-7");
    state = run(&engine, &state, "dana", json!({ "type": "completeStep", "stepId": "documents" })).state;
    let migrated = run(&engine, &state, "morgan", migrate(2, json!({})));
    assert_eq!(event_types(&migrated), ["caseMigrated", "stepTriggered"]);
    assert_eq!(to_json(&migrated.events[0])["mapping"], json!({}), "{{}} when none was given");
    assert_eq!(to_json(&migrated.events[0])["added"], json!(["welcome", "summary"]));
    assert_eq!(status(&migrated.state, "welcome"), "active");
    assert_eq!(
        to_json(&migrated.state.steps["welcome"].assignee),
        json!({ "kind": "member", "id": "devon" }),
        "its assignee in version 2"
    );
    assert_eq!(status(&migrated.state, "summary"), "pending");
}

#[test]
fn a_pending_handoff_whose_step_changed_is_requested_again_or_ends() {
    let v1 = firm();
    let mut state = at_paralegal_handoff(&v1);
    state =
        run(&v1, &state, "dana", json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" })).state;
    state = run(&v1, &state, "paula", json!({ "type": "completeStep", "stepId": "review-call" })).state;
    state = run(&v1, &state, "paula", json!({ "type": "completeStep", "stepId": "petition" })).state;
    assert_eq!(status(&state, "final-review"), "awaitingHandoff");
    // Optional now: requested again as an offer, and the step is active.
    let engine = with_version_2(chapter_7_v2());
    let migrated = run(&engine, &state, "morgan", migrate(2, json!({ "petition": "petition-draft" })));
    assert_eq!(event_types(&migrated), ["caseMigrated", "handoffRequested", "stepSkipped"]);
    assert_eq!(to_json(&migrated.events[1])["required"], json!(false));
    assert_eq!(status(&migrated.state, "final-review"), "active");
    assert!(!migrated.state.pending_handoff.as_ref().unwrap().required);
    // No handoff at all now: the handoff ends, and the step is active.
    let mut v2 = chapter_7_v2();
    v2["steps"][6].as_object_mut().unwrap().remove("handoff");
    let engine = with_version_2(v2);
    let migrated = run(&engine, &state, "morgan", migrate(2, json!({ "petition": "petition-draft" })));
    assert_eq!(event_types(&migrated), ["caseMigrated", "stepSkipped"]);
    assert_eq!(status(&migrated.state, "final-review"), "active");
    assert_eq!(migrated.state.pending_handoff, None);
    assert_eq!(migrated.state.owner, state.owner, "a migration is not a handoff");
}

#[test]
fn a_redirected_handoff_stays_redirected_when_its_step_keeps_its_handoff() {
    let v1 = firm();
    let state = at_paralegal_handoff(&v1);
    let redirected = run(&v1, &state, "morgan", redirect("review-call", paula())).state;
    let engine = with_version_2(chapter_7_v2());
    let migrated = run(&engine, &redirected, "morgan", migrate(2, json!({ "petition": "petition-draft" })));
    assert_eq!(migrated.state.pending_handoff, redirected.pending_handoff);
}

#[test]
fn a_migration_leaves_nothing_to_revert() {
    let v1 = firm();
    let state = at_paralegal_handoff(&v1);
    let handed =
        run(&v1, &state, "dana", json!({ "type": "completeHandoff", "stepId": "review-call", "to": "paula" })).state;
    assert!(handed.last_handoff.is_some());
    // Version 2 adds a step at the end, so that nothing else happens with the migration.
    let mut v2: Value = serde_json::from_str(EXAMPLE_FIRM).unwrap();
    let mut v2 = v2["workflows"][0].take();
    v2["version"] = json!(2);
    v2["steps"].as_array_mut().unwrap().push(json!({ "id": "letter", "name": "Closing letter" }));
    let engine = with_version_2(v2);
    let migrated = run(&engine, &handed, "morgan", migrate(2, json!({})));
    assert_eq!(event_types(&migrated), ["caseMigrated"]);
    assert_eq!(migrated.state.last_handoff, None);
    let revert = json!({ "type": "revertHandoff", "stepId": "review-call" });
    assert_code(&rejection(&engine, &migrated.state, &ctx("dana"), revert), ErrorCode::RevertNotAllowed);
}

#[test]
fn a_step_under_way_must_have_a_step_in_the_target_version() {
    let v1 = firm();
    let state = at_paralegal_handoff(&v1);
    let mut v2 = chapter_7_v2();
    v2["steps"].as_array_mut().unwrap().remove(4);
    let engine = with_version_2(v2);
    let error = rejection(&engine, &state, &ctx("morgan"), migrate(2, json!({ "petition": "petition-draft" })));
    let found = problems(&error);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0.as_deref(), Some("review-call"));
    assert!(found[0].1.contains("Client review call is under way"), "{}", found[0].1);
    assert!(
        error.message.starts_with("Case case-1 cannot move to version 2 of Chapter 7 case preparation"),
        "{}",
        error.message
    );
    // Dropping steps that are done, or have not started, is fine: listed in `dropped`.
    let mut v2 = chapter_7_v2();
    v2["steps"].as_array_mut().unwrap().remove(5);
    v2["steps"].as_array_mut().unwrap().remove(1);
    let engine = with_version_2(v2);
    let migrated = run(&engine, &state, "morgan", migrate(2, json!({})));
    assert_eq!(to_json(&migrated.events[0])["dropped"], json!(["credit-report", "petition"]));
}

#[test]
fn every_problem_with_a_mapping_is_listed_with_its_step() {
    let engine = with_version_2(chapter_7_v2());
    let state = at_paralegal_handoff(&firm());
    let mapping = json!({ "zzz": "documents", "petition": "nowhere", "credit-report": "documents" });
    let found = problems(&rejection(&engine, &state, &ctx("morgan"), migrate(2, mapping)));
    let steps: Vec<Option<&str>> = found.iter().map(|(step, _)| step.as_deref()).collect();
    assert_eq!(steps, [Some("zzz"), Some("credit-report"), Some("petition")], "{found:?}");
    assert!(found[0].1.contains("\"zzz\", which is not a step of this case"), "{}", found[0].1);
    assert!(found[1].1.contains("would become the same step as another"), "{}", found[1].1);
    assert!(found[2].1.contains("mapped to a step that version lacks"), "{}", found[2].1);
}

#[test]
fn a_step_that_is_not_done_cannot_come_before_one_that_has_started() {
    // Version 2 puts the petition before the review call, whose handoff is pending.
    let mut v2 = chapter_7_v2();
    let steps = v2["steps"].as_array_mut().unwrap();
    let petition = steps.remove(5);
    steps.insert(4, petition);
    let engine = with_version_2(v2);
    let state = at_paralegal_handoff(&firm());
    let found =
        problems(&rejection(&engine, &state, &ctx("morgan"), migrate(2, json!({ "petition": "petition-draft" }))));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0.as_deref(), Some("petition"));
    assert!(found[0].1.contains("a step that comes after it has started"), "{}", found[0].1);
}

#[test]
fn an_assigned_step_cannot_become_one_the_client_does() {
    let mut v2 = chapter_7_v2();
    v2["steps"][5]["clientFacing"] = json!(true);
    let engine = with_version_2(v2);
    let mut state = at_paralegal_handoff(&firm());
    let assign = json!({ "type": "assignStep", "stepId": "petition", "to": paula() });
    state = run(&engine, &state, "dana", assign).state;
    let found =
        problems(&rejection(&engine, &state, &ctx("morgan"), migrate(2, json!({ "petition": "petition-draft" }))));
    assert_eq!(found.iter().map(|p| p.0.as_deref()).collect::<Vec<_>>(), [Some("petition")]);
}

#[test]
fn the_target_must_be_a_later_version_without_errors() {
    let state = at_paralegal_handoff(&firm());
    let mut broken = chapter_7_v2();
    broken["steps"][2]["assignee"] = json!({ "kind": "member", "id": "ivan" });
    let engine = with_version_2(broken);
    let found = problems(&rejection(&engine, &state, &ctx("morgan"), migrate(2, json!({}))));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, None, "about the version as a whole");
    assert!(found[0].1.contains("has errors"));
    let engine = with_version_2(chapter_7_v2());
    let found = problems(&rejection(&engine, &state, &ctx("morgan"), migrate(1, json!({}))));
    assert_eq!((found.len(), found[0].0.as_deref()), (1, None));
}

#[test]
fn migration_rejections_follow_the_spec_order() {
    let engine = with_version_2(chapter_7_v2());
    let state = at_paralegal_handoff(&firm());
    // invalid-input, then case-closed, not-permitted, unknown-case-workflow, migration-invalid.
    let error = Command::from_json(&migrate(2, json!({ "petition": "" })).to_string()).unwrap_err();
    assert_eq!((error.code, error.details.path.as_deref()), (ErrorCode::InvalidInput, Some("mapping.petition")));
    let error = Command::from_json(&json!({ "type": "migrateCase", "toVersion": 2 }).to_string()).unwrap_err();
    assert_eq!(error.details.path.as_deref(), Some("reason"));
    let error =
        Command::from_json(&json!({ "type": "migrateCase", "toVersion": -1, "reason": "r" }).to_string()).unwrap_err();
    assert_eq!(error.details.path.as_deref(), Some("toVersion"));
    let mut closed = state.clone();
    while !closed.closed {
        let (step, _) = closed
            .steps
            .iter()
            .find(|(_, s)| matches!(s.status, StepStatus::Active | StepStatus::AwaitingHandoff))
            .unwrap();
        let skip = json!({ "type": "skipStep", "stepId": step, "reason": "done" });
        closed = run(&engine, &closed, "morgan", skip).state;
    }
    assert_code(&rejection(&engine, &closed, &ctx("dana"), migrate(9, json!({}))), ErrorCode::CaseClosed);
    assert_code(&rejection(&engine, &state, &ctx("dana"), migrate(9, json!({}))), ErrorCode::NotPermitted);
    assert_code(
        &rejection(&engine, &state, &ctx("morgan"), migrate(9, json!({ "zzz": "a" }))),
        ErrorCode::UnknownCaseWorkflow,
    );
    assert_code(
        &rejection(&engine, &state, &ctx("morgan"), migrate(2, json!({ "zzz": "a" }))),
        ErrorCode::MigrationInvalid,
    );
}

#[test]
fn check_is_the_dry_run_and_admins_are_offered_a_migration_while_a_later_version_exists() {
    let engine = with_version_2(chapter_7_v2());
    let state = at_paralegal_handoff(&firm());
    let dry = engine.check(&state, &command(migrate(2, json!({ "petition": "petiton-draft" }))), &ctx("morgan"));
    assert_eq!(problems(&dry.unwrap_err()).len(), 1, "a typo in the mapping");
    assert_eq!(
        engine.check(&state, &command(migrate(2, json!({ "petition": "petition-draft" }))), &ctx("morgan")),
        Ok(())
    );
    let listed = |state: &CaseState, who: &str| {
        engine
            .allowed_commands(state, &ctx(who).actor)
            .unwrap()
            .iter()
            .any(|a| to_json(&a.kind) == json!("migrateCase"))
    };
    assert!(listed(&state, "morgan"));
    assert!(!listed(&state, "dana"));
    let migrated = run(&engine, &state, "morgan", migrate(2, json!({ "petition": "petition-draft" }))).state;
    assert!(!listed(&migrated, "morgan"), "on the latest version");
}
