//! One test per validation rule (SPEC §3): its code, severity, path and a message that names
//! steps and people by name. Each workflow is the smallest one that shows the rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::validate::{Diagnostic, Validation};
use handoff_engine::Severity;
use serde_json::{json, Value};

fn validate(steps: Value) -> Validation {
    let engine = firm();
    engine
        .validate_workflow(&definition(json!({ "id": "chapter-7", "name": "Chapter 7", "version": 1, "steps": steps })))
}

/// The one diagnostic with `code`; fails if there is none or several.
fn only(validation: &Validation, code: &str) -> Diagnostic {
    let found: Vec<&Diagnostic> = validation.diagnostics.iter().filter(|d| d.code.as_str() == code).collect();
    assert_eq!(found.len(), 1, "expected one {code}, got {:#?}", validation.diagnostics);
    found[0].clone()
}

fn codes(validation: &Validation) -> Vec<&'static str> {
    validation.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

fn to(kind: &str, id: &str) -> Value {
    json!({ "to": { "kind": kind, "id": id } })
}

#[test]
fn a_clean_workflow_has_no_diagnostics() {
    let v = validate(
        json!([{ "id": "a", "name": "Intake" }, { "id": "b", "name": "Review", "handoff": to("role", "paralegal") }]),
    );
    assert!(v.ok && v.diagnostics.is_empty(), "{:#?}", v.diagnostics);
}

#[test]
fn empty_workflow() {
    let v = validate(json!([]));
    let d = only(&v, "empty-workflow");
    assert_eq!((d.severity, d.path.as_str()), (Severity::Error, "steps"));
    assert!(d.message.contains("Chapter 7 has no steps"));
    assert!(!v.ok);
}

#[test]
fn invalid_id() {
    let v = validate(
        json!([{ "id": "", "name": "Intake" }, { "id": "x".repeat(129), "name": "Review" }, { "id": "a\u{7}", "name": "Bell" }]),
    );
    let paths: Vec<_> =
        v.diagnostics.iter().filter(|d| d.code.as_str() == "invalid-id").map(|d| d.path.clone()).collect();
    assert_eq!(paths, ["steps[0].id", "steps[1].id", "steps[2].id"]);
    assert!(v.diagnostics[0].message.contains("step Intake is empty"));
    assert!(!v.ok);
}

#[test]
fn duplicate_step_id() {
    let v = validate(json!([{ "id": "a", "name": "Intake" }, { "id": "a", "name": "Review" }]));
    let d = only(&v, "duplicate-step-id");
    assert_eq!((d.severity, d.path.as_str(), d.step_id.as_deref()), (Severity::Error, "steps[1].id", Some("a")));
    assert!(d.message.contains("Intake and Review share the id"));
}

#[test]
fn unknown_step() {
    let v = validate(json!([{ "id": "a", "name": "Intake" }, { "id": "b", "name": "Review", "after": ["a", "nope"] }]));
    let d = only(&v, "unknown-step");
    assert_eq!((d.path.as_str(), d.step_id.as_deref()), ("steps[1].after[1]", Some("b")));
    assert!(d.message.contains("Review comes after \"nope\""));
}

#[test]
fn dependency_cycle_names_every_step_in_it_and_leaves_them_out_of_the_timeline() {
    let v = validate(json!([
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Review", "after": ["c"] },
        { "id": "c", "name": "Filing", "after": ["b"] },
        { "id": "d", "name": "Self", "after": ["d"] }
    ]));
    let cycles: Vec<&Diagnostic> = v.diagnostics.iter().filter(|d| d.code.as_str() == "dependency-cycle").collect();
    assert_eq!(cycles.len(), 2);
    assert_eq!(cycles[0].path, "steps[1].after");
    assert!(cycles[0].message.contains("Review and Filing wait on each other"), "{}", cycles[0].message);
    assert!(cycles[1].message.contains("Self comes after itself"));
    let ids: Vec<&str> = v.timeline.iter().map(|t| t.step_id.as_str()).collect();
    assert_eq!(ids, ["a"]);
}

#[test]
fn unknown_party() {
    let v = validate(json!([
        { "id": "a", "name": "Intake", "assignee": { "kind": "member", "id": "ghost" } },
        { "id": "b", "name": "Review", "handoff": to("team", "nobody") }
    ]));
    let found: Vec<&Diagnostic> = v.diagnostics.iter().filter(|d| d.code.as_str() == "unknown-party").collect();
    assert_eq!(found.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["steps[0].assignee", "steps[1].handoff.to"]);
    assert!(found[1].message.contains("Review hands the case to the unknown team \"nobody\""), "{}", found[1].message);
}

#[test]
fn unknown_party_in_the_owner_setting() {
    let mut config = config();
    config.owners.workflows.insert("chapter-7".into(), handoff_engine::model::Party::team("ghosts"));
    let engine = handoff_engine::Engine::new(config);
    let v = engine.validate_workflow(&engine.latest_workflow("chapter-7").unwrap().def);
    let d = only(&v, "unknown-party");
    assert_eq!(d.path, "owners.workflows.chapter-7");
}

#[test]
fn inactive_member() {
    let v = validate(
        json!([{ "id": "a", "name": "Intake" }, { "id": "b", "name": "Client review call", "handoff": to("member", "ivan") }]),
    );
    let d = only(&v, "inactive-member");
    assert_eq!((d.severity, d.path.as_str()), (Severity::Error, "steps[1].handoff.to"));
    assert_eq!(d.message, "Handoff to Ivan Gone, who is deactivated, on step Client review call.");
}

#[test]
fn unstaffed_target_is_an_error_when_required_and_a_warning_when_optional() {
    let mut config = config();
    config.directory.roles.push(handoff_engine::model::Role { id: "trustee".into(), name: "Trustee".into() });
    let engine = handoff_engine::Engine::new(config);
    let def = definition(json!({ "id": "chapter-7", "name": "Chapter 7", "version": 1, "steps": [
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Trustee review", "handoff": { "to": { "kind": "role", "id": "trustee" } } },
        { "id": "c", "name": "Trustee filing", "handoff": { "to": { "kind": "role", "id": "trustee" }, "required": false } }
    ]}));
    let v = engine.validate_workflow(&def);
    let found: Vec<&Diagnostic> = v.diagnostics.iter().filter(|d| d.code.as_str() == "unstaffed-target").collect();
    assert_eq!(found.iter().map(|d| d.severity).collect::<Vec<_>>(), [Severity::Error, Severity::Warning]);
    assert!(found[0].message.contains("the Trustee role on step Trustee review has nobody to receive it"));
}

#[test]
fn handoff_on_client_step() {
    let v = validate(
        json!([{ "id": "a", "name": "Intake" }, { "id": "q", "name": "Questionnaire", "clientFacing": true, "handoff": to("role", "paralegal") }]),
    );
    let d = only(&v, "handoff-on-client-step");
    assert_eq!(d.path, "steps[1].handoff");
    assert!(d.message.contains("Questionnaire is client-facing"));
}

#[test]
fn assignee_on_client_step() {
    let v = validate(
        json!([{ "id": "q", "name": "Questionnaire", "clientFacing": true, "assignee": { "kind": "member", "id": "paula" } }]),
    );
    let d = only(&v, "assignee-on-client-step");
    assert_eq!(d.path, "steps[0].assignee");
    let timeline = &v.timeline[0];
    assert!(timeline.client_facing && timeline.worker.is_none());
}

#[test]
fn missing_default_owner() {
    let mut config = config();
    config.owners = Default::default();
    let engine = handoff_engine::Engine::new(config);
    let v = engine.validate_workflow(&engine.latest_workflow("chapter-7").unwrap().def);
    let d = only(&v, "missing-default-owner");
    assert_eq!(d.path, "owners.workflows.chapter-7");
    assert!(d.message.contains("no owner for new Chapter 7 case preparation cases"));
    assert_eq!(v.timeline[0].owner, None);
}

#[test]
fn concurrent_handoffs() {
    let v = validate(json!([
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Paralegal review", "after": ["a"], "handoff": to("role", "paralegal") },
        { "id": "c", "name": "Attorney review", "after": ["a"], "handoff": to("role", "attorney") },
        { "id": "d", "name": "Filing", "after": ["b", "c"] }
    ]));
    let d = only(&v, "concurrent-handoffs");
    assert_eq!((d.path.as_str(), d.step_id.as_deref()), ("steps[2].handoff", Some("c")));
    assert!(d.message.contains("Paralegal review and Attorney review both hand the case off"));
}

#[test]
fn parallel_branches_with_one_handoff_are_fine_and_the_later_owner_wins_at_the_join() {
    let v = validate(json!([
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Paralegal review", "after": ["a"], "handoff": to("role", "paralegal") },
        { "id": "c", "name": "Credit pull", "after": ["a"] },
        { "id": "d", "name": "Filing", "after": ["b", "c"] }
    ]));
    assert!(v.ok, "{:#?}", v.diagnostics);
    assert_eq!(to_json(&v.timeline.last().unwrap().owner), json!({ "kind": "role", "id": "paralegal" }));
}

#[test]
fn invalid_condition() {
    let v = validate(json!([
        { "id": "a", "name": "Intake", "when": { "all": [] } },
        { "id": "b", "name": "Review", "when": { "not": { "fact": "chapter", "in": [] } } },
        { "id": "c", "name": "Filing", "when": { "any": [{ "fact": "", "equals": 1 }] } }
    ]));
    let paths: Vec<_> =
        v.diagnostics.iter().filter(|d| d.code.as_str() == "invalid-condition").map(|d| d.path.clone()).collect();
    assert_eq!(paths, ["steps[0].when.all", "steps[1].when.not.in", "steps[2].when.any[0].fact"]);
    assert!(v.diagnostics[0].message.contains("Intake has an empty \"all\" list"));
}

#[test]
fn redundant_handoff_and_its_removal() {
    let redundant = validate(
        json!([{ "id": "a", "name": "Intake" }, { "id": "b", "name": "Collection", "handoff": to("team", "documents") }]),
    );
    let d = only(&redundant, "redundant-handoff");
    assert_eq!((d.severity, d.path.as_str()), (Severity::Warning, "steps[1].handoff"));
    assert!(d.message.contains("hands the case to the Documents Team, who already owns it"), "{}", d.message);
    assert!(redundant.ok, "a warning does not make the workflow invalid");
    let fixed = validate(json!([{ "id": "a", "name": "Intake" }, { "id": "b", "name": "Collection" }]));
    assert!(fixed.diagnostics.is_empty());
}

#[test]
fn a_handoff_that_is_only_sometimes_redundant_is_not_flagged() {
    let v = validate(json!([
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Paralegal review", "when": { "fact": "complex", "equals": true }, "handoff": to("role", "paralegal") },
        { "id": "c", "name": "Paralegal filing", "handoff": to("role", "paralegal") }
    ]));
    assert!(!codes(&v).contains(&"redundant-handoff"), "{:#?}", v.diagnostics);
}

#[test]
fn handoff_at_start() {
    let v = validate(json!([{ "id": "a", "name": "Intake", "handoff": to("role", "paralegal") }]));
    let d = only(&v, "handoff-at-start");
    assert_eq!((d.severity, d.path.as_str()), (Severity::Warning, "steps[0].handoff"));
    assert!(d.message.contains("Workflow Owners"));
}

#[test]
fn ambiguous_owner_after_a_conditional_handoff_and_at_an_optional_one() {
    let v = validate(json!([
        { "id": "a", "name": "Intake" },
        { "id": "b", "name": "Business review", "when": { "fact": "hasBusiness", "equals": true }, "handoff": to("role", "attorney") },
        { "id": "c", "name": "Petition" },
        { "id": "d", "name": "Filing", "handoff": { "to": { "kind": "role", "id": "paralegal" }, "required": false } }
    ]));
    let found: Vec<&Diagnostic> = v.diagnostics.iter().filter(|d| d.code.as_str() == "ambiguous-owner").collect();
    assert_eq!(found.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["steps[2]", "steps[3]"]);
    assert_eq!(found[0].severity, Severity::Info);
    assert!(found[0].message.contains("depends on conditions"));
    assert!(found[0].message.contains("the Attorney role or the Documents Team"), "{}", found[0].message);
    assert!(found[1].message.contains("optional handoff"));
    let petition = &v.timeline[2];
    assert_eq!(petition.owner, None);
    assert_eq!(petition.possible_owners.len(), 2);
    let filing = &v.timeline[3];
    assert_eq!((filing.owner.clone(), filing.possible_owners.len()), (None, 3));
}

#[test]
fn assignee_not_owner() {
    let v = validate(json!([{ "id": "a", "name": "Intake", "assignee": { "kind": "member", "id": "paula" } }]));
    let d = only(&v, "assignee-not-owner");
    assert_eq!((d.severity, d.path.as_str()), (Severity::Info, "steps[0].assignee"));
    assert!(d.message.contains("Intake is assigned to Paula Park, while the Documents Team owns the case"));
    assert_eq!(to_json(&v.timeline[0].worker), json!({ "kind": "member", "id": "paula" }));
    assert_eq!(to_json(&v.timeline[0].owner), json!({ "kind": "team", "id": "documents" }));
}

#[test]
fn duplicate_workflow_in_validate_config() {
    let mut config = config();
    config.workflows.push(config.workflows[0].clone());
    let report = handoff_engine::Engine::new(config).validate_config();
    let found: Vec<_> =
        report.diagnostics.iter().filter(|d| d.diagnostic.code.as_str() == "duplicate-workflow").collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].diagnostic.path, "workflows[1]");
    assert_eq!((found[0].workflow_id.as_deref(), found[0].workflow_version), (Some("chapter-7"), Some(1)));
    assert!(!report.ok);
}

#[test]
fn validate_config_reports_firm_wide_findings_once_with_null_workflow() {
    let mut config = config();
    config.owners.workflows.clear();
    config.owners.default_owner = Some(handoff_engine::model::Party::member("ivan"));
    config.owners.workflows.insert("chapter-11".into(), handoff_engine::model::Party::team("documents"));
    config.directory.members[0].teams.push("ghosts".into());
    let report = handoff_engine::Engine::new(config).validate_config();
    let summary: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.diagnostic.code.as_str(), d.diagnostic.path.as_str(), d.workflow_id.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("unknown-party", "directory.members[0].teams[1]", None),
            ("inactive-member", "owners.default", None),
            ("unknown-workflow", "owners.workflows.chapter-11", None),
        ]
    );
}

#[test]
fn validate_config_prefixes_workflow_paths() {
    let mut config = config();
    config.workflows[0].steps[3].client_facing = true;
    let report = handoff_engine::Engine::new(config).validate_config();
    let d = report.diagnostics.iter().find(|d| d.diagnostic.code.as_str() == "handoff-on-client-step").unwrap();
    assert_eq!(d.diagnostic.path, "workflows[0].steps[3].handoff");
    assert_eq!(d.diagnostic.step_id.as_deref(), Some("review-call"));
}

/// SPEC §7 as amended by §9: errors of a workflow's latest version and firm-wide errors block
/// (a start, a change); an older version's findings, errors included, are only reported.
#[test]
fn only_errors_of_latest_versions_and_firm_wide_ones_block() {
    let mut config = config();
    let mut older = config.workflows[0].clone();
    older.steps[3].handoff.as_mut().unwrap().to = handoff_engine::model::Party::member("ivan");
    let mut latest = config.workflows[0].clone();
    latest.version = 2;
    config.workflows = vec![older, latest.clone()];
    let verdict = handoff_engine::Engine::new(config.clone()).config_verdict();
    assert!(verdict.blocking.is_empty(), "{:#?}", verdict.blocking);
    let reported: Vec<_> = verdict
        .reported
        .iter()
        .map(|d| (d.diagnostic.code.as_str(), d.diagnostic.severity, d.workflow_version))
        .collect();
    assert_eq!(reported, [("inactive-member", Severity::Error, Some(1))]);
    // The same error in the latest version blocks, as does a firm-wide one; the older version's
    // warnings stay reported.
    config.workflows[1].steps[3].handoff.as_mut().unwrap().to = handoff_engine::model::Party::member("ivan");
    config.owners.default_owner = Some(handoff_engine::model::Party::member("ghost"));
    let verdict = handoff_engine::Engine::new(config).config_verdict();
    let blocking: Vec<_> = verdict.blocking.iter().map(|d| (d.diagnostic.code.as_str(), d.workflow_version)).collect();
    assert_eq!(blocking, [("unknown-party", None), ("inactive-member", Some(2))]);
    assert_eq!(verdict.reported.len(), 1);
}

#[test]
fn the_timeline_is_topological_with_ties_by_position() {
    let v = validate(json!([
        { "id": "z", "name": "Last", "after": ["y", "x"] },
        { "id": "y", "name": "Second", "after": [] },
        { "id": "x", "name": "First", "after": [] }
    ]));
    let ids: Vec<&str> = v.timeline.iter().map(|t| t.step_id.as_str()).collect();
    assert_eq!(ids, ["y", "x", "z"]);
}

#[test]
fn diagnostics_serialize_to_the_contract_shape() {
    let v = validate(json!([{ "id": "a", "name": "Intake", "handoff": to("role", "paralegal") }]));
    let value = to_json(&v);
    assert_eq!(value["ok"], json!(true));
    assert_eq!(value["diagnostics"][0]["code"], json!("handoff-at-start"));
    assert_eq!(value["diagnostics"][0]["stepId"], json!("a"));
    assert_eq!(value["timeline"][0]["possibleOwners"], json!([{ "kind": "role", "id": "paralegal" }]));
    assert_eq!(value["timeline"][0]["clientFacing"], json!(false));
}
