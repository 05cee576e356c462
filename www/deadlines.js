// Deadlines and escalation (SPEC §11) in the demo: the editor's Due and Escalate fields, and on
// the board each case's due dates, overdue badges, escalations and the Extend deadline action.
// What has passed is the engine's answer (`deadlines(state, now)` of the store's engine) at this
// device's time, shown as a prediction until the server's tick records it in the state
// (`overdue`) or the audit trail (`handoffEscalated`). This file shows and sends; it holds no rule.
import { HandoffError } from "/pkg/index.js";

/** The pieces, bound to the demo's shell (`app`: its state, helpers and the elements' ids). */
export function createDeadlines(app) {
  const { state, el, partyName, partyOf, partyOptions } = app;
  /** The Extend deadline form being filled in: `{ caseId, stepId, dueAt, reason }`, or null. */
  let extending = null;

  // ---- words for durations and times --------------------------------------------------------

  /** "P1DT12H" in words ("1 day 12 hours"); anything else as written (validation judges it). */
  function durationWords(text) {
    const parts = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(text ?? "");
    if (!parts || !parts.slice(1).some(Boolean)) return text;
    const unit = (n, word) => (n ? `${Number(n)} ${word}${Number(n) === 1 ? "" : "s"}` : "");
    return [unit(parts[1], "day"), unit(parts[2], "hour"), unit(parts[3], "minute")].filter(Boolean).join(" ");
  }

  const absolute = (at) => new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "always" });

  /** "in 45 seconds", "3 minutes ago", "in 2 days": from this device's clock. */
  function relative(at, now = Date.now()) {
    const seconds = Math.round((Date.parse(at) - now) / 1000);
    const size = Math.abs(seconds);
    if (size < 90) return relativeFormat.format(seconds, "second");
    if (size < 90 * 60) return relativeFormat.format(Math.round(seconds / 60), "minute");
    if (size < 22 * 3600) return relativeFormat.format(Math.round(seconds / 3600), "hour");
    return relativeFormat.format(Math.round(seconds / 86_400), "day");
  }

  const when = (at) => `${absolute(at)} (${relative(at)})`;

  // ---- the editor ---------------------------------------------------------------------------

  /** The step's Due field, with the diagnostics of `steps[i].due` beside it. */
  function dueField(step, index, diagnostics) {
    return el("span", { class: "field" },
      el("label", {}, "Due",
        el("input", { "data-field": "due", size: 9, placeholder: "P2D", value: step.due ?? "", "aria-label": "Due after the step can start", oninput: (e) => {
          const text = e.target.value.trim();
          if (text) step.due = text;
          else delete step.due;
          app.refresh();
        } }),
        el("span", { class: "muted" }, "after the step can start (P2D, PT4H, P1DT12H; empty: no deadline)")),
      app.diagnosticsAt(diagnostics, `steps[${index}].due`));
  }

  /** The handoff's Escalate to … after … fields, with the diagnostics of its escalation. */
  function escalationFields(step, index, diagnostics) {
    const { handoff } = step;
    return el("span", { class: "field" },
      el("label", {}, "If nobody takes it, escalate to",
        el("select", { "data-field": "escalate-to", onchange: (e) => app.edit(() => {
          if (e.target.value) handoff.escalate = { after: handoff.escalate?.after ?? "P1D", to: partyOf(e.target.value) };
          else delete handoff.escalate;
        }) }, partyOptions(handoff.escalate?.to, "No escalation"))),
      handoff.escalate && el("label", {}, "after",
        el("input", { "data-field": "escalate-after", size: 9, placeholder: "P1D", value: handoff.escalate.after, "aria-label": "Escalate after", oninput: (e) => {
          handoff.escalate.after = e.target.value.trim();
          app.refresh();
        } }),
        el("span", { class: "muted" }, "unclaimed")),
      app.diagnosticsAt(diagnostics, `steps[${index}].handoff.escalate`));
  }

  /** The timeline's lines for a step's deadlines: its due, and whom its handoff escalates to. */
  function timelineLines(entry, step) {
    const lines = [];
    if (entry.due) lines.push({ kind: "due", text: `due in ${durationWords(entry.due)}` });
    if (entry.escalatesTo) {
      const after = step.handoff?.escalate?.after;
      lines.push({ kind: "escalation", text: after ? `escalates after ${durationWords(after)}` : "escalates" }, { kind: "escalation", text: `to ${partyName(entry.escalatesTo)}` });
    }
    return lines;
  }

  // ---- the board ----------------------------------------------------------------------------

  /** The case's deadlines now, by this device's clock (none for a closed case). */
  function deadlinesOf(caseState) {
    if (!caseState || caseState.closed) return [];
    try {
      return state.store.engine.deadlines(caseState, new Date().toISOString());
    } catch {
      return [];
    }
  }

  const isDone = (s) => s.status === "completed" || s.status === "skipped";

  /** Where a step stands against its deadline: `{ state, text }`, or null when it has none.
   * `predicted`: its time has passed here, and the server has not recorded it yet; `overdue`:
   * the state says so, which only the server's tick (or a late completion) writes. */
  function stepDeadline(caseState, stepId) {
    const s = caseState.steps[stepId];
    if (!s?.dueAt) return null;
    if (isDone(s)) return s.overdue ? { state: "done-late", text: `Done late: it was due ${absolute(s.dueAt)}` } : { state: "on-time", text: `Done on time (due ${absolute(s.dueAt)})` };
    if (s.overdue) return { state: "overdue", text: `Overdue — recorded by the server; it was due ${when(s.dueAt)}` };
    const due = deadlinesOf(caseState).find((d) => d.kind === "due" && d.stepId === stepId);
    if (due?.passed) return { state: "predicted", text: `Overdue (predicted) — due ${when(s.dueAt)}, by this device's clock; the server has not recorded it yet` };
    return { state: "upcoming", text: `Due ${when(s.dueAt)}` };
  }

  /** The escalation of the case's pending handoff: upcoming, predicted, or done (from the
   * server's audit trail, which says who it went from and when); null when it has none. */
  function handoffDeadline(caseState) {
    const pending = caseState.pendingHandoff;
    if (!pending) return null;
    const target = app.workflowOf(caseState)?.steps.find((s) => s.id === pending.stepId)?.handoff?.escalate?.to;
    if (pending.escalatesAt) {
      const escalation = deadlinesOf(caseState).find((d) => d.kind === "escalation" && d.stepId === pending.stepId);
      const to = target ? partyName(target) : "its escalation target";
      if (escalation?.passed) return { state: "predicted", text: `Escalation due (predicted): nobody took it by ${when(pending.escalatesAt)}, by this device's clock; the server has not escalated it to ${to} yet.` };
      return { state: "upcoming", text: `Escalates to ${to} at ${when(pending.escalatesAt)} if nobody takes it.` };
    }
    const trail = state.trails.get(caseState.caseId) ?? [];
    const last = trail.findLast((e) => e.stepId === pending.stepId && ["handoffRequested", "handoffEscalated", "handoffRedirected", "handoffReverted"].includes(e.type));
    if (last?.type === "handoffEscalated") return { state: "escalated", text: `Escalated from ${partyName(last.from)} to ${partyName(last.to)} at ${absolute(last.at)}: nobody took it in time (recorded by the server).` };
    return null;
  }

  /** A badge for the case list: the most pressing of the case's deadlines, or null. */
  function caseBadge(caseState) {
    if (caseState.closed) return null;
    const states = Object.keys(caseState.steps).map((id) => stepDeadline(caseState, id)?.state);
    const handoff = handoffDeadline(caseState)?.state;
    if (states.includes("overdue")) return { state: "overdue", text: "overdue" };
    if (states.includes("predicted")) return { state: "predicted", text: "overdue (predicted)" };
    if (handoff === "predicted") return { state: "predicted", text: "escalation due (predicted)" };
    const next = deadlinesOf(caseState).find((d) => !d.passed);
    return next ? { state: "upcoming", text: `next deadline ${relative(next.at)}` } : null;
  }

  /** A node that follows the clock: drawn again by `refresh` every second, so that a badge
   * appears when its time passes without the board being drawn again (which would lose what
   * is being typed in it). */
  function live(render) {
    const node = render();
    node.dataset.live = "";
    node.render = render;
    return node;
  }

  const badge = (found, attributes) =>
    found ? el("span", { class: `deadline ${found.state}`, "data-state": found.state, ...attributes }, found.text) : el("span", { ...attributes, "data-state": "none" });

  const stepCell = (caseId, stepId) => live(() => badge(app.shown(caseId) && stepDeadline(app.shown(caseId), stepId), { "data-testid": "due", "data-step": stepId }));
  const handoffNote = (caseId) => live(() => badge(app.shown(caseId) && handoffDeadline(app.shown(caseId)), { "data-testid": "escalation" }));
  const listBadge = (caseId) => live(() => badge(app.shown(caseId) && caseBadge(app.shown(caseId)), { "data-testid": "case-deadline", "data-case": caseId }));

  function refresh() {
    if (!state.store) return;
    for (const node of document.querySelectorAll("[data-live]")) {
      const next = node.render();
      if (next.textContent === node.textContent && next.dataset.state === node.dataset.state) continue;
      next.dataset.live = "";
      next.render = node.render;
      node.replaceWith(next);
    }
  }

  // ---- Extend deadline ----------------------------------------------------------------------

  /** `2026-12-01T10:00` in this device's time zone, for a datetime-local input. */
  function localInput(at) {
    const date = new Date(at);
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  /** The instant a datetime-local value names, as the engine writes times (UTC, whole seconds). */
  function fromLocalInput(value) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? "" : date.toISOString().replace(/\.000Z$/, "Z");
  }

  /** The button that opens the form, for whoever `allowedCommands` lets extend the step. */
  function extendButton(caseState, stepId) {
    return el("button", { type: "button", "data-action": "extend", onclick: () => {
      const dueAt = caseState.steps[stepId].dueAt;
      extending = { caseId: caseState.caseId, stepId, dueAt: localInput(Date.parse(dueAt) + 86_400_000), reason: "" };
      app.renderBoard();
    } }, "Extend deadline…");
  }

  /** The form under the step's row while it is being extended: a new due time and a reason,
   * checked by the engine as they are typed; null when the step is not being extended. */
  function extendForm(caseState, stepId, columns) {
    if (extending?.caseId !== caseState.caseId || extending.stepId !== stepId) return null;
    const command = () => ({ type: "extendDeadline", stepId, dueAt: fromLocalInput(extending.dueAt), reason: extending.reason.trim() });
    const verdict = el("span", { "data-testid": "extend-check" });
    const send = el("button", { type: "button", class: "primary", "data-action": "send-extend", onclick: () => {
      const sent = command();
      extending = null;
      app.act(sent, caseState.caseId);
    } }, "Extend");
    const check = () => {
      const current = app.shown(caseState.caseId);
      let problem = !extending.dueAt ? "Choose the new due time." : !extending.reason.trim() ? "Say why: the reason is kept in the case's audit trail." : null;
      if (!problem && current) {
        try {
          const result = state.store.engine.check(current, command(), app.ctx());
          if (!result.ok) problem = `${result.message} (${result.code})`;
        } catch (error) {
          problem = error instanceof HandoffError ? `${error.message} (${error.code})` : String(error);
        }
      }
      send.disabled = Boolean(problem);
      verdict.className = problem ? "bad" : "muted";
      verdict.textContent = problem ?? `The step will be due ${when(command().dueAt)}.`;
    };
    const form = el("td", { colspan: columns, class: "chooser" },
      el("div", { class: "actions", "data-testid": "extend-form" },
        el("label", {}, "New due time", el("input", { type: "datetime-local", value: extending.dueAt, "data-testid": "extend-due-at", oninput: (e) => { extending.dueAt = e.target.value; check(); } })),
        el("label", {}, "Reason", el("input", { size: 28, value: extending.reason, placeholder: "the client asked for a week", "data-testid": "extend-reason", oninput: (e) => { extending.reason = e.target.value; check(); } })),
        send,
        el("button", { type: "button", onclick: () => { extending = null; app.renderBoard(); } }, "Cancel")),
      verdict);
    check();
    return el("tr", { "data-extending": stepId }, form);
  }

  // ---- the audit trail ----------------------------------------------------------------------

  /** The trail's words for the deadline events, or undefined for any other. */
  function describeEvent(event, who, step) {
    return {
      stepOverdue: () => `${step} became overdue: it was due ${absolute(event.dueAt)}.`,
      handoffEscalated: () => `Nobody took the handoff of ${step} in time: it escalated from ${partyName(event.from)} to ${partyName(event.to)}.`,
      deadlineExtended: () => `${who} extended the deadline of ${step} from ${absolute(event.from)} to ${absolute(event.to)}: ${event.reason}.`,
    }[event.type]?.();
  }

  return { durationWords, absolute, dueField, escalationFields, timelineLines, stepCell, handoffNote, listBadge, refresh, extendButton, extendForm, describeEvent, reset: () => { extending = null; } };
}
