// The published declarations a user meets have no `any`: from each entry point of the package
// (`exports` in pkg/package.json), every exported declaration and every declaration of the
// package it refers to, transitively, is walked; an `any` written anywhere in them fails.
// Private members (`#private`, `private x;`) and what the package only uses internally are not
// reached, so they are not judged. Run by `npm test` after the build (`node --test`).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PKG = process.env.DC_PKG ?? join(ROOT, "pkg");

/** The `.d.ts` of every `exports` entry of the built package. */
function entryPoints() {
  const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
  const entries = Object.values(manifest.exports)
    .map((target) => (typeof target === "object" ? target.types : undefined))
    .filter((types) => types !== undefined)
    .map((types) => join(PKG, types));
  return [...new Set(entries)];
}

/** Every `any` in the declarations reachable from `entries`, as `file:line  name: text`. */
export function publicAnys(entries) {
  const program = ts.createProgram(entries, {
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts"],
    types: ["@cloudflare/workers-types"],
    typeRoots: [join(ROOT, "node_modules", "@types"), join(ROOT, "node_modules", "@cloudflare")],
  });
  const checker = program.getTypeChecker();
  const ours = (node) => {
    const file = node.getSourceFile().fileName;
    return resolve(file).startsWith(resolve(PKG)) && !file.includes("/node_modules/");
  };
  const seen = new Set();
  const queue = [];
  const enqueue = (symbol) => {
    if (symbol === undefined) return;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    for (const declaration of target.declarations ?? []) {
      if (ours(declaration) && !seen.has(declaration)) {
        seen.add(declaration);
        queue.push(declaration);
      }
    }
  };
  for (const entry of entries) {
    const file = program.getSourceFile(entry);
    assert.ok(file, `${entry} is not in the program`);
    const module = checker.getSymbolAtLocation(file);
    for (const symbol of module ? checker.getExportsOfModule(module) : []) enqueue(symbol);
  }
  const isPrivate = (node) =>
    (node.name !== undefined && ts.isPrivateIdentifier(node.name)) ||
    (ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword));
  const found = [];
  const visit = (node, owner) => {
    if (isPrivate(node)) return;
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      const file = node.getSourceFile();
      const { line } = file.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(PKG, file.fileName)}:${line + 1}  ${owner}: ${node.parent.getText().slice(0, 120)}`);
    }
    if (ts.isTypeReferenceNode(node)) enqueue(checker.getSymbolAtLocation(node.typeName));
    else if (ts.isExpressionWithTypeArguments(node)) enqueue(checker.getSymbolAtLocation(node.expression));
    else if (ts.isTypeQueryNode(node)) enqueue(checker.getSymbolAtLocation(node.exprName));
    else if (ts.isImportTypeNode(node)) {
      const type = checker.getTypeFromTypeNode(node);
      enqueue(type.aliasSymbol ?? type.getSymbol());
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  while (queue.length > 0) {
    const declaration = queue.shift();
    const name = declaration.name?.getText?.() ?? ts.SyntaxKind[declaration.kind];
    visit(declaration, name);
  }
  return found;
}

test("no public declaration of the package uses `any`", () => {
  assert.ok(existsSync(join(PKG, "package.json")), `${PKG} is not built: run \`npm run build\` first`);
  const found = publicAnys(entryPoints());
  assert.deepEqual(found, [], `\`any\` in the published types (use unknown, a named type or a generic):\n${found.join("\n")}`);
});
