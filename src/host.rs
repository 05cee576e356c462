//! What the core asks of the platform it runs on: the one place where the WebAssembly build and
//! the native build differ in what they compute with (`wasm` is where the module meets JS;
//! this is what the core itself needs of the host). Both halves are built by every run of the
//! tests: natively, and by the wasm32 build and lint of the library.

/// The value of a JSON number's text (already checked to be one), `None` when it has none.
/// In WebAssembly it is the host's correctly rounded `parseFloat`: the same value as Rust's
/// parser (tests/wasm_bindings.rs compares them), without the float tables that parser links
/// into the module, a large share of its size.
#[cfg(target_arch = "wasm32")]
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    Some(js_sys::parse_float(text))
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

/// A finite float's shortest text that reads back as the same value. In WebAssembly it is the
/// host's `JSON.stringify` (`1e+21` where Rust writes `1e21`: the same number when
/// read), which spares the module the float-printing tables; natively it is serde_json's (ryu).
#[cfg(target_arch = "wasm32")]
pub(crate) fn write_float(out: &mut String, value: f64) {
    let text = js_sys::JSON::stringify(&wasm_bindgen::JsValue::from_f64(value)).map(String::from);
    out.push_str(text.as_deref().unwrap_or("null"));
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn write_float(out: &mut String, value: f64) {
    match serde_json::Number::from_f64(value) {
        Some(number) => out.push_str(&number.to_string()),
        None => out.push_str("null"),
    }
}
