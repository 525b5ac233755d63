//! `class-not-exported`: a `class_name` that the entry module does not export. The runtime
//! looks the class up among the entry's exports; without it the deploy fails, and
//! `@cloudflare/vitest-plugin` cannot reach the object either.

use super::{Category, Project, RuleMeta};
use crate::diagnostic::{RawFinding, Severity};
use std::collections::{HashMap, HashSet};

pub const META: RuleMeta = RuleMeta {
    id: "class-not-exported",
    severity: Severity::Error,
    category: Category::Configuration,
    summary: "A bound `class_name` that the entry module (`main`) does not export.",
};

/// The names each file exports, as sets, made when a file is first asked about: the entry of a
/// large project exports hundreds of classes and every binding asks about it.
struct Exports<'p> {
    project: &'p Project<'p>,
    names: HashMap<&'p str, Option<FileExports<'p>>>,
}

/// A file's exported names and its `export *` specifiers.
type FileExports<'p> = (HashSet<&'p str>, &'p [String]);

impl<'p> Exports<'p> {
    /// The names `path` exports and its `export *` specifiers (`None`: not a checked file).
    fn of(&mut self, path: &'p str) -> Option<(&HashSet<&'p str>, &'p [String])> {
        let project = self.project;
        let entry = self.names.entry(path).or_insert_with(|| {
            let facts = project.facts(path)?;
            let names = facts.exports.iter().map(String::as_str).collect();
            Some((names, facts.export_all.as_slice()))
        });
        entry.as_ref().map(|(names, all)| (names, *all))
    }

    /// Whether `path` exports `name`: `Some(true/false)`, or `None` when it cannot be known (an
    /// `export *` from a package, a file that did not parse).
    fn exports(&mut self, path: &'p str, name: &str, depth: u32) -> Option<bool> {
        if depth > 16 {
            return None;
        }
        let (names, export_all) = self.of(path)?;
        if names.contains(name) {
            return Some(true);
        }
        let mut unknown = false;
        for specifier in export_all {
            match self
                .project
                .resolve(path, specifier)
                .map(|target| self.exports(target, name, depth + 1))
            {
                Some(Some(true)) => return Some(true),
                Some(Some(false)) => {}
                _ => unknown = true,
            }
        }
        if unknown {
            None
        } else {
            Some(false)
        }
    }
}

pub fn check(project: &Project, out: &mut Vec<RawFinding>) {
    let Some(entry) = project.entry else { return };
    let mut exports = Exports {
        project,
        names: HashMap::new(),
    };
    for binding in &project.config.bindings {
        if binding.script_name.is_some() {
            continue;
        }
        let class = &binding.class_name.value;
        if exports.exports(entry, class, 0) == Some(false) {
            out.push(RawFinding::new(
                META.id,
                binding.class_name.start,
                binding.class_name.end,
                format!("binding `{}` names class `{class}`, which `{entry}` does not export: add `export {{ {class} }}` to the entry module", binding.name.value),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_config_cases, CONFIG};
    use crate::{Options, Session};

    #[test]
    fn fixtures() {
        assert_config_cases(
            "class-not-exported",
            &[
                (CONFIG, "export class Other {}\nclass Room {}"),
                (
                    CONFIG,
                    "export class Other {}\nexport default class Room {}",
                ),
                (
                    CONFIG,
                    "export { Room as Hall } from './room';\nexport class Other {}",
                ),
            ],
            &[
                (CONFIG, "export class Room {}\nexport class Other {}"),
                (
                    CONFIG,
                    "class Room {}\nclass Other {}\nexport { Room, Other };",
                ),
                (
                    CONFIG,
                    "export * from 'some-package';\nexport class Other {}",
                ),
                (
                    CONFIG,
                    "export { Room } from './room';\nexport class Other {}",
                ),
            ],
        );
    }

    #[test]
    fn follows_export_star_across_files() {
        let run = |room: &str| {
            let mut s = Session::new(Options::default());
            s.set_config("wrangler.jsonc", CONFIG).unwrap();
            s.add_file(
                "src/index.ts",
                "export * from './room.js';\nexport class Other {}",
            );
            s.add_file("src/room.ts", room);
            s.finish()
                .findings
                .into_iter()
                .filter(|f| f.rule == "class-not-exported")
                .count()
        };
        assert_eq!(run("export class Room {}"), 0);
        assert_eq!(run("export class Hall {}"), 1);
    }
}
