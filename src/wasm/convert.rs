//! Crossing the boundary as JSON text, both ways.

use tsify::{Ts, Tsify};
use wasm_bindgen::JsValue;

use super::crossing::{copy_long, json_text, long_length, parse_json, thrown};
use super::error::to_js;
use crate::case::Command;
use crate::input::{from_json_at, At, FromJson};
use crate::output::{to_json, ToJson};
use crate::HandoffError;

/// The JSON text of a JS value, or `invalid-input` if it has none (undefined, a function, a
/// symbol) or `JSON.stringify` throws (a BigInt, a cycle, nesting deeper than JS's stack).
/// A string is taken as JSON text already (no argument of the API is a bare string): a caller
/// holding the text, from a server or storage, saves a `JSON.parse` and a `JSON.stringify`.
/// `at` is where the value stands in the call.
#[inline(never)]
fn text_of(value: &JsValue, at: &At) -> Result<String, HandoffError> {
    if let Some(text) = json_text(value) {
        return Ok(text);
    }
    if let Ok(length) = usize::try_from(long_length()) {
        return long_text(length).map_err(|message| HandoffError::invalid_input(at.path(), message));
    }
    let message = match thrown() {
        None => "Expected a JSON value; got undefined, a function or a symbol.".to_owned(),
        Some(why) => format!("The value cannot be read as JSON: {why}."),
    };
    Err(HandoffError::invalid_input(at.path(), message))
}

/// The long text `jsonText` kept, `length` UTF-16 units, copied by `TextEncoder.encodeInto`:
/// first into room for a little non-ASCII, then (rarely) into room for the worst case.
#[inline(never)]
fn long_text(length: usize) -> Result<String, String> {
    let limit = crate::input::MAX_INPUT_BYTES;
    // Every unit is at least a byte of UTF-8: past the limit already, so allocate nothing.
    if length > limit {
        return Err(format!("The input is at least {length} bytes; at most {limit} are accepted."));
    }
    for room in [length + length / 8 + 16, length * 3] {
        let mut bytes = vec![0u8; room];
        // JS writes into the buffer through wasm memory; the pointer crosses as a number.
        let written = copy_long(&wasm_bindgen::memory(), bytes.as_mut_ptr() as usize as u32, room as u32);
        if let Ok(written) = usize::try_from(written) {
            bytes.truncate(written);
            return String::from_utf8(bytes).map_err(|_| "The input cannot be read as UTF-8.".to_owned());
        }
    }
    Err("The input cannot be read as UTF-8.".to_owned())
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

/// Reads argument `argument` (named in error paths when a call takes several values) as a
/// value that owns its strings.
#[inline(never)]
pub(crate) fn read<T: for<'de> FromJson<'de>>(value: &JsValue, argument: Option<&str>) -> Result<T, JsValue> {
    text(value, argument).and_then(|text| parse(&text, argument))
}

/// The JSON text of argument `argument`, for a value that will borrow from it (`parse`).
#[inline(never)]
pub(crate) fn text(value: &JsValue, argument: Option<&str>) -> Result<String, JsValue> {
    at(argument, |at| text_of(value, at)).map_err(to_js)
}

/// Reads argument `argument` from its JSON text (`text`).
#[inline(never)]
pub(crate) fn parse<'de, T: FromJson<'de>>(text: &'de str, argument: Option<&str>) -> Result<T, JsValue> {
    at(argument, |at| from_json_at(text, at)).map_err(to_js)
}

#[inline(never)]
pub(crate) fn read_command(value: &JsValue) -> Result<Command, JsValue> {
    at(Some("command"), |at| text_of(value, at).and_then(|text| from_json_at(&text, at))).map_err(to_js)
}

/// `f` at where argument `argument` stands: the root of a call that takes one value, else the
/// argument's name, which starts the paths of its errors (`command.stepId`).
/// One call of `f` whichever it is, so that `f` is not copied into two branches.
fn at<T>(argument: Option<&str>, f: impl FnOnce(&At) -> T) -> T {
    let named;
    let at = match argument {
        Some(name) => {
            named = At::ROOT.key(name);
            &named
        }
        None => &At::ROOT,
    };
    f(at)
}

#[inline(never)]
pub(crate) fn write<T: ToJson + Tsify>(value: &T) -> Result<Ts<T>, JsValue> {
    write_value(value).map(Ts::new_unchecked)
}

#[inline(never)]
pub(crate) fn write_value<T: ToJson>(value: &T) -> Result<JsValue, JsValue> {
    parse_own(&to_json(value))
}
