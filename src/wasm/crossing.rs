//! The JS half of the crossing (js/crossing.js), as the module imports it: the functions that
//! read a JS value's JSON text and parse JSON text back. A leaf, so that the readers
//! (`convert`) and the errors (`error`) both stand on it.

use wasm_bindgen::JsValue;

// None of these imports throws: a JS exception would unwind through the module's frames unseen
// (with `catch`, wasm-bindgen rethrew it inside the module when its message was not a string,
// and a CaseHandle was left borrowed for good). They catch what JSON.stringify throws (from
// `toJSON`, getters, BigInts, cycles) themselves, which also spares each call wasm-bindgen's
// `handleError` wrapper, a cost paid on every call.
#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/crossing.js")]
extern "C" {
    /// One crossing for the text (`JSON.stringify` from Rust would take two); `None` when the
    /// value has none or `JSON.stringify` threw (then `thrown` says why).
    #[wasm_bindgen(js_name = jsonText)]
    pub(super) fn json_text(value: &JsValue) -> Option<String>;
    /// The length of the long text the last `jsonText` kept instead of returning, or -1.
    #[wasm_bindgen(js_name = longLength)]
    pub(super) fn long_length() -> i32;
    /// Writes the kept long text as UTF-8 at `ptr`: the bytes written, or -1 if it needs more.
    #[wasm_bindgen(js_name = copyLong)]
    pub(super) fn copy_long(memory: &JsValue, ptr: u32, capacity: u32) -> i32;
    /// The message of what the last `jsonText` caught, once.
    #[wasm_bindgen(js_name = thrown)]
    pub(super) fn thrown() -> Option<String>;
    /// `JSON.parse`, or undefined if it throws.
    #[wasm_bindgen(js_name = parseJson)]
    pub(super) fn parse_json(text: &str) -> JsValue;
}
