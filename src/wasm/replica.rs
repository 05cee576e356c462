//! The sync replica for the package's `CaseStore` (js/case-store.js): synchronous, JSON in and
//! out. Every sync rule (what is pending, confirmed, reported; rebasing; starting over) is the
//! core's `sync::Replica`; the JS shell only moves bytes (fetch, localStorage, timers).
//! Not part of the documented API.

use tsify::Ts;
use wasm_bindgen::prelude::*;

use super::convert::{read, read_command, write, write_value};
use super::error::to_js;
use super::JsEngine;
use crate::case::{Ctx, StartCase};
use crate::input::{check_id, from_json, At};
use crate::sync::{PullResponse, PushResponse, Replica};
use crate::{Engine, Outcome};

#[wasm_bindgen(js_name = Replica, skip_typescript)]
pub struct JsReplica {
    engine: std::rc::Rc<Engine>,
    replica: Replica,
}

#[wasm_bindgen(js_class = Replica)]
impl JsReplica {
    /// A replica for `client_id`, restored from `saved` (the text of `save()`) when that is one
    /// of the same client.
    #[wasm_bindgen(constructor)]
    pub fn new(engine: &JsEngine, client_id: String, saved: Option<String>) -> Result<JsReplica, JsValue> {
        check_id(&client_id, &At::ROOT.key("clientId")).map_err(to_js)?;
        let replica = saved
            .and_then(|text| from_json::<Replica>(&text).ok())
            .filter(|replica| replica.client_id == client_id)
            .unwrap_or_else(|| Replica::new(client_id));
        Ok(JsReplica { engine: engine.engine.clone(), replica })
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

    /// Takes a push response body; returns the rejections to report now.
    #[wasm_bindgen(js_name = applyPush)]
    pub fn apply_push(&mut self, body: JsValue) -> Result<JsValue, JsValue> {
        let response: PushResponse = read(&body, Some("push response"))?;
        write_value(&self.replica.apply_push(&response))
    }

    #[wasm_bindgen(js_name = pullRequest)]
    pub fn pull_request(&self) -> Result<JsValue, JsValue> {
        write_value(&self.replica.pull_request())
    }

    /// Takes a pull response body; returns the rejections to report now.
    #[wasm_bindgen(js_name = applyPull)]
    pub fn apply_pull(&mut self, body: JsValue) -> Result<JsValue, JsValue> {
        let response: PullResponse = read(&body, Some("pull response"))?;
        write_value(&self.replica.apply_pull(response))
    }

    /// Starts over as `client_id` after the server lost this client's history.
    pub fn reset(&mut self, client_id: String) -> Result<(), JsValue> {
        check_id(&client_id, &At::ROOT.key("clientId")).map_err(to_js)?;
        self.replica.reset(client_id);
        Ok(())
    }

    /// The replica as text, for storage.
    pub fn save(&self) -> Result<String, JsValue> {
        serde_json::to_string(&self.replica).map_err(|e| to_js(crate::HandoffError::invalid_input("", e.to_string())))
    }
}
