// Running cases through change (SPEC §10) in the demo: the stuck work an admin sees, one person's
// work moved to another, a handoff redirected, a version's open cases migrated. Every verdict
// here is the engine's — `findStuckWork`, `planReassignment`, `check` of the store's engine —
// and every change is a command dispatched through the CaseStore, which pushes it to the server,
// where it is decided again as the signed-in admin. This file shows and sends; it holds no rule.
import { HandoffError } from "/pkg/index.js";

/** The panels, bound to the demo's shell (`app`: its state, helpers and the elements' ids). */
export function createChange(app) {
  const { state, el, partyName, $ } = app;
  const view = {
    stuckSignature: null,
    /** The finding whose handoff is being redirected: `{ caseId, stepId }`, or null. */
    redirecting: null,
    redirectOutcome: [],
    reassign: { from: "", to: "", reason: "", plan: null, error: null, applied: false, outcome: [] },
    /** The migration being prepared: `{ fromVersion, toVersion, reason, dry, applied, outcome }`. */
    migration: null,
    /** Commands sent and not yet known to be applied, by `outcomeKey`, to mark them refused or accepted. */
    waiting: new Map(),
    configVersion: null,
  };

  const members = () => app.liveConfig().directory.members;
  const member = (id) => members().find((m) => m.id === id);
  const active = (m) => m.active !== false;
  const adminNote = (what) => `Only an admin can ${what}; ${state.who.label} is not one.`;

  // ---- commands in words --------------------------------------------------------------------

  function describeCommand(caseState, command) {
    const step = (id) => app.stepName(caseState, id);
    const words = {
      transferOwnership: () => `Transfer the case to ${partyName(command.to)} (${command.reason})`,
      setCaseRole: () => `Make ${partyName({ kind: "member", id: command.memberId })} the case's ${partyName({ kind: "role", id: command.roleId })}`,
      assignStep: () => `Assign ${step(command.stepId)} to ${command.to ? partyName(command.to) : "whoever owns the case"}`,
      redirectHandoff: () => `Redirect the handoff at ${step(command.stepId)} to ${partyName(command.to)} (${command.reason})`,
      migrateCase: () => `Move the case to version ${command.toVersion} (${command.reason})`,
    }[command.type];
    return words ? words() : command.type;
  }

  // ---- sending, and what became of it -------------------------------------------------------

  /** What identifies a command among those sent together: one per case, type and step or role. */
  const outcomeKey = (caseId, command) => `${caseId}|${command.type}|${command.stepId ?? command.roleId ?? ""}`;

  /** Dispatches each `{ caseId, command }` through the store, as the signed-in person, in order.
   * Returns one outcome per command: refused here (the engine said no before anything was
   * sent), or waiting to sync, later accepted or refused by the server (`onRejected`). */
  function dispatchAll(planned, rerender) {
    const outcome = planned.map(({ caseId, command }) => {
      const entry = { caseId, words: describeCommand(state.store.get(caseId) ?? { caseId }, command), status: "waiting", message: "", rerender };
      try {
        state.store.dispatch(caseId, command, app.ctx());
        view.waiting.set(outcomeKey(caseId, command), entry);
      } catch (error) {
        entry.status = "refused-here";
        entry.message = error instanceof HandoffError ? `${error.message} (${error.code})` : String(error);
      }
      return entry;
    });
    state.store.sync().catch(() => {});
    return outcome;
  }

  const STATUS_WORDS = {
    waiting: "waiting to sync",
    accepted: "accepted by the server",
    "refused-here": "refused before sending",
    "refused-by-server": "refused by the server",
  };

  function outcomeList(outcome, testid) {
    return el("ul", { class: "outcome", "data-testid": testid }, outcome.map((entry) =>
      el("li", { class: entry.status, "data-case": entry.caseId, "data-status": entry.status },
        `Case ${entry.caseId}: ${entry.words} — ${STATUS_WORDS[entry.status]}`, entry.message ? `: ${entry.message}` : "")));
  }

  /** The store's rejection of a command sent from these panels (also shown as a banner). */
  function onRejected(rejection) {
    const command = rejection.mutation?.command;
    const entry = command && view.waiting.get(outcomeKey(rejection.caseId, command));
    if (!entry) return;
    view.waiting.delete(outcomeKey(rejection.caseId, command));
    entry.status = "refused-by-server";
    entry.message = `${rejection.message} (${rejection.code})`;
    entry.rerender();
  }

  /** A status from the store: once nothing is pending, what was sent and not refused has been
   * applied by the server (a rejection is told to the listeners right after this status, so
   * the marking waits for it). */
  function onStatus(status) {
    if (status.pendingCount === 0 && status.online && view.waiting.size) {
      queueMicrotask(() => {
        if (state.store.pendingCount !== 0) return;
        const entries = [...view.waiting.values()];
        view.waiting.clear();
        for (const entry of entries) entry.status = "accepted";
        for (const rerender of new Set(entries.map((entry) => entry.rerender))) rerender();
      });
    }
    if (status.configVersion !== view.configVersion) {
      view.configVersion = status.configVersion;
      renderReassign();
    }
    requestAnimationFrame(renderStuck);
  }

  /** A new person signed in: what the previous one prepared is not theirs. */
  function reset() {
    Object.assign(view, { stuckSignature: null, redirecting: null, redirectOutcome: [], migration: null, configVersion: state.store.configVersion });
    view.reassign = { from: "", to: "", reason: "", plan: null, error: null, applied: false, outcome: [] };
    view.waiting.clear();
    renderStuck();
    renderReassign();
    renderMigration();
  }

  // ---- stuck work ---------------------------------------------------------------------------

  /** The parties a handoff may be redirected to: any role or team, any active member (the
   * engine checks the choice again, as for any command). */
  function targetOptions(selected) {
    const { roles, teams } = app.liveConfig().directory;
    const option = (kind, entry) => el("option", { value: `${kind}:${entry.id}`, selected: selected === `${kind}:${entry.id}` }, entry.name);
    return [
      el("optgroup", { label: "Members" }, members().filter(active).map((m) => option("member", m))),
      el("optgroup", { label: "Roles" }, roles.map((r) => option("role", r))),
      el("optgroup", { label: "Teams" }, teams.map((t) => option("team", t))),
    ];
  }

  function redirectChooser(finding) {
    const to = el("select", { "data-testid": "redirect-to", "aria-label": "New target of the handoff" }, el("option", { value: "" }, "Choose…"), targetOptions());
    const reason = el("input", { "data-testid": "redirect-reason", size: 24, "aria-label": "Reason", value: `${partyName(finding.party)} cannot take it` });
    const send = () => {
      if (!to.value) return app.notify("Choose whom the handoff goes to instead.", "info");
      view.redirectOutcome = dispatchAll([{ caseId: finding.caseId, command: { type: "redirectHandoff", stepId: finding.stepId, to: app.partyOf(to.value), reason: reason.value.trim() } }], rerenderStuck);
      view.redirecting = null;
      rerenderStuck();
    };
    return el("div", { class: "chooser", "data-testid": "redirect" },
      el("label", {}, "Redirect the handoff to", to), " ", el("label", {}, "because", reason), " ",
      el("button", { type: "button", class: "primary", "data-action": "send-redirect", onclick: send }, "Redirect"), " ",
      el("button", { type: "button", onclick: () => { view.redirecting = null; rerenderStuck(); } }, "Cancel"));
  }

  function findingItem(finding) {
    const party = finding.party;
    const departed = party?.kind === "member" && member(party.id) && !active(member(party.id));
    const caseState = state.store.get(finding.caseId);
    const open = view.redirecting?.caseId === finding.caseId && view.redirecting?.stepId === finding.stepId;
    const where = [`Case ${finding.caseId}`, finding.stepId && `step ${app.stepName(caseState, finding.stepId)}`, party && `party ${partyName(party)}`].filter(Boolean).join(" · ");
    return el("li", { class: finding.severity, "data-case": finding.caseId, "data-code": finding.code },
      el("span", { class: "code" }, finding.code), finding.message,
      el("div", { class: "muted" }, where),
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => app.showCase(finding.caseId) }, "Open the case"),
        departed && el("button", { type: "button", "data-action": "reassign-from", onclick: () => chooseFrom(party.id) }, `Reassign ${partyName(party)}'s work…`),
        finding.code.startsWith("handoff-target-") && !open && el("button", { type: "button", "data-action": "redirect",
          onclick: () => { view.redirecting = { caseId: finding.caseId, stepId: finding.stepId }; rerenderStuck(); } }, "Redirect this handoff…")),
      open && redirectChooser(finding));
  }

  function rerenderStuck() {
    view.stuckSignature = null;
    renderStuck();
  }

  /** The open cases' stuck work under the store's engine (the configuration it decides with
   * now); drawn again only when it, the person or the panel's own state changed, so that a
   * chooser being filled in is not replaced at every sync. */
  function renderStuck() {
    if (!state.who || !state.store) return;
    if (!app.isAdmin(state.who)) {
      const signature = `not-admin:${state.who.token}`;
      if (view.stuckSignature === signature) return;
      view.stuckSignature = signature;
      $("stuck-findings").replaceChildren(el("p", { class: "hint", "data-testid": "stuck-not-admin" },
        adminNote("see and move stuck work"), " Stuck work is what waits on someone who cannot act: a case owned by a person who left, a handoff to nobody."));
      return;
    }
    const findings = state.store.engine.findStuckWork(app.openCases());
    const signature = JSON.stringify([state.who.token, state.store.configVersion, findings, view.redirecting, view.redirectOutcome.map((o) => o.status)]);
    if (signature === view.stuckSignature) return;
    view.stuckSignature = signature;
    $("stuck-findings").replaceChildren(
      findings.length
        ? el("ul", { class: "diagnostics findings", "data-testid": "stuck-list" }, findings.map(findingItem))
        : el("p", { class: "ok", "data-testid": "stuck-none" }, "Nothing is stuck: every open case has someone who can act on it."),
      view.redirectOutcome.length ? outcomeList(view.redirectOutcome, "redirect-result") : "");
  }

  // ---- reassigning a person's work ----------------------------------------------------------

  function chooseFrom(id) {
    const reason = id ? `${partyName({ kind: "member", id })} left` : "";
    Object.assign(view.reassign, { from: id, to: view.reassign.to === id ? "" : view.reassign.to, reason, plan: null, error: null, applied: false, outcome: [] });
    renderReassign();
    $("reassign").scrollIntoView({ block: "nearest" });
  }

  function showPlan() {
    const { from, to, reason } = view.reassign;
    Object.assign(view.reassign, { plan: null, error: null, applied: false, outcome: [] });
    try {
      view.reassign.plan = state.store.engine.planReassignment(app.openCases(), { from, to, reason });
    } catch (error) {
      view.reassign.error = error instanceof HandoffError ? `${error.message} (${error.code})` : String(error);
    }
    renderReassign();
  }

  function applyPlan() {
    view.reassign.outcome = dispatchAll(view.reassign.plan.commands, renderReassign);
    view.reassign.applied = true;
    renderReassign();
  }

  function planView(plan) {
    const { from } = view.reassign;
    const byCase = new Map();
    for (const { caseId, command } of plan.commands) byCase.set(caseId, [...(byCase.get(caseId) ?? []), command]);
    const name = partyName({ kind: "member", id: from });
    return el("div", { "data-testid": "reassign-plan" },
      plan.commands.length
        ? [el("p", {}, `The plan: ${plan.commands.length} command${plan.commands.length === 1 ? "" : "s"} in ${byCase.size} case${byCase.size === 1 ? "" : "s"}. Nothing has changed yet.`),
          el("ul", { class: "plan" }, [...byCase].map(([caseId, commands]) => el("li", { "data-case": caseId }, `Case ${caseId}:`,
            el("ul", {}, commands.map((command) => el("li", { "data-command": command.type }, describeCommand(state.store.get(caseId) ?? { caseId }, command)))))))]
        : el("p", { "data-testid": "reassign-nothing" }, `Nothing to move: ${name} holds no work in the open cases.`),
      plan.skipped.length
        ? [el("p", {}, `Left as they are (${plan.skipped.length}):`), el("ul", { class: "diagnostics", "data-testid": "reassign-skipped" },
            plan.skipped.map((s) => el("li", { class: "warning", "data-case": s.caseId }, el("span", { class: "code" }, s.code), `Case ${s.caseId}: ${s.message}`)))]
        : "",
      plan.commands.length && !view.reassign.applied
        ? el("button", { type: "button", class: "primary", "data-action": "apply-plan", onclick: applyPlan }, `Apply the plan (${plan.commands.length} command${plan.commands.length === 1 ? "" : "s"})`)
        : "");
  }

  function renderReassign() {
    if (!state.who || !state.store) return;
    const panel = $("reassign-body");
    if (!app.isAdmin(state.who)) {
      panel.replaceChildren(el("p", { class: "hint", "data-testid": "reassign-not-admin" }, adminNote("reassign a person's work")));
      return;
    }
    const r = view.reassign;
    const all = members();
    // People who left first: theirs is the work that has to move.
    const fromChoices = [...all.filter((m) => !active(m)), ...all.filter(active)];
    const from = el("select", { id: "reassign-from", "aria-label": "Whose work moves" },
      el("option", { value: "", selected: !r.from }, "Choose a person"),
      fromChoices.map((m) => el("option", { value: m.id, selected: r.from === m.id }, m.name + (active(m) ? "" : " (deactivated)"))));
    const to = el("select", { id: "reassign-to", "aria-label": "Who takes it" },
      el("option", { value: "", selected: !r.to }, "Choose an active member"),
      all.filter((m) => active(m) && m.id !== r.from).map((m) => el("option", { value: m.id, selected: r.to === m.id }, m.name)));
    const reason = el("input", { id: "reassign-reason", size: 24, value: r.reason, placeholder: "why (shown in the audit trail)", "aria-label": "Reason" });
    from.addEventListener("change", () => chooseFrom(from.value));
    to.addEventListener("change", () => { Object.assign(r, { to: to.value, plan: null, error: null, applied: false, outcome: [] }); renderReassign(); });
    reason.addEventListener("input", () => { r.reason = reason.value; });
    panel.replaceChildren(
      el("p", {}, el("label", {}, "Reassign the work of", from), " ", el("label", {}, "to", to)),
      el("p", {}, el("label", {}, "Reason", reason), " ",
        el("button", { type: "button", id: "show-plan", disabled: !r.from || !r.to, onclick: showPlan }, "Show the plan")),
      r.error ? el("p", { class: "bad", "data-testid": "reassign-error" }, r.error) : "",
      r.plan ? planView(r.plan) : "",
      r.outcome.length ? outcomeList(r.outcome, "reassign-result") : "");
  }

  // ---- migrating a version's open cases -----------------------------------------------------

  /** The versions list's entries, each with the migration an admin can start from it. */
  function versionItems(versions) {
    const latest = Math.max(...versions.map((w) => w.version));
    // The dry run asks the store's engine: it must know the version the cases move to.
    const behind = state.store && state.store.configVersion !== null && state.store.configVersion < app.liveVersion();
    return versions.map((w) => {
      const open = app.openCases().filter((c) => c.workflowId === w.id && c.workflowVersion === w.version);
      const movable = w.version < latest && open.length > 0;
      const label = `Migrate the ${open.length} open case${open.length === 1 ? "" : "s"} on version ${w.version} to version ${latest}`;
      return el("li", { "data-version": w.version }, `Version ${w.version}: ${open.length} open cases`,
        movable && (app.isAdmin(state.who)
          ? el("div", {}, el("button", { type: "button", "data-action": "migrate", disabled: behind, onclick: () => dryRun(w.id, w.version, latest) }, label),
              behind ? el("span", { class: "hint" }, ` (the board is catching up with configuration ${app.liveVersion()})`) : "")
          : el("div", { class: "hint", "data-testid": "migrate-not-admin" }, adminNote("migrate cases to a newer version"))));
    });
  }

  const migrateCommand = (m) => ({ type: "migrateCase", toVersion: m.toVersion, reason: m.reason.trim() });

  /** Asks the engine, case by case and as the signed-in admin, what migrating would do. */
  function dryRun(workflowId, fromVersion, toVersion, reason = `Moved to version ${toVersion}`) {
    const m = { workflowId, fromVersion, toVersion, reason, applied: false, outcome: [] };
    const cases = app.openCases().filter((c) => c.workflowId === workflowId && c.workflowVersion === fromVersion);
    m.dry = cases.map((c) => ({ caseState: c, verdict: state.store.engine.check(c, migrateCommand(m), app.ctx()) }));
    view.migration = m;
    renderMigration();
  }

  function applyMigration() {
    const m = view.migration;
    m.outcome = dispatchAll(m.dry.filter((d) => d.verdict.ok).map((d) => ({ caseId: d.caseState.caseId, command: migrateCommand(m) })), renderMigration);
    m.applied = true;
    renderMigration();
  }

  function renderMigration() {
    const m = view.migration;
    if (!m) {
      $("migration").replaceChildren();
      return;
    }
    const ready = m.dry.filter((d) => d.verdict.ok);
    const blocked = m.dry.filter((d) => !d.verdict.ok);
    const reason = el("input", { size: 24, value: m.reason, "aria-label": "Reason for the migration", disabled: m.applied });
    reason.addEventListener("change", () => dryRun(m.workflowId, m.fromVersion, m.toVersion, reason.value));
    $("migration").replaceChildren(el("div", { class: "panel inset", "data-testid": "migration" },
      el("h3", {}, `Version ${m.fromVersion} to version ${m.toVersion}`),
      el("p", { class: "hint" }, m.applied ? "Sent: each case is migrated on its own." : "A dry run: nothing has changed yet."),
      el("p", {}, el("label", {}, "Reason", reason)),
      el("p", { "data-testid": "migration-ready" }, ready.length
        ? `Would move (${ready.length}): ${ready.map((d) => d.caseState.caseId).join(", ")}.`
        : "No case can move as things stand."),
      blocked.length ? [el("p", {}, `Cannot move (${blocked.length}):`), el("ul", { class: "diagnostics", "data-testid": "migration-problems" }, blocked.map(({ caseState, verdict }) =>
        el("li", { class: "error", "data-case": caseState.caseId }, el("span", { class: "code" }, verdict.code), `Case ${caseState.caseId}: `,
          (verdict.details?.problems ?? []).length
            ? el("ul", {}, verdict.details.problems.map((p) => el("li", { "data-step": p.stepId ?? "" },
                p.stepId ? `${app.stepName(caseState, p.stepId)} (${p.stepId}): ${p.message}` : p.message)))
            : verdict.message)))] : "",
      !m.applied && ready.length ? el("button", { type: "button", class: "primary", "data-action": "apply-migration", onclick: applyMigration },
        `Migrate the ${ready.length} case${ready.length === 1 ? "" : "s"} that can move`) : "",
      " ", el("button", { type: "button", onclick: () => { view.migration = null; renderMigration(); } }, "Close"),
      m.outcome.length ? outcomeList(m.outcome, "migration-result") : ""));
  }

  // ---- the case board's redirect --------------------------------------------------------------

  /** Redirect controls for the board's handoff banner (an admin's): the choice is kept across
   * the board's redraws at every sync. */
  function redirectControls(caseState) {
    const { stepId } = caseState.pendingHandoff;
    const remembered = (state.boardRedirect ??= new Map());
    const id = `${caseState.caseId}|${stepId}`;
    const choice = remembered.get(id) ?? { to: "", reason: "" };
    const to = el("select", { "data-testid": "board-redirect-to", "aria-label": "Redirect the handoff to" }, el("option", { value: "", selected: !choice.to }, "Redirect to…"), targetOptions(choice.to));
    const reason = el("input", { size: 18, placeholder: "why", value: choice.reason, "aria-label": "Reason for the redirect" });
    to.addEventListener("change", () => remembered.set(id, { ...choice, to: to.value, reason: reason.value }));
    reason.addEventListener("input", () => remembered.set(id, { to: to.value, reason: reason.value }));
    return el("div", { class: "actions" }, to, reason,
      el("button", { type: "button", "data-action": "board-redirect", onclick: () => {
        if (!to.value) return app.notify("Choose whom the handoff goes to instead.", "info");
        remembered.delete(id);
        app.act({ type: "redirectHandoff", stepId, to: app.partyOf(to.value), reason: reason.value.trim() || "Redirected by an admin" });
      } }, "Redirect the handoff (admin)"));
  }

  return { describeCommand, onRejected, onStatus, reset, renderStuck, renderReassign, renderMigration, versionItems, redirectControls };
}
