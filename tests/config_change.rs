//! `check_config_change` (SPEC §9, §13): the candidate, what blocks a change and what is only
//! reported, one test per rule of its own (`version-exists`, `party-in-use`, `no-admin`,
//! `id-retired`), and the open cases' stuck work under the candidate. The firm is the Example
//! Law Firm; each change is the smallest that shows the rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use handoff_engine::case::CaseState;
use handoff_engine::change::{check_config_change, ConfigChange, ConfigCheck};
use handoff_engine::input::from_json;
use handoff_engine::model::{EngineConfig, Party};
use handoff_engine::stuck::StuckCode;
use handoff_engine::validate::ConfigDiagnostic;
use handoff_engine::{Engine, Severity};
use serde_json::{json, Value};

fn change(value: Value) -> ConfigChange<'static> {
    from_json::<ConfigChange>(&value.to_string()).unwrap().into_owned()
}

fn check_against(current: &EngineConfig<'static>, value: Value, cases: &[CaseState], retired: &[Party]) -> ConfigCheck {
    check_config_change(&Engine::new(current.clone()), change(value), cases, retired)
}

fn checked(value: Value, cases: &[CaseState]) -> ConfigCheck {
    check_against(&config(), value, cases, &[])
}

/// The example firm's directory as JSON, changed by `edit`.
fn directory(edit: impl FnOnce(&mut Value)) -> Value {
    let mut directory = serde_json::from_str::<Value>(EXAMPLE_FIRM).unwrap()["directory"].clone();
    edit(&mut directory);
    directory
}

fn without_member(id: &str) -> Value {
    directory(|d| d["members"].as_array_mut().unwrap().retain(|m| m["id"] != id))
}

fn member_set(id: &str, field: &str, value: Value) -> Value {
    directory(|d| {
        for m in d["members"].as_array_mut().unwrap() {
            if m["id"] == id {
                m[field] = value.clone();
            }
        }
    })
}

/// The chapter-7 workflow of the example firm at `version`, changed by `edit`.
fn chapter_7(version: u32, edit: impl FnOnce(&mut Value)) -> Value {
    let mut def = serde_json::from_str::<Value>(EXAMPLE_FIRM).unwrap()["workflows"][0].clone();
    def["version"] = json!(version);
    edit(&mut def);
    def
}

fn codes(findings: &[ConfigDiagnostic]) -> Vec<&'static str> {
    findings.iter().map(|d| d.diagnostic.code.as_str()).collect()
}

/// The one finding with `code`; fails if there is none or several.
fn only<'a>(findings: &'a [ConfigDiagnostic], code: &str) -> &'a ConfigDiagnostic {
    let found: Vec<_> = findings.iter().filter(|d| d.diagnostic.code.as_str() == code).collect();
    assert_eq!(found.len(), 1, "expected one {code}, got {findings:#?}");
    found[0]
}

/// A case Dana claimed: she owns it personally.
fn dana_s_case(engine: &Engine) -> CaseState {
    run(engine, &start(engine, "chapter-7"), "dana", json!({ "type": "claim" })).state
}

#[test]
fn publishing_a_new_version_is_accepted_and_open_cases_learn_of_it() {
    let engine = firm();
    let case = start(&engine, "chapter-7");
    let check = checked(json!({ "baseConfigVersion": 1, "publish": [chapter_7(2, |_| {})] }), &[case]);
    assert!(check.accepted(), "{:#?}", check.blocking());
    assert_eq!(check.candidate.latest_workflow("chapter-7").unwrap().def.version, 2);
    assert!(check.candidate.workflow("chapter-7", 1).is_some(), "published versions never go");
    assert_eq!(check.stuck.iter().map(|w| w.code).collect::<Vec<_>>(), [StuckCode::NewerVersion]);
    let result = to_json(&check.into_result(false, 1).0);
    assert_eq!(result["applied"], json!(false));
    assert_eq!(result["configVersion"], json!(1));
    assert_eq!(result["diagnostics"], json!([]));
    assert_eq!(result["stuck"][0]["code"], json!("newer-version"));
}

#[test]
fn the_candidate_takes_the_directory_and_owners_given_and_keeps_the_rest() {
    let owners = json!({ "default": { "kind": "member", "id": "morgan" }, "workflows": {} });
    let check = checked(
        json!({ "baseConfigVersion": 1, "directory": member_set("avery", "name", json!("Avery Stone-Hall")), "owners": owners }),
        &[],
    );
    assert!(check.accepted(), "{:#?}", check.blocking());
    let candidate = check.candidate.config();
    assert_eq!(candidate.directory.members[4].name, "Avery Stone-Hall");
    assert_eq!(to_json(&candidate.owners), owners);
    assert_eq!(candidate.workflows, config().workflows);
    // Owners alone: the directory stays.
    let check = check_against(&config(), json!({ "baseConfigVersion": 1, "owners": owners }), &[], &[]);
    assert_eq!(check.candidate.config().directory, config().directory);
}

#[test]
fn version_exists() {
    let check = checked(
        json!({ "baseConfigVersion": 1, "publish": [chapter_7(1, |def| def["name"] = json!("Chapter 7, edited"))] }),
        &[],
    );
    let d = only(check.blocking(), "version-exists");
    assert_eq!((d.diagnostic.severity, d.diagnostic.path.as_str()), (Severity::Error, "publish[0]"));
    assert_eq!((d.workflow_id.as_deref(), d.workflow_version), (Some("chapter-7"), Some(1)));
    assert!(
        d.diagnostic
            .message
            .starts_with("Workflow Chapter 7, edited version 1 cannot be published: version 1 is there already"),
        "{}",
        d.diagnostic.message
    );
    // Below the highest version is refused too, even where no version of that number exists.
    let mut current = config();
    current.workflows[0].version = 3;
    let check = check_against(&current, json!({ "baseConfigVersion": 4, "publish": [chapter_7(2, |_| {})] }), &[], &[]);
    assert_eq!(codes(check.blocking()), ["version-exists"]);
    // Above it, and a workflow id that is new, are fine.
    let fresh =
        json!({ "id": "chapter-13", "name": "Chapter 13", "version": 1, "steps": [{ "id": "a", "name": "Intake" }] });
    let check =
        check_against(&current, json!({ "baseConfigVersion": 4, "publish": [chapter_7(4, |_| {}), fresh] }), &[], &[]);
    assert!(check.accepted(), "{:#?}", check.blocking());
}

#[test]
fn party_in_use_by_an_open_case() {
    let engine = firm();
    let case = dana_s_case(&engine);
    let check =
        checked(json!({ "baseConfigVersion": 1, "directory": without_member("dana") }), std::slice::from_ref(&case));
    let d = only(check.blocking(), "party-in-use");
    assert_eq!((d.diagnostic.path.as_str(), d.workflow_id.as_deref()), ("directory.members", None));
    assert_eq!(
        d.diagnostic.message,
        "Removing Dana Whitfield is refused: open case case-1 names them; deactivate the member instead."
    );
    // Deactivating her is the way: accepted, and the case shows as stuck.
    let check = check_against(
        &config(),
        json!({ "baseConfigVersion": 1, "directory": member_set("dana", "active", json!(false)) }),
        std::slice::from_ref(&case),
        &[],
    );
    assert!(check.accepted(), "{:#?}", check.blocking());
    assert_eq!(check.stuck.iter().map(|w| w.code).collect::<Vec<_>>(), [StuckCode::OwnerInactive]);
    // A closed case does not count, and neither does a change that leaves the directory alone.
    let closed = CaseState { closed: true, ..case.clone() };
    let check = check_against(
        &config(),
        json!({ "baseConfigVersion": 1, "directory": without_member("dana") }),
        &[closed],
        &[],
    );
    assert!(!codes(check.blocking()).contains(&"party-in-use"), "{:#?}", check.blocking());
    assert!(check_against(&config(), json!({ "baseConfigVersion": 1 }), &[case], &[]).accepted());
}

#[test]
fn party_in_use_counts_every_name_a_case_holds() {
    let engine = firm();
    // Pete holds the case's Paralegal role, Avery is assigned a step, Paula made the last
    // handoff (to Pete, so he owns it), and the role names the Paralegal role.
    let case = start(&engine, "chapter-7");
    let case = run(&engine, &case, "dana", json!({ "type": "completeStep", "stepId": "documents" })).state;
    let case = run(&engine, &case, "dana", json!({ "type": "completeStep", "stepId": "credit-report" })).state;
    let case = engine
        .execute(&case, &command(json!({ "type": "completeStep", "stepId": "questionnaire" })), &client())
        .unwrap()
        .state;
    let to = json!({ "kind": "member", "id": "avery" });
    let case = run(&engine, &case, "morgan", json!({ "type": "assignStep", "stepId": "petition", "to": to })).state;
    let case =
        run(&engine, &case, "morgan", json!({ "type": "completeHandoff", "stepId": "review-call", "to": "pete" }))
            .state;
    let second = CaseState { case_id: "case-2".into(), ..case.clone() };
    for gone in ["pete", "avery", "morgan"] {
        let check = checked(
            json!({ "baseConfigVersion": 1, "directory": without_member(gone) }),
            &[case.clone(), second.clone()],
        );
        let d = only(check.blocking(), "party-in-use");
        assert!(d.diagnostic.message.contains(": open case case-1 names them;"), "{gone}: {}", d.diagnostic.message);
    }
    let roles = directory(|d| {
        d["roles"].as_array_mut().unwrap().retain(|r| r["id"] != "paralegal");
        for m in d["members"].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("roles");
        }
    });
    let check = checked(json!({ "baseConfigVersion": 1, "directory": roles }), &[case]);
    let d = only(check.blocking(), "party-in-use");
    assert_eq!(d.diagnostic.path, "directory.roles");
    assert!(
        d.diagnostic.message.starts_with("Removing the Paralegal role is refused: open case case-1 names it"),
        "{}",
        d.diagnostic.message
    );
}

#[test]
fn party_in_use_by_a_workflow_version_in_use() {
    // No case is open, but the latest version hands cases to the Attorney role.
    let no_attorneys = directory(|d| {
        d["roles"].as_array_mut().unwrap().retain(|r| r["id"] != "attorney");
        for m in d["members"].as_array_mut().unwrap() {
            if let Some(roles) = m.get_mut("roles") {
                roles.as_array_mut().unwrap().retain(|r| r != "attorney");
            }
        }
    });
    let check = checked(json!({ "baseConfigVersion": 1, "directory": no_attorneys }), &[]);
    let d = only(check.blocking(), "party-in-use");
    assert_eq!(
        d.diagnostic.message,
        "Removing the Attorney role is refused: workflow Chapter 7 case preparation version 1, its latest version, names it at step Attorney final review; keep it until nothing in use names it."
    );
    // Publishing a version without it in the same change: the old version is no longer the
    // latest and no case runs on it, so the role may go.
    let publish = chapter_7(2, |def| def["steps"].as_array_mut().unwrap().truncate(5));
    let check = checked(
        json!({ "baseConfigVersion": 1, "directory": no_attorneys.clone(), "publish": [publish.clone()] }),
        &[],
    );
    assert!(check.accepted(), "{:#?}", check.blocking());
    // ... unless an open case runs on it.
    let case = start(&firm(), "chapter-7");
    let check = check_against(
        &config(),
        json!({ "baseConfigVersion": 1, "directory": no_attorneys, "publish": [publish] }),
        &[case],
        &[],
    );
    let d = only(check.blocking(), "party-in-use");
    assert!(
        d.diagnostic.message.contains("version 1, a version open cases run on, names it"),
        "{}",
        d.diagnostic.message
    );
}

#[test]
fn no_admin() {
    for directory in [
        member_set("morgan", "active", json!(false)),
        member_set("morgan", "admin", json!(false)),
        without_member("morgan"),
    ] {
        let check = checked(json!({ "baseConfigVersion": 1, "directory": directory }), &[]);
        let d = only(check.blocking(), "no-admin");
        assert_eq!((d.diagnostic.severity, d.diagnostic.path.as_str()), (Severity::Error, "directory.members"));
        assert!(d.diagnostic.message.starts_with("No active admin would remain"), "{}", d.diagnostic.message);
    }
    let two = member_set("avery", "admin", json!(true));
    let mut two: Value = two;
    two["members"][5]["active"] = json!(false); // Morgan leaves; Avery is an admin now
    assert!(checked(json!({ "baseConfigVersion": 1, "directory": two }), &[]).accepted());
}

#[test]
fn id_retired() {
    let hired = directory(|d| {
        d["members"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "id": "gina", "name": "Gina Ortiz", "roles": ["paralegal"] }));
        d["teams"].as_array_mut().unwrap().push(json!({ "id": "intake", "name": "Intake Team" }));
    });
    let retired = [Party::member("gina"), Party::role("intake")];
    let check = check_against(&config(), json!({ "baseConfigVersion": 3, "directory": hired.clone() }), &[], &retired);
    let d = only(check.blocking(), "id-retired");
    assert_eq!((d.diagnostic.severity, d.diagnostic.path.as_str()), (Severity::Error, "directory.members[7]"));
    assert_eq!(
        d.diagnostic.message,
        "The id \"gina\" given to Gina Ortiz belonged to a member removed earlier: ids are never reused, so that nobody is given a departed one's trail or token; choose another."
    );
    // A retired role's id is free for a team: ids are retired by kind. Without the history,
    // nothing is retired.
    assert!(check_against(&config(), json!({ "baseConfigVersion": 3, "directory": hired }), &[], &[]).accepted());
}

#[test]
fn only_errors_of_latest_versions_and_firm_wide_ones_block() {
    // Version 1 hands off to Paula personally, version 2 to the Paralegal role; a case runs
    // on version 1. Deactivating Paula makes version 1 invalid, which is only reported.
    let mut current = config();
    let older = chapter_7(1, |def| def["steps"][3]["handoff"]["to"] = json!({ "kind": "member", "id": "paula" }));
    current.workflows = vec![definition(older), definition(chapter_7(2, |_| {}))];
    let engine = Engine::new(current.clone());
    let case = run(&engine, &start(&engine, "chapter-7"), "dana", json!({ "type": "claim" })).state;
    let case = CaseState { workflow_version: 1, ..case };
    let deactivated = json!({ "baseConfigVersion": 2, "directory": member_set("paula", "active", json!(false)) });
    let check = check_against(&current, deactivated, &[case], &[]);
    assert!(check.accepted(), "{:#?}", check.blocking());
    let d = only(check.reported(), "inactive-member");
    assert_eq!((d.diagnostic.severity, d.workflow_version), (Severity::Error, Some(1)));
    assert_eq!(d.diagnostic.path, "workflows[0].steps[3].handoff.to");
    // In the latest version the same error blocks; a published version's path is its own.
    let publish = chapter_7(3, |def| def["steps"][3]["handoff"]["to"] = json!({ "kind": "member", "id": "ivan" }));
    let check = check_against(&current, json!({ "baseConfigVersion": 2, "publish": [publish] }), &[], &[]);
    let d = only(check.blocking(), "inactive-member");
    assert_eq!((d.diagnostic.path.as_str(), d.workflow_version), ("publish[0].steps[3].handoff.to", Some(3)));
    // The result lists every finding, the blocking ones first.
    let (blocking, reported) = (check.blocking().to_vec(), check.reported().to_vec());
    let (result, candidate) = check.into_result(false, 2);
    assert_eq!(result.diagnostics, [blocking, reported].concat());
    assert_eq!(candidate.latest_workflow("chapter-7").unwrap().def.version, 3);
}

#[test]
fn a_malformed_change_names_the_path() {
    let bad =
        json!({ "baseConfigVersion": 1, "publish": [chapter_7(2, |def| def["steps"][3]["handof"] = json!(null))] });
    let error = from_json::<ConfigChange>(&bad.to_string()).unwrap_err();
    assert_eq!(error.details.path.as_deref(), Some("publish[0].steps[3].handof"));
    for (value, path) in [
        (json!({}), "baseConfigVersion"),
        (json!({ "baseConfigVersion": -1 }), "baseConfigVersion"),
        (json!({ "baseConfigVersion": 9007199254740992_u64 }), "baseConfigVersion"),
        (json!({ "baseConfigVersion": 1, "directory": { "members": [] } }), "directory.roles"),
        (json!({ "baseConfigVersion": 1, "changeId": "" }), "changeId"),
        (json!({ "baseConfigVersion": 1, "reason": "x".repeat(2001) }), "reason"),
        (json!({ "baseConfigVersion": 1, "dryRun": "yes" }), "dryRun"),
        (json!({ "baseConfigVersion": 1, "publish": {} }), "publish"),
        (json!({ "baseConfigVersion": 1, "extra": true }), "extra"),
    ] {
        let error = from_json::<ConfigChange>(&value.to_string()).unwrap_err();
        assert_eq!(error.details.path.as_deref(), Some(path), "{value}: {}", error.message);
    }
    let full = json!({ "baseConfigVersion": 1, "dryRun": true, "reason": "Gina joins", "changeId": "c-1", "owners": { "workflows": {} } });
    let read = change(full.clone());
    assert!(read.dry_run && read.publish.is_none() && read.directory.is_none());
    assert_eq!(to_json(&read), full);
}

#[test]
fn the_ids_an_earlier_version_had_and_the_current_lacks_are_retired() {
    use handoff_engine::change::retired;
    use handoff_engine::model::{EngineConfig, Party, PartyKind};
    let firm: EngineConfig =
        handoff_engine::input::from_json::<EngineConfig>(include_str!("../config/example-firm.json"))
            .unwrap()
            .into_owned();
    let mut current = firm.clone();
    current.directory.members.retain(|m| m.id != "ivan");
    current.directory.teams.clear();
    let gone = retired(&[firm.clone(), current.clone()], &current);
    assert_eq!(
        gone,
        [Party { kind: PartyKind::Member, id: "ivan".into() }, Party { kind: PartyKind::Team, id: "documents".into() }]
    );
    assert!(retired(std::slice::from_ref(&firm), &firm).is_empty(), "nothing removed, nothing retired");
}
