//! Every rule of SPEC §3, one function each, grouped by what they look at. A rule reads the
//! `Subject` and adds findings; it never stops another rule from running.

mod conditions;
mod firm;
mod ownership;
mod parties;
mod structure;

use super::subject::{Findings, Subject};

pub(super) use firm::firm_wide;

pub(super) fn run_all(subject: &Subject, out: &mut Findings) {
    structure::empty_workflow(subject, out);
    structure::invalid_ids(subject, out);
    structure::duplicate_step_ids(subject, out);
    structure::unknown_steps(subject, out);
    structure::dependency_cycles(subject, out);
    conditions::invalid_conditions(subject, out);
    parties::owner_setting(subject, out);
    parties::handoff_targets(subject, out);
    parties::durations(subject, out);
    parties::assignees(subject, out);
    parties::handoffs_on_client_steps(subject, out);
    parties::assignees_on_client_steps(subject, out);
    ownership::concurrent_handoffs(subject, out);
    ownership::handoffs_at_start(subject, out);
    ownership::redundant_handoffs(subject, out);
    ownership::ambiguous_owners(subject, out);
    ownership::assignees_not_owners(subject, out);
}

/// `steps[index]` followed by `rest` (".handoff"), without the formatting machinery.
fn step_path(index: usize, rest: &str) -> String {
    let mut path = String::with_capacity(16 + rest.len());
    path.push_str("steps[");
    crate::digits::push(&mut path, index);
    path.push(']');
    path.push_str(rest);
    path
}

/// "A, B and C" (or "A, B or C" with `conjunction` "or").
fn list_names<S: AsRef<str>>(names: &[S], conjunction: &str) -> String {
    match names {
        [] => String::new(),
        [only] => only.as_ref().to_owned(),
        [init @ .., last] => {
            let head: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} {conjunction} {}", head.join(", "), last.as_ref())
        }
    }
}
