//! Rules about who owns the case along the workflow, read off the ownership flow.

use super::step_path;
use crate::diagnostic::RuleCode;
use crate::validate::subject::{Findings, Subject};

/// `concurrent-handoffs`: two handoff steps neither of which comes after the other.
pub fn concurrent_handoffs(s: &Subject, out: &mut Findings) {
    for &(earlier, later) in &s.flow.concurrent {
        let message = format!(
            "Steps {} and {} both hand the case off and can be active at the same time; make one come after the other.",
            s.step_name(earlier),
            s.step_name(later)
        );
        out.add(RuleCode::ConcurrentHandoffs, s, Some(later), step_path(later, ".handoff"), message);
    }
}

/// `handoff-at-start`: a first step carries a handoff.
pub fn handoffs_at_start(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        if step.handoff.is_some() && !step.client_facing && s.graph.preds_of(index).is_empty() {
            let message = format!(
                "Step {} is a first step and hands the case off as soon as the case starts; choose the first owner in Workflow Owners instead.",
                step.name
            );
            out.add(RuleCode::HandoffAtStart, s, Some(index), step_path(index, ".handoff"), message);
        }
    }
}

/// `redundant-handoff`: on every path, the target already owns the case when the step triggers.
pub fn redundant_handoffs(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        let Some(handoff) = step.handoff.as_ref().filter(|_| !step.client_facing) else { continue };
        if let [owner] = s.flow.entering(index).as_slice() {
            if **owner == handoff.to {
                let message = format!(
                    "Step {} hands the case to {}, who already owns it at that point; set it to No Handoff.",
                    step.name,
                    s.roster.describe(owner)
                );
                out.add(RuleCode::RedundantHandoff, s, Some(index), step_path(index, ".handoff"), message);
            }
        }
    }
}

/// `ambiguous-owner`: the owner at a step depends on conditions or on an optional handoff.
pub fn ambiguous_owners(s: &Subject, out: &mut Findings) {
    // Each party's description, written once: a large workflow names the same few thousands of times.
    let mut names: Vec<Option<String>> = vec![None; s.flow.party_count()];
    for &index in &s.graph.order {
        let possible = s.flow.during_numbers(index);
        if possible.len() < 2 {
            continue;
        }
        let Some(step) = s.def.steps.get(index) else { continue };
        let cause = match &step.handoff {
            Some(handoff) if !handoff.required && !step.client_facing => "on whether its optional handoff is taken",
            _ => "on conditions earlier in the workflow",
        };
        // Written piece by piece: a large workflow has a finding like this at most steps.
        let mut message = String::with_capacity(128);
        message.push_str("Who owns the case at step ");
        message.push_str(&step.name);
        message.push_str(" depends ");
        message.push_str(cause);
        message.push_str(": it may be ");
        for (n, &number) in possible.iter().enumerate() {
            if n > 0 {
                message.push_str(if n + 1 == possible.len() { " or " } else { ", " });
            }
            if let Some(name) = names.get_mut(number as usize) {
                let name =
                    name.get_or_insert_with(|| s.flow.party(number).map(|p| s.roster.describe(p)).unwrap_or_default());
                message.push_str(name);
            }
        }
        message.push('.');
        out.add(RuleCode::AmbiguousOwner, s, Some(index), step_path(index, ""), message);
    }
}

/// `assignee-not-owner`: a step's work is assigned to someone other than its owner then.
pub fn assignees_not_owners(s: &Subject, out: &mut Findings) {
    for &index in &s.graph.order {
        let Some(step) = s.def.steps.get(index) else { continue };
        let Some(assignee) = step.assignee.as_ref().filter(|_| !step.client_facing) else { continue };
        let possible = s.flow.during(index);
        if let [owner] = possible.as_slice() {
            if *owner != assignee {
                let message = format!(
                    "Step {} is assigned to {}, while {} owns the case then; assignment does not change ownership.",
                    step.name,
                    s.roster.describe(assignee),
                    s.roster.describe(owner)
                );
                out.add(RuleCode::AssigneeNotOwner, s, Some(index), step_path(index, ".assignee"), message);
            }
        }
    }
}
