// The README that ships in the package must work for someone who has only the package: every
// relative link and image names a file in the packed tarball, every #anchor a heading, and no
// line sends the reader to the repository (its root, examples/, scripts/).
//   usage: node scripts/check-package-readme.mjs [pkg dir]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, normalize, resolve } from "node:path";

const pkg = resolve(process.argv[2] ?? "pkg");
const readme = readFileSync(join(pkg, "README.md"), "utf8");
const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--silent"], { cwd: pkg, encoding: "utf8" }));
const files = new Set(pack.files.map((file) => file.path));

const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
const anchors = new Set(
  readme
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => slug(line.replace(/^#+ /, "").replace(/`/g, ""))),
);

const problems = [];
// Outside fenced code blocks only: code may legitimately contain brackets.
const prose = readme.replace(/^```[\s\S]*?^```/gm, "");
for (const [, target] of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
  if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:: not this check's business
  const [path, anchor] = target.split("#");
  if (path === "") {
    if (!anchors.has(anchor)) problems.push(`link to #${anchor}: no such heading`);
    continue;
  }
  const file = normalize(path).replace(/\/$/, "");
  if (!files.has(file)) problems.push(`link to ${target}: ${file} is not in the package`);
}
for (const [number, line] of readme.split("\n").entries()) {
  if (/repository root|examples\/|scripts\/|pkg-template\//.test(line)) {
    problems.push(`line ${number + 1} points into the repository: ${line.trim()}`);
  }
}

if (problems.length > 0) {
  console.error(`the packaged README has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`packaged README: ${files.size} files in the package, every link and anchor resolves`);
