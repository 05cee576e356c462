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
