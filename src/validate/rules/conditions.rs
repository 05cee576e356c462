//! `invalid-condition`: a `when` that can never mean anything.

use super::step_path;
use crate::diagnostic::RuleCode;
use crate::input::id_problem;
use crate::input::path::join_path;
use crate::model::{node_path, Condition};
use crate::validate::subject::{Findings, Subject};

pub fn invalid_conditions(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        let Some(when) = &step.when else { continue };
        let nodes = when.walk();
        for (at, node) in nodes.iter().enumerate() {
            let problem = match node.condition {
                Condition::All(list) if list.is_empty() => Some(("all", "an empty \"all\" list")),
                Condition::Any(list) if list.is_empty() => Some(("any", "an empty \"any\" list")),
                Condition::In { values, .. } if values.is_empty() => Some(("in", "an empty \"in\" list")),
                Condition::Equals { fact, .. } | Condition::In { fact, .. } if id_problem(fact).is_some() => {
                    Some(("fact", "a fact name that is empty, too long or has control characters"))
                }
                _ => None,
            };
            if let Some((field, what)) = problem {
                let message = format!("The condition of step {} has {what}, which means nothing.", step.name);
                let path = join_path(&join_path(&step_path(index, ".when"), &node_path(&nodes, at)), field);
                out.add(RuleCode::InvalidCondition, s, Some(index), path, message);
            }
        }
    }
}
