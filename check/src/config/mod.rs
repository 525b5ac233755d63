//! The wrangler configuration (`wrangler.jsonc`, `wrangler.json` or `wrangler.toml`), read into
//! the few facts the rules need, each string with its byte span so that a finding points at it.
//!
//! Both formats are first turned into one small tree ([`Node`]); the model is read from that
//! tree once. This module never judges the configuration: the configuration rules do. Only the
//! top level is read (`env.<name>` sections repeat it and are not reviewed).

mod jsonc;
mod toml;

/// A string of the configuration and where it is (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    pub value: String,
    pub start: u32,
    pub end: u32,
}

/// A value of either format, with its span.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(Spanned),
    Array(Vec<Node>, u32, u32),
    Table(Vec<(String, Node)>, u32, u32),
    Other(u32, u32),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Table(entries, _, _) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self) -> Option<&Spanned> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Node] {
        match self {
            Node::Array(items, _, _) => items,
            _ => &[],
        }
    }

    fn strings(&self) -> impl Iterator<Item = &Spanned> {
        self.items().iter().filter_map(Node::str)
    }
}

/// `durable_objects.bindings[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DoBinding {
    pub name: Spanned,
    pub class_name: Spanned,
    /// Set when the class lives in another Worker: its migrations are that Worker's.
    pub script_name: Option<String>,
}

/// One `migrations[]` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Migration {
    pub tag: Option<Spanned>,
    pub new_sqlite_classes: Vec<Spanned>,
    pub new_classes: Vec<Spanned>,
    pub renamed_classes: Vec<(Spanned, Spanned)>,
    pub deleted_classes: Vec<Spanned>,
    pub transferred_classes: Vec<Spanned>,
}

/// What kind of resource a binding name stands for (for rules about I/O).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    DurableObject,
    Kv,
    R2,
    D1,
    Service,
    Queue,
}

impl BindingKind {
    pub fn describe(self) -> &'static str {
        match self {
            BindingKind::DurableObject => "a call to another Durable Object",
            BindingKind::Kv => "a KV read or write",
            BindingKind::R2 => "an R2 operation",
            BindingKind::D1 => "a D1 query",
            BindingKind::Service => "a service binding call",
            BindingKind::Queue => "a queue send",
        }
    }
}

/// The wrangler configuration, as the rules see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub path: String,
    pub text: String,
    pub main: Option<Spanned>,
    pub compatibility_date: Option<Spanned>,
    pub compatibility_flags: Vec<String>,
    pub bindings: Vec<DoBinding>,
    pub migrations: Vec<Migration>,
    /// Every binding name of the Worker with its kind.
    pub resources: Vec<(String, BindingKind)>,
}

/// Why a configuration file could not be read: a configuration failure (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
}

impl Config {
    /// Reads `text`; the format follows the file name (`.toml`, anything else is JSONC).
    pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
        let root = if path.ends_with(".toml") {
            toml::parse(text)?
        } else {
            jsonc::parse(text)?
        };
        if !matches!(root, Node::Table(..)) {
            return Err(ConfigError {
                message: format!("{path}: the configuration must be an object"),
            });
        }
        let mut config = Config {
            path: path.to_owned(),
            text: text.to_owned(),
            ..Config::default()
        };
        config.main = root.get("main").and_then(Node::str).cloned();
        config.compatibility_date = root.get("compatibility_date").and_then(Node::str).cloned();
        config.compatibility_flags = root
            .get("compatibility_flags")
            .map(|n| n.strings().map(|s| s.value.clone()).collect())
            .unwrap_or_default();
        let bindings = root.get("durable_objects").and_then(|d| d.get("bindings"));
        for binding in bindings.map(Node::items).unwrap_or_default() {
            let (Some(name), Some(class_name)) = (
                binding.get("name").and_then(Node::str),
                binding.get("class_name").and_then(Node::str),
            ) else {
                continue;
            };
            config
                .resources
                .push((name.value.clone(), BindingKind::DurableObject));
            config.bindings.push(DoBinding {
                name: name.clone(),
                class_name: class_name.clone(),
                script_name: binding
                    .get("script_name")
                    .and_then(Node::str)
                    .map(|s| s.value.clone()),
            });
        }
        for entry in root.get("migrations").map(Node::items).unwrap_or_default() {
            config.migrations.push(read_migration(entry));
        }
        let kinds = [
            ("kv_namespaces", "binding", BindingKind::Kv),
            ("r2_buckets", "binding", BindingKind::R2),
            ("d1_databases", "binding", BindingKind::D1),
            ("services", "binding", BindingKind::Service),
        ];
        for (section, key, kind) in kinds {
            for item in root.get(section).map(Node::items).unwrap_or_default() {
                if let Some(name) = item.get(key).and_then(Node::str) {
                    config.resources.push((name.value.clone(), kind));
                }
            }
        }
        if let Some(producers) = root.get("queues").and_then(|q| q.get("producers")) {
            for item in producers.items() {
                if let Some(name) = item.get("binding").and_then(Node::str) {
                    config
                        .resources
                        .push((name.value.clone(), BindingKind::Queue));
                }
            }
        }
        Ok(config)
    }

    /// The kind of the binding called `name`, if the configuration declares it.
    pub fn resource(&self, name: &str) -> Option<BindingKind> {
        self.resources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, k)| *k)
    }

    /// True when `flag` is set, or when the compatibility date is on or after `default_from`
    /// and the flag's `no_` twin is not set: how workerd turns a dated flag on.
    pub fn flag_enabled(&self, flag: &str, disable_flag: &str, default_from: &str) -> bool {
        if self.compatibility_flags.iter().any(|f| f == flag) {
            return true;
        }
        if self.compatibility_flags.iter().any(|f| f == disable_flag) {
            return false;
        }
        // ISO dates compare as text; a missing date is wrangler's oldest default.
        self.compatibility_date
            .as_ref()
            .is_some_and(|d| d.value.as_str() >= default_from)
    }

    /// True when the compatibility date is `date` or later (a missing date is the oldest).
    pub fn date_on_or_after(&self, date: &str) -> bool {
        self.compatibility_date
            .as_ref()
            .is_some_and(|d| d.value.as_str() >= date)
    }

    /// The span of the whole configuration's first line, for findings about it as a whole.
    pub fn head_span(&self) -> (u32, u32) {
        (
            0,
            u32::try_from(self.text.find('\n').unwrap_or(self.text.len())).unwrap_or(0),
        )
    }
}

fn read_migration(entry: &Node) -> Migration {
    let list = |key: &str| -> Vec<Spanned> {
        entry
            .get(key)
            .map(|n| n.strings().cloned().collect())
            .unwrap_or_default()
    };
    let pairs = |key: &str, from: &str, to: &str| -> Vec<(Spanned, Spanned)> {
        entry
            .get(key)
            .map(|n| {
                n.items()
                    .iter()
                    .filter_map(|p| Some((p.get(from)?.str()?.clone(), p.get(to)?.str()?.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    Migration {
        tag: entry.get("tag").and_then(Node::str).cloned(),
        new_sqlite_classes: list("new_sqlite_classes"),
        new_classes: list("new_classes"),
        renamed_classes: pairs("renamed_classes", "from", "to"),
        deleted_classes: list("deleted_classes"),
        transferred_classes: pairs("transferred_classes", "from", "to")
            .into_iter()
            .map(|(_, to)| to)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSONC: &str = r#"{
  // comment
  "main": "src/index.ts",
  "compatibility_date": "2026-10-01",
  "durable_objects": { "bindings": [{ "name": "ROOM", "class_name": "Room" }] },
  "migrations": [{ "tag": "v1", "new_sqlite_classes": ["Room"], }],
  "kv_namespaces": [{ "binding": "CACHE", "id": "x" }],
}"#;

    const TOML: &str = r#"main = "src/index.ts"
compatibility_date = "2026-10-01"

[[durable_objects.bindings]]
name = "ROOM"
class_name = "Room"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room"]

[[kv_namespaces]]
binding = "CACHE"
id = "x"
"#;

    #[test]
    fn both_formats_read_the_same_facts() {
        for (path, text) in [("wrangler.jsonc", JSONC), ("wrangler.toml", TOML)] {
            let c = Config::parse(path, text).unwrap();
            assert_eq!(c.main.as_ref().unwrap().value, "src/index.ts", "{path}");
            assert_eq!(c.bindings.len(), 1);
            let class = &c.bindings[0].class_name;
            assert_eq!(
                &text[class.start as usize..class.end as usize],
                "\"Room\"",
                "{path}"
            );
            assert_eq!(c.migrations[0].new_sqlite_classes[0].value, "Room");
            assert_eq!(c.resource("CACHE"), Some(BindingKind::Kv));
            assert_eq!(c.resource("ROOM"), Some(BindingKind::DurableObject));
        }
    }

    #[test]
    fn a_broken_file_is_a_configuration_error() {
        assert!(Config::parse("wrangler.jsonc", "{ \"main\": ").is_err());
        assert!(Config::parse("wrangler.toml", "main = ").is_err());
        assert!(Config::parse("wrangler.json", "[1]").is_err());
    }

    #[test]
    fn dated_flags_follow_the_date_unless_a_flag_says_otherwise() {
        let mut c = Config::parse("w.json", r#"{"compatibility_date": "2026-05-01"}"#).unwrap();
        assert!(c.flag_enabled("f", "no_f", "2026-04-07"));
        assert!(!c.flag_enabled("f", "no_f", "2026-06-01"));
        c.compatibility_flags = vec!["no_f".into()];
        assert!(!c.flag_enabled("f", "no_f", "2026-04-07"));
        c.compatibility_flags = vec!["f".into()];
        assert!(c.flag_enabled("f", "no_f", "2026-06-01"));
    }
}
