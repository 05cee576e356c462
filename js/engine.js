// What the glue's Engine gains in JS: `nextDeadline` (SPEC §11), read off `deadlines`, which the
// module computes. Its own export would cost the module 0.6 KiB gzipped for a rule of one line:
// the earliest deadline not yet acted on, a step's due time being acted on once the step is
// overdue (src/case/deadline.rs, `next_deadline`, is the same rule for the server; both are held
// to the same answers by tests/js/deadlines.test.mjs and tests/deadlines.rs).

const EPOCH = "1970-01-01T00:00:00Z";

/** Adds `nextDeadline` to the glue's `Engine` class; returns the class. */
export function withDeadlines(Engine) {
  Object.defineProperty(Engine.prototype, "nextDeadline", {
    value: function nextDeadline(state) {
      // `deadlines` reads the state (an object or its JSON text) and throws on a bad one.
      const list = this.deadlines(state, EPOCH);
      if (list.length === 0) return null;
      const { closed, steps } = typeof state === "string" ? JSON.parse(state) : state;
      const next = closed ? undefined : list.find((d) => d.kind !== "due" || !steps[d.stepId].overdue);
      return next === undefined ? null : next.at;
    },
    writable: true,
    configurable: true,
  });
  return Engine;
}
