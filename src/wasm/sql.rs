//! Bindings of the SQL query layer: stateless functions, because a compiled template depends
//! on nothing but its strings and hole shapes (the facade caches it per call site, across
//! objects). One call per cache miss; a cached query makes no call at all.

use super::interop::{argument_error, from_ts};
use crate::error::Error;
use crate::sql::{self, Template};
use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// Final SQL text and its binding plan: one op code per flattened value, the `BIND_OP_*`
/// constants of the facade's generated `core.ts` (`crate::sql::BindOp`).
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct CompiledSql {
    pub sql: String,
    pub plan: Vec<u8>,
}

/// Compiles a classified template (see `crate::sql::compile`): `SQL_TEMPLATE`, `SQL_BIND`,
/// `SQL_IDENTIFIER` or `SQL_FORBIDDEN` when it cannot run, `ARGUMENT` when it is not a template.
#[wasm_bindgen(js_name = sqlCompile)]
pub fn sql_compile(template: Ts<Template>) -> Result<Ts<CompiledSql>, Error> {
    let template = from_ts(&template, "template")?;
    let compiled = sql::compile(&template)?;
    let plan = compiled.plan_codes();
    Ts::from_rust(&CompiledSql {
        sql: compiled.sql,
        plan,
    })
    .map_err(|e| argument_error("result", &e))
}
