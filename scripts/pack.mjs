// `npm run pack`: the npm package's tarball, packed from a staging directory (target/npm-package)
// so that it carries its own README (npm/README.md, for people who install it; the repository's
// README is for contributors) and a package.json without the repository's scripts and dev
// dependencies. `npm pack` at the root is refused (package.json's prepack) for that reason.
//
// The staging directory holds exactly package.json's `files`, taken from:
// - pkg/, built by `npm run build` (the wasm, its glue, the JS entries);
// - js/react.js and js/react.d.ts (the `handoff-engine/react` entry);
// - config/example-firm.json, as JSON and as a typed module (`handoff-engine/example-firm`);
// - npm/README.md, LICENSE-MIT, LICENSE-APACHE, CHANGELOG.md.
// The glue's declarations lose their init section (wasm-bindgen's `initSync` and default
// export, which the package does not export): it names DOM types (`RequestInfo`,
// `BufferSource`, `WebAssembly`), and a project without the DOM lib would not compile against it.
//
// Usage: node scripts/pack.mjs [destination directory]   (default: the repository root)
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const destination = resolve(process.argv[2] ?? repo);
const stage = join(repo, "target/npm-package");
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));

if (!existsSync(join(repo, "pkg/wasm/handoff_engine_bg.wasm"))) {
  console.error("pkg/ is not built: run `npm run build` first.");
  process.exit(1);
}

const firm = readFileSync(join(repo, "config/example-firm.json"), "utf8");
/** Where a file of the package comes from, when not from the same path in the repository. */
const sources = {
  "README.md": "npm/README.md",
  "pkg/react.js": "js/react.js",
  "pkg/react.d.ts": "js/react.d.ts",
  "example-firm.json": "config/example-firm.json",
};
const generated = {
  "example-firm.js": `// The Example Law Firm's configuration (config/example-firm.json in the repository).\nexport default ${firm.trim()};\n`,
  "example-firm.d.ts": `import type { EngineConfig } from "./pkg/index.js";\n/** The Example Law Firm's configuration: its people, Workflow Owners and the Chapter 7 workflow. */\ndeclare const config: EngineConfig;\nexport default config;\n`,
};

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const file of [...manifest.files, "README.md"]) {
  const to = join(stage, file);
  mkdirSync(dirname(to), { recursive: true });
  if (file in generated) writeFileSync(to, generated[file]);
  else cpSync(join(repo, sources[file] ?? file), to, { recursive: true });
}

const glueTypes = join(stage, "pkg/wasm/handoff_engine.d.ts");
const declarations = readFileSync(glueTypes, "utf8");
const initSection = declarations.indexOf("export type InitInput =");
if (initSection < 0) {
  console.error("pkg/wasm/handoff_engine.d.ts has no `export type InitInput`: wasm-bindgen's output changed; update scripts/pack.mjs.");
  process.exit(1);
}
writeFileSync(glueTypes, declarations.slice(0, initSection));

const { scripts, devDependencies, ...published } = manifest;
writeFileSync(join(stage, "package.json"), `${JSON.stringify(published, null, 2)}\n`);

mkdirSync(destination, { recursive: true });
const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", destination], { cwd: stage, encoding: "utf8" });
console.log(join(destination, out.trim().split("\n").pop()));
