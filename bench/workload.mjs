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

/** The middle value. */
export function middle(values) {
  return values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** validateWorkflow (of the object, and of its JSON text) beside JSON.parse of the same text,
 * interleaved call by call: each round alternates the three calls and compares their sums, and
 * the figures are the medians of the rounds, so that a machine whose speed drifts within
 * seconds (as this one does, even between rounds a few milliseconds apart) compares like with like; an editor calls it among other work, never in a
 * loop. Each round also times the three in blocks (each called repeatedly, as loop benchmarks do),
 * which favours JSON.parse here, and those ratios are reported too (`blocked…`). Browsers coarsen
 * `performance.now()`; summed over many calls, the rounding evens out. */
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
    const calls = [() => JSON.parse(text), () => engine.validateWorkflow(def), () => engine.validateWorkflow(text)];
    for (let i = 0; i < 5; i++) for (const call of calls) call();
    // About 40 ms of calls per round.
    const started = performance.now();
    for (const call of calls) call();
    const perRound = Math.max(2, Math.ceil(40 / Math.max(performance.now() - started, 0.01)));
    const rounds = { parse: [], validate: [], text: [], validateRatio: [], textRatio: [], blockedValidateRatio: [], blockedTextRatio: [] };
    for (let round = 0; round < 21; round++) {
      const sums = [0, 0, 0];
      for (let i = 0; i < perRound; i++) {
        for (let k = 0; k < 3; k++) {
          const before = performance.now();
          calls[k]();
          sums[k] += performance.now() - before;
        }
      }
      const [parse, validate, fromText] = sums.map((sum) => sum / perRound);
      rounds.parse.push(parse);
      rounds.validate.push(validate);
      rounds.text.push(fromText);
      rounds.validateRatio.push(validate / parse);
      rounds.textRatio.push(fromText / parse);
      const blocks = calls.map((call) => {
        const before = performance.now();
        for (let i = 0; i < perRound; i++) call();
        return performance.now() - before;
      });
      rounds.blockedValidateRatio.push(blocks[1] / blocks[0]);
      rounds.blockedTextRatio.push(blocks[2] / blocks[0]);
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

/** Timers of rounds of about 50 ms, each returning nanoseconds per command, for `npm run bench`
 * to alternate with the native build's rounds: `value` through `engine.execute(state, …)`,
 * `kept` through a CaseHandle, and with a package built with the `bench` feature, `inside`: the
 * same commands decided inside the module, timed around one call that decides them all. */
export function decider(pkg, steps, benchPkg) {
  const engine = new pkg.Engine(config(steps));
  const { input, ctx, command, alternating } = decideCase();
  const { state } = engine.startCase(input, ctx);
  const handle = engine.openCase(state);
  // `run(count)` runs `count` commands; the first round sizes the rest.
  const rounds = (run) => {
    let count;
    return () => {
      if (count === undefined) {
        run(400);
        for (count = 1000; ; count *= 2) {
          const started = performance.now();
          run(count);
          if (performance.now() - started >= 50) break;
        }
      }
      const started = performance.now();
      run(count);
      return ((performance.now() - started) * 1e6) / count;
    };
  };
  const value = rounds((count) => {
    for (let i = 0; i < count; i++) engine.execute(state, command, ctx);
  });
  const kept = rounds((count) => {
    for (let i = 0; i < count; i++) handle.execute(alternating[i & 1], ctx);
  });
  let inside;
  if (benchPkg) {
    const benchEngine = new benchPkg.Engine(config(steps));
    const benchHandle = benchEngine.openCase(benchEngine.startCase(input, ctx).state);
    const commands = JSON.stringify(alternating);
    const context = JSON.stringify(ctx);
    inside = rounds((count) => benchHandle.benchDecide(commands, context, count));
  }
  return { value, kept, inside };
}

/** `findStuckWork` over `count` open 50-step cases (the objects, and their JSON text) beside
 * `JSON.parse` of that text, interleaved call by call in rounds as `measure` does; the medians.
 * The configuration is the cases' own with a version 2 published and one assignee deactivated,
 * so every case has two findings (a scan that finds nothing would flatter it). */
export function stuckWork(pkg, count = 10_000) {
  const cfg = config(50);
  const { input, ctx } = decideCase();
  const { state } = new pkg.Engine(cfg).startCase(input, ctx);
  const cases = Array.from({ length: count }, (_, i) => ({ ...state, caseId: `case-${i}` }));
  const text = JSON.stringify(cases);
  cfg.workflows.push({ ...cfg.workflows[0], version: 2 });
  cfg.directory.members[91].active = false;
  const engine = new pkg.Engine(cfg);
  const calls = [() => JSON.parse(text), () => engine.findStuckWork(cases), () => engine.findStuckWork(text)];
  for (const call of calls) call();
  const rounds = { parse: [], objects: [], text: [], objectsRatio: [], textRatio: [] };
  for (let round = 0; round < 7; round++) {
    const [parse, objects, fromText] = calls.map((call) => {
      const before = performance.now();
      call();
      return performance.now() - before;
    });
    rounds.parse.push(parse);
    rounds.objects.push(objects);
    rounds.text.push(fromText);
    rounds.objectsRatio.push(objects / parse);
    rounds.textRatio.push(fromText / parse);
  }
  return Object.fromEntries(Object.entries(rounds).map(([key, values]) => [key, middle(values)]));
}
