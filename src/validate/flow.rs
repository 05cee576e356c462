//! Who owns the case at each step: a forward pass over the steps in topological order.
//!
//! At each step we know the set of parties that may own the case when it triggers
//! (`entering`) and while its work is done (`during`). A required handoff makes `during` its
//! target; an optional one adds the target; a `when` condition means the step may be skipped,
//! so its dependants may also see `entering`. Because handoff steps must form a chain
//! (`concurrent-handoffs`), the owner at a join is the one after the predecessor with the most
//! handoffs behind it: the later branch wins, which the pass tracks with `handoffs`.

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::rc::Rc;

use crate::graph::StepGraph;
use crate::model::{Party, WorkflowDefinition};
use crate::output::ToJson;

/// Who owns the case while a step's work is done.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub step_id: String,
    /// `None` when it depends on conditions or on whether an optional handoff is taken.
    pub owner: Option<Party>,
    pub possible_owners: Vec<Party>,
    pub handoff: bool,
    pub client_facing: bool,
    /// Who does the work: the assignee, else the owner; `None` on client-facing steps.
    pub worker: Option<Party>,
    /// The step's `due` (SPEC §11), as written.
    pub due: Option<String>,
    /// Who the step's handoff escalates to, if it escalates.
    pub escalates_to: Option<Party>,
}

type OwnerSet = Rc<Vec<u32>>;

#[derive(Debug, Default)]
pub(crate) struct OwnerFlow {
    parties: Vec<Party>,
    interned: HashMap<Party, u32>,
    entering: Vec<Option<OwnerSet>>,
    during: Vec<Option<OwnerSet>>,
    /// Pairs of handoff steps (earlier, later) where the later does not come after the earlier.
    pub concurrent: Vec<(usize, usize)>,
}

impl OwnerFlow {
    pub fn new(def: &WorkflowDefinition, graph: &StepGraph, initial_owner: Option<Party>) -> Self {
        let count = def.steps.len();
        let mut flow = OwnerFlow { entering: vec![None; count], during: vec![None; count], ..OwnerFlow::default() };
        let start: OwnerSet = Rc::new(initial_owner.map(|party| flow.intern(party)).into_iter().collect());
        let mut leaving: Vec<Option<OwnerSet>> = vec![None; count];
        let mut handoffs = vec![0usize; count];
        let mut last_handoff: Vec<Option<usize>> = vec![None; count];
        let mut chain_tail: Option<usize> = None;

        for &step in &graph.order {
            let Some(definition) = def.steps.get(step) else { continue };
            let preds = graph.preds_of(step);
            let most = preds.iter().filter_map(|&p| handoffs.get(p)).copied().max().unwrap_or(0);
            let latest = || preds.iter().copied().filter(|&p| handoffs.get(p) == Some(&most));
            let mut merged: Option<OwnerSet> = None;
            for pred in latest() {
                if let Some(Some(set)) = leaving.get(pred) {
                    merged = Some(match merged {
                        None => set.clone(),
                        Some(so_far) => union(&so_far, set),
                    });
                }
            }
            let entering = merged.unwrap_or_else(|| start.clone());
            let mut before = latest().next().and_then(|p| last_handoff.get(p).copied().flatten());
            let mut count_here = most;

            let handoff = definition.handoff.as_ref().filter(|_| !definition.client_facing);
            let during = match handoff {
                None => entering.clone(),
                Some(handoff) => {
                    if before != chain_tail {
                        if let Some(tail) = chain_tail {
                            flow.concurrent.push((tail, step));
                        }
                    }
                    chain_tail = Some(step);
                    before = Some(step);
                    count_here += 1;
                    let target = flow.intern(handoff.to.clone());
                    if handoff.required {
                        Rc::new(vec![target])
                    } else {
                        union(&entering, &[target])
                    }
                }
            };
            let after = if definition.when.is_some() { union(&during, &entering) } else { during.clone() };
            if let Some(slot) = leaving.get_mut(step) {
                *slot = Some(after);
            }
            if let Some(slot) = handoffs.get_mut(step) {
                *slot = count_here;
            }
            if let Some(slot) = last_handoff.get_mut(step) {
                *slot = before;
            }
            if let Some(slot) = flow.entering.get_mut(step) {
                *slot = Some(entering);
            }
            if let Some(slot) = flow.during.get_mut(step) {
                *slot = Some(during);
            }
        }
        flow
    }

    fn intern(&mut self, party: Party) -> u32 {
        if let Some(&index) = self.interned.get(&party) {
            return index;
        }
        let index = u32::try_from(self.parties.len()).unwrap_or(u32::MAX);
        self.interned.insert(party.clone(), index);
        self.parties.push(party);
        index
    }

    fn resolve(&self, set: Option<&OwnerSet>) -> Vec<&Party> {
        set.map_or_else(Vec::new, |set| set.iter().filter_map(|&i| self.parties.get(i as usize)).collect())
    }

    /// Who may own the case when `step` triggers. Empty for steps in or behind a cycle.
    pub fn entering(&self, step: usize) -> Vec<&Party> {
        self.resolve(self.entering.get(step).and_then(Option::as_ref))
    }

    /// Who may own the case while `step`'s work is done.
    pub fn during(&self, step: usize) -> Vec<&Party> {
        self.resolve(self.during.get(step).and_then(Option::as_ref))
    }

    /// `during` as numbers of the flow's parties (see `party`), to look things up by.
    pub fn during_numbers(&self, step: usize) -> &[u32] {
        self.during.get(step).and_then(Option::as_ref).map_or(&[], |set| set.as_slice())
    }

    /// The party numbered `number`.
    pub fn party(&self, number: u32) -> Option<&Party> {
        self.parties.get(number as usize)
    }

    /// How many parties the flow numbers.
    pub fn party_count(&self) -> usize {
        self.parties.len()
    }

    /// The timeline as borrowed entries, in topological order: `timeline` clones them, and the
    /// package's packed result writes them as they are.
    pub fn entries<'a>(
        &'a self,
        def: &'a WorkflowDefinition,
        graph: &'a StepGraph,
    ) -> impl Iterator<Item = EntryRef<'a>> + 'a {
        graph.order.iter().filter_map(move |&step| {
            let definition = def.steps.get(step)?;
            let possible = self.during_numbers(step);
            let owner = match possible {
                [only] => self.party(*only),
                _ => None,
            };
            let worker = if definition.client_facing { None } else { definition.assignee.as_ref().or(owner) };
            Some(EntryRef {
                step_id: &definition.id,
                owner,
                possible,
                flow: self,
                handoff: definition.handoff.is_some(),
                client_facing: definition.client_facing,
                worker,
                due: definition.due.as_deref(),
                escalates_to: definition.handoff.as_ref().and_then(|h| h.escalate.as_ref()).map(|e| &e.to),
            })
        })
    }

    pub fn timeline(&self, def: &WorkflowDefinition, graph: &StepGraph) -> Vec<TimelineEntry> {
        self.entries(def, graph).map(|entry| entry.to_entry()).collect()
    }
}

/// A `TimelineEntry` borrowed from the flow and the definition.
pub(crate) struct EntryRef<'a> {
    pub step_id: &'a str,
    pub owner: Option<&'a Party>,
    possible: &'a [u32],
    flow: &'a OwnerFlow,
    pub handoff: bool,
    pub client_facing: bool,
    pub worker: Option<&'a Party>,
    pub due: Option<&'a str>,
    pub escalates_to: Option<&'a Party>,
}

impl<'a> EntryRef<'a> {
    pub fn possible_owners(&self) -> impl ExactSizeIterator<Item = &'a Party> + 'a {
        let flow = self.flow;
        self.possible.iter().map(move |&number| flow.party(number).unwrap_or(&NOBODY))
    }

    /// The entry, owning its parties.
    pub fn to_entry(&self) -> TimelineEntry {
        TimelineEntry {
            step_id: self.step_id.to_owned(),
            owner: self.owner.cloned(),
            possible_owners: self.possible_owners().cloned().collect(),
            handoff: self.handoff,
            client_facing: self.client_facing,
            worker: self.worker.cloned(),
            due: self.due.map(str::to_owned),
            escalates_to: self.escalates_to.cloned(),
        }
    }

    /// Whether `other` has the same owner, possible owners and worker (of the same flow): what
    /// lets the package's packed result leave repeated parties out. Built natively too, where
    /// nothing calls it.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn same_parties(&self, other: &EntryRef) -> bool {
        self.owner == other.owner && self.possible == other.possible && self.worker == other.worker
    }
}

/// Never met: every number in a set is one of the flow's parties.
static NOBODY: Party = Party { kind: crate::model::PartyKind::Member, id: String::new() };

/// `a ∪ b`, keeping `a`'s order and sharing `a` when nothing is added.
fn union(a: &OwnerSet, b: &[u32]) -> OwnerSet {
    if b.iter().all(|x| a.contains(x)) {
        return a.clone();
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    merged.extend_from_slice(a);
    for &x in b {
        if !merged.contains(&x) {
            merged.push(x);
        }
    }
    Rc::new(merged)
}
