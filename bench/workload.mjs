// The generated workload of the benchmarks, the same as benches/engine.rs: a directory of 400
// members in 4 roles and 4 teams, and workflows of mostly chained steps with joins, handoffs to
// members, roles and teams, client-facing steps, assignees and conditions.
export function directory() {
  const members = Array.from({ length: 400 }, (_, i) => ({
    id: `m${i}`, name: `Member ${i}`, roles: [`r${i % 4}`], teams: [`t${i % 4}`], admin: i === 0,
  }));
  const named = (prefix, noun) => Array.from({ length: 4 }, (_, i) => ({ id: `${prefix}${i}`, name: `${noun} ${i}` }));
  return { members, roles: named("r", "Role"), teams: named("t", "Team") };
}

export function workflow(count) {
  const steps = [];
  for (let i = 0; i < count; i++) {
    const step = { id: `s${i}`, name: `Step ${i}` };
    if (i % 7 === 6) step.after = [`s${i - 1}`, `s${i - 2}`];
    if (i % 11 === 3) step.clientFacing = true;
    else if (i % 5 === 4) {
      const to = [{ kind: "member", id: `m${i % 400}` }, { kind: "role", id: `r${i % 4}` }, { kind: "team", id: `t${i % 4}` }][i % 3];
      step.handoff = { to, required: i % 10 !== 9 };
    } else if (i % 13 === 0) step.assignee = { kind: "member", id: `m${(i * 7) % 400}` };
    if (i % 17 === 8) step.when = { any: [{ fact: "chapter", equals: 7 }, { fact: "assets", in: [1, 2] }] };
    steps.push(step);
  }
  return { id: "w", name: "Generated", version: 1, steps };
}

export function config(steps) {
  return { directory: directory(), owners: { default: { kind: "team", id: "t0" } }, workflows: [workflow(steps)] };
}

/** Median milliseconds per call of `fn`, timed in batches of at least 5 ms each, because
 * browsers coarsen `performance.now()`. */
export function median(fn, runs) {
  for (let i = 0; i < Math.min(5, runs); i++) fn();
  let batch = 1;
  for (let spent = 0; spent < 5; batch *= 2) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) fn();
    spent = performance.now() - started;
  }
  const times = [];
  for (let i = 0; i < Math.max(5, Math.ceil(runs / batch)); i++) {
    const started = performance.now();
    for (let j = 0; j < batch; j++) fn();
    times.push((performance.now() - started) / batch);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The middle value. */
export function middle(values) {
  return values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** validateWorkflow (of the object, and of its JSON text) beside JSON.parse of the same text, in
 * interleaved rounds: each round times JSON.parse just before and just after the two, and the
 * figures are the medians of the rounds' ratios, so that a machine whose speed drifts by 15 %
 * within seconds (as this one does) compares like with like. */
export function measure(pkg, sizes) {
  const rows = {};
  // Warm up first, so that every size is timed on optimized code rather than the first one
  // paying for the engine's tier-up.
  const warm = config(500);
  const warmEngine = new pkg.Engine(warm);
  for (let i = 0; i < 40; i++) warmEngine.validateWorkflow(warm.workflows[0]);
  for (const steps of sizes) {
    const cfg = config(steps);
    const engine = new pkg.Engine(cfg);
    const def = cfg.workflows[0];
    const text = JSON.stringify(def);
    const runs = steps >= 2000 ? 6 : 40;
    const rounds = { parse: [], validate: [], text: [], validateRatio: [], textRatio: [] };
    for (let round = 0; round < 9; round++) {
      const before = median(() => JSON.parse(text), runs);
      const validate = median(() => engine.validateWorkflow(def), runs);
      const fromText = median(() => engine.validateWorkflow(text), runs);
      const parse = (before + median(() => JSON.parse(text), runs)) / 2;
      rounds.parse.push(parse);
      rounds.validate.push(validate);
      rounds.text.push(fromText);
      rounds.validateRatio.push(validate / parse);
      rounds.textRatio.push(fromText / parse);
    }
    rows[steps] = Object.fromEntries(Object.entries(rounds).map(([key, values]) => [key, middle(values)]));
  }
  return rows;
}

/** The decide workload: `command` executed on the freshly started case (by value), and the two
 * `alternating` commands executed in turn on a kept case (each undoes the other's effect). */
export function decideCase() {
  return {
    input: { caseId: "c", workflowId: "w" },
    ctx: { actor: { kind: "member", id: "m0" }, at: "2026-11-25T09:00:00Z" },
    command: { type: "completeStep", stepId: "s0" },
    alternating: [
      { type: "assignStep", stepId: "s0", to: { kind: "member", id: "m1" } },
      { type: "assignStep", stepId: "s0", to: { kind: "member", id: "m2" } },
    ],
  };
}

/** Nanoseconds per command: `value` through `engine.execute(state, …)`, `kept` through a
 * CaseHandle, and with a package built with the `bench` feature, `inside`: the same commands
 * decided inside the module, timed around one call that decides them all. */
export function decide(pkg, steps, benchPkg) {
  const engine = new pkg.Engine(config(steps));
  const { input, ctx, command, alternating } = decideCase();
  const { state } = engine.startCase(input, ctx);
  const runs = 4000;
  const time = (fn) => {
    for (let i = 0; i < 400; i++) fn(i);
    const started = performance.now();
    for (let i = 0; i < runs; i++) fn(i);
    return ((performance.now() - started) * 1e6) / runs;
  };
  const value = time(() => engine.execute(state, command, ctx));
  const handle = engine.openCase(state);
  const kept = time((i) => handle.execute(alternating[i & 1], ctx));
  handle.free();
  let inside;
  if (benchPkg) {
    const benchEngine = new benchPkg.Engine(config(steps));
    const benchHandle = benchEngine.openCase(benchEngine.startCase(input, ctx).state);
    const commands = JSON.stringify(alternating);
    const context = JSON.stringify(ctx);
    const count = 200000;
    benchHandle.benchDecide(commands, context, count / 10);
    const times = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      benchHandle.benchDecide(commands, context, count);
      times.push(((performance.now() - started) * 1e6) / count);
    }
    inside = middle(times);
    benchHandle.free();
  }
  return { value, kept, inside };
}
