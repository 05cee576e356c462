//! The JavaScript face of the engine (SPEC §5): the `Engine` class. The only module that knows
//! about `JsValue`; it translates and holds no business rule.
//!
//! Values cross as JSON text: `JSON.stringify` on the way in (so BigInts, cycles, symbols and
//! absurd nesting fail in JS, where it can be caught), then the same `input::from_json` as the
//! server, with its limits and paths; `JSON.parse` of `output::to_json`'s text on the way out
//! (the same text serde_json writes for the server; but for `validateWorkflow`'s result, which
//! crosses packed: see `pack`). One writer for every value: maps are plain objects, absent
//! optionals are `null`.
//! `Replica` (for the package's CaseStore) is exported too, undocumented.

mod convert;
mod crossing;
mod error;
mod pack;
mod replica;

use tsify::Ts;
use wasm_bindgen::prelude::*;

use crate::case::{Actor, CaseState, Command, Ctx, Reassignment, ReassignmentPlan, StartCase};
use crate::change::{ConfigChange, ConfigChangeResult};
use crate::model::{EngineConfig, Party, WorkflowDefinition};
use crate::validate::{ConfigValidation, Validation};
use crate::Outcome;
use convert::{parse, read, read_command, text, write};
pub use pack::reader as validation_reader;
pub use replica::JsReplica;

/// A compiled configuration: validates workflow edits and runs cases.
#[wasm_bindgen(js_name = Engine)]
pub struct JsEngine {
    engine: std::rc::Rc<crate::Engine>,
    /// The configuration's JSON text, from which `checkConfigChange` builds its candidates.
    config: String,
}

#[wasm_bindgen(js_class = Engine)]
impl JsEngine {
    /// Throws `HandoffError("invalid-input")` on a bad shape only; semantic problems are
    /// `validateConfig`'s to report. The config may also be given as its JSON text.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EngineConfig | string")] config: &JsValue,
    ) -> Result<JsEngine, JsValue> {
        let text = text(config, None)?;
        let config: EngineConfig = parse(&text, None)?;
        let engine = std::rc::Rc::new(crate::Engine::new(config));
        Ok(JsEngine { engine, config: text })
    }

    /// Validates a workflow edit against this engine's directory and Workflow Owners.
    /// The definition may also be given as its JSON text, which saves the caller a `JSON.parse`
    /// and the engine a `JSON.stringify`. The result crosses packed (see `pack`) and is
    /// unpacked by `js/crossing.js`.
    #[wasm_bindgen(js_name = validateWorkflow)]
    pub fn validate_workflow(
        &self,
        #[wasm_bindgen(unchecked_param_type = "WorkflowDefinition | string")] def: &JsValue,
    ) -> Result<Ts<Validation>, JsValue> {
        let text = text(def, None)?;
        let def: WorkflowDefinition = parse(&text, None)?;
        let result = match pack::validation(&self.engine, &def) {
            Some(packed) => unpack_validation(&packed),
            // A rare case (a string holding the packing's separator) is validated again.
            None => convert::write_value(&self.engine.validate_workflow(&def))?,
        };
        Ok(Ts::new_unchecked(result))
    }

    /// Validates every workflow and the firm-wide settings.
    #[wasm_bindgen(js_name = validateConfig)]
    pub fn validate_config(&self) -> Result<Ts<ConfigValidation>, JsValue> {
        write(&self.engine.validate_config())
    }

    /// Starts a case on the newest version of its workflow.
    #[wasm_bindgen(js_name = startCase)]
    pub fn start_case(&self, input: &Ts<StartCase>, ctx: &Ts<Ctx>) -> Result<Ts<Outcome>, JsValue> {
        let input: StartCase = read(&input.js_value(), Some("input"))?;
        let ctx: Ctx = read(&ctx.js_value(), Some("ctx"))?;
        write(&self.engine.start_case(&input, &ctx).map_err(error::to_js)?)
    }

    /// Decides a command and applies its events; throws `HandoffError` on rejection.
    pub fn execute(&self, state: &Ts<CaseState>, command: &Ts<Command>, ctx: &Ts<Ctx>) -> Result<Ts<Outcome>, JsValue> {
        let (state, command, ctx) = read_call(state, command, ctx)?;
        write(&self.engine.execute(&state, &command, &ctx).map_err(error::to_js)?)
    }

    /// Whether `execute` would accept the command. Never throws.
    #[wasm_bindgen(
        unchecked_return_type = "{ ok: true } | { ok: false; code: ErrorCode; message: string; details: ErrorDetails }"
    )]
    pub fn check(&self, state: &Ts<CaseState>, command: &Ts<Command>, ctx: &Ts<Ctx>) -> JsValue {
        let verdict = read_call(state, command, ctx)
            .and_then(|(state, command, ctx)| self.engine.check(&state, &command, &ctx).map_err(error::to_js));
        error::verdict(verdict)
    }

    /// What `actor` may do now, for enabling buttons.
    #[wasm_bindgen(js_name = allowedCommands, unchecked_return_type = "AllowedCommand[]")]
    pub fn allowed_commands(&self, state: &Ts<CaseState>, actor: &Ts<Actor>) -> Result<JsValue, JsValue> {
        let state: CaseState = read(&state.js_value(), Some("state"))?;
        let actor: Actor = read(&actor.js_value(), Some("actor"))?;
        let allowed = self.engine.allowed_commands(&state, &actor).map_err(error::to_js)?;
        convert::write_value(&allowed)
    }

    /// Every deadline of `state` at `at` (an ISO-8601 timestamp), sorted by time then step id,
    /// each with whether it has passed: for showing due dates, overdue badges and escalations
    /// (SPEC §11). Throws `HandoffError` on bad input.
    #[wasm_bindgen(unchecked_return_type = "Deadline[]")]
    pub fn deadlines(
        &self,
        state: &Ts<CaseState>,
        #[wasm_bindgen(unchecked_param_type = "string")] at: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let state: CaseState = read(&state.js_value(), Some("state"))?;
        let at = at.as_string().unwrap_or_default();
        convert::write_value(&self.engine.deadlines(&state, &at).map_err(error::to_js)?)
    }

    /// The earliest time at which a tick would do something to `state` (SPEC §11), or `null`:
    /// for a closed case, or one with nothing ahead. Throws `HandoffError` on bad input.
    #[wasm_bindgen(js_name = nextDeadline, unchecked_return_type = "string | null")]
    pub fn next_deadline(&self, state: &Ts<CaseState>) -> Result<JsValue, JsValue> {
        let state: CaseState = read(&state.js_value(), Some("state"))?;
        Ok(self.engine.next_deadline(&state).map_or(JsValue::NULL, |at| JsValue::from_str(&at)))
    }

    /// The stuck work of `cases` under this configuration (SPEC §10): a finding for whatever in an
    /// open case waits on someone who cannot act, and `case-unfit` for a state that does not fit
    /// its workflow version (the others are still examined). Throws only for a value that is
    /// not a list of case states. The list may also be given as its JSON text.
    #[wasm_bindgen(js_name = findStuckWork, unchecked_return_type = "StuckWork[]")]
    pub fn find_stuck_work(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CaseState[] | string")] cases: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let cases: Vec<CaseState> = read(cases, None)?;
        convert::write_value(&self.engine.find_stuck_work(&cases))
    }

    /// Checks a change of the configuration as the server would (SPEC §9), with this engine's
    /// configuration as the current one, so that an admin's editor shows the verdict before
    /// sending: `diagnostics` holds every finding, the blocking errors first (the change would be
    /// refused when any is an error of a latest version, firm-wide, or of the change's own
    /// rules), and `stuck` the open cases' stuck work after it. Nothing is applied. `retired`
    /// (an addition to SPEC §9) lists the members, roles and teams removed by earlier changes,
    /// which the server knows from its history. Each value may also be given as its JSON text.
    #[wasm_bindgen(js_name = checkConfigChange)]
    pub fn check_config_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConfigChange | string")] change: &JsValue,
        #[wasm_bindgen(js_name = openCases, unchecked_param_type = "CaseState[] | string")] open_cases: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Party[] | string")] retired: &JsValue,
    ) -> Result<Ts<ConfigChangeResult>, JsValue> {
        let text = text(change, Some("change"))?;
        let change: ConfigChange = parse(&text, Some("change"))?;
        let open_cases: Vec<CaseState> = read(open_cases, Some("openCases"))?;
        let retired: Vec<Party> = if retired.is_undefined() { Vec::new() } else { read(retired, Some("retired"))? };
        // The candidate is built from a copy of the current configuration read again from its
        // text, which the module already knows how to do (copying the engine's would link
        // the clones of every configuration type).
        let current: EngineConfig = parse(&self.config, None)?;
        let version = change.base_config_version;
        let check = crate::change::check_config_change_from(&self.engine, current, change, &open_cases, &retired);
        write(&check.into_result(false, version).0)
    }

    /// The commands that move what member `from` holds in the open cases given to member `to`
    /// (SPEC §10), each for its case, and what cannot move; throws `HandoffError` on bad input.
    #[wasm_bindgen(js_name = planReassignment)]
    pub fn plan_reassignment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CaseState[]")] cases: &JsValue,
        request: &Ts<Reassignment>,
    ) -> Result<Ts<ReassignmentPlan>, JsValue> {
        let cases: Vec<CaseState> = read(cases, Some("cases"))?;
        let request: Reassignment = read(&request.js_value(), Some("request"))?;
        write(&self.engine.plan_reassignment(&cases, &request).map_err(error::to_js)?)
    }

    /// Keeps a case's state inside the engine, so that commands need not carry it across:
    /// throws `HandoffError` when the state does not fit this engine's workflows.
    #[wasm_bindgen(js_name = openCase)]
    pub fn open_case(&self, state: &Ts<CaseState>) -> Result<JsCaseHandle, JsValue> {
        let state: CaseState = read(&state.js_value(), Some("state"))?;
        let case = self.engine.keep(state).map_err(error::to_js)?;
        Ok(JsCaseHandle { engine: self.engine.clone(), case })
    }
}

/// A case whose state the engine keeps (`engine.openCase(state)`): `execute` crosses only the
/// command and the events, not the whole state twice, and skips checking the state against its
/// workflow (done once, when it was opened); `state` reads the state out when it is needed.
/// `free()` releases it.
#[wasm_bindgen(js_name = CaseHandle)]
pub struct JsCaseHandle {
    engine: std::rc::Rc<crate::Engine>,
    case: crate::KeptCase,
}

#[wasm_bindgen(js_class = CaseHandle)]
impl JsCaseHandle {
    /// Decides a command and applies its events to the kept state; returns the events. Throws
    /// `HandoffError` on rejection, leaving the state as it was.
    #[wasm_bindgen(unchecked_return_type = "Event[]")]
    pub fn execute(&mut self, command: &Ts<Command>, ctx: &Ts<Ctx>) -> Result<JsValue, JsValue> {
        let (command, ctx) = read_command_and_ctx(command, ctx)?;
        let events = self.engine.execute_kept(&mut self.case, &command, &ctx).map_err(error::to_js)?;
        // As JSON, so that an event's declaration is all there is to its crossing: a
        // packing driven by the event types was faster here, but made the module larger than
        // the size budget of issue #14 allowed (docs/performance.md).
        convert::write_value(&events)
    }

    /// Whether `execute` would accept the command. Never throws.
    #[wasm_bindgen(
        unchecked_return_type = "{ ok: true } | { ok: false; code: ErrorCode; message: string; details: ErrorDetails }"
    )]
    pub fn check(&self, command: &Ts<Command>, ctx: &Ts<Ctx>) -> JsValue {
        let verdict = read_command_and_ctx(command, ctx)
            .and_then(|(command, ctx)| self.engine.check_kept(&self.case, &command, &ctx).map_err(error::to_js));
        error::verdict(verdict)
    }

    /// What `actor` may do now.
    #[wasm_bindgen(js_name = allowedCommands, unchecked_return_type = "AllowedCommand[]")]
    pub fn allowed_commands(&self, actor: &Ts<Actor>) -> Result<JsValue, JsValue> {
        let actor: Actor = read(&actor.js_value(), Some("actor"))?;
        convert::write_value(&self.engine.allowed_kept(&self.case, &actor).map_err(error::to_js)?)
    }

    /// The case's state now.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Result<Ts<CaseState>, JsValue> {
        write(self.case.state())
    }
}

/// `npm run bench` builds the module once more with this export (`--features bench`), to time
/// the decide itself inside WebAssembly, beside the native build, without the crossing.
#[cfg(feature = "bench")]
#[wasm_bindgen(js_class = CaseHandle)]
impl JsCaseHandle {
    /// Executes `commands` (a JSON array) in turn, `count` commands in all, with one context;
    /// the number of events they produced.
    #[wasm_bindgen(js_name = benchDecide)]
    pub fn bench_decide(&mut self, commands: &str, ctx: &str, count: u32) -> Result<usize, JsValue> {
        let commands: Vec<Command> = crate::input::from_json(commands).map_err(error::to_js)?;
        let ctx: Ctx = parse(ctx, Some("ctx"))?;
        let mut events = 0;
        for command in commands.iter().cycle().take(count as usize) {
            events += self.engine.execute_kept(&mut self.case, command, &ctx).map_err(error::to_js)?.len();
        }
        Ok(events)
    }
}

#[wasm_bindgen(module = "/js/crossing.js")]
extern "C" {
    #[wasm_bindgen(js_name = unpackValidation)]
    fn unpack_validation(packed: &str) -> JsValue;
}

fn read_call(
    state: &Ts<CaseState>,
    command: &Ts<Command>,
    ctx: &Ts<Ctx>,
) -> Result<(CaseState, Command, Ctx), JsValue> {
    let state: CaseState = read(&state.js_value(), Some("state"))?;
    let (command, ctx) = read_command_and_ctx(command, ctx)?;
    Ok((state, command, ctx))
}

/// A command and its context, in the order the call names them (for the first bad one).
fn read_command_and_ctx(command: &Ts<Command>, ctx: &Ts<Ctx>) -> Result<(Command, Ctx), JsValue> {
    let command = read_command(&command.js_value())?;
    let ctx: Ctx = read(&ctx.js_value(), Some("ctx"))?;
    Ok((command, ctx))
}
