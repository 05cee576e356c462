//! The bindings, run by wasm-bindgen-test in Node and in headless Chromium: conversions, errors,
//! and junk of every JS kind, after which the instance must keep working.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use handoff_engine::wasm::JsEngine;
use js_sys::{Array, Object, Reflect, JSON};
use tsify::Ts;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

const FIRM: &str = include_str!("../config/example-firm.json");

fn js(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn ts<T: tsify::Tsify>(value: &JsValue) -> Ts<T> {
    Ts::new_unchecked(value.clone())
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value).unwrap().into()
}

fn engine() -> JsEngine {
    JsEngine::new(&js(FIRM)).unwrap()
}

fn ctx(member: &str) -> JsValue {
    js(&format!(r#"{{ "actor": {{ "kind": "member", "id": "{member}" }}, "at": "2026-11-25T09:00:00Z" }}"#))
}

/// The state of a Chapter 7 case Dana just started.
fn started(engine: &JsEngine) -> JsValue {
    let input = js(r#"{"caseId":"c","workflowId":"chapter-7"}"#);
    get(&engine.start_case(&ts(&input), &ts(&ctx("dana"))).unwrap().js_value(), "state")
}

fn assert_handoff_error(error: &JsValue, code: &str) {
    assert!(error.is_instance_of::<js_sys::Error>(), "a real Error: {}", text(error));
    assert_eq!(get(error, "name").as_string().as_deref(), Some("HandoffError"));
    assert_eq!(get(error, "code").as_string().as_deref(), Some(code), "{:?}", get(error, "message"));
    assert!(get(error, "message").as_string().is_some_and(|m| !m.is_empty()));
    assert!(get(error, "details").is_object());
}

/// Every kind of garbage a JS caller could pass.
fn junk() -> Vec<(&'static str, JsValue)> {
    let mut deep: JsValue = Array::new().into();
    for _ in 0..5_000 {
        deep = Array::of1(&deep).into();
    }
    let mut deeper: JsValue = Array::new().into();
    for _ in 0..200_000 {
        deeper = Array::of1(&deeper).into();
    }
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let extra = js(FIRM);
    Reflect::set(&extra, &"surprise".into(), &JsValue::TRUE).unwrap();
    // JSON.stringify calls toJSON and getters, which may throw anything.
    let throwing = |body: &str| {
        let value = Object::new();
        Reflect::set(&value, &"toJSON".into(), &js_sys::Function::new_no_args(body)).unwrap();
        JsValue::from(value)
    };
    vec![
        ("undefined", JsValue::UNDEFINED),
        ("null", JsValue::NULL),
        ("NaN", JsValue::from_f64(f64::NAN)),
        ("a number", JsValue::from_f64(42.0)),
        ("a BigInt", js_sys::BigInt::from(10u64).into()),
        ("a symbol", js_sys::Symbol::for_("handoff").into()),
        ("a function", js_sys::Function::new_no_args("return 1").into()),
        ("a Map", js_sys::Map::new().into()),
        ("a 1 MiB string", JsValue::from_str(&"x".repeat(1 << 20))),
        ("arrays 5,000 deep", deep),
        ("arrays 200,000 deep", deeper),
        ("a cyclic object", cyclic.into()),
        ("an object with an extra field", extra),
        ("a toJSON that throws an Error", throwing("throw new Error('no')")),
        ("a toJSON that throws a number", throwing("throw 5")),
        ("a toJSON that throws something with a throwing message", throwing("throw { get message() { throw 1 } }")),
        ("a toJSON that throws an undescribable value", throwing("throw Object.create(null)")),
    ]
}

#[wasm_bindgen_test]
fn junk_of_every_kind_is_invalid_input_and_the_instance_keeps_working() {
    let engine = engine();
    let state = started(&engine);
    for (what, value) in junk() {
        let error = JsEngine::new(&value).err().unwrap_or_else(|| panic!("new Engine({what}) was accepted"));
        assert_handoff_error(&error, "invalid-input");
        assert_handoff_error(&engine.validate_workflow(&value).err().unwrap(), "invalid-input");
        assert_handoff_error(&engine.start_case(&ts(&value), &ts(&ctx("dana"))).err().unwrap(), "invalid-input");
        assert_handoff_error(
            &engine.execute(&ts(&state), &ts(&value), &ts(&ctx("dana"))).err().unwrap(),
            "invalid-input",
        );
        assert_handoff_error(
            &engine.execute(&ts(&value), &ts(&js(r#"{"type":"claim"}"#)), &ts(&ctx("dana"))).err().unwrap(),
            "invalid-input",
        );
        assert_handoff_error(&engine.allowed_commands(&ts(&state), &ts(&value)).err().unwrap(), "invalid-input");
        assert_handoff_error(&engine.find_stuck_work(&value).err().unwrap(), "invalid-input");
        let cases: JsValue = Array::of1(&state).into();
        let change = js(r#"{"baseConfigVersion":1}"#);
        assert_handoff_error(
            &engine.check_config_change(&value, &cases, &JsValue::UNDEFINED).err().unwrap(),
            "invalid-input",
        );
        assert_handoff_error(
            &engine.check_config_change(&change, &value, &JsValue::UNDEFINED).err().unwrap(),
            "invalid-input",
        );
        if !value.is_undefined() {
            assert_handoff_error(&engine.check_config_change(&change, &cases, &value).err().unwrap(), "invalid-input");
        }
        let request = js(r#"{"from":"paula","to":"pete","reason":"Paula left"}"#);
        assert_handoff_error(&engine.plan_reassignment(&value, &ts(&request)).err().unwrap(), "invalid-input");
        let cases = Array::of1(&state).into();
        assert_handoff_error(&engine.plan_reassignment(&cases, &ts(&value)).err().unwrap(), "invalid-input");
        let verdict = engine.check(&ts(&state), &ts(&js(r#"{"type":"claim"}"#)), &ts(&value));
        assert_eq!(get(&verdict, "ok"), JsValue::FALSE, "{what}");
        assert_eq!(get(&verdict, "code").as_string().as_deref(), Some("invalid-input"));
    }
    // A kept case: junk into every method, the kept state untouched.
    let mut handle = engine.open_case(&ts(&state)).unwrap();
    for (what, value) in junk() {
        assert!(engine.open_case(&ts(&value)).is_err(), "openCase({what}) was accepted");
        assert_handoff_error(&handle.execute(&ts(&value), &ts(&ctx("dana"))).err().unwrap(), "invalid-input");
        assert_handoff_error(
            &handle.execute(&ts(&js(r#"{"type":"claim"}"#)), &ts(&value)).err().unwrap(),
            "invalid-input",
        );
        assert_handoff_error(&handle.allowed_commands(&ts(&value)).err().unwrap(), "invalid-input");
        let verdict = handle.check(&ts(&js(r#"{"type":"claim"}"#)), &ts(&value));
        assert_eq!(get(&verdict, "code").as_string().as_deref(), Some("invalid-input"), "{what}");
    }
    assert_eq!(text(&handle.state().unwrap().js_value()), text(&state));
    let events = handle.execute(&ts(&js(r#"{"type":"claim"}"#)), &ts(&ctx("dana"))).unwrap();
    assert_eq!(get(&Reflect::get_u32(&events, 0).unwrap(), "type").as_string().as_deref(), Some("ownershipClaimed"));
    // Still alive and correct after all of it.
    let report = engine.validate_config().unwrap();
    assert_eq!(get(&report.js_value(), "ok"), JsValue::TRUE);
    let verdict = engine.check(&ts(&state), &ts(&js(r#"{"type":"claim"}"#)), &ts(&ctx("dana")));
    assert_eq!(get(&verdict, "ok"), JsValue::TRUE);
}

#[wasm_bindgen_test]
fn invalid_input_names_the_argument_and_the_field() {
    let engine = engine();
    let state = started(&engine);
    let error = engine
        .execute(&ts(&state), &ts(&js(r#"{"type":"completeStep","stepId":7}"#)), &ts(&ctx("dana")))
        .err()
        .unwrap();
    assert_eq!(get(&get(&error, "details"), "path").as_string().as_deref(), Some("command.stepId"));
    let error = engine
        .execute(&ts(&state), &ts(&js(r#"{"type":"claim"}"#)), &ts(&js(r#"{"actor":{"kind":"client"},"at":"noon"}"#)))
        .err()
        .unwrap();
    assert_eq!(get(&get(&error, "details"), "path").as_string().as_deref(), Some("ctx.at"));
    let def = js(r#"{"id":"w","name":"W","version":1,"steps":[{"id":"a","name":"A","handof":null}]}"#);
    let error = engine.validate_workflow(&def).err().unwrap();
    assert_eq!(get(&get(&error, "details"), "path").as_string().as_deref(), Some("steps[0].handof"));
}

#[wasm_bindgen_test]
fn values_cross_as_plain_objects_with_null_for_absent() {
    let engine = engine();
    let def = js(r#"{"id":"chapter-7","name":"C7","version":1,"steps":[
        {"id":"a","name":"Intake"},
        {"id":"b","name":"Review","handoff":{"to":{"kind":"role","id":"paralegal"},"required":false}}]}"#);
    let validation = engine.validate_workflow(&def).unwrap().js_value();
    let review = Reflect::get_u32(&get(&validation, "timeline"), 1).unwrap();
    assert!(get(&review, "owner").is_null(), "an unknown owner is null, not undefined");
    assert_eq!(Array::from(&get(&review, "possibleOwners")).length(), 2);
    let input = js(
        r#"{"caseId":"c","workflowId":"chapter-7","facts":{"chapter":7,"ratio":0.5,"business":false},"caseRoles":{"paralegal":"paula"}}"#,
    );
    let started = engine.start_case(&ts(&input), &ts(&ctx("dana"))).unwrap().js_value();
    let state = get(&started, "state");
    let roles = get(&state, "caseRoles");
    assert_eq!(Object::get_prototype_of(&roles), Object::get_prototype_of(&Object::new()), "maps are plain objects");
    assert_eq!(text(&get(&state, "facts")), r#"{"business":false,"chapter":7,"ratio":0.5}"#);
    assert!(get(&state, "pendingHandoff").is_null());
    let events = Array::from(&get(&started, "events"));
    assert_eq!(get(&events.get(0), "type").as_string().as_deref(), Some("caseStarted"));
}

#[wasm_bindgen_test]
fn rejections_are_handoff_errors_with_their_code() {
    let engine = engine();
    let state = started(&engine);
    let error = engine
        .execute(&ts(&state), &ts(&js(r#"{"type":"completeStep","stepId":"petition"}"#)), &ts(&ctx("dana")))
        .err()
        .unwrap();
    assert_handoff_error(&error, "step-not-active");
    assert_eq!(get(&get(&error, "details"), "stepId").as_string().as_deref(), Some("petition"));
    let error =
        engine.start_case(&ts(&js(r#"{"caseId":"c","workflowId":"chapter-9"}"#)), &ts(&ctx("dana"))).err().unwrap();
    assert_handoff_error(&error, "unknown-case-workflow");
    let verdict = engine.check(
        &ts(&state),
        &ts(&js(r#"{"type":"transferOwnership","to":{"kind":"member","id":"paula"},"reason":"x"}"#)),
        &ts(&ctx("dana")),
    );
    assert_eq!(get(&verdict, "code").as_string().as_deref(), Some("not-permitted"));
}

/// `findStuckWork` answers what the native engine finds, as plain objects, for the cases as
/// objects or as their JSON text; a case that does not fit is a finding, not an error.
#[wasm_bindgen_test]
fn stuck_work_reads_as_the_json_of_the_native_result() {
    let state = started(&engine());
    let unfit = js(&text(&state));
    Reflect::set(&unfit, &"caseId".into(), &"unfit".into()).unwrap();
    Reflect::set(&unfit, &"workflowVersion".into(), &JsValue::from(9)).unwrap();
    let cases: JsValue = Array::of2(&unfit, &state).into();
    // The Documents Team owns the case, and both its members have left.
    let mut config: serde_json::Value = serde_json::from_str(FIRM).unwrap();
    for member in config["directory"]["members"].as_array_mut().unwrap() {
        if member["id"] == "dana" || member["id"] == "devon" {
            member["active"] = serde_json::Value::Bool(false);
        }
    }
    let config = config.to_string();
    let found = JsEngine::new(&js(&config)).unwrap().find_stuck_work(&cases).unwrap();
    let native = handoff_engine::Engine::from_json(&config).unwrap();
    let states: Vec<handoff_engine::case::CaseState> = handoff_engine::input::from_json(&text(&cases)).unwrap();
    assert_eq!(text(&found), serde_json::to_string(&native.find_stuck_work(&states)).unwrap());
    let codes: Vec<String> = Array::from(&found).iter().map(|w| get(&w, "code").as_string().unwrap()).collect();
    assert_eq!(codes, ["case-unfit", "owner-unstaffed"]);
    assert!(get(&Array::from(&found).get(0), "stepId").is_undefined(), "absent, as serde leaves it out");
    let from_text = JsEngine::new(&js(&config)).unwrap().find_stuck_work(&JsValue::from_str(&text(&cases))).unwrap();
    assert_eq!(text(&from_text), text(&found));
    // A list whose second element is no case state: the path names it.
    let error = engine().find_stuck_work(&Array::of2(&state, &JsValue::from(1)).into()).err().unwrap();
    assert_handoff_error(&error, "invalid-input");
    assert_eq!(get(&get(&error, "details"), "path").as_string().as_deref(), Some("[1]"));
}

/// `checkConfigChange` answers what the native check finds, with the engine's configuration as
/// the current one: every finding (errors first), the candidate's stuck work, nothing applied.
#[wasm_bindgen_test]
fn a_config_change_is_checked_as_the_native_check_does() {
    let engine = engine();
    // Dana owns a case; the change removes her, leaves no admin, publishes version 1 again and
    // hires someone under an id retired earlier.
    let claimed = engine.execute(&ts(&started(&engine)), &ts(&js(r#"{"type":"claim"}"#)), &ts(&ctx("dana"))).unwrap();
    let cases: JsValue = Array::of1(&get(&claimed.js_value(), "state")).into();
    let mut config: serde_json::Value = serde_json::from_str(FIRM).unwrap();
    let members = config["directory"]["members"].as_array_mut().unwrap();
    members.retain(|m| m["id"] != "dana" && m["id"] != "morgan");
    members.push(serde_json::json!({ "id": "gina", "name": "Gina Ortiz" }));
    let change = serde_json::json!({
        "baseConfigVersion": 4,
        "directory": config["directory"],
        "publish": [config["workflows"][0]],
        "dryRun": true,
    })
    .to_string();
    let retired = js(r#"[{ "kind": "member", "id": "gina" }]"#);
    let result = engine.check_config_change(&js(&change), &cases, &retired).unwrap().js_value();
    let native = handoff_engine::Engine::from_json(FIRM).unwrap();
    let states: Vec<handoff_engine::case::CaseState> = handoff_engine::input::from_json(&text(&cases)).unwrap();
    let expected = handoff_engine::change::check_config_change(
        &native,
        handoff_engine::input::from_json(&change).unwrap(),
        &states,
        &handoff_engine::input::from_json::<Vec<handoff_engine::model::Party>>(&text(&retired)).unwrap(),
    );
    assert_eq!(text(&result), serde_json::to_string(&expected.into_result(false, 4).0).unwrap());
    assert_eq!(get(&result, "applied"), JsValue::FALSE);
    assert_eq!(get(&result, "configVersion").as_f64(), Some(4.0));
    let codes: Vec<String> =
        Array::from(&get(&result, "diagnostics")).iter().map(|d| get(&d, "code").as_string().unwrap()).collect();
    for code in ["version-exists", "party-in-use", "no-admin", "id-retired", "duplicate-workflow"] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
    // As JSON text, and without the history: the same but for id-retired.
    let from_text = engine
        .check_config_change(&JsValue::from_str(&change), &JsValue::from_str(&text(&cases)), &JsValue::UNDEFINED)
        .unwrap();
    let codes_from_text: Vec<String> = Array::from(&get(&from_text.js_value(), "diagnostics"))
        .iter()
        .map(|d| get(&d, "code").as_string().unwrap())
        .collect();
    assert_eq!(codes_from_text, codes.iter().filter(|c| *c != "id-retired").cloned().collect::<Vec<_>>());
    // A malformed change names the argument and the field.
    let bad = js(
        r#"{"baseConfigVersion":1,"publish":[{"id":"w","name":"W","version":1,"steps":[{"id":"a","name":"A","handof":null}]}]}"#,
    );
    let error = engine.check_config_change(&bad, &cases, &JsValue::UNDEFINED).err().unwrap();
    assert_eq!(get(&get(&error, "details"), "path").as_string().as_deref(), Some("change.publish[0].steps[0].handof"));
    let error = engine.check_config_change(&js(r#"{"baseConfigVersion":1}"#), &cases, &js("[{}]")).err().unwrap();
    assert_eq!(get(&get(&error, "details"), "path").as_string().as_deref(), Some("retired[0].kind"));
}

/// `planReassignment` crosses as the JSON of the native plan; its bad input is `invalid-input`
/// naming the argument and the field, or the field the plan refuses.
#[wasm_bindgen_test]
fn a_reassignment_plan_reads_as_the_native_one() {
    let engine = engine();
    let native = handoff_engine::Engine::from_json(FIRM).unwrap();
    let input = js(r#"{"caseId":"c","workflowId":"chapter-7","caseRoles":{"paralegal":"paula"}}"#);
    let state = get(&engine.start_case(&ts(&input), &ts(&ctx("dana"))).unwrap().js_value(), "state");
    let cases: JsValue = Array::of1(&state).into();
    for (from, to) in [("paula", "pete"), ("paula", "avery")] {
        let request = format!(r#"{{"from":"{from}","to":"{to}","reason":"Paula left"}}"#);
        let plan = engine.plan_reassignment(&cases, &ts(&js(&request))).unwrap().js_value();
        let states: Vec<handoff_engine::case::CaseState> = handoff_engine::input::from_json(&text(&cases)).unwrap();
        let expected = native.plan_reassignment(&states, &handoff_engine::input::from_json(&request).unwrap()).unwrap();
        assert_eq!(text(&plan), text(&js(&serde_json::to_string(&expected).unwrap())));
        assert_eq!(Array::from(&get(&plan, if to == "pete" { "commands" } else { "skipped" })).length(), 1);
    }
    let path = |error: JsValue| get(&get(&error, "details"), "path").as_string();
    let request = js(r#"{"from":"paula","to":"ivan","reason":"Paula left"}"#);
    let error = engine.plan_reassignment(&cases, &ts(&request)).err().unwrap();
    assert_handoff_error(&error, "invalid-input");
    assert_eq!(path(error).as_deref(), Some("to"));
    let request = js(r#"{"from":"paula","to":"pete","reason":" "}"#);
    assert_eq!(path(engine.plan_reassignment(&cases, &ts(&request)).err().unwrap()).as_deref(), Some("request.reason"));
    let bad: JsValue = Array::of1(&js(r#"{"caseId":"c"}"#)).into();
    let request = js(r#"{"from":"paula","to":"pete","reason":"Paula left"}"#);
    let error = engine.plan_reassignment(&bad, &ts(&request)).err().unwrap();
    assert!(path(error).is_some_and(|p| p.starts_with("cases[0].")));
}

/// `check` is the dry run of a migration: its verdict carries the error's details, so the
/// problems a person reads before migrating.
#[wasm_bindgen_test]
fn a_checked_migration_reports_its_problems() {
    let engine = engine();
    let state = started(&engine);
    let migrate = js(r#"{"type":"migrateCase","toVersion":1,"reason":"try"}"#);
    let verdict = engine.check(&ts(&state), &ts(&migrate), &ts(&ctx("morgan")));
    assert_eq!(get(&verdict, "code").as_string().as_deref(), Some("migration-invalid"));
    let problems = Array::from(&get(&get(&verdict, "details"), "problems"));
    assert_eq!(problems.length(), 1);
    assert!(get(&problems.get(0), "stepId").is_null(), "about the version as a whole");
    let error = engine.execute(&ts(&state), &ts(&migrate), &ts(&ctx("morgan"))).err().unwrap();
    assert_handoff_error(&error, "migration-invalid");
    assert_eq!(text(&get(&error, "details")), text(&get(&verdict, "details")));
}

/// The typed readers recurse as they read (src/input/json.rs), so the deepest input the reader admits
/// (128 levels) must fit WebAssembly's stack; deeper input is refused where it crosses the limit.
#[wasm_bindgen_test]
fn deep_conditions_are_refused_without_exhausting_the_stack() {
    let engine = engine();
    for (depth, expected) in [(120, "32 levels"), (200_000, "nested too deeply")] {
        let def = format!(
            "{}{}{}{}{}",
            r#"{"id":"chapter-7","name":"W","version":1,"steps":[{"id":"a","name":"A","when":"#,
            r#"{"not":"#.repeat(depth),
            r#"{"fact":"x","equals":1}"#,
            "}".repeat(depth),
            "}]}"
        );
        let error = engine.validate_workflow(&JsValue::from_str(&def)).unwrap_err();
        assert_handoff_error(&error, "invalid-input");
        let message = get(&error, "message").as_string().unwrap_or_default();
        assert!(message.contains(expected), "{depth}: {message}");
    }
    assert_eq!(get(&engine.validate_config().unwrap().js_value(), "ok"), JsValue::TRUE, "the instance keeps working");
}

/// `validateWorkflow`'s result crosses packed (src/wasm/pack.rs, js/crossing.js): on generated
/// workflows with awkward names and ids it must read exactly as the JSON of the native result,
/// key order included; a string holding the packing's separator takes the JSON way.
#[wasm_bindgen_test]
fn packed_validation_reads_as_the_json_of_the_native_result() {
    let js_engine = engine();
    let native = handoff_engine::Engine::from_json(FIRM).unwrap();
    let names = ["Intake", "Ωmega \"quoted\" \\ back", "📄 docs", "", "a,b", "tab\there", "sep\u{1}arated", "e"];
    let ids = ["a", "b,c", "Ω", "x\u{1}y", "m", "1", "E"];
    let parties = [
        r#"{"kind":"member","id":"dana"}"#,
        r#"{"kind":"member","id":"paula"}"#,
        r#"{"kind":"member","id":"nobody"}"#,
        r#"{"kind":"role","id":"paralegal"}"#,
        r#"{"kind":"role","id":"attorney"}"#,
        r#"{"kind":"team","id":"documents"}"#,
        r#"{"kind":"team","id":"ghosts"}"#,
    ];
    let mut next = xorshift(0x2545_f491_u32);
    let (mut packed, mut fallback) = (0, 0);
    for round in 0..300 {
        let count = next(12);
        let steps: Vec<String> = (0..count)
            .map(|i| {
                let id = if next(6) == 0 { format!("{}{i}", ids[next(ids.len())]) } else { format!("s{i}") };
                let mut step = format!(r#"{{"id":{},"name":{}"#, json(&id), json(names[next(names.len())]));
                if i > 0 && next(3) == 0 {
                    step += &format!(r#","after":["s{}","s{}"]"#, next(i), next(count));
                }
                if next(4) == 0 {
                    step += &format!(
                        r#","due":{}"#,
                        json(["P2D", "PT90M", "P1M", "x\u{1}y", names[next(names.len())]][next(5)])
                    );
                }
                match next(7) {
                    0 => step += &format!(r#","handoff":{{"to":{},"required":{}}}"#, parties[next(7)], next(2) == 0),
                    6 => {
                        step += &format!(
                            r#","handoff":{{"to":{},"escalate":{{"after":"PT4H","to":{}}}}}"#,
                            parties[next(7)],
                            parties[next(7)]
                        )
                    }
                    1 => step += &format!(r#","assignee":{}"#, parties[next(7)]),
                    2 => step += r#","clientFacing":true"#,
                    3 => step += r#","when":{"fact":"chapter","equals":7}"#,
                    _ => {}
                }
                step + "}"
            })
            .collect();
        let workflow = if round % 2 == 0 { "chapter-7" } else { "unowned" };
        let def = format!(r#"{{"id":"{workflow}","name":"W","version":1,"steps":[{}]}}"#, steps.join(","));
        let expected =
            serde_json::to_string(&native.validate_workflow(&handoff_engine::input::from_json(&def).unwrap())).unwrap();
        let actual = text(&js_engine.validate_workflow(&js(&def)).unwrap().js_value());
        assert_eq!(actual, expected, "{def}");
        let from_text = text(&js_engine.validate_workflow(&JsValue::from_str(&def)).unwrap().js_value());
        assert_eq!(from_text, expected, "the same definition as JSON text: {def}");
        if expected.contains("\\u0001") {
            fallback += 1
        } else {
            packed += 1
        }
    }
    assert!(packed > 100 && fallback > 20, "both ways taken: {packed} packed, {fallback} as JSON");

    // A long definition with non-ASCII names in its sentences, as an object and as text.
    let steps: Vec<String> = (0..60)
        .map(|i| format!(r#"{{"id":"s{i}","name":"Étape {i} — 📄 révision «Ωmega»","assignee":{{"kind":"member","id":"paula"}}}}"#))
        .collect();
    let def = format!(r#"{{"id":"chapter-7","name":"Chapitre 7","version":1,"steps":[{}]}}"#, steps.join(","));
    assert!(def.len() > 4096);
    let expected =
        serde_json::to_string(&native.validate_workflow(&handoff_engine::input::from_json(&def).unwrap())).unwrap();
    assert!(expected.contains("📄"), "names reach the messages");
    assert_eq!(text(&js_engine.validate_workflow(&js(&def)).unwrap().js_value()), expected);
    let result = js_engine.validate_workflow(&JsValue::from_str(&def)).unwrap().js_value();
    assert_eq!(text(&result), expected);
    // Sixty entries with the same parties cross as "the same as before" (src/wasm/pack.rs), yet
    // each must get objects of its own, as from JSON.parse: changing one changes no other.
    let fresh = js_sys::Function::new_with_args(
        "result",
        "const seen = new Set(); \
         for (const e of result.timeline) for (const p of [e.owner, e.possibleOwners, ...e.possibleOwners, e.worker]) { \
           if (p === null) continue; if (seen.has(p)) return -1; seen.add(p); } \
         return seen.size;",
    );
    assert_eq!(fresh.call1(&JsValue::NULL, &result).unwrap().as_f64(), Some(60.0 * 4.0), "an object of its own each");
}

/// js/crossing.js reads the packed validation result with code generated from its layout in
/// src/wasm/pack.rs, so that the layout is stated once: after a change to the layout, this fails
/// and prints what the file must hold between its markers.
#[wasm_bindgen_test]
fn the_validation_reader_is_the_one_generated_from_its_layout() {
    let file = include_str!("../js/crossing.js");
    let (begin, end) = ("// BEGIN generated from src/wasm/pack.rs\n", "// END generated from src/wasm/pack.rs\n");
    let generated = file.split_once(begin).and_then(|(_, rest)| rest.split_once(end)).map(|(inside, _)| inside);
    let expected = handoff_engine::wasm::validation_reader();
    assert!(
        generated == Some(expected.as_str()),
        "js/crossing.js must hold, between its markers:\n{begin}{expected}{end}"
    );
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// A seeded generator: `next(n)` is in `0..n`, the same sequence on every run.
fn xorshift(mut seed: u32) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize % n
    }
}

/// `CaseHandle.execute`'s events cross as serde_json's text of them (src/wasm/mod.rs): on random
/// walks through cases, with reasons in every kind of text (control characters too) and role ids
/// that JS objects treat apart (`__proto__`, `9` and `10`), they must read exactly as `JSON.parse`
/// of the native engine's events' JSON, key order included; and every kind of event a command
/// can make must have crossed (`variant` lists them).
#[wasm_bindgen_test]
fn events_read_as_the_json_of_the_native_events() {
    let mut config: serde_json::Value = serde_json::from_str(FIRM).unwrap();
    let roles = config["directory"]["roles"].as_array_mut().unwrap();
    for id in ["__proto__", "10", "9"] {
        roles.push(serde_json::json!({ "id": id, "name": format!("Role {id}") }));
    }
    for member in config["directory"]["members"].as_array_mut().unwrap() {
        let extra: &[&str] = match member["id"].as_str() {
            Some("paula") => &["__proto__", "10"],
            Some("pete") => &["9", "__proto__"],
            _ => &[],
        };
        if !extra.is_empty() {
            let mut held: Vec<serde_json::Value> = member["roles"].as_array().cloned().unwrap_or_default();
            held.extend(extra.iter().map(|r| serde_json::json!(r)));
            member["roles"] = serde_json::Value::Array(held);
        }
    }
    // Deadlines (SPEC §11): the documents are due a minute after the case starts, and the
    // review call's handoff escalates to Paula a minute after it is requested.
    let steps = config["workflows"][0]["steps"].as_array_mut().unwrap();
    steps[0]["due"] = serde_json::json!("PT1M");
    steps[3]["handoff"]["escalate"] = serde_json::json!({ "after": "PT1M", "to": { "kind": "member", "id": "paula" } });
    // Version 2 adds a closing letter: the first case starts on version 1 and migrates.
    let first_version = handoff_engine::Engine::from_json(&config.to_string()).unwrap();
    let mut next = config["workflows"][0].clone();
    next["version"] = serde_json::json!(2);
    next["steps"].as_array_mut().unwrap().push(serde_json::json!({ "id": "letter", "name": "Closing letter" }));
    config["workflows"].as_array_mut().unwrap().push(next);
    let config = config.to_string();
    let js_engine = JsEngine::new(&js(&config)).unwrap();
    let native = handoff_engine::Engine::from_json(&config).unwrap();
    let members = ["dana", "devon", "paula", "pete", "avery", "morgan", "ivan"];
    let roles = ["paralegal", "attorney", "__proto__", "10", "9"];
    let parties = [
        r#"{"kind":"member","id":"paula"}"#,
        r#"{"kind":"member","id":"dana"}"#,
        r#"{"kind":"role","id":"__proto__"}"#,
        r#"{"kind":"team","id":"documents"}"#,
        "null",
    ];
    let reasons = ["Wrong paralegal", "Ωmega \"quoted\" \\ back", "📄 docs\ttabbed", "sep\u{1}arated", "", "  "];
    let mut next = xorshift(0x9e37_79b9_u32);
    // Commands accepted, accepted with a string holding U+0001, and rejected.
    let mut tally = [0; 3];
    let mut crossed = [false; VARIANTS];
    // The first case begins with a handoff taken back while the odd roles are held, so that a
    // `handoffReverted` carries them in its `caseRoles`.
    // Before that, the clock finds the documents overdue, an admin extends their deadline, and
    // the review call's handoff escalates.
    let script = [
        ("clock", r#"{"type":"tick"}"#),
        (
            "morgan",
            r#"{"type":"extendDeadline","stepId":"documents","dueAt":"2027-01-01T00:00:00Z","reason":"Late bank"}"#,
        ),
        ("dana", r#"{"type":"completeStep","stepId":"documents"}"#),
        ("dana", r#"{"type":"completeStep","stepId":"credit-report"}"#),
        ("client", r#"{"type":"completeStep","stepId":"questionnaire"}"#),
        ("clock", r#"{"type":"tick"}"#),
        ("dana", r#"{"type":"completeHandoff","stepId":"review-call","to":"paula"}"#),
        ("dana", r#"{"type":"revertHandoff","stepId":"review-call","reason":"Wrong paralegal"}"#),
        (
            "morgan",
            r#"{"type":"redirectHandoff","stepId":"review-call","to":{"kind":"team","id":"documents"},"reason":"Pool"}"#,
        ),
        ("morgan", r#"{"type":"migrateCase","toVersion":2,"reason":"The closing letter"}"#),
    ];
    for case in 0..40 {
        let input = format!(
            r#"{{"caseId":"c{case}","workflowId":"chapter-7","caseRoles":{{"9":"pete","10":"paula","__proto__":"paula"}},"clients":{}}}"#,
            if case % 2 == 0 { r#"["smith"]"# } else { "[]" }
        );
        let start_ctx: handoff_engine::case::Ctx = handoff_engine::input::from_json(&ctx_of("dana")).unwrap();
        let starting = if case == 0 { &first_version } else { &native };
        let state = starting.start_case(&handoff_engine::input::from_json(&input).unwrap(), &start_ctx).unwrap().state;
        let mut kept = native.keep(state.clone()).unwrap();
        let mut handle = js_engine.open_case(&ts(&js(&serde_json::to_string(&state).unwrap()))).unwrap();
        if case == 0 {
            for (actor, command) in script {
                let outcome = same_events(&native, &mut kept, &mut handle, command, actor, &mut crossed);
                assert!(outcome < 2, "{command} by {actor} is accepted");
            }
            assert!(text(&handle.state().unwrap().js_value()).contains(r#""__proto__":"paula""#));
        }
        for _ in 0..30 {
            let actor = match next(10) {
                0 => "client",
                1 => "smith",
                _ => members[next(members.len())],
            };
            let ctx: handoff_engine::case::Ctx = handoff_engine::input::from_json(&ctx_of(actor)).unwrap();
            let allowed = serde_json::to_value(native.allowed_kept(&kept, &ctx.actor).unwrap()).unwrap();
            let allowed = allowed.as_array().unwrap();
            let kinds = [
                "completeStep",
                "claim",
                "completeHandoff",
                "revertHandoff",
                "setCaseRole",
                "transferOwnership",
                "setClients",
                "redirectHandoff",
                "migrateCase",
            ];
            let (kind, step) = match allowed.get(next(allowed.len() + 1)) {
                Some(entry) => {
                    (entry["type"].as_str().unwrap().to_owned(), entry["stepId"].as_str().map(str::to_owned))
                }
                None => (kinds[next(kinds.len())].to_owned(), Some("review-call".to_owned())),
            };
            let step = json(step.as_deref().unwrap_or("documents"));
            let reason = json(reasons[next(reasons.len())]);
            let command = match kind.as_str() {
                "completeHandoff" if next(3) > 0 => {
                    format!(r#"{{"type":"completeHandoff","stepId":{step},"to":"{}"}}"#, members[next(members.len())])
                }
                "revertHandoff" => format!(r#"{{"type":"revertHandoff","stepId":{step},"reason":{reason}}}"#),
                "skipStep" => format!(r#"{{"type":"skipStep","stepId":{step},"reason":{reason}}}"#),
                "assignStep" => {
                    format!(r#"{{"type":"assignStep","stepId":{step},"to":{}}}"#, parties[next(parties.len())])
                }
                "transferOwnership" => format!(
                    r#"{{"type":"transferOwnership","to":{},"reason":{reason}}}"#,
                    parties[next(parties.len() - 1)]
                ),
                "setCaseRole" => format!(
                    r#"{{"type":"setCaseRole","roleId":"{}","memberId":"{}"}}"#,
                    roles[next(roles.len())],
                    members[next(members.len())]
                ),
                "claim" => r#"{"type":"claim"}"#.to_owned(),
                "setClients" => format!(r#"{{"type":"setClients","clients":["smith","jones"],"reason":{reason}}}"#),
                "redirectHandoff" => format!(
                    r#"{{"type":"redirectHandoff","stepId":{step},"to":{},"reason":{reason}}}"#,
                    parties[next(parties.len() - 1)]
                ),
                "migrateCase" => format!(r#"{{"type":"migrateCase","toVersion":{},"reason":{reason}}}"#, next(3)),
                "tick" => r#"{"type":"tick"}"#.to_owned(),
                "extendDeadline" => format!(
                    r#"{{"type":"extendDeadline","stepId":{step},"dueAt":"2027-0{}-01T00:00:00+02:00","reason":{reason}}}"#,
                    1 + next(9)
                ),
                other => format!(r#"{{"type":"{other}","stepId":{step}}}"#),
            };
            tally[same_events(&native, &mut kept, &mut handle, &command, actor, &mut crossed)] += 1;
        }
        if case == 1 {
            // Morgan, an admin, takes this case to its close.
            let morgan: handoff_engine::case::Actor =
                handoff_engine::input::from_json(r#"{"kind":"member","id":"morgan"}"#).unwrap();
            for _ in 0..50 {
                if kept.state().closed {
                    break;
                }
                let allowed = serde_json::to_value(native.allowed_kept(&kept, &morgan).unwrap()).unwrap();
                let next_step = allowed
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|entry| entry["type"] == "completeStep" || entry["type"] == "completeHandoff")
                    .cloned();
                let mut command = next_step.expect("a step to complete while the case is open");
                if let Some(to) = command.get("candidates").and_then(|c| c.get(0)).cloned() {
                    command["to"] = to;
                }
                command.as_object_mut().unwrap().remove("candidates");
                tally[same_events(&native, &mut kept, &mut handle, &command.to_string(), "morgan", &mut crossed)] += 1;
            }
            assert!(kept.state().closed, "the case closes");
        }
        let state = serde_json::to_string(kept.state()).unwrap();
        assert_eq!(text(&handle.state().unwrap().js_value()), text(&js(&state)));
    }
    let [plain, separated, rejected] = tally;
    assert!(
        plain > 150 && separated > 2 && rejected > 150,
        "{plain} plain, {separated} with U+0001, {rejected} rejected"
    );
    // No command starts a case.
    let never: Vec<usize> = (1..VARIANTS).filter(|&v| !crossed[v]).collect();
    assert!(never.is_empty(), "no walk made the events of these `Change` variants (in `variant`'s order): {never:?}");
}

/// The number of `Change`'s variants.
const VARIANTS: usize = 18;

/// The place of an event's change among `Change`'s variants. A new variant fails to compile here;
/// once it is listed, the walk above must make an event of it cross.
fn variant(change: &handoff_engine::case::Change) -> usize {
    use handoff_engine::case::Change;
    match change {
        Change::CaseStarted { .. } => 0,
        Change::StepTriggered { .. } => 1,
        Change::StepSkipped { .. } => 2,
        Change::HandoffRequested { .. } => 3,
        Change::HandoffCompleted { .. } => 4,
        Change::HandoffReverted { .. } => 5,
        Change::OwnershipClaimed { .. } => 6,
        Change::StepCompleted { .. } => 7,
        Change::StepAssigned { .. } => 8,
        Change::OwnershipTransferred { .. } => 9,
        Change::CaseRoleSet { .. } => 10,
        Change::ClientsSet { .. } => 11,
        Change::HandoffRedirected { .. } => 12,
        Change::CaseMigrated { .. } => 13,
        Change::CaseClosed => 14,
        Change::HandoffEscalated { .. } => 15,
        Change::StepOverdue { .. } => 16,
        Change::DeadlineExtended { .. } => 17,
    }
}

fn ctx_of(actor: &str) -> String {
    match actor {
        "client" => r#"{"actor":{"kind":"client"},"at":"2026-11-25T09:00:00Z"}"#.to_owned(),
        "smith" => r#"{"actor":{"kind":"client","id":"smith"},"at":"2026-11-25T09:00:00Z"}"#.to_owned(),
        "clock" => r#"{"actor":{"kind":"system"},"at":"2026-11-26T09:00:00Z"}"#.to_owned(),
        member => format!(r#"{{"actor":{{"kind":"member","id":"{member}"}},"at":"2026-11-25T09:00:00.5+01:00"}}"#),
    }
}

/// Executes `command` by `actor` on the native kept case and on the handle, and asserts the same
/// events (as JSON text) or the same rejection: 0 when both accepted it, 1 when a string of the
/// events held U+0001, 2 when both rejected it. Marks the variants of the events in `crossed`.
fn same_events(
    native: &handoff_engine::Engine,
    kept: &mut handoff_engine::KeptCase,
    handle: &mut handoff_engine::wasm::JsCaseHandle,
    command: &str,
    actor: &str,
    crossed: &mut [bool; VARIANTS],
) -> usize {
    let ctx_text = ctx_of(actor);
    let ctx: handoff_engine::case::Ctx = handoff_engine::input::from_json(&ctx_text).unwrap();
    let actual = handle.execute(&ts(&js(command)), &ts(&js(&ctx_text)));
    let expected =
        handoff_engine::case::Command::from_json(command).and_then(|command| native.execute_kept(kept, &command, &ctx));
    match (expected, actual) {
        (Ok(events), Ok(actual)) => {
            // What JSON.parse makes of the native JSON (it puts keys like "9" before "10").
            let expected = serde_json::to_string(&events).unwrap();
            assert_eq!(text(&actual), text(&js(&expected)), "{command} by {actor}");
            for event in &events {
                crossed[variant(&event.change)] = true;
            }
            usize::from(expected.contains("\\u0001"))
        }
        (Err(error), Err(thrown)) => {
            assert_handoff_error(&thrown, error.code.as_str());
            2
        }
        (expected, actual) => panic!("{command} by {actor}: {expected:?} but {:?}", actual.map(|a| text(&a))),
    }
}

/// Numbers with a fraction or an exponent are read by the host's `parseFloat` in WebAssembly
/// (src/host.rs): each must come back as Rust's own parser reads it, bit for bit. (-0 cannot be
/// tried this way: JSON.stringify writes it as 0.)
#[wasm_bindgen_test]
fn fractional_numbers_read_as_rusts_parser_reads_them() {
    let engine = engine();
    let texts = [
        "0.5",
        "0.1",
        "1e5",
        "1E-7",
        "123.456e2",
        "5e-324",
        "4.9e-324",
        "1.7976931348623157e308",
        "2.2250738585072011e-308",
        "0.30000000000000004",
        "9007199254740993.0",
        "1.00000000000000011102230246251565404236316680908203125",
        "-12345678901234567890.5",
        "7.0",
        "1e21",
        "-2.5e-7",
    ];
    for number in texts {
        let input = js(&format!(r#"{{"caseId":"c","workflowId":"chapter-7","facts":{{"x":{number}}}}}"#));
        let started = engine.start_case(&ts(&input), &ts(&ctx("dana"))).unwrap().js_value();
        // Read in, and written out again (fractions by the host's JSON.stringify): the same bits.
        let read = get(&get(&get(&started, "state"), "facts"), "x").as_f64().unwrap();
        let expected: f64 = number.parse().unwrap();
        assert_eq!(read.to_bits(), expected.to_bits(), "{number}");
    }
}

/// Strings of 1- to 4-byte characters, short and long, cross into the module and back as they
/// went in, inside an object and inside JSON text; a lone surrogate in JSON text (which has no
/// UTF-8) becomes U+FFFD, as in any string wasm-bindgen passes.
#[wasm_bindgen_test]
fn strings_of_every_width_and_length_come_back_whole() {
    let engine = engine();
    for piece in ["a", "é", "€", "📄"] {
        for count in [1, 10, 100, 1_000, 2_000, 2_001] {
            let fact: String = piece.repeat(count);
            let input = Object::new();
            Reflect::set(&input, &"caseId".into(), &"c".into()).unwrap();
            Reflect::set(&input, &"workflowId".into(), &"chapter-7".into()).unwrap();
            let facts = Object::new();
            Reflect::set(&facts, &"x".into(), &fact.as_str().into()).unwrap();
            Reflect::set(&input, &"facts".into(), &facts).unwrap();
            for argument in [input.clone().into(), JSON::stringify(&input).unwrap().into()] {
                let started = engine.start_case(&ts(&argument), &ts(&ctx("dana")));
                // A fact is text of at most 2,000 characters, whatever their width.
                assert_eq!(started.is_err(), count > 2_000, "{count} × {piece}");
                let Ok(outcome) = started else { continue };
                let read = get(&get(&get(&outcome.js_value(), "state"), "facts"), "x");
                assert_eq!(read.as_string().unwrap(), fact, "{count} × {piece}");
            }
        }
    }
    // JSON.stringify escapes a lone surrogate; JSON text given as a string may hold one raw.
    let text = js_sys::JsString::from(r#"{"caseId":"c","workflowId":"chapter-7","facts":{"x":""#)
        .concat(&js_sys::JsString::from_char_code1(0xD800))
        .concat(&r#""}}"#.into());
    let outcome = engine.start_case(&ts(&text.into()), &ts(&ctx("dana"))).unwrap().js_value();
    assert_eq!(get(&get(&get(&outcome, "state"), "facts"), "x").as_string().unwrap(), "\u{FFFD}");
}

/// Texts of 16,384 UTF-16 units or more cross by `TextEncoder.encodeInto` into a buffer the
/// module allocates (src/wasm/convert.rs): with room for an eighth more bytes than units first,
/// then for three bytes a unit. Every width, both tries, and a lone surrogate come back whole.
#[wasm_bindgen_test]
fn long_texts_come_back_whole() {
    let engine = engine();
    // Per piece: 20 facts of 2,000 of it (the first try fits "a" and "aaaaaaaaaaaaaaaé" only).
    for piece in ["a", "aaaaaaaaaaaaaaaé", "é", "€", "📄", "a\u{10FFFF}"] {
        let fact: String = piece.chars().cycle().take(2_000).collect();
        let input = Object::new();
        Reflect::set(&input, &"caseId".into(), &"c".into()).unwrap();
        Reflect::set(&input, &"workflowId".into(), &"chapter-7".into()).unwrap();
        let facts = Object::new();
        for n in 0..20 {
            Reflect::set(&facts, &format!("x{n}").into(), &fact.as_str().into()).unwrap();
        }
        Reflect::set(&input, &"facts".into(), &facts).unwrap();
        let text = JSON::stringify(&input).unwrap();
        assert!(text.length() >= 16_384, "{piece}: long enough to take the long way");
        for argument in [input.clone().into(), text.into()] {
            let outcome = engine.start_case(&ts(&argument), &ts(&ctx("dana"))).unwrap().js_value();
            for n in [0, 19] {
                let read = get(&get(&get(&outcome, "state"), "facts"), &format!("x{n}"));
                assert_eq!(read.as_string().unwrap(), fact, "{piece}, fact {n}");
            }
        }
    }
    // A raw lone surrogate in a long JSON text, as in a short one, becomes U+FFFD.
    let mut head = String::from(r#"{"caseId":"c","workflowId":"chapter-7","facts":{"#);
    for n in 0..8 {
        head += &format!(r#""w{n}":"{}","#, "c".repeat(2_000));
    }
    head += r#""x":""#;
    let long = js_sys::JsString::from(head.as_str())
        .concat(&js_sys::JsString::from_char_code1(0xD800))
        .concat(&format!(r#"","z":"{}"}}}}"#, "€".repeat(2_000)).as_str().into());
    assert!(long.length() >= 16_384);
    let outcome = engine.start_case(&ts(&long.into()), &ts(&ctx("dana"))).unwrap().js_value();
    let facts = get(&get(&outcome, "state"), "facts");
    assert_eq!(get(&facts, "x").as_string().unwrap(), "\u{FFFD}");
    assert_eq!(get(&facts, "z").as_string().unwrap(), "€".repeat(2_000));
    // A text past the byte limit is refused before any copy, and leaves nothing behind for the
    // next call: one whose value has no JSON text is told so, not handed the refused text.
    let huge = js_sys::JsString::from("x").repeat(70_000_000);
    let error = engine.validate_workflow(&huge.into()).err().unwrap();
    assert_handoff_error(&error, "invalid-input");
    assert!(get(&error, "message").as_string().unwrap().contains("at least 70000000 bytes"));
    let error = engine.validate_workflow(&js_sys::BigInt::from(1).into()).err().unwrap();
    assert!(get(&error, "message").as_string().unwrap().contains("cannot be read as JSON"));
    assert_eq!(get(&facts, "w7").as_string().unwrap(), "c".repeat(2_000));
}
