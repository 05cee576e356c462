//! What validation reports: a rule's stable code, a severity, a sentence and where. A leaf, so
//! that errors (`workflow-invalid` carries diagnostics) and validation both stand on it.

use crate::output::ToJson;
use serde::Serialize;

/// The stable rule codes of SPEC §3 and §9, plus the extensions listed in docs/choices.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "kebab-case")]
pub enum RuleCode {
    EmptyWorkflow,
    InvalidId,
    DuplicateStepId,
    UnknownStep,
    DependencyCycle,
    UnknownParty,
    InactiveMember,
    UnstaffedTarget,
    HandoffOnClientStep,
    AssigneeOnClientStep,
    MissingDefaultOwner,
    ConcurrentHandoffs,
    InvalidCondition,
    RedundantHandoff,
    HandoffAtStart,
    AmbiguousOwner,
    AssigneeNotOwner,
    DuplicateWorkflow,
    /// Extension: two members, roles or teams share an id (`validateConfig`).
    DuplicatePartyId,
    /// Extension: Workflow Owners names a workflow that does not exist (`validateConfig`).
    UnknownWorkflow,
    /// SPEC §9 (`checkConfigChange`): a published version not above every version of its
    /// workflow already there.
    VersionExists,
    /// SPEC §9: the change removes a member, role or team that an open case, or a workflow
    /// version in use, names.
    PartyInUse,
    /// SPEC §9: no active admin would remain.
    NoAdmin,
    /// SPEC §9: the change adds a member, role or team with the id of one removed earlier.
    IdRetired,
    /// SPEC §11: a step's `due` or a handoff's `escalate.after` is not a duration of days,
    /// hours and minutes, or is zero or longer than 3,650 days.
    InvalidDuration,
    /// SPEC §11: a handoff escalates to its own target.
    RedundantEscalation,
}

impl RuleCode {
    /// Every code, in declaration order (the package's packed validation result names codes by
    /// their place here; one left out would only make its results cross as JSON).
    pub const ALL: [RuleCode; 26] = [
        RuleCode::EmptyWorkflow,
        RuleCode::InvalidId,
        RuleCode::DuplicateStepId,
        RuleCode::UnknownStep,
        RuleCode::DependencyCycle,
        RuleCode::UnknownParty,
        RuleCode::InactiveMember,
        RuleCode::UnstaffedTarget,
        RuleCode::HandoffOnClientStep,
        RuleCode::AssigneeOnClientStep,
        RuleCode::MissingDefaultOwner,
        RuleCode::ConcurrentHandoffs,
        RuleCode::InvalidCondition,
        RuleCode::RedundantHandoff,
        RuleCode::HandoffAtStart,
        RuleCode::AmbiguousOwner,
        RuleCode::AssigneeNotOwner,
        RuleCode::DuplicateWorkflow,
        RuleCode::DuplicatePartyId,
        RuleCode::UnknownWorkflow,
        RuleCode::VersionExists,
        RuleCode::PartyInUse,
        RuleCode::NoAdmin,
        RuleCode::IdRetired,
        RuleCode::InvalidDuration,
        RuleCode::RedundantEscalation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::EmptyWorkflow => "empty-workflow",
            RuleCode::InvalidId => "invalid-id",
            RuleCode::DuplicateStepId => "duplicate-step-id",
            RuleCode::UnknownStep => "unknown-step",
            RuleCode::DependencyCycle => "dependency-cycle",
            RuleCode::UnknownParty => "unknown-party",
            RuleCode::InactiveMember => "inactive-member",
            RuleCode::UnstaffedTarget => "unstaffed-target",
            RuleCode::HandoffOnClientStep => "handoff-on-client-step",
            RuleCode::AssigneeOnClientStep => "assignee-on-client-step",
            RuleCode::MissingDefaultOwner => "missing-default-owner",
            RuleCode::ConcurrentHandoffs => "concurrent-handoffs",
            RuleCode::InvalidCondition => "invalid-condition",
            RuleCode::RedundantHandoff => "redundant-handoff",
            RuleCode::HandoffAtStart => "handoff-at-start",
            RuleCode::AmbiguousOwner => "ambiguous-owner",
            RuleCode::AssigneeNotOwner => "assignee-not-owner",
            RuleCode::DuplicateWorkflow => "duplicate-workflow",
            RuleCode::DuplicatePartyId => "duplicate-party-id",
            RuleCode::UnknownWorkflow => "unknown-workflow",
            RuleCode::VersionExists => "version-exists",
            RuleCode::PartyInUse => "party-in-use",
            RuleCode::NoAdmin => "no-admin",
            RuleCode::IdRetired => "id-retired",
            RuleCode::InvalidDuration => "invalid-duration",
            RuleCode::RedundantEscalation => "redundant-escalation",
        }
    }

    /// The severity a finding of this rule has, unless the rule says otherwise.
    pub fn severity(self) -> Severity {
        match self {
            RuleCode::RedundantHandoff
            | RuleCode::HandoffAtStart
            | RuleCode::UnknownWorkflow
            | RuleCode::RedundantEscalation => Severity::Warning,
            RuleCode::AmbiguousOwner | RuleCode::AssigneeNotOwner => Severity::Info,
            _ => Severity::Error,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub code: RuleCode,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    pub path: String,
}
