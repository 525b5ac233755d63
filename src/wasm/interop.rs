//! All conversions between JS values and core types, in one place. Errors become JS `Error`
//! objects with a `code` property (one `From<Error> for JsValue`, so every binding returns
//! `Result<T, Error>` and `?` does the rest); the facade turns them into `DurableCoreError`.

use crate::backend::{BackendError, SqlValue};
use crate::error::{Error, ErrorCode, CORE_ERROR_NAME};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// A JS `Error` with the core error's message and stable `code`.
impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        coded_error(error.code(), &error.to_string())
    }
}

/// A JS `Error` with `message` and `code`.
fn coded_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(CORE_ERROR_NAME);
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

/// An argument that did not convert: `ARGUMENT`, naming it.
pub fn argument_error(name: &'static str, reason: &dyn std::fmt::Display) -> Error {
    Error::argument(name, reason.to_string())
}

/// The message of whatever JS threw (an `Error`'s message, or the value as text).
pub fn thrown_message(thrown: &JsValue) -> String {
    if let Some(error) = thrown.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    thrown.as_string().unwrap_or_else(|| format!("{thrown:?}"))
}

/// What the platform threw, as a backend error.
pub fn backend_error(thrown: &JsValue) -> BackendError {
    BackendError { message: thrown_message(thrown) }
}

/// A core value as the JS value `sql.exec` binds. Integers beyond 2^53 lose precision, as
/// every number does on the platform; the core binds none that large.
pub fn sql_value_to_js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Null => JsValue::NULL,
        SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(r) => JsValue::from_f64(*r),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Blob(b) => Uint8Array::from(b.as_slice()).into(),
    }
}

/// A value read from `sql.exec` as a core value (every number arrives as a double).
pub fn sql_value_from_js(value: &JsValue) -> SqlValue {
    if value.is_null() || value.is_undefined() {
        SqlValue::Null
    } else if let Some(n) = value.as_f64() {
        SqlValue::Real(n)
    } else if let Some(s) = value.as_string() {
        SqlValue::Text(s)
    } else if value.is_instance_of::<js_sys::ArrayBuffer>() || value.is_instance_of::<Uint8Array>() {
        SqlValue::Blob(Uint8Array::new(value).to_vec())
    } else {
        SqlValue::Text(thrown_message(value))
    }
}

/// Core values as the argument list of `sql.exec`.
pub fn sql_values_to_js(values: &[SqlValue]) -> Array {
    values.iter().map(sql_value_to_js).collect()
}
