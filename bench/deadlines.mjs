// Deadlines (SPEC §11): one scheduler round at a firm's size, against the reference server on
// SQLite on loopback: 100,000 open cases (server/examples/seed.rs --deadlines: the example firm
// with the documents due a day after a case starts), 100 of them started a week ago and so due.
// The server's first round, right after it starts (the catch-up after a restart), ticks them;
// its `HANDOFF_DEBUG=scheduler` line says how many case states it read, how many cases were due
// and ticked, and its time. Beside it: a pull of one case, and a pull of the 100 due cases
// (`caseIds`: the same states read, without deciding or writing them), their times and the
// states they read (`HANDOFF_COUNT_READS=1`). Three runs, each on a fresh copy of the seeded file (each
// start indexes the 100,000 cases first, which the round does not include); the medians.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const CASES = 100_000;
const DUE = 100;
const RUNS = 3;
const READS = 21;
const HEADERS = { Authorization: "Bearer morgan-token", "Content-Type": "application/json" };
const count = (n) => n.toLocaleString("en-US");
const ms = (x) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);
const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The example firm with deadlines: documents due a day after the case starts, the review
 * call's handoff escalating to Paula after a day unclaimed. */
function config(repo) {
  const firm = JSON.parse(readFileSync(join(repo, "config/example-firm.json"), "utf8"));
  const steps = firm.workflows[0].steps;
  steps[0].due = "P1D";
  steps[3].handoff.escalate = { after: "P1D", to: { kind: "member", id: "paula" } };
  return firm;
}

/** The server on `db` (its stderr's scheduler lines collected), once it listens. */
async function start(repo, db, args) {
  const server = spawn(join(repo, "target/release/handoff-server"), ["--db", db, "--addr", "127.0.0.1:0", ...args], {
    cwd: repo,
    env: { ...process.env, HANDOFF_DEBUG: "scheduler", HANDOFF_COUNT_READS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((resolve) => server.on("exit", resolve));
  const rounds = [];
  const waiting = [];
  createInterface({ input: server.stderr }).on("line", (line) => {
    const m = line.match(/^scheduler: round read (\d+) cases \((\d+) due\), (\d+) ticked, ([\d.]+) ms$/);
    if (!m) return process.stderr.write(`${line}\n`);
    rounds.push({ read: Number(m[1]), due: Number(m[2]), ticked: Number(m[3]), time: Number(m[4]) });
    waiting.splice(0).forEach((resolve) => resolve());
  });
  const base = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).on("line", (l) => l.startsWith("listening on ") && resolve(l.slice(13)));
    exited.then((code) => reject(new Error(`the server exited with ${code}`)));
  });
  server.stdout.resume();
  return {
    base,
    /** The first round, once it has run. */
    firstRound: async () => {
      while (rounds.length === 0) await new Promise((resolve) => waiting.push(resolve));
      return rounds[0];
    },
    stop: () => {
      server.kill("SIGTERM");
      return exited;
    },
  };
}

/** A pull of the named cases: its time, the case states it read, the states. */
async function pullNamed(base, caseIds) {
  const started = performance.now();
  const response = await fetch(`${base}/sync/pull`, { method: "POST", headers: HEADERS, body: JSON.stringify({ schemaVersion: 2, clientId: "bench-named", cookie: null, caseIds }) });
  const answer = await response.json();
  const time = performance.now() - started;
  if (!response.ok || answer.cases.length !== caseIds.length) throw new Error(`pull: ${response.status} ${JSON.stringify(answer).slice(0, 200)}`);
  return { time, read: Number(response.headers.get("handoff-states-read")), states: answer.cases };
}

/** Runs the section; adds its rows and budgets through `row` and `budget`. */
export async function deadlines({ repo, row, budget }) {
  execFileSync("cargo", ["build", "--release", "--quiet", "-p", "handoff-server", "--bin", "handoff-server", "--example", "seed"], { cwd: repo, stdio: "inherit" });
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "handoff-deadlines-"));
  let server;
  try {
    const configFile = join(dir, "deadlines.json");
    writeFileSync(configFile, JSON.stringify(config(repo)));
    const template = join(dir, "template.sqlite");
    await (await start(repo, template, ["--config", configFile])).stop();
    const seededFile = join(dir, "seeded.sqlite");
    const seed = join(repo, "target/release/examples/seed");
    const run = spawnSync(seed, ["--template", template, "--deadlines", String(DUE), "--config", configFile, "--cases", String(CASES), "--out", seededFile], { encoding: "utf8" });
    process.stderr.write(run.stderr);
    if (run.status !== 0) throw new Error(`seeding ${CASES} cases failed`);

    const due = Array.from({ length: DUE }, (_, i) => `case-${String(i).padStart(6, "0")}`);
    const rounds = [];
    const pulls = [];
    const pullsOfDue = [];
    let pulled;
    let pulledDue;
    for (let k = 0; k < RUNS; k++) {
      const db = join(dir, `run-${k}.sqlite`);
      copyFileSync(seededFile, db);
      // A day between rounds: only the first, at start, runs while this measures.
      server = await start(repo, db, ["--tick-interval", "86400"]);
      const round = await server.firstRound();
      rounds.push(round);
      for (let i = 0; i < READS; i++) {
        pulled = await pullNamed(server.base, [due[i % DUE]]);
        pulls.push(pulled.time);
        pulledDue = await pullNamed(server.base, due);
        pullsOfDue.push(pulledDue.time);
      }
      const missed = pulledDue.states.find((state) => state.steps.documents.overdue !== true);
      if (missed) throw new Error(`a due case was not ticked: ${missed.caseId}`);
      await server.stop();
      server = undefined;
      rmSync(db, { force: true });
    }
    const round = median(rounds.map((r) => r.time));
    const pull = median(pulls);
    const pullOfDue = median(pullsOfDue);
    const exact = rounds.every((r) => r.read === DUE && r.due === DUE && r.ticked === DUE);
    const readText = [...new Set(rounds.map((r) => `${count(r.read)} read, ${count(r.due)} due, ${count(r.ticked)} ticked`))].join("; ");
    row(
      `scheduler round over ${count(CASES)} open cases, ${DUE} due (SQLite, batches of 100 per transaction, the round at start), median of ${RUNS} runs; beside: a pull of one case, and of the ${DUE} due cases (caseIds), medians of ${READS * RUNS}`,
      `${ms(round)} (${readText}) / ${ms(pull)}, ${count(pulled.read)} read / ${ms(pullOfDue)}, ${count(pulledDue.read)} read`,
    );
    budget(`a scheduler round over ${count(CASES)} open cases reads exactly the ${DUE} due ones, and ticks each`, exact, readText);
    budget(`a scheduler round ticking ${DUE} due cases ≤ 3× a pull of those ${DUE} cases (reading, deciding and writing them against reading them)`, round <= 3 * pullOfDue, `${(round / pullOfDue).toFixed(2)}×`);
    row("the section's own time (deadlines; seeding and three starts included)", `${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
