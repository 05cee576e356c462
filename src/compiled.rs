//! A workflow version compiled once for running cases: its dependency graph, its validation, and
//! the order of its steps by id. Below the case logic and the engine, which both use it.

use std::collections::BTreeSet;

use crate::graph::StepGraph;
use crate::model::{OwnerSettings, Step, WorkflowDefinition};
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
        // A case state keeps its steps in a map ordered by id (`CaseState::steps`).
        let ids: BTreeSet<&str> = def.steps.iter().map(|step| step.id.as_ref()).collect();
        let by_id = ids.into_iter().filter_map(|id| graph.position(&def.steps, id)).collect();
        CompiledWorkflow { def, graph, validation, by_id }
    }

    pub fn step(&self, step_id: &str) -> Option<(usize, &Step<'static>)> {
        let index = self.graph.position(&self.def.steps, step_id)?;
        self.def.steps.get(index).map(|step| (index, step))
    }
}
