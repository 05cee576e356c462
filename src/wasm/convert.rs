//! Crossing the boundary as JSON text, both ways.

use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::JsValue;

use super::error::to_js;
use crate::case::Command;
use crate::input::{from_json, FromJson};
use crate::HandoffError;

/// The JSON text of a JS value, or `invalid-input` if it has none (undefined, a function, a
/// symbol) or `JSON.stringify` throws (a BigInt, a cycle, nesting deeper than JS's stack).
/// A string is taken as JSON text already (no argument of the API is a bare string): a caller
/// holding the text, from a server or storage, saves a `JSON.parse` and a `JSON.stringify`.
#[inline(never)]
fn text_of(value: &JsValue) -> Result<String, HandoffError> {
    if let Some(text) = json_text(value) {
        return Ok(text);
    }
    if let Ok(length) = usize::try_from(long_length()) {
        return long_text(length);
    }
    Err(match thrown() {
        None => HandoffError::invalid_input("", "Expected a JSON value; got undefined, a function or a symbol."),
        Some(why) => HandoffError::invalid_input("", format!("The value cannot be read as JSON: {why}.")),
    })
}

/// The long text `jsonText` kept, `length` UTF-16 units, copied by `TextEncoder.encodeInto`:
/// first into room for a little non-ASCII, then (rarely) into room for the worst case.
#[inline(never)]
fn long_text(length: usize) -> Result<String, HandoffError> {
    let limit = crate::input::MAX_INPUT_BYTES;
    // Every unit is at least a byte of UTF-8: past the limit already, so allocate nothing.
    if length > limit {
        return Err(HandoffError::invalid_input(
            "",
            format!("The input is at least {length} bytes; at most {limit} are accepted."),
        ));
    }
    for room in [length + length / 8 + 16, length * 3] {
        let mut bytes = vec![0u8; room];
        // JS writes into the buffer through wasm memory; the pointer crosses as a number.
        let written = copy_long(&wasm_bindgen::memory(), bytes.as_mut_ptr() as usize as u32, room as u32);
        if let Ok(written) = usize::try_from(written) {
            bytes.truncate(written);
            return String::from_utf8(bytes)
                .map_err(|_| HandoffError::invalid_input("", "The input cannot be read as UTF-8."));
        }
    }
    Err(HandoffError::invalid_input("", "The input cannot be read as UTF-8."))
}

/// The value of JSON text this module wrote itself (never throws: the text is valid JSON).
#[inline(never)]
pub(crate) fn parse_own(text: &str) -> Result<JsValue, JsValue> {
    let value = parse_json(text);
    if value.is_undefined() {
        return Err(to_js(HandoffError::invalid_input("", "The result cannot be read back.")));
    }
    Ok(value)
}

// None of these imports throws: a JS exception would unwind through the module's frames unseen
// (with `catch`, wasm-bindgen rethrew it inside the module when its message was not a string,
// and a CaseHandle was left borrowed for good). They catch what JSON.stringify throws (from
// `toJSON`, getters, BigInts, cycles) themselves, which also spares each call wasm-bindgen's
// `handleError` wrapper (about 4 % of `CaseHandle.execute` in Node).
#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/crossing.js")]
extern "C" {
    /// One crossing for the text (`JSON.stringify` from Rust would take two); `None` when the
    /// value has none or `JSON.stringify` threw (then `thrown` says why).
    #[wasm_bindgen(js_name = jsonText)]
    fn json_text(value: &JsValue) -> Option<String>;
    /// The length of the long text the last `jsonText` kept instead of returning, or -1.
    #[wasm_bindgen(js_name = longLength)]
    fn long_length() -> i32;
    /// Writes the kept long text as UTF-8 at `ptr`: the bytes written, or -1 if it needs more.
    #[wasm_bindgen(js_name = copyLong)]
    fn copy_long(memory: &JsValue, ptr: u32, capacity: u32) -> i32;
    /// The message of what the last `jsonText` caught, once.
    #[wasm_bindgen(js_name = thrown)]
    fn thrown() -> Option<String>;
    /// `JSON.parse`, or undefined if it throws.
    #[wasm_bindgen(js_name = parseJson)]
    pub(super) fn parse_json(text: &str) -> JsValue;
}

/// Reads argument `argument` (named in error paths when a call takes several values) as a
/// value that owns its strings.
#[inline(never)]
pub(crate) fn read<T: for<'de> FromJson<'de>>(value: &JsValue, argument: Option<&str>) -> Result<T, JsValue> {
    text(value, argument).and_then(|text| parse(&text, argument))
}

/// The JSON text of argument `argument`, for a value that will borrow from it (`parse`).
#[inline(never)]
pub(crate) fn text(value: &JsValue, argument: Option<&str>) -> Result<String, JsValue> {
    text_of(value).map_err(|error| to_js(prefixed(error, argument)))
}

/// Reads argument `argument` from its JSON text (`text`).
#[inline(never)]
pub(crate) fn parse<'de, T: FromJson<'de>>(text: &'de str, argument: Option<&str>) -> Result<T, JsValue> {
    from_json(text).map_err(|error| to_js(prefixed(error, argument)))
}

#[inline(never)]
pub(crate) fn read_command(value: &JsValue) -> Result<Command, JsValue> {
    text_of(value).and_then(|text| Command::from_json(&text)).map_err(|error| to_js(prefixed(error, Some("command"))))
}

fn prefixed(error: HandoffError, argument: Option<&str>) -> HandoffError {
    match argument {
        Some(argument) => error.under(argument),
        None => error,
    }
}

#[inline(never)]
pub(crate) fn write<T: Serialize + Tsify>(value: &T) -> Result<Ts<T>, JsValue> {
    write_value(value).map(Ts::new_unchecked)
}

#[inline(never)]
pub(crate) fn write_value<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| to_js(HandoffError::invalid_input("", format!("The result cannot be written: {e}."))))?;
    parse_own(&text)
}
