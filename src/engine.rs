//! `Engine`: a configuration read once and compiled (directory lookups, each workflow's graph
//! and validation), and the operations of SPEC §5 on top of the pure core. The wasm facade and
//! the server both call exactly these methods.

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use crate::case::{
    self, Actor, AllowedCommand, CaseState, Change, Command, Ctx, Event, Reassignment, ReassignmentPlan, StartCase,
};
pub use crate::compiled::CompiledWorkflow;
use crate::error::{ErrorCode, HandoffError, Result};
use crate::graph::StepGraph;
use crate::input::from_json;
use crate::model::{EngineConfig, WorkflowDefinition};
use crate::output::ToJson;
use crate::roster::Roster;
use crate::stuck::{self, StuckWork};
use crate::validate::{self, ConfigValidation, ConfigVerdict, Scope, Validation};

/// A case state and the events that produced it from the previous one.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Outcome {
    pub state: CaseState,
    pub events: Vec<Event>,
}

#[derive(Debug)]
pub struct Engine {
    /// Tells this engine's `KeptCase`s from another's.
    id: u64,
    config: EngineConfig<'static>,
    roster: Roster,
    workflows: Vec<CompiledWorkflow>,
    /// Each workflow id's versions, as places in `workflows`, in the configuration's order
    /// (looked up by a borrowed id: a case's lookup allocates nothing).
    versions: HashMap<String, Vec<usize>>,
    latest: HashMap<String, usize>,
}

impl Engine {
    /// Builds an engine from a configuration whose shape is already checked. Semantic problems
    /// are `validate_config`'s to report. The engine keeps its own copy of every string.
    pub fn new(config: EngineConfig<'_>) -> Engine {
        let config = config.into_owned();
        let roster = Roster::new(config.directory.clone());
        let mut workflows = Vec::with_capacity(config.workflows.len());
        let mut versions: HashMap<String, Vec<usize>> = HashMap::default();
        let mut latest: HashMap<String, usize> = HashMap::default();
        for (index, def) in config.workflows.iter().enumerate() {
            versions.entry(def.id.to_string()).or_default().push(index);
            let newest = latest.get(def.id.as_ref()).and_then(|&i| config.workflows.get(i)).map_or(0, |w| w.version);
            if def.version > newest {
                latest.insert(def.id.to_string(), index);
            }
            workflows.push(CompiledWorkflow::new(def.clone(), &roster, &config.owners));
        }
        static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Engine { id, config, roster, workflows, versions, latest }
    }

    /// Reads an `EngineConfig` from JSON text.
    pub fn from_json(text: &str) -> Result<Engine> {
        from_json::<EngineConfig>(text).map(Engine::new)
    }

    pub fn config(&self) -> &EngineConfig<'static> {
        &self.config
    }

    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The workflow at `id` and `version` (the first, should the configuration define it twice).
    pub fn workflow(&self, id: &str, version: u32) -> Option<&CompiledWorkflow> {
        self.index_of(id, version).and_then(|index| self.workflows.get(index))
    }

    pub(crate) fn index_of(&self, id: &str, version: u32) -> Option<usize> {
        let places = self.versions.get(id)?;
        places.iter().copied().find(|&i| self.workflows.get(i).is_some_and(|w| w.def.version == version))
    }

    /// The highest version of workflow `id`: the one new cases start on.
    pub fn latest_workflow(&self, id: &str) -> Option<&CompiledWorkflow> {
        self.latest.get(id).and_then(|&i| self.workflows.get(i))
    }

    /// Validates a workflow edit against this engine's directory and Workflow Owners.
    pub fn validate_workflow(&self, def: &WorkflowDefinition) -> Validation {
        self.validate_workflow_with(def, |ok, diagnostics, _, timeline| Validation {
            ok,
            diagnostics,
            timeline: timeline.map(|entry| entry.to_entry()).collect(),
        })
    }

    /// `validate_workflow` for a caller that writes the result out at once (the package's packed
    /// result): `write` gets whether it is ok, the diagnostics, and the number of the timeline's
    /// entries and the entries, borrowed rather than copied.
    pub(crate) fn validate_workflow_with<R>(
        &self,
        def: &WorkflowDefinition,
        write: impl for<'a, 'b> FnOnce(
            bool,
            Vec<crate::validate::Diagnostic>,
            usize,
            &'b mut (dyn Iterator<Item = validate::EntryRef<'a>> + 'b),
        ) -> R,
    ) -> R {
        let graph = StepGraph::new(def);
        let (diagnostics, flow) =
            validate::findings_and_flow(def, &graph, &self.roster, &self.config.owners, Scope::Alone);
        let ok = validate::no_errors(&diagnostics);
        let mut entries = flow.entries(def, &graph);
        write(ok, diagnostics, graph.order.len(), &mut entries)
    }

    /// Validates every workflow and the firm-wide settings.
    pub fn validate_config(&self) -> ConfigValidation {
        let graphs: Vec<StepGraph> = self.workflows.iter().map(|w| w.graph.clone()).collect();
        validate::validate_config(&self.config, &graphs, &self.roster)
    }

    /// `validate_config`'s findings split into the errors that refuse this configuration (of a
    /// latest version, or firm-wide) and the rest (SPEC §7 as amended by §9).
    pub fn config_verdict(&self) -> ConfigVerdict {
        ConfigVerdict::of(self.validate_config(), |id, version| {
            self.latest_workflow(id).is_some_and(|latest| latest.def.version == version)
        })
    }

    pub fn start_case(&self, input: &StartCase, ctx: &Ctx) -> Result<Outcome> {
        let workflow = self.latest_workflow(&input.workflow_id).ok_or_else(|| {
            HandoffError::new(
                ErrorCode::UnknownCaseWorkflow,
                format!("There is no workflow \"{}\".", input.workflow_id),
            )
        })?;
        let scene = case::Scene { workflow, roster: &self.roster, workflows: &self.workflows };
        let (state, events) = case::start(scene, &self.config.owners, input, ctx)?;
        Ok(Outcome { state, events })
    }

    /// Decides `command` and applies its events: the new state and the events.
    pub fn execute(&self, state: &CaseState, command: &Command, ctx: &Ctx) -> Result<Outcome> {
        let scene = self.scene_as(state, &ctx.actor)?;
        let (state, events) = case::decide(scene, state, command, ctx)?;
        Ok(Outcome { state, events })
    }

    /// Takes in a case's state for `execute_kept` once it is found to fit one of this engine's
    /// workflows, as `execute` checks before every command.
    pub fn keep(&self, state: CaseState) -> Result<KeptCase> {
        let (_, workflow) = self.fitting(&state)?;
        Ok(KeptCase { state, workflow, engine: self.id })
    }

    /// `execute` on a kept case: the events are applied to its state and returned; on a
    /// rejection the state is unchanged. The state is not checked against its workflow again:
    /// it fitted when kept, and deciding keeps it fitting (the property tests hold it to that).
    pub fn execute_kept(&self, case: &mut KeptCase, command: &Command, ctx: &Ctx) -> Result<Vec<Event>> {
        let scene = self.kept_scene(case)?;
        case::decide_in_place(scene, &mut case.state, command, ctx)
    }

    /// `check` on a kept case.
    pub fn check_kept(&self, case: &KeptCase, command: &Command, ctx: &Ctx) -> Result<()> {
        let scene = self.kept_scene(case)?;
        case::vet(scene, &case.state, command, &ctx.actor).map(|_| ())
    }

    /// `allowed_commands` on a kept case.
    pub fn allowed_kept(&self, case: &KeptCase, actor: &Actor) -> Result<Vec<AllowedCommand>> {
        let scene = self.kept_scene(case)?;
        Ok(case::allowed_commands(scene, &case.state, actor))
    }

    /// Whether `state` is a state of one of this engine's workflows, as `execute` checks first.
    pub fn fits(&self, state: &CaseState) -> Result<()> {
        self.scene(state).map(|_| ())
    }

    /// Whether `execute` would accept the command; never changes anything.
    pub fn check(&self, state: &CaseState, command: &Command, ctx: &Ctx) -> Result<()> {
        let scene = self.scene_as(state, &ctx.actor)?;
        case::vet(scene, state, command, &ctx.actor).map(|_| ())
    }

    /// What `actor` may do now.
    pub fn allowed_commands(&self, state: &CaseState, actor: &Actor) -> Result<Vec<AllowedCommand>> {
        let scene = self.scene_as(state, actor)?;
        Ok(case::allowed_commands(scene, state, actor))
    }

    /// Every deadline of `state` at `at` (SPEC §11, §13), sorted by time then step id: the
    /// due time of each step not yet done that has one, and the pending handoff's escalation.
    /// `invalid-input` when `at` is not a timestamp with a time zone.
    pub fn deadlines(&self, state: &CaseState, at: &str) -> Result<Vec<case::Deadline>> {
        crate::input::check_timestamp(at, &crate::input::At::ROOT.key("at"))?;
        Ok(case::deadlines(state, at))
    }

    /// The earliest time at which a tick would do something to `state`, or `None` (for a
    /// closed case, or one with nothing ahead).
    pub fn next_deadline(&self, state: &CaseState) -> Option<String> {
        case::next_deadline(state)
    }

    /// The stuck work of `cases` under this engine's configuration (SPEC §10): every finding
    /// about each open case, in the order given; closed cases are never stuck. Never fails: a
    /// state that does not fit its workflow version is a `case-unfit` finding, and the others
    /// are still examined.
    pub fn find_stuck_work(&self, cases: &[CaseState]) -> Vec<StuckWork> {
        let mut found = Vec::new();
        // One buffer for every case's step states, by position: a scan of ten thousand cases
        // allocates nothing but its findings.
        let mut steps = Vec::new();
        for case in cases.iter().filter(|case| !case.closed) {
            let (id, version) = (&case.workflow_id, case.workflow_version);
            let fitting = self
                .workflow(id, version)
                .ok_or_else(|| unknown_version(id, version))
                .and_then(|workflow| case::check_fit(workflow, &self.roster, case, &mut steps).map(|()| workflow));
            match fitting {
                Ok(workflow) => {
                    let latest = self.latest_workflow(id).unwrap_or(workflow);
                    let subject = stuck::Subject { case, workflow, latest, roster: &self.roster, steps: &steps };
                    stuck::find(&subject, &mut found);
                }
                Err(error) => found.push(stuck::unfit(case, error)),
            }
        }
        found
    }

    /// The commands that move to `request.to` what `request.from` holds in the open `cases`
    /// (SPEC §10), each to be decided as an admin in the order given; `invalid-input` when `to`
    /// is not an active member other than `from`.
    pub fn plan_reassignment(&self, cases: &[CaseState], request: &Reassignment) -> Result<ReassignmentPlan> {
        case::plan_reassignment(&self.roster, cases, request, |state| self.fits(state))
    }

    /// Rebuilds a case's state from its events, the first of which is `caseStarted`.
    pub fn replay(&self, events: &[Event]) -> Result<CaseState> {
        let Some(Event { change: Change::CaseStarted { case_id, workflow_id, workflow_version, owner, .. }, .. }) =
            events.first()
        else {
            return Err(HandoffError::invalid_input("[0]", "A case's events begin with caseStarted."));
        };
        let workflow = self
            .workflow(workflow_id, *workflow_version)
            .ok_or_else(|| unknown_version(workflow_id, *workflow_version))?;
        let mut state = CaseState::blank(case_id, &workflow.def, owner.clone());
        for event in events {
            state.apply(event);
        }
        Ok(state)
    }

    /// `scene` for `actor`: a client the case is not for learns nothing of it, not even that
    /// this engine lacks its workflow version (SPEC §13: `not-permitted` right after
    /// `invalid-input`; `vet` refuses it again once the state is found to fit).
    fn scene_as(&self, state: &CaseState, actor: &Actor) -> Result<case::Scene<'_>> {
        self.scene(state).map_err(|error| match error.code {
            ErrorCode::UnknownCaseWorkflow if state.shuts_out(actor) => case::shut_out(),
            _ => error,
        })
    }

    /// The workflow a state belongs to, once the state is found to fit it.
    fn scene(&self, state: &CaseState) -> Result<case::Scene<'_>> {
        self.fitting(state).map(|(workflow, _)| case::Scene {
            workflow,
            roster: &self.roster,
            workflows: &self.workflows,
        })
    }

    /// The workflow `state` fits, and its index.
    fn fitting(&self, state: &CaseState) -> Result<(&CompiledWorkflow, usize)> {
        let unknown = || unknown_version(&state.workflow_id, state.workflow_version);
        let index = self.index_of(&state.workflow_id, state.workflow_version).ok_or_else(unknown)?;
        let workflow = self.workflows.get(index).ok_or_else(unknown)?;
        case::check_fit(workflow, &self.roster, state, &mut Vec::new())?;
        Ok((workflow, index))
    }

    fn kept_scene(&self, case: &KeptCase) -> Result<case::Scene<'_>> {
        match self.workflows.get(case.workflow) {
            Some(workflow) if case.engine == self.id => {
                Ok(case::Scene { workflow, roster: &self.roster, workflows: &self.workflows })
            }
            _ => Err(HandoffError::invalid_input("", "This case was kept by another engine.")),
        }
    }
}

/// A case's state that an engine found to fit one of its workflows (`Engine::keep`). Only that
/// engine's `execute_kept` changes it, so its commands skip the fit check, which walks every
/// step and would otherwise dominate a command's time (what `CaseHandle` keeps).
#[derive(Clone, Debug, PartialEq)]
pub struct KeptCase {
    state: CaseState,
    workflow: usize,
    engine: u64,
}

impl KeptCase {
    pub fn state(&self) -> &CaseState {
        &self.state
    }
}

fn unknown_version(id: &str, version: u32) -> HandoffError {
    HandoffError::new(
        ErrorCode::UnknownCaseWorkflow,
        format!("This engine has no workflow \"{id}\" version {version}."),
    )
}
