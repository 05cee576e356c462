//! Deadlines and escalation (SPEC §11, §13): durations and their validation, the times a case
//! keeps, what a tick does, late completion, extending a deadline, and `deadlines()` and
//! `nextDeadline()`. One test per rule, on a small workflow of the Example Law Firm.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::{deadlines, next_deadline, Actor, CaseState, Ctx, DeadlineKind};
use handoff_engine::{Engine, ErrorCode, RuleCode, Severity};
use serde_json::{json, Value};

/// Documents due an hour after the case starts; then a review handed to a paralegal, which
/// escalates to Morgan after 30 minutes unclaimed, due a day after it triggers.
fn workflow() -> Value {
    json!({ "id": "w", "name": "Deadlines", "version": 1, "steps": [
        { "id": "documents", "name": "Documents", "due": "PT1H" },
        { "id": "review", "name": "Review", "due": "P1D",
          "handoff": { "to": { "kind": "role", "id": "paralegal" },
                       "escalate": { "after": "PT30M", "to": { "kind": "member", "id": "morgan" } } } },
        { "id": "filing", "name": "Filing" }
    ]})
}

fn engine() -> Engine {
    firm_with(workflow())
}

fn at(actor: Actor, time: &str) -> Ctx {
    Ctx { actor, at: time.into() }
}

fn member(id: &str) -> Actor {
    Actor::Member { id: id.into() }
}

/// The case, started at 09:00 by Dana.
fn started(engine: &Engine) -> CaseState {
    start(engine, "w")
}

fn exec(engine: &Engine, state: &CaseState, ctx: &Ctx, value: Value) -> handoff_engine::Outcome {
    engine.execute(state, &command(value.clone()), ctx).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn tick(engine: &Engine, state: &CaseState, time: &str) -> handoff_engine::Outcome {
    exec(engine, state, &at(Actor::System, time), json!({ "type": "tick" }))
}

/// At the review's handoff: the documents completed at 09:10.
fn at_review(engine: &Engine) -> CaseState {
    let state = started(engine);
    exec(
        engine,
        &state,
        &at(member("dana"), "2026-11-25T09:10:00Z"),
        json!({ "type": "completeStep", "stepId": "documents" }),
    )
    .state
}

fn findings(def: Value) -> Vec<(RuleCode, Severity, String)> {
    let engine = firm();
    let validation = engine.validate_workflow(&definition(def));
    validation.diagnostics.into_iter().map(|d| (d.code, d.severity, d.path)).collect()
}

#[test]
fn durations_that_are_not_days_hours_and_minutes_are_invalid_duration_at_their_path() {
    for bad in ["P1M", "PT0H", "2 days", "P1DT", "P1W", "PT30S", "P1.5D", "p1d", "P3651D", ""] {
        let mut def = workflow();
        def["steps"][0]["due"] = json!(bad);
        def["steps"][1]["handoff"]["escalate"]["after"] = json!(bad);
        let found: Vec<_> = findings(def).into_iter().filter(|(code, ..)| *code == RuleCode::InvalidDuration).collect();
        assert_eq!(
            found,
            [
                (RuleCode::InvalidDuration, Severity::Error, "steps[0].due".to_owned()),
                (RuleCode::InvalidDuration, Severity::Error, "steps[1].handoff.escalate.after".to_owned())
            ],
            "{bad:?}"
        );
    }
    for good in ["P2D", "PT4H", "P1DT12H", "PT90M", "P3650D"] {
        let mut def = workflow();
        def["steps"][0]["due"] = json!(good);
        assert!(findings(def).iter().all(|(code, ..)| *code != RuleCode::InvalidDuration), "{good}");
    }
    let engine = firm();
    let mut def = workflow();
    def["steps"][0]["due"] = json!("P1M");
    let message = engine.validate_workflow(&definition(def)).diagnostics[0].message.clone();
    assert!(message.contains("Documents") && message.contains("P1M") && message.contains("PT4H"), "{message}");
}

#[test]
fn escalation_targets_follow_the_party_rules() {
    let path = "steps[1].handoff.escalate.to".to_owned();
    let with = |to: Value| {
        let mut def = workflow();
        def["steps"][1]["handoff"]["escalate"]["to"] = to;
        findings(def).into_iter().filter(|(_, _, p)| *p == path).collect::<Vec<_>>()
    };
    assert_eq!(
        with(json!({ "kind": "member", "id": "nobody" })),
        [(RuleCode::UnknownParty, Severity::Error, path.clone())]
    );
    assert_eq!(
        with(json!({ "kind": "member", "id": "ivan" })),
        [(RuleCode::InactiveMember, Severity::Error, path.clone())]
    );
    assert_eq!(with(json!({ "kind": "member", "id": "morgan" })), []);
    // The same handoff's target: nothing changes when it escalates.
    assert_eq!(
        with(json!({ "kind": "role", "id": "paralegal" })),
        [(RuleCode::RedundantEscalation, Severity::Warning, path.clone())]
    );
}

#[test]
fn an_unstaffed_escalation_target_is_an_error_when_the_handoff_is_required() {
    let mut config = config();
    config.directory.teams.push(handoff_engine::model::Team { id: "empty".into(), name: "Empty team".into() });
    let engine = Engine::new(config);
    let mut def = workflow();
    def["steps"][1]["handoff"]["escalate"]["to"] = json!({ "kind": "team", "id": "empty" });
    let found = engine.validate_workflow(&definition(def.clone())).diagnostics;
    let unstaffed = found.iter().find(|d| d.code == RuleCode::UnstaffedTarget).unwrap();
    assert_eq!((unstaffed.severity, unstaffed.path.as_str()), (Severity::Error, "steps[1].handoff.escalate.to"));
    def["steps"][1]["handoff"]["required"] = json!(false);
    let found = engine.validate_workflow(&definition(def)).diagnostics;
    assert_eq!(found.iter().find(|d| d.code == RuleCode::UnstaffedTarget).unwrap().severity, Severity::Warning);
}

#[test]
fn the_timeline_shows_each_steps_due_and_escalation_target() {
    let validation = firm().validate_workflow(&definition(workflow()));
    let timeline: Vec<Value> = validation.timeline.iter().map(|e| json!([e.step_id, e.due, e.escalates_to])).collect();
    assert_eq!(
        timeline,
        [
            json!(["documents", "PT1H", null]),
            json!(["review", "P1D", { "kind": "member", "id": "morgan" }]),
            json!(["filing", null, null])
        ]
    );
}

#[test]
fn a_triggered_step_is_due_its_duration_after_and_the_case_knows_when() {
    let engine = engine();
    let state = started(&engine);
    let documents = &state.steps["documents"];
    assert_eq!((documents.due_at.as_deref(), documents.overdue), (Some("2026-11-25T10:00:00Z"), false));
    assert_eq!(state.steps["review"].due_at, None, "not triggered yet");
    assert_eq!(next_deadline(&state).as_deref(), Some("2026-11-25T10:00:00Z"));
    let listed = deadlines(&state, "2026-11-25T09:30:00Z");
    assert_eq!(
        to_json(&listed),
        json!([{ "stepId": "documents", "kind": "due", "at": "2026-11-25T10:00:00Z", "passed": false }])
    );
    // A deadline at exactly the time asked about has passed.
    assert!(deadlines(&state, "2026-11-25T10:00:00Z")[0].passed);
    assert!(deadlines(&state, "2026-11-25T11:00:00+01:00")[0].passed, "offsets are read as instants");
}

#[test]
fn times_the_engine_writes_are_utc_and_keep_fractions() {
    let engine = engine();
    let input = handoff_engine::case::StartCase {
        case_id: "c".into(),
        workflow_id: "w".into(),
        facts: Default::default(),
        case_roles: Default::default(),
        clients: Vec::new(),
    };
    let state = engine.start_case(&input, &at(member("dana"), "2026-11-25T10:00:00.250+01:00")).unwrap().state;
    assert_eq!(state.steps["documents"].due_at.as_deref(), Some("2026-11-25T10:00:00.250Z"));
}

#[test]
fn a_tick_marks_a_step_overdue_once_and_only_when_its_time_has_passed() {
    let engine = engine();
    let state = started(&engine);
    let early = tick(&engine, &state, "2026-11-25T09:59:59Z");
    assert!(early.events.is_empty(), "nothing due yet");
    assert_eq!(early.state, state, "a tick with nothing due changes nothing");
    let due = tick(&engine, &state, "2026-11-25T10:00:00Z");
    assert_eq!(event_types(&due), ["stepOverdue"]);
    assert_eq!(to_json(&due.events[0])["dueAt"], json!("2026-11-25T10:00:00Z"));
    assert!(due.state.steps["documents"].overdue);
    assert_eq!(due.state.steps["documents"].status, handoff_engine::case::StepStatus::Active, "still to do");
    assert!(tick(&engine, &due.state, "2026-11-26T00:00:00Z").events.is_empty(), "once");
    assert_eq!(next_deadline(&due.state), None);
    // Still listed, as passed, until done.
    assert_eq!(deadlines(&due.state, "2026-11-25T10:00:00Z").len(), 1);
    // Completing it after the tick records no second stepOverdue.
    let done = exec(
        &engine,
        &due.state,
        &at(member("dana"), "2026-11-25T10:30:00Z"),
        json!({ "type": "completeStep", "stepId": "documents" }),
    );
    assert_eq!(event_types(&done)[0], "stepCompleted");
}

#[test]
fn late_work_is_late_a_step_completed_after_its_due_time_becomes_overdue_as_it_completes() {
    let engine = engine();
    let state = started(&engine);
    let late = exec(
        &engine,
        &state,
        &at(member("dana"), "2026-11-25T10:05:00Z"),
        json!({ "type": "completeStep", "stepId": "documents" }),
    );
    assert_eq!(event_types(&late), ["stepOverdue", "stepCompleted", "stepTriggered", "handoffRequested"]);
    assert!(late.state.steps["documents"].overdue);
    // On time: never overdue, and a later tick finds nothing about it.
    let on_time = at_review(&engine);
    assert!(!on_time.steps["documents"].overdue);
    let later = tick(&engine, &on_time, "2026-11-25T09:20:00Z");
    assert!(later.events.is_empty());
}

#[test]
fn an_unclaimed_handoff_escalates_once_with_a_fresh_request_time() {
    let engine = engine();
    let state = at_review(&engine);
    let pending = state.pending_handoff.clone().unwrap();
    assert_eq!(pending.requested_at, "2026-11-25T09:10:00Z");
    assert_eq!(pending.escalates_at.as_deref(), Some("2026-11-25T09:40:00Z"));
    assert_eq!(state.steps["review"].due_at.as_deref(), Some("2026-11-26T09:10:00Z"));
    assert_eq!(next_deadline(&state).as_deref(), Some("2026-11-25T09:40:00Z"));
    let kinds: Vec<DeadlineKind> = deadlines(&state, "2026-11-25T09:40:00Z").iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DeadlineKind::Escalation, DeadlineKind::Due], "sorted by time");
    assert!(tick(&engine, &state, "2026-11-25T09:39:00Z").events.is_empty());
    let escalated = tick(&engine, &state, "2026-11-25T09:45:00Z");
    assert_eq!(event_types(&escalated), ["handoffEscalated"]);
    assert_eq!(
        to_json(&escalated.events[0]),
        json!({ "seq": escalated.events[0].seq, "at": "2026-11-25T09:45:00Z", "actor": { "kind": "system" },
                "type": "handoffEscalated", "stepId": "review",
                "from": { "kind": "role", "id": "paralegal" }, "to": { "kind": "member", "id": "morgan" } })
    );
    let pending = escalated.state.pending_handoff.clone().unwrap();
    assert_eq!(
        (pending.to.id.as_str(), pending.requested_at.as_str(), pending.escalates_at),
        ("morgan", "2026-11-25T09:45:00Z", None)
    );
    assert!(tick(&engine, &escalated.state, "2026-11-25T12:00:00Z").events.is_empty(), "no further escalation");
    // Morgan takes it.
    let taken = exec(
        &engine,
        &escalated.state,
        &at(member("dana"), "2026-11-25T10:00:00Z"),
        json!({ "type": "completeHandoff", "stepId": "review" }),
    );
    assert_eq!(owner(&taken.state), json!({ "kind": "member", "id": "morgan" }));
}

#[test]
fn one_tick_acts_on_every_passed_deadline_in_time_order() {
    let engine = engine();
    let state = at_review(&engine);
    let both = tick(&engine, &state, "2026-11-27T00:00:00Z");
    assert_eq!(event_types(&both), ["handoffEscalated", "stepOverdue"]);
}

#[test]
fn a_redirect_gives_the_handoff_a_fresh_request_time_and_no_escalation() {
    let engine = engine();
    let state = at_review(&engine);
    let redirected = exec(
        &engine,
        &state,
        &at(member("morgan"), "2026-11-25T09:20:00Z"),
        json!({ "type": "redirectHandoff", "stepId": "review", "to": { "kind": "member", "id": "paula" }, "reason": "Pool" }),
    );
    let pending = redirected.state.pending_handoff.clone().unwrap();
    assert_eq!((pending.requested_at.as_str(), pending.escalates_at), ("2026-11-25T09:20:00Z", None));
    assert_eq!(
        next_deadline(&redirected.state).as_deref(),
        Some("2026-11-26T09:10:00Z"),
        "the step's due time is left"
    );
}

#[test]
fn a_reverted_handoff_is_requested_again_and_escalates_no_further() {
    let engine = engine();
    let state = at_review(&engine);
    let handed = exec(
        &engine,
        &state,
        &at(member("dana"), "2026-11-25T09:15:00Z"),
        json!({ "type": "completeHandoff", "stepId": "review", "to": "paula" }),
    );
    let reverted = exec(
        &engine,
        &handed.state,
        &at(member("dana"), "2026-11-25T09:20:00Z"),
        json!({ "type": "revertHandoff", "stepId": "review", "reason": "Wrong paralegal" }),
    );
    let pending = reverted.state.pending_handoff.clone().unwrap();
    assert_eq!((pending.requested_at.as_str(), pending.escalates_at), ("2026-11-25T09:20:00Z", None));
}

#[test]
fn the_system_and_admins_tick_nobody_else_and_never_a_closed_case() {
    let engine = engine();
    let state = started(&engine);
    let time = "2026-11-25T10:00:00Z";
    assert_eq!(
        event_types(&exec(&engine, &state, &at(member("morgan"), time), json!({ "type": "tick" }))),
        ["stepOverdue"]
    );
    for actor in [member("dana"), Actor::Client { id: None }, member("ivan")] {
        let error = rejection(&engine, &state, &at(actor.clone(), time), json!({ "type": "tick" }));
        assert_code(&error, ErrorCode::NotPermitted);
    }
    let short = firm_with(
        json!({ "id": "w", "name": "One step", "version": 1, "steps": [{ "id": "only", "name": "Only", "due": "PT1M" }] }),
    );
    let one = start(&short, "w");
    let closed =
        exec(&short, &one, &at(member("dana"), time), json!({ "type": "completeStep", "stepId": "only" })).state;
    assert!(closed.closed);
    assert_code(
        &rejection(&short, &closed, &at(Actor::System, time), json!({ "type": "tick" })),
        ErrorCode::CaseClosed,
    );
    assert_eq!(next_deadline(&closed), None, "a closed case is never ticked");
    let error = handoff_engine::case::Command::from_json(r#"{"type":"tick","stepId":"documents"}"#).unwrap_err();
    assert_eq!((error.code, error.details.path.as_deref()), (ErrorCode::InvalidInput, Some("stepId")));
}

#[test]
fn the_owner_or_an_admin_extends_a_deadline_and_an_overdue_step_stops_being_overdue() {
    let engine = engine();
    let overdue = tick(&engine, &started(&engine), "2026-11-25T10:30:00Z").state;
    let extend = |due_at: &str| json!({ "type": "extendDeadline", "stepId": "documents", "dueAt": due_at, "reason": "Bank statements late" });
    let extended =
        exec(&engine, &overdue, &at(member("dana"), "2026-11-25T10:30:00Z"), extend("2026-11-25T13:00:00+01:00"));
    assert_eq!(event_types(&extended), ["deadlineExtended"]);
    assert_eq!(
        (&to_json(&extended.events[0])["from"], &to_json(&extended.events[0])["to"]),
        (&json!("2026-11-25T10:00:00Z"), &json!("2026-11-25T12:00:00Z")),
        "written in UTC"
    );
    let documents = &extended.state.steps["documents"];
    assert_eq!((documents.due_at.as_deref(), documents.overdue), (Some("2026-11-25T12:00:00Z"), false));
    assert_eq!(next_deadline(&extended.state).as_deref(), Some("2026-11-25T12:00:00Z"));
    assert_eq!(
        event_types(&tick(&engine, &extended.state, "2026-11-25T12:00:00Z")),
        ["stepOverdue"],
        "overdue again at the new time"
    );
    // Later than the current deadline, but already past: still overdue.
    let past = exec(&engine, &overdue, &at(member("morgan"), "2026-11-25T11:30:00Z"), extend("2026-11-25T11:00:00Z"));
    assert!(past.state.steps["documents"].overdue);
    // Not later: refused, naming the field.
    let error = rejection(&engine, &overdue, &ctx("dana"), extend("2026-11-25T10:00:00Z"));
    assert_code(&error, ErrorCode::InvalidInput);
    assert_eq!(error.details.path.as_deref(), Some("dueAt"));
    // Someone who neither owns the case nor is an admin.
    assert_code(&rejection(&engine, &overdue, &ctx("paula"), extend("2026-11-26T10:00:00Z")), ErrorCode::NotPermitted);
    // A step that has no deadline yet, and a step that is done.
    let none = json!({ "type": "extendDeadline", "stepId": "review", "dueAt": "2027-01-01T00:00:00Z", "reason": "r" });
    assert_code(&rejection(&engine, &overdue, &ctx("dana"), none), ErrorCode::InvalidInput);
    let reviewed = at_review(&engine);
    assert_code(&rejection(&engine, &reviewed, &ctx("dana"), extend("2027-01-01T00:00:00Z")), ErrorCode::StepNotActive);
    // A bad time is invalid input, as the command is read.
    let error = handoff_engine::case::Command::from_json(&extend("tomorrow").to_string()).unwrap_err();
    assert_eq!((error.code, error.details.path.as_deref()), (ErrorCode::InvalidInput, Some("dueAt")));
}

#[test]
fn allowed_commands_offer_extending_deadlines_and_ticks_to_those_who_may() {
    let engine = engine();
    let state = started(&engine);
    let kinds = |who: &str| -> Vec<Value> {
        engine.allowed_commands(&state, &member(who)).unwrap().iter().map(|a| json!([a.kind, a.step_id])).collect()
    };
    assert!(kinds("dana").contains(&json!(["extendDeadline", "documents"])));
    assert!(!kinds("dana").contains(&json!(["tick", null])));
    assert!(kinds("morgan").contains(&json!(["tick", null])));
    assert!(!kinds("paula").iter().any(|k| k[0] == "extendDeadline"));
}

#[test]
fn a_migration_keeps_the_due_time_of_a_mapped_step() {
    let mut config = config();
    let mut next = workflow();
    next["version"] = json!(2);
    next["steps"][0]["id"] = json!("docs");
    next["steps"][0]["due"] = json!("P3D");
    next["steps"][1]["after"] = json!(["docs"]);
    config.workflows = vec![definition(workflow()), definition(next)];
    let engine = Engine::new(config);
    let state = started(&firm_with(workflow()));
    let migrated = exec(
        &engine,
        &state,
        &ctx("morgan"),
        json!({ "type": "migrateCase", "toVersion": 2, "mapping": { "documents": "docs" }, "reason": "Renamed" }),
    );
    assert_eq!(migrated.state.steps["docs"].due_at.as_deref(), Some("2026-11-25T10:00:00Z"));
}

#[test]
fn states_stored_before_deadlines_existed_still_read() {
    let engine = engine();
    let state = at_review(&engine);
    let mut value = to_json(&state);
    for step in value["steps"].as_object_mut().unwrap().values_mut() {
        step.as_object_mut().unwrap().remove("dueAt");
        step.as_object_mut().unwrap().remove("overdue");
    }
    value["pendingHandoff"].as_object_mut().unwrap().remove("requestedAt");
    value["pendingHandoff"].as_object_mut().unwrap().remove("escalatesAt");
    let old: CaseState = handoff_engine::input::from_json(&value.to_string()).unwrap();
    assert!(engine.fits(&old).is_ok());
    assert_eq!(old.pending_handoff.as_ref().unwrap().requested_at, "");
    assert_eq!(next_deadline(&old), None, "nothing of it escalates or falls due");
    // A bad time in a state is invalid input at its path.
    value["steps"]["documents"]["dueAt"] = json!("soon");
    let error = handoff_engine::input::from_json::<CaseState>(&value.to_string()).unwrap_err();
    assert_eq!(error.details.path.as_deref(), Some("steps.documents.dueAt"));
}

#[test]
fn deadlines_asked_about_at_a_bad_time_are_invalid_input() {
    let engine = engine();
    let error = engine.deadlines(&started(&engine), "yesterday").unwrap_err();
    assert_eq!((error.code, error.details.path.as_deref()), (ErrorCode::InvalidInput, Some("at")));
}
