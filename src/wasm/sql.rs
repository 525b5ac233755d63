//! Bindings of the SQL query layer: stateless functions, because a compiled template depends
//! on nothing but its strings and hole shapes (the facade caches it per call site, across
//! objects). One call per cache miss; a cached query makes no call at all.

use super::interop::argument_error;
use crate::error::Error;
use crate::sql::{self, Template};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const SQL_TYPES: &str = r#"
/** A tagged template as the facade classified it: strings around hole shapes. */
export interface SqlTemplate { strings: readonly string[]; holes: SqlHole[] }
/** The shape of one `${...}`; values never cross. */
export type SqlHole =
  | { kind: "value" }
  | { kind: "date" }
  | { kind: "json" }
  | { kind: "in" }
  | { kind: "inItems"; len: number }
  | { kind: "id"; name: string }
  | { kind: "raw"; text: string }
  | { kind: "fragment"; strings: readonly string[]; holes: SqlHole[] }
  | { kind: "join"; parts: SqlTemplate[]; separator: string };
/** Final SQL text and its binding plan: one op per flattened value (0 value, 1 json, 2 JSON list, 3 spread). */
export interface CompiledSql { sql: string; plan: Uint8Array; params: number }
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "SqlTemplate")]
    pub type SqlTemplateJs;

    #[wasm_bindgen(typescript_type = "CompiledSql")]
    pub type CompiledSqlJs;
}

/// Compiles a classified template (see `crate::sql::compile`): `SQL_TEMPLATE`, `SQL_BIND`,
/// `SQL_IDENTIFIER` or `SQL_FORBIDDEN` when it cannot run.
#[wasm_bindgen(js_name = sqlCompile)]
pub fn sql_compile(template: SqlTemplateJs) -> Result<CompiledSqlJs, Error> {
    let template: Template =
        serde_wasm_bindgen::from_value(template.into()).map_err(|e| argument_error("template", &e))?;
    let compiled = sql::compile(&template)?;
    let result = Object::new();
    let set = |key: &str, value: JsValue| Reflect::set(&result, &JsValue::from_str(key), &value);
    set("sql", JsValue::from_str(&compiled.sql))
        .and_then(|_| set("plan", Uint8Array::from(compiled.plan_codes().as_slice()).into()))
        .and_then(|_| set("params", JsValue::from_f64(compiled.params as f64)))
        .map_err(|e| argument_error("result", &super::interop::thrown_message(&e)))?;
    Ok(result.unchecked_into())
}
