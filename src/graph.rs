//! The dependency graph of a workflow's steps (`after` links), built once per definition and
//! shared by validation and the case runtime: resolved predecessors, a topological order with
//! ties broken by position, and the cycles. Everything here is iterative and linear (up to a
//! log factor for the ordering), so even a very large workflow costs little time and no deep
//! recursion.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use std::hash::BuildHasher;

use crate::model::{Step, WorkflowDefinition};

/// An `after` entry naming no step: `steps[step].after[position]`.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownRef {
    pub step: usize,
    pub position: usize,
    pub id: String,
}

#[derive(Clone, Debug, Default)]
pub struct StepGraph {
    /// Step id to position; a duplicated id maps to its first step.
    index: IdIndex,
    /// Resolved, deduplicated predecessors of each step, in the order written, and successors:
    /// each as one list of all steps' entries with each step's range in it (`preds_of`).
    preds: Adjacency,
    succs: Adjacency,
    pub unknown: Vec<UnknownRef>,
    /// Steps in topological order, ties broken by position. Steps in or behind a cycle are
    /// not here.
    pub order: Vec<usize>,
    /// Position in `order` of each step, `None` for steps in or behind a cycle.
    pub rank: Vec<Option<usize>>,
    /// Each cycle's steps, by position; cycles ordered by their first step.
    pub cycles: Vec<Vec<usize>>,
}

/// A list per step, stored as one list (`entries`) and where each step's part ends (`ends`):
/// two allocations for a whole workflow instead of one per step.
#[derive(Clone, Debug, Default)]
struct Adjacency {
    entries: Vec<usize>,
    ends: Vec<usize>,
}

impl Adjacency {
    fn of(&self, step: usize) -> &[usize] {
        let start = match step.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(step).copied().unwrap_or(start);
        self.entries.get(start..end).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// Step positions by step id: an open-addressing table of positions whose keys are the steps'
/// own ids, so that building it copies no id (a map keyed by `String` cloned every one: 2,000
/// allocations for a 2,000-step definition, each validated as it is edited).
#[derive(Clone, Debug, Default)]
struct IdIndex {
    /// Position + 1 of the step in each slot, 0 for an empty slot; the length is a power of two
    /// at least twice the number of steps, so probes stay short and always end.
    slots: Vec<u32>,
}

impl IdIndex {
    fn new(steps: &[Step]) -> Self {
        let mut index = IdIndex { slots: vec![0; (steps.len() * 2).next_power_of_two().max(2)] };
        for (position, step) in steps.iter().enumerate() {
            let (found, slot) = index.probe(steps, &step.id);
            if found.is_none() {
                if let (Some(slot), Ok(value)) = (index.slots.get_mut(slot), u32::try_from(position + 1)) {
                    *slot = value;
                }
            }
        }
        index
    }

    /// The position of the first step with `id`, and otherwise the empty slot where it would go.
    fn probe(&self, steps: &[Step], id: &str) -> (Option<usize>, usize) {
        let mask = self.slots.len().saturating_sub(1);
        // Truncating the hash to the table's size is the point.
        #[allow(clippy::cast_possible_truncation)]
        let mut slot = rustc_hash::FxBuildHasher.hash_one(id) as usize & mask;
        for _ in 0..self.slots.len() {
            let position = match self.slots.get(slot) {
                Some(&0) | None => return (None, slot),
                Some(&stored) => stored as usize - 1,
            };
            if steps.get(position).is_some_and(|step| step.id == id) {
                return (Some(position), slot);
            }
            slot = (slot + 1) & mask;
        }
        (None, slot)
    }
}

impl StepGraph {
    pub fn new(def: &WorkflowDefinition) -> Self {
        let count = def.steps.len();
        let mut graph = StepGraph { index: IdIndex::new(&def.steps), ..StepGraph::default() };
        let mut preds = Adjacency { entries: Vec::with_capacity(count), ends: Vec::with_capacity(count) };
        let mut succ_counts = vec![0usize; count];
        for (position, step) in def.steps.iter().enumerate() {
            let start = preds.entries.len();
            match &step.after {
                None => preds.entries.extend(position.checked_sub(1)),
                Some(after) => {
                    for (at, id) in after.iter().enumerate() {
                        match graph.index.probe(&def.steps, id).0 {
                            Some(pred) if !preds.entries.get(start..).unwrap_or_default().contains(&pred) => {
                                preds.entries.push(pred)
                            }
                            Some(_) => {}
                            None => graph.unknown.push(UnknownRef { step: position, position: at, id: id.to_string() }),
                        }
                    }
                }
            }
            for &pred in preds.entries.get(start..).unwrap_or_default() {
                if let Some(n) = succ_counts.get_mut(pred) {
                    *n += 1;
                }
            }
            preds.ends.push(preds.entries.len());
        }
        // Successors in step order: each step's range sized by its count, filled in order.
        let mut succs = Adjacency { entries: vec![0; preds.entries.len()], ends: Vec::with_capacity(count) };
        let mut fill = Vec::with_capacity(count); // where each step's next successor goes
        let mut total = 0;
        for &n in &succ_counts {
            fill.push(total);
            total += n;
            succs.ends.push(total);
        }
        for step in 0..count {
            for &pred in preds.of(step) {
                if let Some(at) = fill.get_mut(pred) {
                    if let Some(slot) = succs.entries.get_mut(*at) {
                        *slot = step;
                    }
                    *at += 1;
                }
            }
        }
        graph.preds = preds;
        graph.succs = succs;
        graph.sort();
        graph.cycles = find_cycles(&graph.succs, &graph.rank);
        graph
    }

    /// Kahn's algorithm with a min-heap on position, so ties keep the order of `steps`.
    fn sort(&mut self) {
        let count = self.preds.len();
        let mut waiting: Vec<usize> = (0..count).map(|step| self.preds.of(step).len()).collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            waiting.iter().enumerate().filter(|(_, &n)| n == 0).map(|(i, _)| Reverse(i)).collect();
        self.rank = vec![None; count];
        self.order = Vec::with_capacity(count);
        while let Some(Reverse(step)) = ready.pop() {
            if let Some(rank) = self.rank.get_mut(step) {
                *rank = Some(self.order.len());
            }
            self.order.push(step);
            for &next in self.succs.of(step) {
                if let Some(left) = waiting.get_mut(next) {
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        ready.push(Reverse(next));
                    }
                }
            }
        }
    }

    /// The position of the first step of `steps` (the definition this graph was built from)
    /// with this id.
    pub fn position(&self, steps: &[Step], id: &str) -> Option<usize> {
        self.index.probe(steps, id).0
    }

    pub fn preds_of(&self, step: usize) -> &[usize] {
        self.preds.of(step)
    }

    pub fn succs_of(&self, step: usize) -> &[usize] {
        self.succs.of(step)
    }

    pub fn rank_of(&self, step: usize) -> Option<usize> {
        self.rank.get(step).copied().flatten()
    }
}

/// The strongly connected components that are cycles, among the steps the sort left out.
/// Tarjan's algorithm with an explicit call stack.
fn find_cycles(succs: &Adjacency, rank: &[Option<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let count = succs.len();
    let left_out = |step: usize| rank.get(step).is_some_and(Option::is_none);
    if !(0..count).any(left_out) {
        return Vec::new(); // the sort placed every step: no cycle
    }
    let mut index = vec![UNSEEN; count];
    let mut low = vec![0usize; count];
    let mut on_stack = vec![false; count];
    let mut stack: Vec<usize> = Vec::new();
    let mut next_index = 0usize;
    let mut cycle_of = vec![UNSEEN; count];
    let mut cycle_count = 0usize;
    let get = |values: &[usize], at: usize| values.get(at).copied().unwrap_or(UNSEEN);
    let set = |values: &mut [usize], at: usize, value: usize| {
        if let Some(slot) = values.get_mut(at) {
            *slot = value;
        }
    };

    for root in (0..count).filter(|&s| left_out(s)) {
        if get(&index, root) != UNSEEN {
            continue;
        }
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        set(&mut index, root, next_index);
        set(&mut low, root, next_index);
        next_index += 1;
        stack.push(root);
        if let Some(flag) = on_stack.get_mut(root) {
            *flag = true;
        }
        while let Some(&mut (step, ref mut child)) = calls.last_mut() {
            let next = succs.of(step).get(*child).copied();
            if let Some(next) = next {
                *child += 1;
                if !left_out(next) {
                    continue;
                }
                if get(&index, next) == UNSEEN {
                    set(&mut index, next, next_index);
                    set(&mut low, next, next_index);
                    next_index += 1;
                    stack.push(next);
                    if let Some(flag) = on_stack.get_mut(next) {
                        *flag = true;
                    }
                    calls.push((next, 0));
                } else if on_stack.get(next).copied().unwrap_or(false) {
                    let lowest = get(&low, step).min(get(&index, next));
                    set(&mut low, step, lowest);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let lowest = get(&low, parent).min(get(&low, step));
                set(&mut low, parent, lowest);
            }
            if get(&low, step) == get(&index, step) {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    if let Some(flag) = on_stack.get_mut(member) {
                        *flag = false;
                    }
                    component.push(member);
                    if member == step {
                        break;
                    }
                }
                let self_loop = succs.of(step).contains(&step);
                if component.len() > 1 || self_loop {
                    for &member in &component {
                        set(&mut cycle_of, member, cycle_count);
                    }
                    cycle_count += 1;
                }
            }
        }
    }
    // Number the cycles by their first step and list each cycle's steps by position: one pass.
    let mut renumber = vec![UNSEEN; cycle_count];
    let mut cycles: Vec<Vec<usize>> = Vec::with_capacity(cycle_count);
    for (step, &cycle) in cycle_of.iter().enumerate() {
        let Some(slot) = renumber.get_mut(cycle) else { continue };
        if *slot == UNSEEN {
            *slot = cycles.len();
            cycles.push(Vec::new());
        }
        if let Some(members) = cycles.get_mut(*slot) {
            members.push(step);
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(ids: &[&str]) -> Vec<Step<'static>> {
        let text = serde_json::json!({
            "id": "w", "name": "W", "version": 1,
            "steps": ids.iter().map(|id| serde_json::json!({ "id": id, "name": id })).collect::<Vec<_>>(),
        });
        let def = crate::input::from_json::<WorkflowDefinition>(&text.to_string()).map(WorkflowDefinition::into_owned);
        def.map(|def| def.steps).unwrap_or_default()
    }

    #[test]
    fn every_id_finds_its_first_step_and_no_other_id_finds_one() {
        let ids: Vec<String> = (0..300).map(|i| format!("s{}", i % 250)).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let steps = steps(&ids);
        assert_eq!(steps.len(), 300);
        let index = IdIndex::new(&steps);
        for (position, id) in ids.iter().enumerate() {
            assert_eq!(index.probe(&steps, id).0, Some(position % 250), "{id}");
        }
        for absent in ["", "s250", "S1", "s1 ", "ß"] {
            assert_eq!(index.probe(&steps, absent).0, None, "{absent}");
        }
    }

    #[test]
    fn an_empty_workflow_has_an_index_that_finds_nothing() {
        let index = IdIndex::new(&[]);
        assert_eq!(index.probe(&[], "a").0, None);
    }
}
