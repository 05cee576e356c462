// Running cases through change (SPEC §10, issue #18), against the reference server on SQLite on
// loopback, at a firm's size: the 100,000 Example Law Firm cases of server/examples/seed.rs
// (nine in ten closed; cached under target/bench-seed, shared with bench/scale.mjs).
//
// - `GET /sync/stuck` with 50 of the cases stuck (owned by a member the bench adds, hands the
//   cases to, and deactivates, each through the server), timed beside a pull of one case, and
//   how many case states each read (the server's `handoff-states-read`, on with
//   `HANDOFF_COUNT_READS=1`);
// - `POST /sync/migrate` of the 10,000 open cases onto a version 2 the bench publishes, in
//   cases per second, beside single-mutation `transferOwnership` pushes per second to the same
//   server in the same run.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seeded, startServer } from "./scale.mjs";

const CASES = 100_000;
/** One case in this many is open (server/examples/seed.rs), the most recent ones. */
const OPEN_EVERY = 10;
const STUCK = 50;
const READS = 21;
const PUSHES = 300;
const ADMIN = { Authorization: "Bearer morgan-token", "Content-Type": "application/json" };
const caseId = (index) => `case-${String(index).padStart(6, "0")}`;
const count = (n) => n.toLocaleString("en-US");
const ms = (x) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);

function median(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A request to the server: its body as JSON, the case states it read, and its time. */
async function call(base, path, body) {
  const started = performance.now();
  const response = await fetch(`${base}/sync${path}`, body === undefined ? { headers: ADMIN } : { method: "POST", headers: ADMIN, body: JSON.stringify(body) });
  const answer = await response.json();
  const time = performance.now() - started;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  const read = response.headers.get("handoff-states-read");
  if (read === null) throw new Error(`${path}: the server did not say how many case states it read`);
  return { answer, read: Number(read), time };
}

/** The configuration in use, and a change of it (with `edit` applied to a copy) through the server. */
async function change(base, edit) {
  const { answer: config } = await call(base, "/config");
  const { configVersion, ...current } = config;
  const changed = edit(structuredClone(current));
  return call(base, "/config/change", { baseConfigVersion: configVersion, reason: "bench", ...changed });
}

/** Runs the section; adds its rows and budgets through `row` and `budget`. */
export async function running({ repo, row, budget }) {
  execFileSync("cargo", ["build", "--release", "--quiet", "-p", "handoff-server", "--bin", "handoff-server", "--example", "seed"], { cwd: repo, stdio: "inherit" });
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "handoff-running-"));
  let server;
  try {
    const template = join(dir, "template.sqlite");
    await (await startServer(repo, template)).stop();
    const { file } = seeded(repo, template, CASES);
    const db = join(dir, "running.sqlite");
    copyFileSync(file, db);
    const starting = performance.now();
    server = await startServer(repo, db, { HANDOFF_COUNT_READS: "1" });
    const startTime = performance.now() - starting;
    const { base } = server;
    row(`running cases: the server's first start on ${count(CASES)} seeded cases (${count(CASES / OPEN_EVERY)} open), indexing them once`, ms(startTime));

    // 50 stuck cases: a member added, handed 50 open cases, and deactivated.
    const quinn = { id: "quinn", name: "Quinn Bench" };
    await change(base, ({ directory }) => ({ directory: { ...directory, members: [...directory.members, quinn] } }));
    const firstOpen = CASES - CASES / OPEN_EVERY;
    const handed = Array.from({ length: STUCK }, (_, k) => caseId(firstOpen + k * 100));
    const transfer = (id, k, to) => ({ id: k, caseId: id, kind: "command", command: { type: "transferOwnership", to: { kind: "member", id: to }, reason: "bench" }, at: new Date().toISOString() });
    const { answer: pushed } = await call(base, "/push", { schemaVersion: 2, clientId: "bench-handed", mutations: handed.map((id, k) => transfer(id, k + 1, "quinn")) });
    if (pushed.results.some((r) => r.status !== "applied")) throw new Error(`handing cases to quinn: ${JSON.stringify(pushed.results)}`);
    const deactivation = await change(base, ({ directory }) => ({ directory: { ...directory, members: directory.members.map((m) => (m.id === "quinn" ? { ...m, active: false } : m)) } }));
    row(`running cases: a configuration change (a member deactivated) with ${count(CASES)} cases, ${count(CASES / OPEN_EVERY)} open; the open cases' states it read`, `${ms(deactivation.time)}; ${count(deactivation.read)} states`);

    const stuckTimes = [];
    const pullTimes = [];
    let stuck;
    let pulled;
    for (let i = 0; i < READS; i++) {
      stuck = await call(base, "/stuck");
      stuckTimes.push(stuck.time);
      pulled = await call(base, "/pull", { schemaVersion: 2, clientId: "bench-one", cookie: null, caseIds: [handed[i % STUCK]] });
      pullTimes.push(pulled.time);
    }
    const stuckCases = new Set(stuck.answer.stuck.map((s) => s.caseId));
    if (stuckCases.size !== STUCK) throw new Error(`${stuckCases.size} stuck cases, not ${STUCK}: ${JSON.stringify(stuck.answer.stuck.slice(0, 3))}`);
    row(
      `GET /sync/stuck, ${count(CASES)} cases of which ${STUCK} stuck (${stuck.answer.stuck.length} findings), median of ${READS}; beside: a pull of one case (caseIds), the same`,
      `${ms(median(stuckTimes))}, ${count(stuck.read)} case states read / ${ms(median(pullTimes))}, ${count(pulled.read)} read`,
    );
    budget(`GET /sync/stuck reads no case state (${count(CASES)} cases, ${STUCK} stuck)`, stuck.read === 0, `${count(stuck.read)} states`);

    // Migration of every open case onto a version 2, beside single pushes in the same run.
    await change(base, ({ workflows }) => {
      const v2 = structuredClone(workflows.find((w) => w.id === "chapter-7" && w.version === 1));
      v2.version = 2;
      v2.steps.push({ id: "archive", name: "Archive the file" });
      return { publish: [v2] };
    });
    const pushStarted = performance.now();
    for (let k = 0; k < PUSHES; k++) {
      const id = caseId(firstOpen + STUCK * 100 + k);
      const { answer } = await call(base, "/push", { schemaVersion: 2, clientId: "bench-single", mutations: [transfer(id, k + 1, k % 2 ? "paula" : "dana")] });
      if (answer.results[0].status !== "applied") throw new Error(`push: ${JSON.stringify(answer)}`);
    }
    const pushRate = PUSHES / ((performance.now() - pushStarted) / 1000);
    const migrated = await call(base, "/migrate", { workflowId: "chapter-7", fromVersion: 1, toVersion: 2, reason: "bench" });
    const applied = migrated.answer.results.filter((r) => r.status === "applied").length;
    if (applied !== CASES / OPEN_EVERY) throw new Error(`migrated ${applied} cases, not ${CASES / OPEN_EVERY}: ${JSON.stringify(migrated.answer.results.find((r) => r.status !== "applied"))}`);
    const migrateRate = applied / (migrated.time / 1000);
    row(
      `POST /sync/migrate of ${count(applied)} open cases (SQLite, one request, batches of 200 cases per transaction); beside: single-mutation transferOwnership pushes, ${PUSHES} in turn, same server and run`,
      `${count(Math.round(migrateRate))} cases/s (${ms(migrated.time)}, ${count(migrated.read)} states read) / ${count(Math.round(pushRate))} pushes/s`,
    );
    const { answer: again } = await call(base, "/migrate", { workflowId: "chapter-7", fromVersion: 1, toVersion: 2, reason: "bench" });
    if (again.results.length !== 0) throw new Error(`a second migration found ${again.results.length} cases`);
    row("the section's own time (running cases through change; once built, the seed cached)", `${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
