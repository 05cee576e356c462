//! Deciding: may this command happen now, and what events does it produce. `vet` checks a
//! command and returns the change it makes (cheap, no copy of the state); `decide` records that
//! change and whatever it triggers. Rejections follow the precedence of SPEC §4: case-closed,
//! unknown-step, the step-status codes, not-permitted, then the target codes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::access::Who;
use super::command::{Actor, Command, Ctx, StartCase};
use super::event::{CaseRoleChange, Change, Event};
use super::state::{CaseState, StepStatus, MAX_VERSION};
use crate::compiled::CompiledWorkflow;
use crate::error::{ErrorCode, HandoffError, Result};
use crate::model::{Handoff, OwnerSettings, Party, PartyKind, Step};
use crate::roster::{belongs, Roster};
use crate::time::{later_by, Instant};

pub(super) fn reject(code: ErrorCode, message: impl Into<String>) -> HandoffError {
    HandoffError::new(code, message)
}

/// The workflow and directory a case is decided against.
#[derive(Clone, Copy)]
pub(crate) struct Scene<'a> {
    pub workflow: &'a CompiledWorkflow,
    pub roster: &'a Roster,
    /// Every workflow of the configuration, where a migration finds its target version.
    pub workflows: &'a [CompiledWorkflow],
}

impl<'a> Scene<'a> {
    /// Version `version` of the case's workflow (the first, should the configuration define
    /// it twice).
    pub fn version(&self, version: u64) -> Option<&'a CompiledWorkflow> {
        let id = &self.workflow.def.id;
        self.workflows.iter().find(|w| w.def.id == *id && u64::from(w.def.version) == version)
    }

    /// The highest version of the case's workflow.
    pub fn latest(&self) -> u32 {
        let id = &self.workflow.def.id;
        self.workflows.iter().filter(|w| w.def.id == *id).map(|w| w.def.version).max().unwrap_or(0)
    }

    fn step(&self, step_id: &str) -> Result<(usize, &'a Step<'static>)> {
        self.workflow.step(step_id).ok_or_else(|| {
            reject(ErrorCode::UnknownStep, format!("Workflow {} has no step \"{step_id}\".", self.workflow.def.name))
                .with_step(step_id)
        })
    }

    fn name(&self, party: &Party) -> String {
        self.roster.describe(party)
    }
}

/// Checks `command` against `state` and returns the change it makes. Never panics, never
/// copies the state: `check` and `allowedCommands` call it freely.
/// A tick is vetted as `None`: what it does is found from the time, when it is recorded.
pub(crate) fn vet(scene: Scene, state: &CaseState, command: &Command, actor: &Actor) -> Result<Option<Change>> {
    // Every command records at most two events per step and two more (its own, caseClosed); a
    // migration, counted in its target's steps, one more (a handoff requested again).
    let steps = match command {
        Command::MigrateCase { to_version, .. } => {
            scene.version(*to_version).map_or(0, |w| w.def.steps.len()).max(scene.workflow.def.steps.len()) + 1
        }
        _ => scene.workflow.def.steps.len(),
    };
    let room = 2 * steps as u64 + 2;
    if state.version > MAX_VERSION.saturating_sub(room) {
        return Err(HandoffError::invalid_input(
            "version",
            format!("Case {} has as many events as a case may have.", state.case_id),
        ));
    }
    if state.shuts_out(actor) {
        return Err(super::state::shut_out());
    }
    if state.closed {
        return Err(reject(ErrorCode::CaseClosed, format!("Case {} is closed.", state.case_id)));
    }
    let who = Who::of(actor, scene.roster);
    let not_permitted =
        |what: &str| reject(ErrorCode::NotPermitted, format!("{} may not {what}.", describe_actor(actor, scene)));
    let change = match command {
        Command::CompleteHandoff { step_id, to } => {
            let (_, step) = scene.step(step_id)?;
            let pending = state.pending_handoff.as_ref().filter(|p| p.step_id == *step_id).ok_or_else(|| {
                reject(ErrorCode::NoPendingHandoff, format!("Step {} has no handoff waiting.", step.name))
                    .with_step(step_id)
            })?;
            if !who.manages(state) {
                return Err(not_permitted(&format!("hand off this case: {} owns it", scene.name(&state.owner))));
            }
            let (new_owner, case_role) = resolve_target(scene, state, &pending.to, to.as_deref())?;
            Ok(Change::HandoffCompleted {
                step_id: step_id.clone(),
                target: pending.to.clone(),
                from: state.owner.clone(),
                to: new_owner,
                case_role,
            })
        }
        Command::RevertHandoff { step_id, reason } => {
            let (_, step) = scene.step(step_id)?;
            let last = state.last_handoff.as_ref().filter(|l| l.step_id == *step_id);
            let handoff = step.handoff.as_ref();
            let (Some(last), Some(handoff)) = (last, handoff) else {
                return Err(reject(
                    ErrorCode::RevertNotAllowed,
                    format!("The handoff on step {} can no longer be reverted: something has happened since, or there was none.", step.name),
                )
                .with_step(step_id));
            };
            if actor.member_id() != Some(last.by.as_str()) && !who.is_admin() || who.member().is_none() {
                return Err(not_permitted("revert a handoff someone else made"));
            }
            // Who received it is of the step's target, unless the handoff had been redirected
            // (SPEC §10) before it completed: then it is requested of them again.
            let received = &last.to;
            let covered = *received == handoff.to
                || received.kind == PartyKind::Member
                    && scene.roster.member(&received.id).is_some_and(|m| belongs(m, &handoff.to));
            Ok(Change::HandoffReverted {
                step_id: step_id.clone(),
                from: state.owner.clone(),
                to: last.from.clone(),
                case_roles: last.case_roles_before.clone(),
                target: if covered { &handoff.to } else { received }.clone(),
                required: handoff.required,
                reason: reason.clone(),
            })
        }
        Command::Claim => {
            let member = who.member().filter(|_| state.owner.kind != PartyKind::Member && who.owns(state));
            let Some(member) = member else {
                return Err(not_permitted(&format!("claim this case, owned by {}", scene.name(&state.owner))));
            };
            let case_role = (state.owner.kind == PartyKind::Role)
                .then(|| CaseRoleChange { role_id: state.owner.id.clone(), member_id: member.id.clone() });
            Ok(Change::OwnershipClaimed { from: state.owner.clone(), to: Party::member(&member.id), case_role })
        }
        Command::CompleteStep { step_id } => {
            let (_, step) = scene.step(step_id)?;
            match state.status(step_id) {
                Some(StepStatus::Active) => {}
                Some(StepStatus::AwaitingHandoff) => {
                    return Err(reject(
                        ErrorCode::HandoffPending,
                        format!("Step {} waits for its handoff to be completed first.", step.name),
                    )
                    .with_step(step_id))
                }
                _ => return Err(not_active(step, step_id)),
            }
            if !who.may_complete(state, step_id, step.client_facing) {
                return Err(not_permitted(&format!("complete step {}", step.name)));
            }
            Ok(Change::StepCompleted { step_id: step_id.clone() })
        }
        Command::SkipStep { step_id, reason } => {
            let (_, step) = scene.step(step_id)?;
            let awaiting = match state.status(step_id) {
                Some(StepStatus::Active) => false,
                Some(StepStatus::AwaitingHandoff) => true,
                _ => return Err(not_active(step, step_id)),
            };
            if !who.manages(state) || (awaiting && !who.is_admin()) {
                let what =
                    if awaiting { "skip a step whose handoff is pending (admins only)" } else { "skip this step" };
                return Err(not_permitted(what));
            }
            Ok(Change::StepSkipped { step_id: step_id.clone(), reason: Some(reason.clone()) })
        }
        Command::AssignStep { step_id, to } => {
            let (_, step) = scene.step(step_id)?;
            let current = state.steps.get(step_id);
            if current.is_none_or(|s| s.status.is_done()) {
                return Err(not_active(step, step_id));
            }
            if !who.manages(state) {
                return Err(not_permitted("assign steps of this case"));
            }
            if step.client_facing {
                return Err(ineligible(format!("Step {} is client-facing: the client does it.", step.name)));
            }
            if let Some(party) = to {
                check_party_eligible(scene, party)?;
            }
            Ok(Change::StepAssigned {
                step_id: step_id.clone(),
                from: current.and_then(|s| s.assignee.clone()),
                to: to.clone(),
            })
        }
        Command::TransferOwnership { to, reason } => {
            if !who.is_admin() {
                return Err(not_permitted("transfer ownership (admins only)"));
            }
            check_party_eligible(scene, to)?;
            Ok(Change::OwnershipTransferred { from: state.owner.clone(), to: to.clone(), reason: reason.clone() })
        }
        Command::SetCaseRole { role_id, member_id } => {
            if !who.manages(state) {
                return Err(not_permitted("set this case's roles"));
            }
            let role = Party::role(role_id);
            let holder = scene.roster.active_member(member_id).filter(|m| belongs(m, &role));
            if !scene.roster.has_role(role_id) || holder.is_none() {
                return Err(ineligible(format!(
                    "Member \"{member_id}\" is not an active holder of {}.",
                    scene.name(&role)
                )));
            }
            Ok(Change::CaseRoleSet {
                role_id: role_id.clone(),
                member_id: member_id.clone(),
                previous: state.case_roles.get(role_id).cloned(),
            })
        }
        Command::SetClients { clients, reason } => {
            if !who.manages(state) {
                return Err(not_permitted("change who this case is for"));
            }
            Ok(Change::ClientsSet { from: state.clients.clone(), to: clients.clone(), reason: reason.clone() })
        }
        Command::RedirectHandoff { step_id, to, reason } => {
            let (_, step) = scene.step(step_id)?;
            let pending = state.pending_handoff.as_ref().filter(|p| p.step_id == *step_id).ok_or_else(|| {
                reject(ErrorCode::NoPendingHandoff, format!("Step {} has no handoff waiting.", step.name))
                    .with_step(step_id)
            })?;
            if !who.is_admin() {
                return Err(not_permitted("redirect a handoff (admins only)"));
            }
            check_party_eligible(scene, to)?;
            Ok(Change::HandoffRedirected {
                step_id: step_id.clone(),
                from: pending.to.clone(),
                to: to.clone(),
                reason: reason.clone(),
            })
        }
        Command::MigrateCase { to_version, mapping, .. } => {
            if !who.is_admin() {
                return Err(not_permitted("migrate a case (admins only)"));
            }
            super::migrate::vet(scene, state, *to_version, mapping)
        }
        Command::Tick => {
            if !matches!(who, Who::System) && !who.is_admin() {
                return Err(not_permitted("tick (the system and admins only)"));
            }
            return Ok(None);
        }
        Command::ExtendDeadline { step_id, due_at, reason } => {
            let (_, step) = scene.step(step_id)?;
            let Some(current) = state.steps.get(step_id).filter(|s| !s.status.is_done()) else {
                return Err(not_active(step, step_id));
            };
            if !who.manages(state) {
                return Err(not_permitted("extend deadlines"));
            }
            let Some(from) = &current.due_at else {
                let message = format!("Step {} has no deadline yet.", step.name);
                return Err(HandoffError::invalid_input("stepId", message).with_step(step_id));
            };
            let to = Instant::parse(due_at).filter(|to| Instant::parse(from).is_some_and(|from| *to > from));
            let Some(to) = to else {
                let message = format!("Step {} is due at {from}: a new deadline must be later.", step.name);
                return Err(HandoffError::invalid_input("dueAt", message).with_step(step_id));
            };
            Ok(Change::DeadlineExtended {
                step_id: step_id.clone(),
                from: from.clone(),
                to: to.utc_text(),
                reason: reason.clone(),
            })
        }
    };
    change.map(Some)
}

fn not_active(step: &Step, step_id: &str) -> HandoffError {
    reject(ErrorCode::StepNotActive, format!("Step {} is not active.", step.name)).with_step(step_id)
}

fn ineligible(message: String) -> HandoffError {
    reject(ErrorCode::TargetIneligible, message)
}

fn describe_actor(actor: &Actor, scene: Scene) -> String {
    match actor {
        Actor::Member { id } => match scene.roster.member(id) {
            Some(member) if member.active => member.name.clone(),
            Some(member) => format!("{}, who is deactivated,", member.name),
            None => format!("Member \"{id}\", who is not in the directory,"),
        },
        Actor::Client { .. } => "The client".into(),
        Actor::System => "The system".into(),
    }
}

/// A party that may receive work or ownership: it exists, and a member is active.
fn check_party_eligible(scene: Scene, party: &Party) -> Result<()> {
    let ok = match party.kind {
        PartyKind::Member => scene.roster.active_member(&party.id).is_some(),
        PartyKind::Role | PartyKind::Team => scene.roster.exists(party),
    };
    if ok {
        Ok(())
    } else {
        Err(ineligible(format!("{} cannot take this: not in the directory or deactivated.", scene.name(party))))
    }
}

/// Who becomes owner when a handoff to `target` completes, given the optional `to`.
fn resolve_target(
    scene: Scene,
    state: &CaseState,
    target: &Party,
    to: Option<&str>,
) -> Result<(Party, Option<CaseRoleChange>)> {
    let eligible = |id: &str| scene.roster.active_member(id).filter(|m| belongs(m, target));
    let target_name = scene.name(target);
    match (target.kind, to) {
        (PartyKind::Member, _) => {
            if to.is_some_and(|id| id != target.id) || eligible(&target.id).is_none() {
                return Err(ineligible(format!("This handoff can only go to {target_name}, who must be active.")));
            }
            Ok((target.clone(), None))
        }
        (PartyKind::Role | PartyKind::Team, Some(id)) => {
            let member = eligible(id)
                .ok_or_else(|| ineligible(format!("Member \"{id}\" is not an active member of {target_name}.")))?;
            let case_role = (target.kind == PartyKind::Role)
                .then(|| CaseRoleChange { role_id: target.id.clone(), member_id: member.id.clone() });
            Ok((Party::member(&member.id), case_role))
        }
        (PartyKind::Role, None) => match state.case_roles.get(&target.id) {
            Some(holder) if scene.roster.active_member(holder).is_some() => Ok((Party::member(holder), None)),
            Some(holder) => Err(ineligible(format!(
                "{} holds {target_name} on this case but is not active; choose another with `to`.",
                scene.name(&Party::member(holder))
            ))),
            None => Err(reject(
                ErrorCode::TargetRequired,
                format!("Choose who receives the case: nobody holds {target_name} on this case yet."),
            )),
        },
        (PartyKind::Team, None) => Ok((target.clone(), None)),
    }
}

/// Records events: each is applied as it is produced, so what follows sees its effect.
pub(super) struct Recorder<'a> {
    pub state: &'a mut CaseState,
    events: Vec<Event>,
    pub ctx: &'a Ctx,
}

impl Recorder<'_> {
    pub fn emit(&mut self, change: Change) {
        let event = Event {
            seq: self.state.version.saturating_add(1),
            at: self.ctx.at.clone(),
            actor: self.ctx.actor.clone(),
            change,
        };
        self.state.apply(&event);
        self.events.push(event);
    }
}

impl Recorder<'_> {
    /// `handoffRequested` for `step`'s handoff, if it has one (none on a client-facing step),
    /// escalating `escalate.after` from now.
    pub fn request(&mut self, step: &Step) {
        if let Some(handoff) = step.handoff.as_ref().filter(|_| !step.client_facing) {
            let escalates_at = escalates_at(handoff, &self.ctx.at);
            self.emit(Change::HandoffRequested {
                step_id: step.id.to_string(),
                to: handoff.to.clone(),
                required: handoff.required,
                escalates_at,
            });
        }
    }
}

/// When a handoff requested at `at` escalates, if it does.
fn escalates_at(handoff: &Handoff, at: &str) -> Option<String> {
    handoff.escalate.as_ref().and_then(|escalation| later_by(at, &escalation.after))
}

/// Decides `command`: the state after it and the events it produced.
pub(crate) fn decide(scene: Scene, state: &CaseState, command: &Command, ctx: &Ctx) -> Result<(CaseState, Vec<Event>)> {
    let change = vet(scene, state, command, &ctx.actor)?;
    let mut next = state.clone();
    let events = record(scene, &mut next, change, ctx);
    Ok((next, events))
}

/// `decide` on a state kept by its owner (the package's `CaseHandle`): the events are applied
/// to `state` itself, and nothing is copied. A rejected command leaves `state` as it was.
pub(crate) fn decide_in_place(scene: Scene, state: &mut CaseState, command: &Command, ctx: &Ctx) -> Result<Vec<Event>> {
    let change = vet(scene, state, command, &ctx.actor)?;
    Ok(record(scene, state, change, ctx))
}

/// Emits a vetted change and what it triggers (a tick: what has fallen due).
fn record(scene: Scene, state: &mut CaseState, change: Option<Change>, ctx: &Ctx) -> Vec<Event> {
    // Most commands record one event; room for four (what a first push makes) would be a
    // chunk from the allocator's slower large bins in WebAssembly.
    let mut recorder = Recorder { state, events: Vec::with_capacity(1), ctx };
    let Some(change) = change else {
        super::deadline::tick(&mut recorder, scene);
        return recorder.events;
    };
    let finished = match &change {
        Change::StepCompleted { step_id } | Change::StepSkipped { step_id, .. } => scene.workflow.step(step_id),
        _ => None,
    };
    match &change {
        Change::CaseMigrated { .. } => {
            super::migrate::record(&mut recorder, scene, change);
            return recorder.events;
        }
        // Late work is late (SPEC §13): overdue as it completes, if no tick said so before.
        Change::StepCompleted { step_id } => super::deadline::late(&mut recorder, step_id),
        _ => {}
    }
    recorder.emit(change);
    if let Some((index, _)) = finished {
        trigger(&mut recorder, scene.workflow, scene.workflow.graph.succs_of(index));
    }
    recorder.events
}

/// Starts a case: the owner from Workflow Owners (not a handoff), then the first steps.
pub(crate) fn start(
    scene: Scene,
    owners: &OwnerSettings,
    input: &StartCase,
    ctx: &Ctx,
) -> Result<(CaseState, Vec<Event>)> {
    for (role, member) in &input.case_roles {
        if !scene.roster.has_role(role) || scene.roster.member(member).is_none() {
            return Err(HandoffError::invalid_input(
                format!("caseRoles.{role}"),
                format!("caseRoles names role \"{role}\" or member \"{member}\", which is not in the directory."),
            ));
        }
    }
    let workflow = scene.workflow;
    if !workflow.validation.ok {
        let mut error = reject(
            ErrorCode::WorkflowInvalid,
            format!("Workflow {} has errors, so no case can start on it; validate it to see them.", workflow.def.name),
        );
        error.details.diagnostics = Some(
            workflow.validation.diagnostics.iter().filter(|d| d.severity == crate::Severity::Error).cloned().collect(),
        );
        return Err(error);
    }
    if !Who::of(&ctx.actor, scene.roster).may_start() {
        return Err(reject(
            ErrorCode::NotPermitted,
            format!(
                "{} may not start a case: only active members and the system may.",
                describe_actor(&ctx.actor, scene)
            ),
        ));
    }
    for (role, member) in &input.case_roles {
        let role_party = Party::role(role);
        if scene.roster.active_member(member).filter(|m| belongs(m, &role_party)).is_none() {
            return Err(ineligible(format!(
                "{} cannot hold {} on this case: not an active holder of it.",
                scene.name(&Party::member(member)),
                scene.name(&role_party)
            )));
        }
    }
    let Some((owner, _)) = owners.owner_for(&workflow.def.id) else {
        return Err(reject(ErrorCode::WorkflowInvalid, "Workflow Owners names no owner for this workflow."));
    };
    let mut state = CaseState::blank(&input.case_id, &workflow.def, owner.clone());
    let mut recorder = Recorder { state: &mut state, events: Vec::new(), ctx };
    recorder.emit(Change::CaseStarted {
        case_id: input.case_id.clone(),
        workflow_id: workflow.def.id.to_string(),
        workflow_version: workflow.def.version,
        owner: owner.clone(),
        case_roles: input.case_roles.clone(),
        facts: input.facts.clone(),
        clients: input.clients.clone(),
    });
    let sources: Vec<usize> =
        workflow.graph.order.iter().copied().filter(|&s| workflow.graph.preds_of(s).is_empty()).collect();
    trigger(&mut recorder, workflow, &sources);
    let events = recorder.events;
    Ok((state, events))
}

fn is_ready(state: &CaseState, workflow: &CompiledWorkflow, step: usize) -> bool {
    let status = |index: usize| workflow.def.steps.get(index).and_then(|s| state.status(&s.id));
    status(step) == Some(StepStatus::Pending)
        && workflow.graph.preds_of(step).iter().all(|&p| status(p).is_some_and(StepStatus::is_done))
}

/// Triggers every step among `candidates` (and, through skipped steps, beyond) whose
/// predecessors are all done, in topological order; closes the case when nothing is left.
pub(super) fn trigger(recorder: &mut Recorder, workflow: &CompiledWorkflow, candidates: &[usize]) {
    let rank = |step: usize| workflow.graph.rank_of(step).unwrap_or(usize::MAX);
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> =
        candidates.iter().filter(|&&s| is_ready(recorder.state, workflow, s)).map(|&s| Reverse((rank(s), s))).collect();
    while let Some(Reverse((_, index))) = ready.pop() {
        let Some(step) = workflow.def.steps.get(index) else { continue };
        if !is_ready(recorder.state, workflow, index) {
            continue;
        }
        if step.when.as_ref().is_some_and(|when| !when.holds(&recorder.state.facts)) {
            recorder.emit(Change::StepSkipped { step_id: step.id.to_string(), reason: None });
            for &next in workflow.graph.succs_of(index) {
                if is_ready(recorder.state, workflow, next) {
                    ready.push(Reverse((rank(next), next)));
                }
            }
            continue;
        }
        let due_at = step.due.as_ref().and_then(|due| later_by(&recorder.ctx.at, due));
        recorder.emit(Change::StepTriggered { step_id: step.id.to_string(), due_at });
        recorder.request(step);
    }
    if !recorder.state.closed && recorder.state.steps.values().all(|s| s.status.is_done()) {
        recorder.emit(Change::CaseClosed);
    }
}
