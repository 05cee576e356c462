//! A workflow version compiled once for running cases: its dependency graph, its validation, and
//! the order of its steps by id. Below the case logic and the engine, which both use it; above
//! the case state, whose order of steps it records.

use crate::case::CaseState;
use crate::graph::StepGraph;
use crate::model::{OwnerSettings, Party, Step, WorkflowDefinition};
use crate::roster::Roster;
use crate::validate::{self, Scope, Validation};

/// A workflow version with its dependency graph and its validation, computed once.
#[derive(Debug)]
pub struct CompiledWorkflow {
    pub def: WorkflowDefinition<'static>,
    pub graph: StepGraph,
    pub validation: Validation,
    /// Step positions ordered by step id: the order of a case state's `steps` map.
    pub(crate) by_id: Vec<usize>,
}

impl CompiledWorkflow {
    pub fn new(def: WorkflowDefinition<'static>, roster: &Roster, owners: &OwnerSettings) -> Self {
        let graph = StepGraph::new(&def);
        let validation = validate::validate_workflow(&def, &graph, roster, owners, Scope::Alone);
        // A case state keeps its steps in a map ordered by id; take that order from a blank one
        // (sorting the ids here instead would link a second sort into the module).
        let blank = CaseState::blank("", &def, Party::member(""));
        let by_id = blank.steps.keys().filter_map(|id| graph.position(&def.steps, id)).collect();
        CompiledWorkflow { def, graph, validation, by_id }
    }

    pub fn step(&self, step_id: &str) -> Option<(usize, &Step<'static>)> {
        let index = self.graph.position(&self.def.steps, step_id)?;
        self.def.steps.get(index).map(|step| (index, step))
    }
}
