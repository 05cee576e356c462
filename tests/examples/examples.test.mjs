// The examples against the freshly packed package: each built as its README says, served, and
// opened in headless Chromium with no console error; the Node service started and asked. Run by
// scripts/test-examples.sh, which installs each example (cached) and the tarball over it, and
// passes their directories as HANDOFF_EXAMPLE_<NAME>.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { launch } from "../browser/harness.mjs";

const dirOf = (name) => {
  const dir = process.env[`HANDOFF_EXAMPLE_${name.toUpperCase().replace("-", "_")}`];
  assert.ok(dir, `HANDOFF_EXAMPLE_${name} names the installed example`);
  return dir;
};
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", FORCE_COLOR: "0" };
// A `node --test` started from this one would otherwise report to it and exit 0 whatever failed.
delete env.NODE_TEST_CONTEXT;
const children = new Set();
let browser;

test.before(async () => {
  browser = await launch();
});
test.after(async () => {
  for (const child of children) child.kill("SIGTERM");
  await browser?.close();
});

/** Runs a command to its end; resolves to its output, rejects with it when it fails. */
function run(cwd, command, args, { expectFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => ((code === 0) !== expectFailure ? resolve(output) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`))));
  });
}

/** Starts a long-running command; resolves once its output matches `ready`, with a stop(). */
function start(cwd, command, args, ready, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...env, ...extraEnv }, detached: true });
    children.add(child);
    let output = "";
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.on("exit", done);
        process.kill(-child.pid, "SIGTERM");
      }).then(() => children.delete(child));
    const watch = (d) => {
      output += d;
      if (ready.test(output)) resolve({ stop, output: () => output });
    };
    child.stdout.on("data", watch);
    child.stderr.on("data", watch);
    child.on("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited with ${code} before it was ready:\n${output}`)));
  });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
/** A static server for a built example. */
async function serveStatic(root) {
  const server = createServer((request, response) => {
    const path = normalize(join(root, decodeURIComponent(new URL(request.url, "http://x").pathname)));
    try {
      const file = statSync(path).isDirectory() ? join(path, "index.html") : path;
      response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
      response.end(readFileSync(file));
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, stop: () => new Promise((resolve) => server.close(resolve)) };
}

/** Opens `url`, runs `check(page)`, and fails on any console error, page error or failed request. */
async function openPage(url, check) {
  const page = await browser.newPage();
  const problems = [];
  page.on("console", (message) => message.type() === "error" && problems.push(`console: ${message.text()}`));
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  page.on("response", (response) => response.status() >= 400 && problems.push(`HTTP ${response.status()}: ${response.url()}`));
  try {
    await page.goto(url);
    await check(page).catch((error) => {
      throw new Error(`${url}: ${error.message}\n${problems.join("\n")}`);
    });
    assert.deepEqual(problems, [], `${url}:\n${problems.join("\n")}`);
  } finally {
    await page.close();
  }
  return problems;
}

const text = (page, selector, pattern) => page.waitForFunction(([s, p]) => new RegExp(p).test(document.querySelector(s)?.textContent ?? ""), [selector, pattern.source], { timeout: 20_000 });

async function checkVitePage(page) {
  await text(page, "#verdict", /^valid/);
  await text(page, "#timeline", /review-call: role paralegal/);
  await text(page, "#buttons", /claim: true/);
}

test("Vite: the dev server, with optimizeDeps.exclude", async () => {
  const dir = dirOf("vite-ts");
  const port = await freePort();
  const server = await start(dir, "node_modules/.bin/vite", ["--port", String(port), "--strictPort", "--host", "127.0.0.1", "--force"], /ready in/);
  try {
    await openPage(`http://127.0.0.1:${port}/`, checkVitePage);
  } finally {
    await server.stop();
  }
});

test("Vite: the dev server without optimizeDeps.exclude says what to add", async () => {
  const dir = dirOf("vite-ts");
  writeFileSync(join(dir, "vite.bare.config.mjs"), "export default {};\n");
  const port = await freePort();
  const server = await start(dir, "node_modules/.bin/vite", ["--config", "vite.bare.config.mjs", "--port", String(port), "--strictPort", "--host", "127.0.0.1", "--force"], /ready in/);
  const page = await browser.newPage();
  try {
    const failed = page.waitForEvent("pageerror", { timeout: 30_000 });
    await page.goto(`http://127.0.0.1:${port}/`);
    const error = await failed;
    assert.match(error.message, /init\(\) fetched http:\/\/127\.0\.0\.1:\d+\/node_modules\/\.vite\/deps\/.*handoff_engine_bg\.wasm and got text\/html/);
    assert.match(error.message, /optimizeDeps: \{ exclude: \["handoff-engine"\] \}/);
  } finally {
    await page.close();
    await server.stop();
  }
});

test("Vite: vite build (with tsc), then vite preview", async () => {
  const dir = dirOf("vite-ts");
  const output = await run(dir, "npm", ["run", "build"]);
  console.log(output.split("\n").filter((line) => line.includes("dist/")).join("\n"));
  const port = await freePort();
  const server = await start(dir, "node_modules/.bin/vite", ["preview", "--port", String(port), "--strictPort", "--host", "127.0.0.1"], /Local/);
  try {
    await openPage(`http://127.0.0.1:${port}/`, checkVitePage);
  } finally {
    await server.stop();
  }
});

test("webpack 5 without configuration", async () => {
  const dir = dirOf("webpack");
  const output = await run(dir, "npm", ["run", "build"]);
  console.log(output.split("\n").filter((line) => /^\s*(asset|\S+\.(js|wasm)) /.test(line) || /\.(js|wasm) \(/.test(line)).join("\n"));
  const server = await serveStatic(dir);
  try {
    await openPage(server.url, async (page) => {
      await text(page, "#verdict", /^valid$/);
      await text(page, "#timeline", /review-call: paralegal/);
    });
  } finally {
    await server.stop();
  }
});

for (const bundler of ["turbopack", "webpack"]) {
  test(`Next.js 16 (${bundler}): a client page validates an edit, a route handler decides on the server`, async () => {
    const dir = dirOf("nextjs");
    await run(dir, "node_modules/.bin/next", bundler === "webpack" ? ["build", "--webpack"] : ["build"]);
    const port = await freePort();
    const server = await start(dir, "node_modules/.bin/next", ["start", "--port", String(port), "--hostname", "127.0.0.1"], /Ready in/);
    try {
      await openPage(`http://127.0.0.1:${port}/`, async (page) => {
        await text(page, "#verdict", /^valid$/);
        await page.getByText("Break a handoff").click();
        await text(page, "#diagnostics", /unknown-party/);
        await page.getByText("Start a case on the server").click();
        await text(page, "#server", /^smith-2026: owned by team documents; may claim/);
      });
    } finally {
      await server.stop();
    }
  });
}

test("React hooks with React's test renderer, in the Next.js example's install", async () => {
  const dir = dirOf("nextjs");
  writeFileSync(join(dir, "react.test.mjs"), readFileSync(new URL("../js/react.test.mjs", import.meta.url)));
  await run(dir, process.execPath, ["--test", "react.test.mjs"]);
});

test("a bundled Node service (esbuild and webpack target node) that imports only Engine", async () => {
  const dir = dirOf("node-service");
  console.log((await run(dir, "npm", ["run", "build"])).split("\n").filter((line) => line.startsWith("asset")).join("\n"));
  for (const bundle of ["dist/esbuild/server.mjs", "dist/webpack/server.mjs"]) {
    const server = await start(dir, process.execPath, [bundle], /^listening on (http:\/\/[\d.:]+)$/m, { PORT: "0" });
    try {
      const base = server.output().match(/^listening on (http:\/\/[\d.:]+)$/m)[1];
      assert.deepEqual(await (await fetch(`${base}/health`)).json(), { ok: true }, bundle);
      const started = await fetch(`${base}/decide`, { method: "POST", body: JSON.stringify({ command: { caseId: "c-1", workflowId: "chapter-7" }, actor: { kind: "member", id: "dana" } }) });
      const { state } = await started.json();
      const claimed = await fetch(`${base}/decide`, { method: "POST", body: JSON.stringify({ state, command: { type: "claim" }, actor: { kind: "member", id: "dana" } }) });
      assert.deepEqual((await claimed.json()).state.owner, { kind: "member", id: "dana" }, bundle);
      const refused = await fetch(`${base}/decide`, { method: "POST", body: JSON.stringify({ state, command: { type: "completeStep", stepId: "petition" }, actor: { kind: "member", id: "dana" } }) });
      assert.equal(refused.status, 422, bundle);
    } finally {
      await server.stop();
    }
  }
});

test("the esbuild bundle deployed without its .wasm stops at start and says what to do", async () => {
  const dir = dirOf("node-service");
  const away = mkdtempSync(join(tmpdir(), "handoff-bundle-"));
  try {
    // Only the bundle, run from elsewhere: no .wasm beside it, no node_modules to fall back on.
    writeFileSync(join(away, "server.mjs"), readFileSync(join(dir, "dist/esbuild/server.mjs")));
    const output = await run(away, process.execPath, ["server.mjs"], { expectFailure: true });
    assert.match(output, /HandoffError: handoff-engine could not read its WebAssembly at .*\/wasm\/handoff_engine_bg\.wasm \(ENOENT\)/);
    assert.match(output, /--external:handoff-engine/);
  } finally {
    rmSync(away, { recursive: true, force: true });
  }
});
