//! All conversions between JS values and core types, in one place. Errors become JS `Error`
//! objects with a `code` property (one `From<Error> for JsValue`, so every binding returns
//! `Result<T, Error>` and `?` does the rest); the facade turns them into `DurableCoreError`.
//!
//! The structured arguments the facade builds (templates, migrations, attachments) are read
//! field by field ([`ReadJs`]) rather than through serde: a serde `Deserialize` compiles a
//! visitor and a buffering deserializer per type, a large share of the wasm
//! (docs/reports/wasm-size.md). tsify still declares their TypeScript types.

use super::engine::MigrationSource;
use super::fanout::{IndexedConnection, RateLimitOption};
use super::scheduler::Retry;
use crate::backend::{BackendError, SqlValue};
use crate::error::{Error, ErrorCode, CORE_ERROR_NAME};
use crate::numbers::Decimal;
use crate::sql::{Hole, Template};
use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// A JS number, to call `Number.prototype` methods on.
    #[wasm_bindgen(js_name = Number)]
    type JsNumber;
    /// `Number.prototype.toExponential()` without an argument: as many digits as it takes to tell
    /// the number from every other double.
    #[wasm_bindgen(method, js_name = toExponential)]
    fn to_exponential(this: &JsNumber) -> String;

    /// `String.fromCharCode` of [`SHORT_TEXT_UNITS`] code units, passed as numbers.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_namespace = String, js_name = fromCharCode)]
    fn from_char_codes(
        c0: u16,
        c1: u16,
        c2: u16,
        c3: u16,
        c4: u16,
        c5: u16,
        c6: u16,
        c7: u16,
        c8: u16,
        c9: u16,
        c10: u16,
        c11: u16,
        c12: u16,
        c13: u16,
        c14: u16,
        c15: u16,
        c16: u16,
        c17: u16,
        c18: u16,
        c19: u16,
        c20: u16,
        c21: u16,
        c22: u16,
        c23: u16,
    ) -> js_sys::JsString;
}

/// ASCII texts up to this many bytes (a generated task id: 24 hex digits) cross as char codes.
const SHORT_TEXT_UNITS: usize = 24;

/// `text` as a JS string. A short ASCII text is one `String.fromCharCode` call: in workerd
/// wasm-bindgen's `TextDecoder` call costs several times as much for a text this short
/// (figures in docs/reports/s1-s2-scheduler.md). Anything else is decoded.
pub fn text_to_js(text: &str) -> JsValue {
    let bytes = text.as_bytes();
    if bytes.len() > SHORT_TEXT_UNITS || !bytes.is_ascii() {
        return JsValue::from_str(text);
    }
    let mut units = [0u16; SHORT_TEXT_UNITS];
    for (unit, byte) in units.iter_mut().zip(bytes) {
        *unit = u16::from(*byte);
    }
    let [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, c23] =
        units;
    let padded = from_char_codes(
        c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19,
        c20, c21, c22, c23,
    );
    if bytes.len() == SHORT_TEXT_UNITS {
        return padded.into();
    }
    // The padding is NUL units past the text's end; the text itself may hold NUL too.
    padded.slice(0, bytes.len() as u32).into()
}

/// The shortest digits of `x` as JavaScript writes them (`1.5e+0`), for [`crate::numbers`].
pub(crate) fn number_exponential(x: f64) -> String {
    JsValue::from_f64(x)
        .unchecked_ref::<JsNumber>()
        .to_exponential()
}

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
    BackendError {
        message: thrown_message(thrown),
    }
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
    } else if value.is_instance_of::<js_sys::ArrayBuffer>() || value.is_instance_of::<Uint8Array>()
    {
        SqlValue::Blob(Uint8Array::new(value).to_vec())
    } else {
        SqlValue::Text(thrown_message(value))
    }
}

/// A core value read from the plain JS object the facade built for it. `Err` says what was wrong
/// in serde's words (`missing field `sql``), for the `ARGUMENT` error that names the argument.
pub trait ReadJs: Sized {
    fn read_js(value: &JsValue) -> Result<Self, String>;
}

/// The argument `name` as its core value: `ARGUMENT` naming it when it has the wrong shape.
pub fn from_ts<T: ReadJs + Tsify>(value: &Ts<T>, name: &'static str) -> Result<T, Error> {
    T::read_js(&value.js_value()).map_err(|reason| Error::argument(name, reason))
}

/// `object[name]`; `undefined` for a missing field (or an `object` that is not one).
fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn object(value: &JsValue, what: &str) -> Result<(), String> {
    if value.is_object() {
        Ok(())
    } else {
        Err(format!("invalid type: expected struct {what}"))
    }
}

fn string(value: JsValue, name: &str) -> Result<String, String> {
    match value.as_string() {
        Some(text) => Ok(text),
        None if value.is_undefined() => Err(format!("missing field `{name}`")),
        None => Err(format!("invalid type: `{name}` must be a string")),
    }
}

/// `undefined` and `null` are `None`, as serde reads an `Option`.
fn optional_string(value: JsValue, name: &str) -> Result<Option<String>, String> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        string(value, name).map(Some)
    }
}

fn array(value: JsValue, name: &str) -> Result<Array, String> {
    match value.dyn_into::<Array>() {
        Ok(items) => Ok(items),
        Err(value) if value.is_undefined() => Err(format!("missing field `{name}`")),
        Err(_) => Err(format!("invalid type: `{name}` must be an array")),
    }
}

fn each<T>(
    value: JsValue,
    name: &str,
    read: impl Fn(JsValue) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    array(value, name)?.iter().map(read).collect()
}

/// A whole number from 0 to `max` (at most 2^53 - 1, so the cast is exact), as serde reads an
/// unsigned integer from a JS number. The message prints no float: float formatting would be
/// compiled in for this message alone.
fn whole(value: JsValue, name: &str, max: u64) -> Result<u64, String> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n <= max as f64 && n.fract() == 0.0 => Ok(n as u64),
        _ if value.is_undefined() => Err(format!("missing field `{name}`")),
        _ => Err(format!(
            "invalid value: `{name}` must be a whole number from 0 to {max}"
        )),
    }
}

impl ReadJs for Template {
    fn read_js(value: &JsValue) -> Result<Template, String> {
        object(value, "Template")?;
        Ok(Template {
            strings: each(field(value, "strings"), "strings", |s| string(s, "strings"))?,
            holes: each(field(value, "holes"), "holes", |hole| Hole::read_js(&hole))?,
        })
    }
}

impl ReadJs for Hole {
    fn read_js(value: &JsValue) -> Result<Hole, String> {
        object(value, "Hole")?;
        let kind = string(field(value, "kind"), "kind")?;
        Ok(match kind.as_str() {
            "value" => Hole::Value,
            "date" => Hole::Date,
            "json" => Hole::Json,
            "in" => Hole::In,
            "inItems" => Hole::InItems { len: whole(field(value, "len"), "len", u32::MAX.into())? as usize },
            "id" => Hole::Id { name: string(field(value, "name"), "name")? },
            "raw" => Hole::Raw { text: string(field(value, "text"), "text")? },
            "fragment" => Hole::Fragment(Template::read_js(value)?),
            "join" => Hole::Join {
                parts: each(field(value, "parts"), "parts", |part| Template::read_js(&part))?,
                separator: string(field(value, "separator"), "separator")?,
            },
            other => {
                return Err(format!(
                    "unknown variant `{other}`, expected one of `value`, `date`, `json`, `in`, `inItems`, `id`, `raw`, `fragment`, `join`"
                ))
            }
        })
    }
}

impl ReadJs for MigrationSource {
    fn read_js(value: &JsValue) -> Result<MigrationSource, String> {
        object(value, "MigrationSource")?;
        Ok(MigrationSource {
            name: optional_string(field(value, "name"), "name")?,
            sql: string(field(value, "sql"), "sql")?,
        })
    }
}

impl ReadJs for IndexedConnection {
    fn read_js(value: &JsValue) -> Result<IndexedConnection, String> {
        object(value, "IndexedConnection")?;
        let subscription = |pair: JsValue| {
            let pair = array(pair, "subs")?;
            if pair.length() != 2 {
                return Err(format!(
                    "invalid length {}, expected a tuple of size 2",
                    pair.length()
                ));
            }
            Ok((
                string(pair.get(0), "subs")?,
                whole(pair.get(1), "subs", 255)? as u8,
            ))
        };
        Ok(IndexedConnection {
            id: string(field(value, "id"), "id")?,
            subs: each(field(value, "subs"), "subs", subscription)?,
        })
    }
}

// The two arguments users write themselves (`opts.retry`, `static sockets.rateLimit`) were read
// by serde-wasm-bindgen, and its messages are part of the errors users see: the readers below
// keep them word for word (serde's `Unexpected` and `Expected` texts, `Error: ` from the JS
// `Error` it wrapped them in, tsify's prefix for `Retry`).

/// What serde calls `value` in an "invalid type" message, classified as serde-wasm-bindgen does.
fn unexpected(value: &JsValue) -> String {
    if value.is_null() || value.is_undefined() {
        "unit value".to_owned()
    } else if let Some(flag) = value.as_bool() {
        format!("boolean `{flag}`")
    } else if let Some(n) = value.as_f64() {
        // serde's `WithDecimalPoint`: a finite number always shows a decimal point.
        let text = Decimal(n).to_string();
        let point = if n.is_finite() && !text.contains('.') {
            ".0"
        } else {
            ""
        };
        format!("floating point `{text}{point}`")
    } else if let Some(text) = value.as_string() {
        format!("string {text:?}")
    } else if value.is_instance_of::<Uint8Array>() || value.is_instance_of::<ArrayBuffer>() {
        "byte array".to_owned()
    } else {
        format!("{value:?}")
    }
}

fn invalid_type(value: &JsValue, expected: &str) -> String {
    format!(
        "Error: invalid type: {}, expected {expected}",
        unexpected(value)
    )
}

/// An optional field as serde reads an `Option`: `null`, `undefined` or absent is `None`.
fn optional<T>(
    object: &JsValue,
    name: &str,
    read: impl Fn(&JsValue) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, String> {
    let value = field(object, name);
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    read(&value)
        .map(Some)
        .ok_or_else(|| invalid_type(&value, expected))
}

impl ReadJs for Retry {
    fn read_js(value: &JsValue) -> Result<Retry, String> {
        let read = || {
            if !value.is_object() {
                return Err(invalid_type(value, "struct Retry"));
            }
            Ok(Retry {
                attempts: optional(value, "attempts", JsValue::as_f64, "f64")?,
                backoff_ms: optional(value, "backoffMs", JsValue::as_f64, "f64")?,
                max_backoff_ms: optional(value, "maxBackoffMs", JsValue::as_f64, "f64")?,
                jitter: optional(value, "jitter", JsValue::as_bool, "a boolean")?,
            })
        };
        read().map_err(|e| format!("Failed to deserialize JsValue into type `durable_core::wasm::scheduler::Retry`: {e}"))
    }
}

impl ReadJs for RateLimitOption {
    fn read_js(value: &JsValue) -> Result<RateLimitOption, String> {
        if !value.is_object() {
            return Err(invalid_type(value, "struct RateLimitOption"));
        }
        // serde reads the fields that are there first, then names the first one missing.
        let present = |name: &str| {
            let value_of = field(value, name);
            if value_of.is_undefined()
                && !Reflect::has(value, &JsValue::from_str(name)).unwrap_or(false)
            {
                return Ok(None);
            }
            value_of
                .as_f64()
                .map(Some)
                .ok_or_else(|| invalid_type(&value_of, "f64"))
        };
        let (messages, per_ms) = (present("messages")?, present("perMs")?);
        match (messages, per_ms) {
            (Some(messages), Some(per_ms)) => Ok(RateLimitOption { messages, per_ms }),
            (None, _) => Err("Error: missing field `messages`".to_owned()),
            (_, None) => Err("Error: missing field `perMs`".to_owned()),
        }
    }
}
