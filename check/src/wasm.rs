//! The checker's wasm boundary, for `cli/check.mjs`: one [`Checker`] per run, strings in and
//! JSON text out (the report's schema is [`crate::Report`]'s).

use crate::rules::RULES;
use crate::{Options, Session};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

fn error(message: &str) -> JsError {
    JsError::new(message)
}

#[wasm_bindgen]
pub struct Checker {
    session: Option<Session>,
}

#[wasm_bindgen]
impl Checker {
    /// `rules` is a JSON object of `{ "<rule id>": "off" | "warn" | "error" }`.
    #[wasm_bindgen(constructor)]
    pub fn new(rules: &str) -> Result<Checker, JsError> {
        let levels: BTreeMap<String, String> =
            serde_json::from_str(rules).map_err(|e| error(&format!("rule settings: {e}")))?;
        let mut options = Options::default();
        for (id, level) in &levels {
            options.set(id, level).map_err(|e| error(&e.message))?;
        }
        Ok(Checker {
            session: Some(Session::new(options)),
        })
    }

    /// Reads the wrangler configuration and returns the entry module's path, if it names one.
    #[wasm_bindgen(js_name = setConfig)]
    pub fn set_config(&mut self, path: &str, text: &str) -> Result<Option<String>, JsError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| error("the check has finished"))?;
        session
            .set_config(path, text)
            .map_err(|e| error(&e.message))?;
        Ok(session.entry())
    }

    /// Checks one file, given as its UTF-8 bytes (copied in one block, where a JS string
    /// would be converted character by character); returns the module specifiers it imports.
    /// Bytes that are not UTF-8 read as U+FFFD.
    #[wasm_bindgen(js_name = addFile)]
    pub fn add_file(&mut self, path: &str, bytes: &[u8]) -> Result<Vec<String>, JsError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| error("the check has finished"))?;
        // Validation alone is the fast path (almost every file is UTF-8); the lossy decoding,
        // which walks the bytes again, only for a file that is not.
        Ok(match std::str::from_utf8(bytes) {
            Ok(text) => session.add_file(path, text),
            Err(_) => session.add_file(path, &String::from_utf8_lossy(bytes)),
        })
    }

    /// Records a file that `addFile` could not check (it overflowed the stack or trapped, in an
    /// instance the CLI then replaced): a `syntax-error` finding, its suppressions honoured.
    #[wasm_bindgen(js_name = addUnanalysable)]
    pub fn add_unanalysable(&mut self, path: &str, bytes: &[u8]) -> Result<(), JsError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| error("the check has finished"))?;
        session.add_unanalysable(path, &String::from_utf8_lossy(bytes));
        Ok(())
    }

    /// The records of the files checked so far, as JSON, taken out of this checker (see
    /// `Session::export_records`): the CLI checks on two threads and merges them into one.
    #[wasm_bindgen(js_name = exportRecords)]
    pub fn export_records(&mut self) -> Result<String, JsError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| error("the check has finished"))?;
        Ok(session.export_records())
    }

    /// Merges the records another checker exported (`records`, its files in the order it
    /// checked them) with this checker's own: `mine[i]` and `theirs[i]` are the queue positions
    /// of the i-th file each checked. Afterwards this checker holds every record in queue order,
    /// as if it had checked them all.
    #[wasm_bindgen(js_name = mergeRecords)]
    pub fn merge_records(
        &mut self,
        records: &str,
        mine: &[u32],
        theirs: &[u32],
    ) -> Result<(), JsError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| error("the check has finished"))?;
        session
            .merge_records(records, mine, theirs)
            .map_err(|e| error(&e.message))
    }

    /// The report, as JSON text. The checker cannot be used afterwards.
    pub fn finish(&mut self) -> Result<String, JsError> {
        let session = self
            .session
            .take()
            .ok_or_else(|| error("the check has finished"))?;
        serde_json::to_string(&session.finish()).map_err(|e| error(&e.to_string()))
    }
}

/// Every rule with its default severity, category and summary, as JSON.
#[wasm_bindgen]
pub fn rules() -> String {
    let list: Vec<_> = RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "severity": r.severity.as_str(),
                "category": r.category.as_str(),
                "summary": r.summary,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}
