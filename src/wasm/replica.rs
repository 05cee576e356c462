//! The sync replica for the package's `CaseStore` (js/case-store.js): synchronous, JSON in and
//! out. Every sync rule (what is pending, confirmed, reported; rebasing; starting over) is the
//! core's `sync::Replica`; the JS shell only moves bytes (fetch, localStorage, timers).
//! Not part of the documented API.

use tsify::Ts;
use wasm_bindgen::prelude::*;

use super::convert::{read, read_command, text, write, write_value};
use super::error::to_js;
use super::JsEngine;
use crate::case::{Ctx, StartCase};
use crate::input::{check_id, from_json, At, FromJson};
use crate::sync::{PullResponse, PushResponse, Replica};
use crate::{Engine, ErrorCode, Outcome};

#[wasm_bindgen(js_name = Replica, skip_typescript)]
pub struct JsReplica {
    engine: std::rc::Rc<Engine>,
    replica: Replica,
    /// The last mutation id as restored: the ones up to it were made by whoever saved them.
    restored: u64,
}

/// A server's response body; one that is not of the protocol is `protocol-error`.
fn response<T: for<'de> FromJson<'de>>(body: &JsValue) -> Result<T, JsValue> {
    from_json(&text(body, None)?).map_err(|mut error| {
        error.code = ErrorCode::ProtocolError;
        to_js(error)
    })
}

#[wasm_bindgen(js_class = Replica)]
impl JsReplica {
    /// A replica for `client_id`, restored from `saved` (the text of `save()`) if given: text
    /// that does not read as a replica is `invalid-input`, never a silently empty queue. (The
    /// caller checks that it is this client's: `clientId`.)
    #[wasm_bindgen(constructor)]
    pub fn new(
        engine: &JsEngine,
        client_id: String,
        saved: Option<String>,
        keep_closed: bool,
    ) -> Result<JsReplica, JsValue> {
        check_id(&client_id, &At::ROOT.key("clientId")).map_err(to_js)?;
        let mut replica = match saved {
            Some(text) => Replica::restore(&text).map_err(to_js)?,
            None => Replica::new(client_id),
        };
        replica.keep_closed = keep_closed;
        Ok(JsReplica { engine: engine.engine.clone(), restored: replica.last_assigned, replica })
    }

    /// Decides with `engine` from now on (the configuration changed, SPEC §9): what is pending
    /// is replayed on it from the next view.
    #[wasm_bindgen(js_name = setEngine)]
    pub fn set_engine(&mut self, engine: &JsEngine) {
        self.engine = engine.engine.clone();
    }

    /// Takes back the last mutation queued (its queue could not be saved).
    #[wasm_bindgen(js_name = retractLast)]
    pub fn retract_last(&mut self) -> bool {
        self.replica.retract(self.replica.last_assigned)
    }

    #[wasm_bindgen(js_name = startCase)]
    pub fn start_case(&mut self, input: &Ts<StartCase>, ctx: &Ts<Ctx>) -> Result<Ts<Outcome>, JsValue> {
        let input: StartCase = read(&input.js_value(), Some("input"))?;
        let ctx: Ctx = read(&ctx.js_value(), Some("ctx"))?;
        write(&self.replica.start_case(&self.engine, input, &ctx).map_err(to_js)?)
    }

    pub fn dispatch(&mut self, case_id: String, command: JsValue, ctx: JsValue) -> Result<JsValue, JsValue> {
        check_id(&case_id, &At::ROOT.key("caseId")).map_err(to_js)?;
        let command = read_command(&command)?;
        let ctx: Ctx = read(&ctx, Some("ctx"))?;
        write_value(&self.replica.dispatch(&self.engine, &case_id, command, &ctx).map_err(to_js)?)
    }

    /// Every case as the user should see it, ordered by case id.
    pub fn views(&self) -> Result<JsValue, JsValue> {
        write_value(&self.replica.views(&self.engine))
    }

    pub fn view(&self, case_id: String) -> Result<JsValue, JsValue> {
        write_value(&self.replica.view(&self.engine, &case_id))
    }

    #[wasm_bindgen(getter, js_name = pendingCount)]
    pub fn pending_count(&self) -> u32 {
        u32::try_from(self.replica.pending_count()).unwrap_or(u32::MAX)
    }

    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> String {
        self.replica.client_id.clone()
    }

    /// The next push body, or null when nothing is pending.
    #[wasm_bindgen(js_name = pushRequest)]
    pub fn push_request(&self) -> Result<JsValue, JsValue> {
        write_value(&self.replica.push_request())
    }

    /// Takes the body answering a push whose last mutation id was `last_sent`; returns the
    /// rejections to report now.
    #[wasm_bindgen(js_name = applyPush)]
    pub fn apply_push(&mut self, body: JsValue, last_sent: f64) -> Result<JsValue, JsValue> {
        let response: PushResponse = response(&body)?;
        write_value(&self.replica.apply_push(&response, last_sent as u64).map_err(to_js)?)
    }

    #[wasm_bindgen(js_name = pullRequest)]
    pub fn pull_request(&self) -> Result<JsValue, JsValue> {
        write_value(&self.replica.pull_request())
    }

    /// Reads a pull page's body without applying it: `{ keep, forget }`, the places in its
    /// `cases` of the states to store, and the ids of the held cases to delete.
    #[wasm_bindgen(js_name = stagePull)]
    pub fn stage_pull(&mut self, body: JsValue) -> Result<JsValue, JsValue> {
        let response: PullResponse = response(&body)?;
        write_value(&self.replica.stage_pull(response).map_err(to_js)?)
    }

    /// Applies the staged page; returns the rejections to report now.
    #[wasm_bindgen(js_name = applyStaged)]
    pub fn apply_staged(&mut self) -> Result<JsValue, JsValue> {
        write_value(&self.replica.apply_staged())
    }

    /// Starts over as `client_id` after the server lost this client's history; or, with `fork`,
    /// because another live tab owns this client id: then only the mutations made since this
    /// replica was restored are kept.
    pub fn reset(&mut self, client_id: String, fork: bool) -> Result<(), JsValue> {
        check_id(&client_id, &At::ROOT.key("clientId")).map_err(to_js)?;
        if fork {
            self.replica.fork(client_id, self.restored);
        } else {
            self.replica.reset(client_id);
        }
        Ok(())
    }

    /// The queue as text, for storage; its size does not grow with the number of cases.
    pub fn save(&self) -> String {
        self.replica.save()
    }
}
