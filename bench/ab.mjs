// A/B of two built packages: `node bench/ab.mjs <pkg-A> <pkg-B> [<bench-pkg-A> <bench-pkg-B>]`,
// each a directory holding what `scripts/build.sh` writes to pkg/ (the bench pair, built with
// `scripts/build.sh --bench` into target/bench-pkg, adds the decide timed inside the module).
// Prints one table: validateWorkflow (50, 500, 2,000 steps; object and JSON text), a command
// through a CaseHandle and by value, and the decide, for A and B, and B / A. Not part of `npm test`.
//
// This machine's speed drifts by more than the few per cent a change is judged by, between runs
// and within one: so both packages are loaded into one process and timed in rounds that
// alternate A and B (which goes first alternates too), each ratio being the median of the
// rounds' ratios. The package loaded first can run a little faster for reasons of its own (a few
// per cent here, on the same bytes), so the rounds are run twice, in two processes that load the
// two in opposite orders, and pooled. Each process is pinned to one CPU, as `npm run bench` is.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import * as workload from "./workload.mjs";

// AB_ROUNDS=n for more rounds in each of the two processes.
const ROUNDS = Number(process.env.AB_ROUNDS ?? 11);
const SIZES = [50, 500, 2000];
const DECIDE_STEPS = 50;

const [mode, ...args] = process.argv.slice(2);
if (mode === "--rounds") {
  // One of the two processes: `--rounds <first> <dirA> <dirB> [<benchA> <benchB>]`, where
  // <first> is "A" or "B", the package to load first. Prints its rounds as JSON.
  console.log(JSON.stringify(await rounds(args[0], args.slice(1))));
} else {
  main(process.argv.slice(2));
}

function main(dirs) {
  if (dirs.length !== 2 && dirs.length !== 4) {
    console.error("usage: node bench/ab.mjs <pkg-A> <pkg-B> [<bench-pkg-A> <bench-pkg-B>]");
    process.exit(2);
  }
  const absolute = dirs.map((dir) => resolve(dir));
  const script = fileURLToPath(import.meta.url);
  const runs = ["A", "B"].map((first) =>
    JSON.parse(execFileSync(process.execPath, [script, "--rounds", first, ...absolute], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })),
  );
  const ms = (x) => (x < 0.01 ? `${(x * 1000).toFixed(2)} µs` : x < 1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(3)} ms`);
  const [sizeA, sizeB] = absolute.slice(0, 2).map(gzipped);
  console.log(`A: ${absolute[0]}\nB: ${absolute[1]}${absolute[2] ? `\nbench A: ${absolute[2]}\nbench B: ${absolute[3]}` : ""}`);
  console.log(`medians of ${2 * ROUNDS} rounds (${ROUNDS} with A loaded first, ${ROUNDS} with B)\n`);
  console.log("| what | A | B | B / A |\n|---|---|---|---|");
  console.log(`| .wasm, gzip -9 | ${sizeA} bytes | ${sizeB} bytes | ${(sizeB / sizeA).toFixed(3)} |`);
  for (const what of Object.keys(runs[0])) {
    const pooled = (key) => runs.flatMap((run) => run[what][key]);
    const [a, b] = [pooled("a"), pooled("b")];
    const ratio = workload.middle(a.map((x, i) => b[i] / x));
    console.log(`| ${what} | ${ms(workload.middle(a))} | ${ms(workload.middle(b))} | ${ratio.toFixed(3)} |`);
  }
}

/** The .wasm's size as `gzip -9 -c … | wc -c` gives it (zlib's level 9 differs by a few bytes). */
function gzipped(dir) {
  const file = resolve(dir, "wasm/handoff_engine_bg.wasm");
  try {
    return execFileSync("gzip", ["-9", "-c", file], { maxBuffer: 1 << 26 }).length;
  } catch {
    return gzipSync(readFileSync(file), { level: 9 }).length;
  }
}

/** Every figure's rounds, in milliseconds per call, for A and B: `{ [what]: { a: [], b: [] } }`. */
async function rounds(first, [dirA, dirB, benchA, benchB]) {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
  } catch {
    console.error("taskset failed: not pinned to one CPU");
  }
  const load = (dir) => import(pathToFileURL(resolve(dir, "node.js")));
  const ordered = async (a, b) => (first === "A" ? [await load(a), await load(b)] : [await load(b), await load(a)].reverse());
  const [pkgA, pkgB] = await ordered(dirA, dirB);
  const [benchPkgA, benchPkgB] = benchA === undefined ? [] : await ordered(benchA, benchB);

  const figures = {};
  const measure = (what, timeA, timeB) => {
    const a = [];
    const b = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        a.push(timeA());
        b.push(timeB());
      } else {
        b.push(timeB());
        a.push(timeA());
      }
    }
    figures[what] = { a, b };
  };

  for (const steps of SIZES) {
    const cfg = workload.config(steps);
    const def = cfg.workflows[0];
    const text = JSON.stringify(def);
    const [engineA, engineB] = [new pkgA.Engine(cfg), new pkgB.Engine(cfg)];
    // Both must give the same result, or the comparison means nothing.
    if (JSON.stringify(engineA.validateWorkflow(def)) !== JSON.stringify(engineB.validateWorkflow(text))) {
      throw new Error(`validateWorkflow at ${steps} steps differs between A and B`);
    }
    measure(`validateWorkflow, ${steps} steps, object`, timer(() => engineA.validateWorkflow(def)), timer(() => engineB.validateWorkflow(def)));
    measure(`validateWorkflow, ${steps} steps, JSON text`, timer(() => engineA.validateWorkflow(text)), timer(() => engineB.validateWorkflow(text)));
  }

  // workload.decider's timers give nanoseconds per command.
  const perCommand = (time) => () => time() / 1e6;
  const [deciderA, deciderB] = [workload.decider(pkgA, DECIDE_STEPS, benchPkgA), workload.decider(pkgB, DECIDE_STEPS, benchPkgB)];
  measure(`CaseHandle.execute, ${DECIDE_STEPS}-step case kept, per command from JS`, perCommand(deciderA.kept), perCommand(deciderB.kept));
  measure(`Engine.execute, ${DECIDE_STEPS}-step case by value, per command from JS`, perCommand(deciderA.value), perCommand(deciderB.value));
  if (deciderA.inside) {
    measure(`decide + apply inside the module, ${DECIDE_STEPS}-step case kept, per command`, perCommand(deciderA.inside), perCommand(deciderB.inside));
  }
  return figures;
}

/** A timer of rounds of about 25 ms of `call`, returning milliseconds per call; its first round
 * warms it up and sizes the rest. */
function timer(call) {
  let count;
  return () => {
    if (count === undefined) {
      for (let i = 0; i < 20; i++) call();
      const started = performance.now();
      call();
      count = Math.max(2, Math.ceil(25 / Math.max(performance.now() - started, 0.01)));
    }
    const started = performance.now();
    for (let i = 0; i < count; i++) call();
    return (performance.now() - started) / count;
  };
}
