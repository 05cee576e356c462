//! `POST /sync/config/change` (SPEC §9, §13): an admin's change of the configuration. The core
//! decides it (`change::check_config_change`: the candidate, what blocks, what is reported, the
//! stuck work); this file reads the request, brings what the core needs from the store (the
//! configuration in use, the open cases, the ids removed by earlier versions) inside the change's
//! transaction, and turns the verdict into an answer and, when accepted for real, a new version.

use axum::http::StatusCode;
use handoff_engine::case::CaseState;
use handoff_engine::change::{check_config_change, ConfigChange};
use handoff_engine::input::{from_json, IntoOwned};
use handoff_engine::model::{EngineConfig, Party};
use handoff_engine::sync::ErrorBody;
use serde_json::json;

use crate::store::{Decision, NewVersion, Published, StoreError};

/// The change read from a request's body: a malformed one is `400 invalid-request`, naming the
/// field (`publish[0].steps[3]`).
pub fn read(text: &str) -> Result<ConfigChange<'static>, String> {
    from_json::<ConfigChange>(text).map(IntoOwned::into_owned).map_err(|error| error.into_parts().message)
}

fn body(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Storage(e.to_string()))
}

/// The ids removed by earlier versions (`change::retired`), from every stored version's text.
fn retired(history: &[String], current: &EngineConfig) -> Result<Vec<Party>, StoreError> {
    let configs = history
        .iter()
        .map(|text| {
            from_json::<EngineConfig>(text).map_err(|e| StoreError::Storage(format!("a stored configuration: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(handoff_engine::change::retired(&configs, current))
}

/// What the store does with `change`, decided inside its transaction against `current` and the
/// open cases: 409 on a stale base, 422 with every blocking error, else the result; a new version
/// only when accepted and not a dry run, and the answer kept for a retry of its `changeId` only
/// then too (a dry run answers exactly what the change would, and changes nothing).
pub fn decide(
    change: &ConfigChange<'static>,
    current: &Published,
    open: &[CaseState],
    history: &[String],
) -> Result<Decision, StoreError> {
    let remember = !change.dry_run;
    if change.base_config_version != current.version {
        let message = format!(
            "The configuration is at version {}, not {}: someone else changed it first. Reload and try again.",
            current.version, change.base_config_version
        );
        let answer = body(&ErrorBody::new("config-conflict", message))?;
        return Ok(Decision { status: StatusCode::CONFLICT.as_u16(), answer, version: None, remember });
    }
    let retired = retired(history, current.engine.config())?;
    let check = check_config_change(&current.engine, change.clone(), open, &retired);
    if !check.accepted() {
        let blocking = check.blocking();
        let message = format!(
            "The change has {} error{} and was not applied.",
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" }
        );
        let answer =
            body(&json!({ "error": { "code": "config-invalid", "message": message, "diagnostics": blocking } }))?;
        return Ok(Decision { status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(), answer, version: None, remember });
    }
    if change.dry_run {
        let (result, _) = check.into_result(false, current.version);
        return Ok(Decision { status: 200, answer: body(&result)?, version: None, remember });
    }
    let (result, candidate) = check.into_result(true, current.version + 1);
    let published: Vec<_> = change
        .publish
        .iter()
        .flatten()
        .map(|workflow| json!({ "workflowId": workflow.id, "version": workflow.version }))
        .collect();
    let version = NewVersion {
        text: body(candidate.config())?,
        stuck: result.stuck.clone(),
        reason: change.reason.clone(),
        published: body(&published)?,
        directory: change.directory.is_some(),
        owners: change.owners.is_some(),
    };
    Ok(Decision { status: 200, answer: body(&result)?, version: Some(version), remember })
}
