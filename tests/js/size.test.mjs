// The shipped .wasm stays small: a regression above the budget fails the suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";

// The second release (SPEC §8–§14) must fit in 135 KiB, each issue within its own allowance.
const BUDGET = 135 * 1024;

test(`the .wasm is at most ${BUDGET / 1024} KiB gzipped`, () => {
  const dir = createRequire(import.meta.url).resolve("handoff-engine/package.json").replace(/package\.json$/, "");
  const wasm = readFileSync(`${dir}pkg/wasm/handoff_engine_bg.wasm`);
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  console.log(`handoff_engine_bg.wasm: ${wasm.length} bytes raw, ${gzipped} bytes gzipped`);
  assert.ok(gzipped <= BUDGET, `${gzipped} bytes gzipped is over the budget of ${BUDGET}`);
});

test("the package ships one .wasm and nothing it does not need", async () => {
  const { readdirSync } = await import("node:fs");
  const dir = createRequire(import.meta.url).resolve("handoff-engine/package.json").replace(/package\.json$/, "");
  const files = readdirSync(dir, { recursive: true }).filter((f) => !f.endsWith("/") && f.includes("."));
  assert.equal(files.filter((f) => f.endsWith(".wasm")).length, 1);
  assert.ok(!files.some((f) => f.startsWith("src") || f.startsWith("target") || f.endsWith(".rs")), files.join(" "));
});
