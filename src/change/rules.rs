//! The rules of SPEC §9 that need more than the candidate configuration: the current one, the
//! open cases and the ids removed by earlier changes. One function per code, each adding its
//! errors (all of them block the change); none stops another from running.
//!
//! They look parties up through the engines' rosters and workflows through their indexes rather
//! than hash tables of their own: each new kind of table would link its own copy of the table's
//! code into the module.

use crate::case::CaseState;
use crate::diagnostic::{Diagnostic, RuleCode};
use crate::model::{Party, PartyKind, WorkflowDefinition};
use crate::validate::ConfigDiagnostic;
use crate::Engine;

/// What every rule looks at.
pub(super) struct Subject<'a> {
    pub current: &'a Engine,
    pub candidate: &'a Engine,
    /// Where the published versions start among the candidate's workflows.
    pub published_from: usize,
    /// Whether the change replaces the directory.
    pub directory_given: bool,
    pub open_cases: &'a [CaseState],
    pub retired: &'a [Party],
}

impl Subject<'_> {
    fn published(&self) -> &[WorkflowDefinition<'static>] {
        self.candidate.config().workflows.get(self.published_from..).unwrap_or_default()
    }

    fn open_cases(&self) -> impl Iterator<Item = &CaseState> {
        self.open_cases.iter().filter(|case| !case.closed)
    }
}

pub(super) fn run_all(subject: &Subject, out: &mut Vec<ConfigDiagnostic>) {
    versions_exist(subject, out);
    parties_in_use(subject, out);
    no_admin(subject, out);
    ids_retired(subject, out);
}

fn finding(code: RuleCode, path: String, message: String, workflow: Option<&WorkflowDefinition>) -> ConfigDiagnostic {
    ConfigDiagnostic {
        diagnostic: Diagnostic { code, severity: code.severity(), message, step_id: None, path },
        workflow_id: workflow.map(|def| def.id.to_string()),
        workflow_version: workflow.map(|def| def.version),
    }
}

/// `path` followed by `[index]`.
fn indexed(mut path: String, index: usize) -> String {
    path.push('[');
    crate::digits::push(&mut path, index);
    path.push(']');
    path
}

/// The path of a directory list, its place among the three, and a party of it in words.
fn list(kind: PartyKind) -> (&'static str, usize, &'static str) {
    match kind {
        PartyKind::Member => ("directory.members", 0, "member"),
        PartyKind::Role => ("directory.roles", 1, "role"),
        PartyKind::Team => ("directory.teams", 2, "team"),
    }
}

/// `version-exists`: a published version is not higher than every version of that workflow id
/// already there.
pub fn versions_exist(s: &Subject, out: &mut Vec<ConfigDiagnostic>) {
    for (index, def) in s.published().iter().enumerate() {
        let there = s.current.latest_workflow(&def.id).map(|latest| latest.def.version);
        let Some(there) = there.filter(|&there| def.version <= there) else { continue };
        let message = format!(
            "Workflow {} version {} cannot be published: version {there} is there already, and a published version never changes; publish it as a version above {there}.",
            def.name, def.version
        );
        out.push(finding(RuleCode::VersionExists, indexed("publish".into(), index), message, Some(def)));
    }
}

/// `party-in-use`: the change removes a member, role or team that an open case names (owner,
/// case roles, assignees, the pending handoff, the last handoff), or that a workflow version
/// names which an open case runs on or which is the latest of its workflow. Removing it would
/// make those cases unfit for every command; a member is deactivated instead. Each removed party
/// is reported once, for the first thing found naming it: open cases first, in their order.
pub fn parties_in_use(s: &Subject, out: &mut Vec<ConfigDiagnostic>) {
    if !s.directory_given {
        return;
    }
    let (before, after) = (s.current.roster(), s.candidate.roster());
    let current = before.directory();
    // Whether each party of the current directory has been reported, by its place in its list.
    let mut reported = [current.members.len(), current.roles.len(), current.teams.len()].map(|n| vec![false; n]);
    let mut report = |kind: PartyKind, id: &str, why: &dyn Fn(&str) -> String| {
        if after.has(kind, id) {
            return;
        }
        let (path, at, _) = list(kind);
        let flag = before.place(kind, id).and_then(|place| reported.get_mut(at)?.get_mut(place));
        let Some(flag) = flag.filter(|flag| !**flag) else { return };
        *flag = true;
        let (them, instead) = match kind {
            PartyKind::Member => ("them", "deactivate the member instead"),
            PartyKind::Role | PartyKind::Team => ("it", "keep it until nothing in use names it"),
        };
        let who = before.describe(&Party { kind, id: id.to_owned() });
        let message = format!("Removing {who} is refused: {}; {instead}.", why(them));
        out.push(finding(RuleCode::PartyInUse, path.to_owned(), message, None));
    };
    for case in s.open_cases() {
        case.each_party(|kind, id| report(kind, id, &|them| format!("open case {} names {them}", case.case_id)));
    }
    // The workflow versions in use: the latest of each workflow, and those open cases run on.
    let workflows = &s.candidate.config().workflows;
    let latest =
        |def: &WorkflowDefinition| s.candidate.latest_workflow(&def.id).is_some_and(|w| w.def.version == def.version);
    let mut in_use: Vec<bool> = workflows.iter().map(latest).collect();
    for case in s.open_cases() {
        let place = s.candidate.index_of(&case.workflow_id, case.workflow_version);
        if let Some(used) = place.and_then(|place| in_use.get_mut(place)) {
            *used = true;
        }
    }
    for (def, _) in workflows.iter().zip(&in_use).filter(|(_, &used)| used) {
        let which = if latest(def) { "its latest version" } else { "a version open cases run on" };
        for step in &def.steps {
            let escalation = step.handoff.iter().filter_map(|h| h.escalate.as_ref()).map(|e| &e.to);
            for party in step.handoff.iter().map(|h| &h.to).chain(escalation).chain(&step.assignee) {
                report(party.kind, &party.id, &|them| {
                    format!(
                        "workflow {} version {}, {which}, names {them} at step {}",
                        def.name, def.version, step.name
                    )
                });
            }
        }
    }
}

/// `no-admin`: no active admin would remain, so nobody could change the configuration again or
/// transfer a case.
pub fn no_admin(s: &Subject, out: &mut Vec<ConfigDiagnostic>) {
    if !s.candidate.config().directory.members.iter().any(|m| m.admin && m.active) {
        let message = "No active admin would remain: keep at least one active member with admin: true, or nobody could change the configuration or transfer a case again.";
        out.push(finding(RuleCode::NoAdmin, "directory.members".to_owned(), message.to_owned(), None));
    }
}

/// `id-retired`: the change adds a member, role or team with the id of one removed earlier.
/// Ids are never reused, so that nobody is given a departed one's trail or token.
pub fn ids_retired(s: &Subject, out: &mut Vec<ConfigDiagnostic>) {
    if !s.directory_given {
        return;
    }
    let roster = s.candidate.roster();
    for (at, party) in s.retired.iter().enumerate() {
        let Some(place) = roster.place(party.kind, &party.id) else { continue };
        let named_before = s.retired.get(..at).unwrap_or_default().contains(party);
        if named_before || s.current.roster().has(party.kind, &party.id) {
            continue;
        }
        let (path, _, what) = list(party.kind);
        let message = format!(
            "The id \"{}\" given to {} belonged to a {what} removed earlier: ids are never reused, so that nobody is given a departed one's trail or token; choose another.",
            party.id,
            roster.describe(party)
        );
        out.push(finding(RuleCode::IdRetired, indexed(path.to_owned(), place), message, None));
    }
}
