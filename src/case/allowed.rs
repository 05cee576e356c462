//! `allowedCommands`: what an actor may do now, for enabling buttons. Each entry is found by
//! vetting the command with the fields a person would supply filled in, so the list and
//! `check` can never disagree.

use serde::Serialize;

use super::access::Who;
use super::command::{Actor, Command, CommandType};
use super::decide::{vet, Scene};
use super::state::CaseState;
use crate::error::ErrorCode;
use crate::model::Party;
use crate::output::ToJson;

#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct AllowedCommand {
    #[serde(rename = "type")]
    pub kind: CommandType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Members eligible to become owner through this handoff or claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<String>>,
}

pub(crate) fn allowed_commands(scene: Scene, state: &CaseState, actor: &Actor) -> Vec<AllowedCommand> {
    let ok = |command: &Command| vet(scene, state, command, actor).is_ok();
    let entry = |kind, step_id: Option<&str>, candidates| AllowedCommand {
        kind,
        step_id: step_id.map(str::to_owned),
        candidates,
    };
    let mut allowed = Vec::new();
    if state.closed {
        return allowed;
    }

    if let Some(pending) = &state.pending_handoff {
        let step_id = pending.step_id.clone();
        let with = |to: Option<String>| Command::CompleteHandoff { step_id: step_id.clone(), to };
        let candidates: Vec<String> = scene
            .roster
            .active_members_of(&pending.to)
            .into_iter()
            .map(|m| m.id.clone())
            .filter(|id| ok(&with(Some(id.clone()))))
            .collect();
        if ok(&with(None)) || !candidates.is_empty() {
            allowed.push(entry(CommandType::CompleteHandoff, Some(&step_id), Some(candidates)));
        }
    }
    if let Some(last) = &state.last_handoff {
        if ok(&Command::RevertHandoff { step_id: last.step_id.clone(), reason: None }) {
            allowed.push(entry(CommandType::RevertHandoff, Some(&last.step_id), None));
        }
    }
    if ok(&Command::Claim) {
        let candidates = scene.roster.active_members_of(&state.owner).into_iter().map(|m| m.id.clone()).collect();
        allowed.push(entry(CommandType::Claim, None, Some(candidates)));
    }
    for step in &scene.workflow.def.steps {
        let step_id = step.id.to_string();
        if ok(&Command::CompleteStep { step_id: step_id.clone() }) {
            allowed.push(entry(CommandType::CompleteStep, Some(&step.id), None));
        }
        if ok(&Command::SkipStep { step_id: step_id.clone(), reason: "-".into() }) {
            allowed.push(entry(CommandType::SkipStep, Some(&step.id), None));
        }
        if !step.client_facing && ok(&Command::AssignStep { step_id: step_id.clone(), to: None }) {
            allowed.push(entry(CommandType::AssignStep, Some(&step.id), None));
        }
        // Any later time would do: the latest a timestamp can say.
        let due_at = "9999-12-31T23:59:59Z".to_owned();
        if ok(&Command::ExtendDeadline { step_id, due_at, reason: "-".into() }) {
            allowed.push(entry(CommandType::ExtendDeadline, Some(&step.id), None));
        }
    }
    // For the system and admins on every open case, as `check` accepts it: what a tick does
    // depends on its time (nothing, if nothing is due).
    if ok(&Command::Tick) {
        allowed.push(entry(CommandType::Tick, None, None));
    }
    if let Some(me) = Who::of(actor, scene.roster).member() {
        let transfer = Command::TransferOwnership { to: Party::member(&me.id), reason: "-".into() };
        if ok(&transfer) {
            allowed.push(entry(CommandType::TransferOwnership, None, None));
        }
        if let Some(pending) = &state.pending_handoff {
            let step_id = pending.step_id.clone();
            if ok(&Command::RedirectHandoff { step_id, to: Party::member(&me.id), reason: "-".into() }) {
                allowed.push(entry(CommandType::RedirectHandoff, Some(&pending.step_id), None));
            }
        }
    }
    let any_role = scene.roster.directory().roles.iter().any(|role| {
        scene
            .roster
            .active_members_of(&Party::role(&role.id))
            .iter()
            .any(|m| ok(&Command::SetCaseRole { role_id: role.id.clone(), member_id: m.id.clone() }))
    });
    if any_role {
        allowed.push(entry(CommandType::SetCaseRole, None, None));
    }
    if ok(&Command::SetClients { clients: Vec::new(), reason: "-".into() }) {
        allowed.push(entry(CommandType::SetClients, None, None));
    }
    // Listed when a later version exists and an admin may migrate the case; whether a migration
    // to a given version, with a given mapping, can be made is `check`'s to say.
    let latest = scene.latest();
    if latest > state.workflow_version {
        let migrate =
            Command::MigrateCase { to_version: latest.into(), mapping: Default::default(), reason: "-".into() };
        let may = match vet(scene, state, &migrate, actor) {
            Ok(_) => true,
            Err(error) => error.code == ErrorCode::MigrationInvalid,
        };
        if may {
            allowed.push(entry(CommandType::MigrateCase, None, None));
        }
    }
    allowed
}
