//! Stuck work (SPEC §10, §13): what in an open case waits on someone who cannot act — an owner
//! or handoff target who left or whose role or team has nobody active, a case role or an
//! assignment held by a deactivated member — and cases on an older version of their workflow.
//! One small function per code in `rules`, like the validation rules; each reads a case that
//! fits its workflow version. A case that does not fit is reported as `case-unfit`, never an
//! error: one bad state must not hide the others' findings.
//!
//! Pure, and cheap per case: it reads the states it is given, allocates only its findings, and
//! never decides or copies a state. `Engine::find_stuck_work` looks each case's workflow up and
//! checks its fit; this module only judges.

mod rules;

use serde::Serialize;

use crate::case::{CaseState, StepState};
use crate::compiled::CompiledWorkflow;
use crate::diagnostic::Severity;
use crate::error::HandoffError;
use crate::model::Party;
use crate::output::ToJson;
use crate::roster::Roster;

/// The codes of stuck work: SPEC §10's table and `case-unfit` (§13). Stable: add codes, never
/// rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "kebab-case")]
pub enum StuckCode {
    /// The case is owned by a deactivated member.
    OwnerInactive,
    /// The case is owned by a role or team with no active member.
    OwnerUnstaffed,
    /// The pending handoff goes to a deactivated member, or to a role whose holder on this case
    /// is deactivated (while another member holds the role).
    HandoffTargetInactive,
    /// The pending handoff goes to a role or team with no active member.
    HandoffTargetUnstaffed,
    /// `caseRoles` names a deactivated member.
    CaseRoleInactive,
    /// A step not yet done is assigned to a deactivated member.
    AssigneeInactive,
    /// The case runs on a version older than its workflow's latest.
    NewerVersion,
    /// The state does not fit its workflow version (or the configuration lacks that version):
    /// no command can be decided on it.
    CaseUnfit,
}

impl StuckCode {
    pub fn severity(self) -> Severity {
        match self {
            StuckCode::CaseRoleInactive | StuckCode::AssigneeInactive => Severity::Warning,
            StuckCode::NewerVersion => Severity::Info,
            StuckCode::OwnerInactive
            | StuckCode::OwnerUnstaffed
            | StuckCode::HandoffTargetInactive
            | StuckCode::HandoffTargetUnstaffed
            | StuckCode::CaseUnfit => Severity::Error,
        }
    }
}

/// SPEC §10 `StuckWork`: one finding about one open case.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct StuckWork {
    pub case_id: String,
    pub code: StuckCode,
    pub severity: Severity,
    /// A sentence that names the case's people and steps by name.
    pub message: String,
    /// The step the finding concerns: the pending handoff's, or the assigned step's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Who cannot act: the deactivated member (also a role's deactivated holder), or the role
    /// or team with nobody active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Party>,
}

/// What every rule looks at: an open case that fits its workflow version.
pub(crate) struct Subject<'a> {
    pub case: &'a CaseState,
    pub workflow: &'a CompiledWorkflow,
    /// The latest version of the case's workflow.
    pub latest: &'a CompiledWorkflow,
    pub roster: &'a Roster,
    /// The states of the case's steps, by step position (as the fit check left them).
    pub steps: &'a [&'a StepState],
}

impl Subject<'_> {
    fn finding(&self, code: StuckCode, message: String, step_id: Option<&str>, party: Option<&Party>) -> StuckWork {
        StuckWork {
            case_id: self.case.case_id.clone(),
            code,
            severity: code.severity(),
            message,
            step_id: step_id.map(str::to_owned),
            party: party.cloned(),
        }
    }

    /// Whether `party` is a member who is in the directory and deactivated.
    fn is_inactive_member(&self, party: &Party) -> bool {
        party.kind == crate::model::PartyKind::Member && self.is_inactive(&party.id)
    }

    fn is_inactive(&self, member: &str) -> bool {
        self.roster.member(member).is_some_and(|m| !m.active)
    }

    /// A step's name for a sentence.
    fn step_name<'s>(&'s self, step_id: &'s str) -> &'s str {
        self.workflow.step(step_id).map_or(step_id, |(_, step)| step.name.as_ref())
    }
}

/// Every finding about a fitting open case, in the order of the rules.
pub(crate) fn find(subject: &Subject, out: &mut Vec<StuckWork>) {
    rules::owner_inactive(subject, out);
    rules::owner_unstaffed(subject, out);
    rules::handoff_target_inactive(subject, out);
    rules::handoff_target_unstaffed(subject, out);
    rules::case_roles_inactive(subject, out);
    rules::assignees_inactive(subject, out);
    rules::newer_version(subject, out);
}

/// `case-unfit`: the state does not fit, for the reason `error` gives.
pub(crate) fn unfit(case: &CaseState, error: HandoffError) -> StuckWork {
    StuckWork {
        case_id: case.case_id.clone(),
        code: StuckCode::CaseUnfit,
        severity: StuckCode::CaseUnfit.severity(),
        message: format!(
            "Case {} does not fit its workflow version, so no command can be decided on it: {}",
            case.case_id, error.message
        ),
        step_id: error.into_parts().details.step_id,
        party: None,
    }
}
