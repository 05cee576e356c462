// The store at a firm's size (SPEC §14, issue #16), in headless Chromium against the reference
// server on loopback: `dispatch` and `get` on a CaseStore holding 100, 10,000 and 100,000
// cases, and the first sync of 10,000 and 100,000 cases into a fresh store (empty IndexedDB),
// with and without `keepClosed`. The firm's history is seeded straight into the server's SQLite
// file by server/examples/seed.rs (Example Law Firm cases, nine in ten closed), cached under
// target/bench-seed so that a second run does not seed again.
//
// Each store runs in a browser of its own (a persistent profile in a fresh folder: IndexedDB and
// localStorage on disk, as in a real browser, not an incognito context's memory), on a page made
// cross-origin isolated so that `performance.now()` resolves 5 µs rather than 100 µs.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const STORE_SIZES = [100, 10_000, 100_000];
const FIRST_SYNC_SIZES = [10_000, 100_000];
/** One case in this many is open (server/examples/seed.rs), the most recent ones. */
const OPEN_EVERY = 10;
/** Rounds of dispatches on each store, the stores in turn; the first WARM_ROUNDS are not counted. */
const ROUNDS = 30;
const WARM_ROUNDS = 3;
/** Dispatches (and gets) per round, each on another open case; the round then syncs, so that
 * the queue never holds more than this many. */
const PER_ROUND = 10;
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const AUTHORIZATION = { Authorization: "Bearer morgan-token" };
const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const us = (x) => `${(x * 1000).toFixed(0)} µs`;
const s = (x) => `${(x / 1000).toFixed(2)} s`;
/** Milliseconds as µs, ms or s, whichever reads best. */
const time = (x) => (x < 1 ? us(x) : x < 1000 ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : s(x));
const count = (n) => n.toLocaleString("en-US");
const caseId = (index) => `case-${String(index).padStart(6, "0")}`;

/** Starts the server on `db` (with `env` added to this process's environment); resolves to
 * `{ base, stop }`, `stop` resolving once it exited. */
export async function startServer(repo, db, env = {}) {
  const server = spawn(join(repo, "target/release/handoff-server"), ["--db", db, "--addr", "127.0.0.1:0"], { cwd: repo, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => server.on("exit", resolve));
  const base = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).on("line", (l) => l.startsWith("listening on ") && resolve(l.slice(13)));
    exited.then((code) => reject(new Error(`the server exited with ${code}`)));
  });
  server.stdout.resume();
  return {
    base,
    stop: () => {
      server.kill("SIGTERM");
      return exited;
    },
  };
}

/** The seeded file of `cases` cases, and whether it was seeded now (the cache had none for this
 * engine, schema and tool). */
export function seeded(repo, template, cases) {
  const cache = join(repo, "target/bench-seed");
  const seed = join(repo, "target/release/examples/seed");
  const run = spawnSync(seed, ["--template", template, "--cache", cache, "--cases", String(cases)], { encoding: "utf8" });
  process.stderr.write(run.stderr);
  if (run.status !== 0) throw new Error(`seeding ${cases} cases failed`);
  return { file: run.stdout.trim(), now: run.stderr.includes("seeded ") };
}

/** A browser of its own with a fresh profile, on a cross-origin isolated page of `base`. */
async function openBrowser(dir, base, config) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(dir, "profile-")), { executablePath: "/usr/bin/chromium", args: ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  await isolated(page, `${base}/scale-bench.html`, () => page.goto(`${base}/scale-bench.html`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  await setUp(page, config);
  return { context, page, cdp };
}

/** Loads (`load`: goes to or reloads) the page `url`, an empty document of the server's origin
 * served cross-origin isolated; the interception ends once it is there, so that the pulls go
 * straight to the server. */
async function isolated(page, url, load) {
  const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
  await page.route(url, (route) => route.fulfill({ contentType: "text/html", headers, body: "<!doctype html><title>scale</title>" }));
  await load();
  await page.unroute(url);
}

/** Loads the package on the page, and an engine of the firm's configuration. */
async function setUp(page, config) {
  const isolated = await page.evaluate(async (config) => {
    const pkg = await import("/pkg/index.js");
    await pkg.init();
    // The module's exports (wasm-bindgen's init answers them once loaded): its linear memory.
    const wasm = await (await import("/pkg/wasm/handoff_engine.js")).default();
    window.bench = { pkg, wasm, engine: new pkg.Engine(config) };
    return globalThis.crossOriginIsolated;
  }, config);
  if (!isolated) throw new Error("the bench page is not cross-origin isolated");
}

/** The page's memory, after a full garbage collection (CDP): the JS heap in use
 * (`Runtime.getHeapUsage`) and its size (`Performance.getMetrics`' JSHeapTotalSize), and the
 * wasm module's linear memory (`memory.buffer.byteLength`, which never shrinks: its high-water
 * mark, what the module holds at most). */
async function memory({ page, cdp }) {
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const total = metrics.find((m) => m.name === "JSHeapTotalSize")?.value;
  const wasm = await page.evaluate(() => window.bench.wasm.memory.buffer.byteLength);
  return { heap: usedSize, heapTotal: total, wasm };
}

/** A fresh store's first sync, timed from `sync()` to its end; its pulls' sizes from Resource
 * Timing (nothing wraps fetch); the store stays on the page as `window.bench.store`. */
function firstSync(page, baseUrl, keepClosed) {
  return page.evaluate(
    async ({ baseUrl, keepClosed, headers }) => {
      const { pkg, engine } = window.bench;
      performance.setResourceTimingBufferSize(100_000);
      performance.clearResourceTimings();
      const store = new pkg.CaseStore(engine, { baseUrl, headers, storage: "local", keepClosed });
      const made = performance.now();
      await store.ready;
      const ready = performance.now() - made;
      const started = performance.now();
      const result = await store.sync();
      const time = performance.now() - started;
      const pulls = performance.getEntriesByType("resource").filter((entry) => entry.name.endsWith("/sync/pull"));
      window.bench.store = store;
      return {
        ready,
        time,
        result,
        pages: pulls.length,
        peak: Math.max(...pulls.map((entry) => entry.decodedBodySize)),
        total: pulls.reduce((sum, entry) => sum + entry.decodedBodySize, 0),
        storageError: store.storageError,
      };
    },
    { baseUrl, keepClosed, headers: AUTHORIZATION },
  );
}

/** `list()` of every case the store holds, timed: how many, and how long. */
function list(page) {
  return page.evaluate(() => {
    const started = performance.now();
    const held = window.bench.store.list().length;
    return { held, time: performance.now() - started };
  });
}

/** After a reload (the page's second life, its IndexedDB and localStorage as the first left
 * them): a new store's `ready`, timed, and whether it took back the kept cases (`first`, a closed
 * one, and `last`, an open one) under the client id it had. */
function reloaded(page, baseUrl, clientId, first, last) {
  return page.evaluate(
    async ({ baseUrl, headers, clientId, first, last }) => {
      const { pkg, engine } = window.bench;
      const started = performance.now();
      const store = new pkg.CaseStore(engine, { baseUrl, headers, storage: "local", keepClosed: true });
      await store.ready;
      const time = performance.now() - started;
      return { time, sameClient: store.clientId === clientId, restored: store.get(first) !== null && store.get(last) !== null };
    },
    { baseUrl, headers: AUTHORIZATION, clientId, first, last },
  );
}

/** The baseline beside a first sync: the same pages pulled by plain `fetch` as a new client
 * and `JSON.parse`d, nothing kept; the whole, and the parsing alone. */
function plainPull(page, baseUrl, schemaVersion) {
  return page.evaluate(
    async ({ baseUrl, headers, schemaVersion }) => {
      const clientId = `bench-${crypto.randomUUID()}`;
      let cookie = null;
      let more = true;
      let parse = 0;
      let pages = 0;
      const started = performance.now();
      while (more) {
        const response = await fetch(`${baseUrl}/pull`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify({ schemaVersion, clientId, cookie }) });
        const text = await response.text();
        const before = performance.now();
        const body = JSON.parse(text);
        parse += performance.now() - before;
        ({ cookie, more } = body);
        pages += 1;
      }
      return { time: performance.now() - started, parse, pages };
    },
    { baseUrl, headers: AUTHORIZATION, schemaVersion },
  );
}

/** One round on a store: `get` of each case, then a `dispatch` on each (a transfer by the
 * admin, which applies to any open case), each timed alone; beside them, timed alone too, what a
 * dispatch is made of: `engine.execute` of the same command on the same state (by value), and the
 * two `localStorage.setItem`s of a queue save, of the texts the store saved, in order. Then a
 * sync, untimed, so that the queue is empty again; then a dispatch on each case once more with
 * `localStorage.setItem` a no-op (what the queue's writes cost a dispatch, by difference), and a
 * sync again. */
function round(page, ids) {
  return page.evaluate(async (ids) => {
    const { store, engine } = window.bench;
    const ctx = { actor: { kind: "member", id: "morgan" }, at: new Date().toISOString() };
    const times = { get: [], dispatch: [], execute: [], save: [], unsaved: [] };
    const states = [];
    for (const id of ids) {
      const started = performance.now();
      const state = store.get(id);
      times.get.push(performance.now() - started);
      if (state === null || state.closed) throw new Error(`${id} is not an open case of the store`);
      states.push(state);
    }
    const transfer = (state) => ({ type: "transferOwnership", to: { kind: "member", id: state.owner.id === "paula" ? "dana" : "paula" }, reason: "Covering while Paula is away" });
    const commands = states.map(transfer);
    const key = Object.keys(localStorage).find((k) => k.endsWith(`/${store.clientId}`));
    const queues = [];
    ids.forEach((id, k) => {
      const started = performance.now();
      store.dispatch(id, commands[k], ctx);
      times.dispatch.push(performance.now() - started);
      queues.push(localStorage.getItem(key));
    });
    ids.forEach((id, k) => {
      const started = performance.now();
      engine.execute(states[k], commands[k], ctx);
      times.execute.push(performance.now() - started);
    });
    // The queue's texts as the store saved them, one mutation longer each time (an unchanged
    // value costs localStorage nothing), each made anew by TextDecoder as wasm-bindgen makes the
    // one `save()` returns, written again in order under the store's own keys with the client
    // id, as the store writes both: the last is the queue as it is.
    const current = key.slice(0, -(store.clientId.length + 1));
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    queues.map((queue) => decoder.decode(encoder.encode(queue))).forEach((queue) => {
      const started = performance.now();
      localStorage.setItem(current, store.clientId);
      localStorage.setItem(key, queue);
      times.save.push(performance.now() - started);
    });
    await store.sync();
    if (store.pendingCount !== 0) throw new Error("the round's mutations were not all confirmed");
    const again = ids.map((id) => transfer(store.get(id)));
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function () {};
    try {
      ids.forEach((id, k) => {
        const started = performance.now();
        store.dispatch(id, again[k], ctx);
        times.unsaved.push(performance.now() - started);
      });
    } finally {
      Storage.prototype.setItem = setItem;
    }
    await store.sync();
    if (store.pendingCount !== 0) throw new Error("the round's mutations were not all confirmed");
    return { ...times, queueBytes: queues.at(-1).length };
  }, ids);
}

function median(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs the section; adds its rows and budgets through `row` and `budget`. */
export async function scale({ repo, row, budget }) {
  const started = performance.now();
  execFileSync("cargo", ["build", "--release", "--quiet", "-p", "handoff-server", "--bin", "handoff-server", "--example", "seed"], { cwd: repo, stdio: "inherit" });
  const config = JSON.parse(readFileSync(join(repo, "config/example-firm.json"), "utf8"));
  const schemaVersion = Number(readFileSync(join(repo, "src/sync/wire.rs"), "utf8").match(/pub const SCHEMA_VERSION: u32 = (\d+);/)[1]);
  const dir = mkdtempSync(join(tmpdir(), "handoff-scale-"));
  const servers = [];
  const browsers = [];
  const sizes = STORE_SIZES.map(count).join(" / ");
  const closedShare = `${100 - 100 / OPEN_EVERY} % closed`;
  try {
    // The server's own schema: it migrates an empty file, and stops.
    const template = join(dir, "template.sqlite");
    await (await startServer(repo, template)).stop();
    const seedStarted = performance.now();
    const files = Object.fromEntries(STORE_SIZES.map((n) => [n, seeded(repo, template, n)]));
    const seedTime = performance.now() - seedStarted;
    // One server per size, each on a copy (the rounds push to it).
    const bases = {};
    for (const n of STORE_SIZES) {
      const db = join(dir, `${n}.sqlite`);
      copyFileSync(files[n].file, db);
      const server = await startServer(repo, db);
      servers.push(server);
      bases[n] = server.base;
    }
    const fresh = STORE_SIZES.filter((n) => files[n].now);
    row(
      "store at a firm's size: the seeded databases (server/examples/seed.rs)",
      `${sizes} Example Law Firm cases, ${closedShare}; ${fresh.length ? `seeded now (${fresh.map(count).join(", ")}): ${s(seedTime)}` : `from the cache (target/bench-seed): ${s(seedTime)}`}`,
    );

    const firsts = {};
    /** A fresh store's first sync of `n` cases, and its figures; the browser is left open. */
    const measureFirst = async (n, keepClosed) => {
      const browser = await openBrowser(dir, bases[n], config);
      browsers.push(browser);
      const before = await memory(browser);
      const sync = await firstSync(browser.page, `${bases[n]}/sync`, keepClosed);
      if (sync.storageError) throw new Error(`first sync of ${n}: ${sync.storageError.message}`);
      const after = await memory(browser);
      const listed = await list(browser.page);
      const expected = keepClosed ? n : n / OPEN_EVERY;
      if (listed.held !== expected) throw new Error(`the store holds ${listed.held} cases, not ${expected}`);
      const plain = await plainPull(browser.page, `${bases[n]}/sync`, schemaVersion);
      firsts[`${n}/${keepClosed}`] = { sync, before, after, listed, plain };
      return browser;
    };
    for (const n of FIRST_SYNC_SIZES) {
      const browser = await measureFirst(n, false);
      browsers.splice(browsers.indexOf(browser), 1);
      await browser.context.close();
    }
    const stores = {};
    for (const n of STORE_SIZES) stores[n] = await measureFirst(n, true);
    for (const n of FIRST_SYNC_SIZES) {
      for (const keepClosed of [false, true]) {
        const { sync, before, after, listed, plain } = firsts[`${n}/${keepClosed}`];
        row(
          `first sync of ${count(n)} cases (${closedShare}), keepClosed ${keepClosed}: a fresh store, empty IndexedDB; beside: the same pages by plain fetch + JSON.parse, nothing kept`,
          `${s(sync.time)} for ${count(sync.result.pulled)} cases in ${sync.pages} pages (plain: ${s(plain.time)}, JSON.parse ${s(plain.parse)} of it; ${(sync.time / plain.time).toFixed(1)}×); peak response ${count(sync.peak)} bytes, ${MB(sync.total)} in all; store.ready before it ${time(sync.ready)}`,
        );
        row(
          `memory after that sync (${count(listed.held)} cases kept), after a full GC: JS heap in use (of the heap's size) / wasm linear memory (its high-water mark); beside: the same before the sync`,
          `${MB(after.heap)} (of ${MB(after.heapTotal)}) / ${MB(after.wasm)}; before: ${MB(before.heap)} (of ${MB(before.heapTotal)}) / ${MB(before.wasm)}`,
        );
      }
    }
    row(
      `list() of every case (keepClosed true: ${sizes} cases), once; it costs the firm by nature`,
      STORE_SIZES.map((n) => time(firsts[`${n}/true`].listed.time)).join(" / "),
    );

    // Rounds on the three stores in turn, so that the machine's drift weighs on each alike.
    const keys = ["get", "dispatch", "execute", "save", "unsaved"];
    const timed = Object.fromEntries(STORE_SIZES.map((n) => [n, { ...Object.fromEntries(keys.map((key) => [key, []])), queueBytes: 0 }]));
    for (let r = 0; r < WARM_ROUNDS + ROUNDS; r++) {
      for (const n of STORE_SIZES) {
        const open = n / OPEN_EVERY;
        const ids = Array.from({ length: PER_ROUND }, (_, k) => caseId(n - open + ((r * PER_ROUND + k) % open)));
        const figures = await round(stores[n].page, ids);
        if (r < WARM_ROUNDS) continue;
        for (const key of keys) timed[n][key].push(...figures[key]);
        timed[n].queueBytes = Math.max(timed[n].queueBytes, figures.queueBytes);
      }
    }
    const m = Object.fromEntries(STORE_SIZES.map((n) => [n, Object.fromEntries(keys.map((key) => [key, median(timed[n][key])]))]));
    const each = (key) => STORE_SIZES.map((n) => us(m[n][key])).join(" / ");
    const dispatches = STORE_SIZES.map((n) => m[n].dispatch);
    const spread = Math.max(...dispatches) / Math.min(...dispatches);
    row(
      `dispatch (a transfer by the admin, the queue saved to localStorage) on a store holding ${sizes} cases (keepClosed true), median of ${ROUNDS * PER_ROUND} each`,
      `${each("dispatch")} (max/min ${spread.toFixed(2)}×)`,
    );
    row(`the same dispatch with localStorage.setItem a no-op (what the queue's two writes cost it, by difference), ${sizes} cases`, each("unsaved"));
    row(`beside: engine.execute of the same command on the same state, by value, ${sizes} cases`, each("execute"));
    row(
      `beside: the queue save's two localStorage.setItem timed alone (the store's texts, a queue of 1 to ${PER_ROUND} mutations, up to ${count(timed[100_000].queueBytes)} bytes), ${sizes} cases`,
      each("save"),
    );
    row(`get (one case as the user sees it) on a store holding ${sizes} cases, median of ${ROUNDS * PER_ROUND} each`, each("get"));
    budget("dispatch at 100,000 cases ≤ 1 ms (Chromium, the queue saved to localStorage)", m[100_000].dispatch <= 1, us(m[100_000].dispatch));
    budget(`dispatch at ${sizes} cases within 2× of each other (max/min)`, spread <= 2, `${spread.toFixed(2)}×`);

    // A reload of each store's page: what a returning user waits for before the first sync.
    const again = {};
    for (const n of STORE_SIZES) {
      const { page } = stores[n];
      const clientId = await page.evaluate(() => window.bench.store.clientId);
      await isolated(page, page.url(), () => page.reload());
      await setUp(page, config);
      again[n] = await reloaded(page, `${bases[n]}/sync`, clientId, caseId(0), caseId(n - 1));
      if (!again[n].sameClient) throw new Error(`after the reload the store of ${n} cases forked to a new client id`);
    }
    row(
      `after a reload, keepClosed true (${sizes} cases kept in IndexedDB): store.ready, and whether the kept cases came back`,
      STORE_SIZES.map((n) => `${time(again[n].time)} ${again[n].restored ? "restored" : "NOT restored (the next sync pulls every case again)"}`).join(" / "),
    );
    row("the section's own time (store at a firm's size)", s(performance.now() - started));
  } finally {
    for (const browser of browsers) await browser.context.close().catch(() => {});
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
