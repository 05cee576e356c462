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

/** validateWorkflow (of the object, and of its JSON text) beside JSON.parse of the same text. */
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
    const runs = steps >= 2000 ? 30 : 200;
    rows[steps] = {
      parse: median(() => JSON.parse(text), runs),
      validate: median(() => engine.validateWorkflow(def), runs),
      text: median(() => engine.validateWorkflow(text), runs),
    };
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
 * CaseHandle. */
export function decide(pkg, steps) {
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
  return { value, kept };
}
