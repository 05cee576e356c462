//! Firm-wide findings of `validateConfig`: the directory itself and the Workflow Owners
//! settings that no single workflow owns.

use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, RuleCode};
use crate::input::id_problem;
use crate::model::{EngineConfig, Party, PartyKind};
use crate::roster::Roster;

fn finding(code: RuleCode, path: String, message: String) -> Diagnostic {
    Diagnostic { code, severity: code.severity(), message, step_id: None, path }
}

pub fn firm_wide(config: &EngineConfig, roster: &Roster) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    directory_ids(config, &mut out);
    memberships(config, roster, &mut out);
    default_owner(config, roster, &mut out);
    owners_of_unknown_workflows(config, &mut out);
    out
}

/// `invalid-id` and `duplicate-party-id` in the directory.
fn directory_ids(config: &EngineConfig, out: &mut Vec<Diagnostic>) {
    let directory = &config.directory;
    let lists: [(&str, Vec<(&str, &str)>); 3] = [
        ("members", directory.members.iter().map(|m| (m.id.as_str(), m.name.as_str())).collect()),
        ("roles", directory.roles.iter().map(|r| (r.id.as_str(), r.name.as_str())).collect()),
        ("teams", directory.teams.iter().map(|t| (t.id.as_str(), t.name.as_str())).collect()),
    ];
    for (list, entries) in lists {
        let mut seen = HashSet::default();
        for (index, (id, name)) in entries.into_iter().enumerate() {
            let path = format!("directory.{list}[{index}].id");
            if let Some(problem) = id_problem(id) {
                out.push(finding(RuleCode::InvalidId, path, format!("The id of {name} {problem}.")));
            } else if !seen.insert(id) {
                let message = format!("{name} has the id \"{id}\", which another entry of {list} already has.");
                out.push(finding(RuleCode::DuplicatePartyId, path, message));
            }
        }
    }
}

/// `unknown-party`: a member holds a role or belongs to a team that the directory lacks.
fn memberships(config: &EngineConfig, roster: &Roster, out: &mut Vec<Diagnostic>) {
    for (index, member) in config.directory.members.iter().enumerate() {
        let lists = [("roles", PartyKind::Role, &member.roles), ("teams", PartyKind::Team, &member.teams)];
        for (field, kind, ids) in lists {
            for (at, id) in ids.iter().enumerate() {
                let party = Party { kind, id: id.clone() };
                if !roster.exists(&party) {
                    let message = format!(
                        "{} belongs to {}, which is not in the directory.",
                        member.name,
                        roster.describe(&party)
                    );
                    out.push(finding(
                        RuleCode::UnknownParty,
                        format!("directory.members[{index}].{field}[{at}]"),
                        message,
                    ));
                }
            }
        }
    }
}

/// `unknown-party` / `inactive-member` for the firm-wide default owner.
fn default_owner(config: &EngineConfig, roster: &Roster, out: &mut Vec<Diagnostic>) {
    let Some(party) = &config.owners.default_owner else { return };
    let who = roster.describe(party);
    let path = "owners.default".to_owned();
    if !roster.exists(party) {
        let message = format!("Workflow Owners gives new cases to {who}, which is not in the directory.");
        out.push(finding(RuleCode::UnknownParty, path, message));
    } else if party.kind == PartyKind::Member && roster.active_member(&party.id).is_none() {
        let message = format!("Workflow Owners gives new cases to {who}, who is deactivated.");
        out.push(finding(RuleCode::InactiveMember, path, message));
    }
}

/// `unknown-workflow`: an owner setting for a workflow the config does not define.
fn owners_of_unknown_workflows(config: &EngineConfig, out: &mut Vec<Diagnostic>) {
    for id in config.owners.workflows.keys() {
        if !config.workflows.iter().any(|w| w.id == *id) {
            let message = format!("Workflow Owners names an owner for workflow \"{id}\", which does not exist.");
            out.push(finding(RuleCode::UnknownWorkflow, format!("owners.workflows.{id}"), message));
        }
    }
}
