// The package as it is published: its README, licences and metadata, and what happens when the
// WebAssembly cannot be loaded (a dev server's HTML page, a bundle without its .wasm).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";

const dir = createRequire(import.meta.url).resolve("handoff-engine/package.json").replace(/package\.json$/, "");
const manifest = JSON.parse(readFileSync(`${dir}package.json`, "utf8"));

test("the package looks published: its own README, both licences, a changelog, metadata", () => {
  const readme = readFileSync(`${dir}README.md`, "utf8");
  for (const section of ["## Install", "## Quick start", "## Bundlers", "## React", "## API"]) assert.ok(readme.includes(section), section);
  assert.ok(!readme.includes("## Contributing"), "the contributors' README was shipped");
  assert.match(readFileSync(`${dir}LICENSE-MIT`, "utf8"), /MIT License/);
  assert.match(readFileSync(`${dir}LICENSE-APACHE`, "utf8"), /Apache License\s+Version 2\.0/);
  assert.match(readFileSync(`${dir}CHANGELOG.md`, "utf8"), /## 0\.1\.0/);
  for (const field of ["repository", "homepage", "bugs", "keywords", "license", "engines"]) assert.ok(manifest[field], field);
  assert.equal(manifest.scripts, undefined, "scripts that point at files the package does not ship");
  assert.equal(manifest.devDependencies, undefined);
  for (const file of manifest.files) assert.ok(existsSync(join(dir, file)), `files names ${file}, which is not shipped`);
});

test("the entry that sets the module up on import is not side-effect free", () => {
  assert.ok(Array.isArray(manifest.sideEffects) && manifest.sideEffects.includes("./pkg/node.js"), JSON.stringify(manifest.sideEffects));
});

test("the example configuration ships, as JSON and as a module", async () => {
  const { default: firm } = await import("handoff-engine/example-firm");
  const json = createRequire(import.meta.url)("handoff-engine/example-firm.json");
  assert.deepEqual(firm, json);
  const { Engine } = await import("handoff-engine");
  assert.equal(new Engine(firm).validateConfig().ok, true);
});

/** Imports a copy of the Node entry whose .wasm was removed, from `cwd`; resolves to its stderr. */
function importWithoutWasm(cwd) {
  const copy = mkdtempSync(join(tmpdir(), "handoff-no-wasm-"));
  cpSync(`${dir}pkg`, copy, { recursive: true });
  rmSync(join(copy, "wasm/handoff_engine_bg.wasm"));
  const script = `const { Engine } = await import(${JSON.stringify(pathToFileURL(join(copy, "node.js")).href)}); new Engine("{}");`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd, encoding: "utf8" });
  rmSync(copy, { recursive: true, force: true });
  return { status: run.status, stderr: run.stderr, wasm: join(copy, "wasm/handoff_engine_bg.wasm") };
}

test("the Node entry without its .wasm names the path it read and the fix", () => {
  const nowhere = mkdtempSync(join(tmpdir(), "handoff-cwd-"));
  try {
    const { status, stderr, wasm } = importWithoutWasm(nowhere);
    assert.notEqual(status, 0);
    assert.match(stderr, /HandoffError: handoff-engine could not read its WebAssembly at (\S+) \(ENOENT\)/);
    assert.ok(stderr.includes(`at ${wasm} (ENOENT)`), stderr);
    assert.match(stderr, /--external:handoff-engine.*serverExternalPackages/);
  } finally {
    rmSync(nowhere, { recursive: true, force: true });
  }
});

test("the Node entry without its .wasm beside it takes the installed package's (a Next.js server bundle)", () => {
  // The working directory is the consumer project, whose node_modules has the package.
  const { status, stderr } = importWithoutWasm(process.cwd());
  assert.equal(status, 1);
  // The engine loaded, and refused the empty configuration.
  assert.match(stderr, /HandoffError: Invalid input at directory/);
  assert.doesNotMatch(stderr, /wasm-load-failed|could not read its WebAssembly/);
});
