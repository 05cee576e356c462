//! `HandoffError` for JS: a real `Error` subclass, defined in the package's JS entry and
//! registered here at `init()`, so that `instanceof HandoffError` holds for every error the
//! engine throws. Without registration (the bare wasm-bindgen glue, as in the wasm tests) an
//! `Error` named "HandoffError" with the same `code` and `details` is thrown instead.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::HandoffError;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called once by the package entry with its `HandoffError` class.
#[wasm_bindgen(js_name = __registerErrorClass, skip_typescript)]
pub fn register_error_class(class: Function) {
    ERROR_CLASS.with(|slot| *slot.borrow_mut() = Some(class));
}

pub(crate) fn to_js(error: HandoffError) -> JsValue {
    let code = JsValue::from_str(error.code.as_str());
    let message = JsValue::from_str(&error.message);
    let details = Some(super::crossing::parse_json(&crate::output::to_json(&error.details)))
        .filter(|details| !details.is_undefined())
        .unwrap_or_else(|| Object::new().into());
    let class = ERROR_CLASS.with(|slot| slot.borrow().clone());
    if let Some(class) = class {
        if let Ok(instance) = Reflect::construct(&class, &Array::of3(&code, &message, &details)) {
            return instance;
        }
    }
    let fallback = js_sys::Error::new(&error.message);
    fallback.set_name("HandoffError");
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(&fallback, &"code".into(), &code);
    let _ = Reflect::set(&fallback, &"details".into(), &details);
    fallback.into()
}

/// `{ ok: true }` or `{ ok: false, code, message, details }` for `check`.
pub(crate) fn verdict(result: Result<(), JsValue>) -> JsValue {
    let verdict = Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&verdict, &key.into(), value);
    };
    match result {
        Ok(()) => set("ok", &JsValue::TRUE),
        Err(error) => {
            set("ok", &JsValue::FALSE);
            set("code", &Reflect::get(&error, &"code".into()).unwrap_or(JsValue::from_str("invalid-input")));
            set("message", &Reflect::get(&error, &"message".into()).unwrap_or(JsValue::from_str("")));
            set("details", &Reflect::get(&error, &"details".into()).unwrap_or_else(|_| Object::new().into()));
        }
    }
    verdict.into()
}
