// `durable-core init <dir> [--template <name>]`: writes a new Worker project from one of the
// templates shipped in this package (templates/<name>/). The project depends on the exact
// version of durable-core that runs this command, or on `--package <spec>`.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, "..");
const templatesDir = join(packageRoot, "templates");
const DEFAULT_TEMPLATE = "counter";
/** Wrangler and the Vitest plugin need Node 22; below it the project brings its own. */
const MIN_NODE_MAJOR = 22;
/** The `node` package that provides Node 22 in node_modules/.bin (the version this release is tested with). */
const NODE_PACKAGE_VERSION = "22.23.3";
/**
 * npm cannot pack a file named .gitignore (it becomes .npmignore on publish), so templates
 * keep these files under another name and init gives them theirs back.
 */
const RENAMED = { gitignore: ".gitignore" };

const usage = `usage: durable-core init <dir> [--template <name>] [--force] [--package <spec>]
       durable-core init --list

Creates a Worker project in <dir> with a durable-core Durable Object, its Vitest suite and its
wrangler configuration. Then: cd <dir> && npm install && npm test

options:
  --template <name>  the application to start from (default: ${DEFAULT_TEMPLATE}); --list shows them
  --force            write into a directory that is not empty (files of the template replace yours)
  --package <spec>   the durable-core dependency to write (default: this version, exactly);
                     a path to a packed tarball (.tgz) or a directory is written as file:<absolute path>
  --list             list the templates
  --help             this text`;

/** @param {string[]} args @returns {Promise<number>} the exit code */
export async function main(args) {
  let options;
  try {
    options = parseArgs(args);
  } catch (error) {
    console.error(`durable-core init: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const templates = listTemplates();
  if (options.list) {
    const width = Math.max(...templates.map((t) => t.name.length));
    for (const t of templates) console.log(`${t.name.padEnd(width)}  ${t.description}`);
    return 0;
  }
  if (options.dir === undefined) {
    console.error(`durable-core init: which directory? e.g. durable-core init my-app\n\n${usage}`);
    return 2;
  }
  const template = templates.find((t) => t.name === options.template);
  if (template === undefined) {
    console.error(
      `durable-core init: there is no template "${options.template}"; the templates are: ${templates.map((t) => t.name).join(", ")}`,
    );
    return 2;
  }
  const target = resolve(options.dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) {
      console.error(`durable-core init: ${target} exists and is not a directory`);
      return 1;
    }
    if (readdirSync(target).length > 0 && !options.force) {
      console.error(`durable-core init: ${target} is not empty; choose another directory, or pass --force to write into it`);
      return 1;
    }
  }

  const name = projectName(target);
  const dependency = dependencySpec(options.packageSpec);
  const needsNode = Number(process.versions.node.split(".")[0]) < MIN_NODE_MAJOR;
  const written = copyTemplate(template.dir, target, {
    "package.json": (text) => packageJson(text, name, dependency, needsNode),
    "wrangler.jsonc": (text) => text.replaceAll("{{name}}", name),
  });

  const shown = relative(process.cwd(), target) || ".";
  console.log(`Created ${shown} from the ${template.name} template (${written} files), on durable-core ${dependency}.`);
  if (needsNode) {
    console.log(
      `This is Node ${process.versions.node}; wrangler needs Node ${MIN_NODE_MAJOR}, so the project's devDependencies include node@${NODE_PACKAGE_VERSION}:\n` +
        "npm scripts (npm test, npm run dev, ...) run wrangler and Vitest on it from node_modules/.bin.",
    );
  }
  console.log(`\nNext:\n  cd ${shown}\n  npm install\n  npm test\n  npm run dev`);
  return 0;
}

function parseArgs(args) {
  const options = { template: DEFAULT_TEMPLATE, force: false, list: false, help: false, dir: undefined, packageSpec: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${arg} needs a value`);
      return next;
    };
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const take = () => (inline !== undefined ? inline : value());
    switch (flag) {
      case "--template":
      case "-t":
        options.template = take();
        break;
      case "--package":
        options.packageSpec = take();
        break;
      case "--force":
        options.force = true;
        break;
      case "--list":
        options.list = true;
        break;
      case "--help":
      case "-h":
        options.help = true;
        break;
      default:
        if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
        if (options.dir !== undefined) throw new Error(`one directory only (got ${options.dir} and ${arg})`);
        options.dir = arg;
    }
  }
  return options;
}

/** The templates shipped beside this command, each described by its package.json. */
function listTemplates() {
  return readdirSync(templatesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(templatesDir, entry.name);
      const { description = "" } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      return { name: entry.name, dir, description };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** An npm package name from the directory's name: lowercase, URL-safe characters only. */
function projectName(target) {
  const name = basename(target)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name || "durable-core-app";
}

function dependencySpec(spec) {
  if (spec === undefined) {
    return JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")).version;
  }
  // A path (to a tarball or a package directory) must survive the project being installed
  // from its own directory: make it absolute.
  const looksLikePath = spec.startsWith(".") || isAbsolute(spec) || spec.endsWith(".tgz");
  if (!spec.startsWith("file:") && looksLikePath && existsSync(spec)) return `file:${resolve(spec)}`;
  if (spec.startsWith("file:") && !isAbsolute(spec.slice(5))) return `file:${resolve(spec.slice(5))}`;
  return spec;
}

function packageJson(text, name, dependency, needsNode) {
  const pkg = JSON.parse(text);
  pkg.name = name;
  pkg.dependencies = { ...pkg.dependencies, "durable-core": dependency };
  if (needsNode) {
    pkg.devDependencies = sortKeys({ ...pkg.devDependencies, node: NODE_PACKAGE_VERSION });
    pkg.allowScripts = { node: true, ...pkg.allowScripts };
  }
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function sortKeys(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Copies `from` into `to`, byte for byte except the files named in `edits` (by path in the
 * template), which are rewritten as text; returns the file count.
 */
function copyTemplate(from, to, edits, prefix = "") {
  mkdirSync(to, { recursive: true });
  let count = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const path = prefix + entry.name;
    const destination = join(to, RENAMED[path] ?? entry.name);
    if (entry.isDirectory()) {
      count += copyTemplate(source, destination, edits, `${path}/`);
    } else {
      const edit = Object.hasOwn(edits, path) ? edits[path] : undefined;
      if (edit === undefined) copyFileSync(source, destination);
      else writeFileSync(destination, edit(readFileSync(source, "utf8")));
      count += 1;
    }
  }
  return count;
}
