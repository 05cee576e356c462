// The demo: a workflow editor that validates every edit, the ownership timeline as a picture,
// a case board synced with the server through CaseStore, the Directory, the stuck work of
// running cases (change.js), and deadlines and escalation (deadlines.js). It uses only the package's public API. Every name and message is
// rendered as text (textContent), never as HTML.
import { init, Engine, CaseStore, HandoffError } from "/pkg/index.js";
import { createChange } from "/change.js";
import { createDeadlines } from "/deadlines.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

/** An element with attributes and children; strings become text nodes, never HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(name, value);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const state = {
  config: null, configVersion: null, engine: null, draftEngine: null, draft: null, store: null, who: null, selected: null, found: null,
  activity: [], unsubscribe: [], trails: new Map(), trailVersions: new Map(),
};

const key = (party) => (party ? `${party.kind}:${party.id}` : "");
const partyOf = (value) => (value ? { kind: value.split(":")[0], id: value.slice(value.indexOf(":") + 1) } : null);

function partyName(party) {
  if (!party) return "depends on conditions";
  const { members, roles, teams } = state.config.directory;
  const list = { member: members, role: roles, team: teams }[party.kind] ?? [];
  const found = list.find((entry) => entry.id === party.id);
  const name = found ? found.name : party.id;
  return party.kind === "role" ? `${name} (role)` : name;
}

function partyOptions(selected, none) {
  const { members, roles, teams } = state.config.directory;
  const group = (label, kind, list) =>
    el("optgroup", { label }, list.map((entry) => el("option", { value: `${kind}:${entry.id}`, selected: key(selected) === `${kind}:${entry.id}` }, entry.name + (entry.active === false ? " (deactivated)" : ""))));
  return [none && el("option", { value: "", selected: !selected }, none), group("Roles", "role", roles), group("Teams", "team", teams), group("Members", "member", members)];
}

// ---- the editor -----------------------------------------------------------------------------

function engineForDraft() {
  return new Engine({ ...state.config, workflows: [state.draft.workflow], owners: state.draft.owners });
}

/** The draft's verdict, from an engine of its own: the draft never reaches the case board,
 * which decides with the store's engine (the published configuration). */
function validate() {
  state.draftEngine?.free();
  state.draftEngine = engineForDraft();
  return state.draftEngine.validateWorkflow(state.draft.workflow);
}

function diagnosticsList(diagnostics, attributes = {}) {
  return el("ul", { class: "diagnostics", ...attributes }, diagnostics.map((d) => el("li", { class: d.severity, "data-code": d.code }, el("span", { class: "code" }, d.code), d.message)));
}

/** The paths of a step's fields that show their own diagnostics beside them (deadlines.js). */
const fieldPaths = (index) => [`steps[${index}].due`, `steps[${index}].handoff.escalate`];

/** A step's diagnostics shown at `at`: those whose path starts with it, or, for the card's own
 * list (`at` empty), those no field shows. */
function diagnosticsAt(diagnostics, at, index) {
  const mine = at
    ? diagnostics.filter((d) => d.path.startsWith(at))
    : diagnostics.filter((d) => !fieldPaths(index).some((path) => d.path.startsWith(path)));
  return diagnosticsList(mine, { "data-at": at });
}

// ---- publishing ---------------------------------------------------------------------------

const WORKFLOW_ID = "chapter-7";

/** The draft: a copy of the latest published version of the workflow, numbered one more. */
function draftFromPublished() {
  const versions = state.config.workflows.filter((w) => w.id === WORKFLOW_ID);
  const latest = versions.reduce((a, b) => (b.version > a.version ? b : a));
  state.draft = { workflow: { ...structuredClone(latest), version: latest.version + 1 }, owners: structuredClone(state.config.owners) };
}

/** Reads the published configuration: what the editor starts from and checks against. */
async function loadPublished(token = state.who?.token ?? "morgan-token") {
  const response = await fetch("/sync/config", { headers: { Authorization: `Bearer ${token}` } });
  const { configVersion, ...config } = await response.json();
  state.config = config;
  state.configVersion = configVersion;
  // The engine before may be a store's still (it decides with it until it follows): not freed.
  state.engine = new Engine(config);
}

/** The change the Publish button sends: the draft as a new version, and the owners if edited. */
function draftChange() {
  const ownersChanged = JSON.stringify(state.draft.owners) !== JSON.stringify(state.config.owners);
  return { baseConfigVersion: state.configVersion, publish: [state.draft.workflow], ...(ownersChanged ? { owners: state.draft.owners } : {}), reason: "Published from the editor" };
}

const isAdmin = (who) => who?.actor.kind === "member" && liveConfig().directory.members.some((m) => m.id === who.actor.id && m.admin && m.active !== false);
const openCases = () => (state.store ? state.store.list().filter((c) => !c.closed) : []);

/** The newest configuration the page knows: the board's, once the store has followed one newer
 * than the editor's base, else the editor's. */
function liveConfig() {
  return state.boardConfig && state.boardVersion > state.configVersion ? state.boardConfig : state.config;
}

const liveVersion = () => Math.max(state.configVersion, state.boardVersion ?? 0);

/** The workflow version a case runs on, from whichever configuration has it. */
function workflowOf(caseState) {
  const find = (config) => config?.workflows.find((w) => w.id === caseState?.workflowId && w.version === caseState?.workflowVersion);
  return find(liveConfig()) ?? find(state.config) ?? find(state.boardConfig);
}

const stepName = (caseState, id) => workflowOf(caseState)?.steps.find((s) => s.id === id)?.name ?? id;

function renderPublish() {
  if (!state.who) return;
  const { workflow } = state.draft;
  const newer = state.store?.configVersion > state.configVersion;
  $("publish-base").textContent = `A draft of version ${workflow.version}, from the published configuration ${state.configVersion}.`;
  const open = openCases();
  $("versions").replaceChildren(...change.versionItems(liveConfig().workflows.filter((w) => w.id === WORKFLOW_ID)));
  const button = $("publish");
  if (newer) {
    button.disabled = true;
    $("publish-verdict").replaceChildren(`Configuration ${state.store.configVersion} was published meanwhile. `, el("button", { type: "button", onclick: reloadEditor }, "Reload the editor"));
    return;
  }
  if (!isAdmin(state.who)) {
    button.disabled = true;
    $("publish-verdict").textContent = `Only an admin can publish; ${state.who.label} is not one.`;
    return;
  }
  // The server's verdict, predicted in the browser by the same rules.
  const verdict = state.engine.checkConfigChange(draftChange(), open);
  const errors = verdict.diagnostics.filter((d) => d.severity === "error");
  button.disabled = errors.length > 0;
  $("publish-verdict").textContent = errors.length ? `${errors.length} error${errors.length === 1 ? "" : "s"} would block publishing.` : "Ready to publish.";
}

/** The board shows each case's steps from the configuration the store decides with: read it
 * when the store has followed a newer one (the editor keeps its own base until reloaded). */
async function followBoard(version) {
  if (!version || version <= (state.boardVersion ?? state.configVersion)) return;
  state.boardVersion = version;
  const response = await fetch("/sync/config", { headers: { Authorization: `Bearer ${state.who.token}` } });
  if (!response.ok) return;
  const { configVersion, ...config } = await response.json();
  state.boardConfig = config;
  state.boardVersion = configVersion;
  renderBoard();
}

// ---- the directory --------------------------------------------------------------------------

const list = (text) => text.split(/[,\s]+/).map((part) => part.trim()).filter(Boolean);

/** The directory being edited: a copy of the published one, until saved. */
function directoryDraft() {
  state.directoryDraft ??= structuredClone(state.config.directory);
  return state.directoryDraft;
}

function renderDirectory() {
  if (!state.who) return;
  const directory = directoryDraft();
  const admin = isAdmin(state.who);
  $("people").replaceChildren(
    el("tr", {}, el("th", {}, "Person"), el("th", {}, "Roles"), el("th", {}, "Teams"), el("th", {}, "")),
    ...directory.members.map((member) => el("tr", { "data-member": member.id, class: member.active === false ? "muted" : "" },
      el("td", {}, `${member.name} (${member.id})${member.admin ? " — admin" : ""}${member.active === false ? " — deactivated" : ""}`),
      el("td", {}, el("input", { value: (member.roles ?? []).join(", "), size: 16, "aria-label": `Roles of ${member.name}`, disabled: !admin,
        onchange: (e) => { member.roles = list(e.target.value); renderDirectory(); } })),
      el("td", {}, el("input", { value: (member.teams ?? []).join(", "), size: 16, "aria-label": `Teams of ${member.name}`, disabled: !admin,
        onchange: (e) => { member.teams = list(e.target.value); renderDirectory(); } })),
      el("td", {}, admin && el("button", { type: "button", "data-action": member.active === false ? "reactivate" : "deactivate",
        onclick: () => { member.active = member.active === false ? undefined : false; renderDirectory(); } }, member.active === false ? "Reactivate" : "Deactivate")))));
  const button = $("save-directory");
  if (!admin) {
    button.disabled = true;
    $("directory-verdict").textContent = `Only an admin can change the directory; ${state.who.label} is not one.`;
    return;
  }
  const verdict = state.engine.checkConfigChange({ baseConfigVersion: state.configVersion, directory }, openCases());
  const errors = verdict.diagnostics.filter((d) => d.severity === "error");
  button.disabled = errors.length > 0;
  $("directory-verdict").replaceChildren(
    errors.length ? `${errors.length} error${errors.length === 1 ? "" : "s"} would block saving:` : "Ready to save.",
    diagnosticsList(errors),
    verdict.stuck.length ? el("p", { class: "hint" }, `After it, ${verdict.stuck.length} finding${verdict.stuck.length === 1 ? "" : "s"} of stuck work.`) : "");
}

async function saveDirectory() {
  const response = await fetch("/sync/config/change", {
    method: "POST",
    headers: { Authorization: `Bearer ${state.who.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ baseConfigVersion: state.configVersion, directory: directoryDraft(), reason: "Changed in the Directory panel" }),
  });
  const body = await response.json().catch(() => ({}));
  const result = $("directory-result");
  if (response.status === 200) {
    await loadPublished();
    state.directoryDraft = null;
    result.replaceChildren(el("p", { class: "ok" }, `Saved: configuration ${body.configVersion}.`), diagnosticsList(body.diagnostics ?? []),
      (body.stuck ?? []).length ? el("ul", { class: "diagnostics", "data-testid": "stuck" }, body.stuck.map((s) => el("li", { class: s.severity }, el("span", { class: "code" }, s.code), s.message))) : "");
  } else if (response.status === 409) {
    result.replaceChildren(el("p", { class: "bad" }, "Someone else changed the configuration first — reload. "), el("button", { type: "button", onclick: async () => { await loadPublished(); state.directoryDraft = null; result.replaceChildren(); renderDirectory(); } }, "Reload"));
  } else {
    result.replaceChildren(el("p", { class: "bad" }, body.error?.message ?? `HTTP ${response.status}`), diagnosticsList(body.error?.diagnostics ?? []));
  }
  renderDirectory();
}

async function reloadEditor() {
  await loadPublished();
  draftFromPublished();
  $("publish-result").replaceChildren();
  renderEditor();
}

async function publish() {
  const response = await fetch("/sync/config/change", {
    method: "POST",
    headers: { Authorization: `Bearer ${state.who.token}`, "Content-Type": "application/json" },
    body: JSON.stringify(draftChange()),
  });
  const body = await response.json().catch(() => ({}));
  const result = $("publish-result");
  if (response.status === 200) {
    const published = state.draft.workflow.version;
    await reloadEditor();
    result.replaceChildren(el("p", { class: "ok" }, `Published version ${published}: configuration ${body.configVersion}.`), diagnosticsList(body.diagnostics ?? []));
  } else if (response.status === 409) {
    result.replaceChildren(el("p", { class: "bad" }, "Someone else published first — reload. "), el("button", { type: "button", onclick: reloadEditor }, "Reload"));
  } else {
    result.replaceChildren(el("p", { class: "bad" }, body.error?.message ?? `HTTP ${response.status}`), diagnosticsList(body.error?.diagnostics ?? []));
  }
}

function renderSummary(validation) {
  const errors = validation.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = validation.diagnostics.filter((d) => d.severity === "warning").length;
  $("summary").textContent = errors || warnings ? `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}` : "No errors or warnings: ready to publish.";
  $("summary").className = errors ? "bad" : "ok";
  $("general-diagnostics").replaceChildren(...diagnosticsList(validation.diagnostics.filter((d) => !d.stepId)).children);
}

function renderEditor() {
  const { workflow, owners } = state.draft;
  const validation = validate();
  $("workflow-title").textContent = `${workflow.name} (version ${workflow.version})`;
  renderSummary(validation);
  $("firm-owner").replaceChildren(...partyOptions(owners.default, "Nobody chosen"));
  $("default-owner").replaceChildren(...partyOptions(owners.workflows?.[workflow.id], "The firm-wide default"));
  $("steps").replaceChildren(...workflow.steps.map((step, index) => stepCard(step, index, validation.diagnostics.filter((d) => d.stepId === step.id))));
  drawTimeline(validation.timeline);
  renderPublish();
}

/** Replaces part of the draft and re-validates. */
function edit(change) {
  change(state.draft.workflow);
  renderEditor();
}

function parseValue(text) {
  if (text === "true" || text === "false") return text === "true";
  return text.trim() !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
}

function stepCard(step, index, diagnostics) {
  const steps = state.draft.workflow.steps;
  const after = step.after ?? (index > 0 ? [steps[index - 1].id] : []);
  const simple = !step.when || ("fact" in step.when && "equals" in step.when);
  return el("li", { class: `step${diagnostics.some((d) => d.severity === "error") ? " has-error" : ""}`, "data-step": step.id, "data-index": index },
    el("div", { class: "row" },
      el("input", { class: "name", value: step.name, "aria-label": "Step name", oninput: (e) => { step.name = e.target.value; refresh(); } }),
      el("span", { class: "muted" }, step.id),
      el("span", { class: "tools" },
        el("button", { type: "button", title: "Move up", disabled: index === 0, onclick: () => edit((w) => w.steps.splice(index - 1, 0, w.steps.splice(index, 1)[0])) }, "↑"),
        el("button", { type: "button", title: "Move down", disabled: index === steps.length - 1, onclick: () => edit((w) => w.steps.splice(index + 1, 0, w.steps.splice(index, 1)[0])) }, "↓"),
        el("button", { type: "button", title: "Remove", onclick: () => edit((w) => w.steps.splice(index, 1)) }, "✕"))),
    el("div", { class: "row" },
      el("label", {}, el("input", { type: "checkbox", checked: !!step.clientFacing, onchange: (e) => edit(() => { step.clientFacing = e.target.checked || undefined; }) }), "Done by the client"),
      el("label", {}, "Handoff",
        el("select", { "data-field": "handoff", onchange: (e) => edit(() => { step.handoff = e.target.value ? { ...step.handoff, to: partyOf(e.target.value), required: step.handoff?.required ?? true } : null; }) },
          partyOptions(step.handoff?.to, "No Handoff").map((option) => { if (option.tagName === "OPTGROUP") option.label = `Handoff the case to… ${option.label.toLowerCase()}`; return option; }))),
      step.handoff && el("label", {}, el("input", { type: "checkbox", checked: step.handoff.required !== false, onchange: (e) => edit(() => { step.handoff.required = e.target.checked; }) }), "required")),
    step.handoff && el("div", { class: "row" }, deadlines.escalationFields(step, index, diagnostics)),
    el("div", { class: "row" }, deadlines.dueField(step, index, diagnostics)),
    el("div", { class: "row" },
      el("label", {}, "Assigned to (who does the work — not ownership)",
        el("select", { "data-field": "assignee", onchange: (e) => edit(() => { step.assignee = partyOf(e.target.value); }) }, partyOptions(step.assignee, "Whoever owns the case then")))),
    el("div", { class: "row" },
      el("span", { class: "muted" }, "Comes after"),
      steps.filter((other) => other !== step).map((other) =>
        el("label", {}, el("input", { type: "checkbox", checked: after.includes(other.id), onchange: (e) => edit(() => {
          const next = new Set(after);
          if (e.target.checked) next.add(other.id); else next.delete(other.id);
          step.after = steps.map((s) => s.id).filter((id) => next.has(id));
        }) }), other.name))),
    el("div", { class: "row" },
      simple
        ? el("label", {}, "Only when fact",
            el("input", { size: 10, value: step.when?.fact ?? "", placeholder: "chapter", onchange: (e) => edit(() => { step.when = e.target.value ? { fact: e.target.value, equals: step.when?.equals ?? "" } : null; }) }),
            "equals",
            el("input", { size: 8, value: step.when ? String(step.when.equals) : "", placeholder: "7", onchange: (e) => edit(() => { if (step.when) step.when.equals = parseValue(e.target.value); }) }))
        : el("span", { class: "muted" }, `Condition: ${JSON.stringify(step.when)}`)),
    diagnosticsAt(diagnostics, "", index));
}

/** After typing: only what depends on the text changes, so the input keeps its focus. */
function refresh() {
  const validation = validate();
  for (const card of document.querySelectorAll("#steps .step")) {
    const mine = validation.diagnostics.filter((d) => d.stepId === card.dataset.step);
    card.classList.toggle("has-error", mine.some((d) => d.severity === "error"));
    for (const list of card.querySelectorAll(".diagnostics[data-at]")) list.replaceWith(diagnosticsAt(mine, list.dataset.at, Number(card.dataset.index)));
  }
  renderSummary(validation);
  drawTimeline(validation.timeline);
  renderPublish();
}

function drawTimeline(timeline) {
  const steps = state.draft.workflow.steps;
  const lanes = [];
  for (const entry of timeline) if (!lanes.includes(key(entry.owner))) lanes.push(key(entry.owner));
  // A step's deadlines (its due, its handoff's escalation) take a line each under its note.
  const lines = new Map(timeline.map((entry) => [entry.stepId, deadlines.timelineLines(entry, steps.find((s) => s.id === entry.stepId))]));
  const extra = Math.max(0, ...[...lines.values()].map((l) => l.length)) * 14;
  const [left, top, laneHeight, width, gap, height] = [170, 16, 64 + extra, 140, 24, 40 + extra];
  const totalWidth = left + timeline.length * (width + gap) + 10;
  const totalHeight = top + lanes.length * laneHeight + 10;
  const picture = svg("svg", { viewBox: `0 0 ${totalWidth} ${totalHeight}`, width: totalWidth, height: totalHeight, role: "img", "aria-label": "Ownership timeline" });
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#2f5bd3" }));
  defs.append(marker);
  picture.append(defs);
  lanes.forEach((lane, i) => {
    const y = top + i * laneHeight;
    picture.append(svg("rect", { x: 0, y, width: totalWidth, height: laneHeight - 6, rx: 6, fill: i % 2 ? "#f7f8fb" : "#eef2fb" }));
    picture.append(svg("text", { x: 10, y: y + laneHeight / 2, "font-size": 13, "font-weight": 600, fill: "#1d2433", "dominant-baseline": "middle" }, partyName(partyOf(lane))));
  });
  const box = new Map();
  timeline.forEach((entry, i) => {
    const x = left + i * (width + gap);
    const y = top + lanes.indexOf(key(entry.owner)) * laneHeight + 8;
    box.set(entry.stepId, { x, y, entry });
  });
  for (const [id, { x, y, entry }] of box) {
    const index = steps.findIndex((s) => s.id === id);
    const step = steps[index];
    const preds = step.after ?? (index > 0 ? [steps[index - 1].id] : []);
    for (const pred of preds) {
      const from = box.get(pred);
      if (!from) continue;
      const handoff = entry.handoff && !entry.clientFacing;
      picture.append(svg("path", {
        d: `M ${from.x + width} ${from.y + 20} C ${from.x + width + gap / 2} ${from.y + 20}, ${x - gap / 2} ${y + 20}, ${x - 2} ${y + 20}`,
        fill: "none", stroke: handoff ? "#2f5bd3" : "#9aa3b5", "stroke-width": handoff ? 2.5 : 1.2, "marker-end": handoff ? "url(#arrow)" : "",
      }));
    }
  }
  for (const [id, { x, y, entry }] of box) {
    const step = steps.find((s) => s.id === id);
    const mine = lines.get(id);
    const group = svg("g", { "data-step": id, "data-due": entry.due ?? "", "data-escalates-to": key(entry.escalatesTo) });
    if (mine.length) group.append(svg("title", {}, mine.map((line) => line.text).join("; ")));
    group.append(svg("rect", { x, y, width, height, rx: 6, fill: entry.clientFacing ? "#fff" : "#ffffff", stroke: entry.handoff ? "#2f5bd3" : "#8a93a6", "stroke-width": entry.handoff ? 2 : 1, "stroke-dasharray": entry.clientFacing ? "5 3" : "" }));
    const name = step.name.length > 18 ? `${step.name.slice(0, 17)}…` : step.name;
    group.append(svg("text", { x: x + 8, y: y + 17, "font-size": 12, fill: "#1d2433" }, name));
    const note = entry.clientFacing ? "client" : entry.handoff ? "handoff" : entry.worker && key(entry.worker) !== key(entry.owner) ? `by ${partyName(entry.worker)}` : "";
    group.append(svg("text", { x: x + 8, y: y + 32, "font-size": 10, fill: "#5b6475" }, note.length > 22 ? `${note.slice(0, 21)}…` : note));
    mine.forEach((line, i) => group.append(svg("text", { x: x + 8, y: y + 46 + i * 14, "font-size": 10, fill: line.kind === "due" ? "#9a6700" : "#b42318", "data-line": line.kind }, line.text.length > 25 ? `${line.text.slice(0, 24)}…` : line.text)));
    picture.append(group);
  }
  $("timeline").replaceChildren(picture);
}

// ---- the case board -------------------------------------------------------------------------

const ctx = () => ({ actor: state.who.actor, at: new Date().toISOString() });

function act(command, caseId = state.selected) {
  try {
    const { events } = state.store.dispatch(caseId, command, ctx());
    state.activity.unshift(...events.reverse().map((event) => ({ caseId, event })));
  } catch (error) {
    notify(error instanceof HandoffError ? `${error.message} (${error.code})` : String(error), "error");
  }
  renderBoard();
}

function describeEvent(event, stepName) {
  const who = event.actor.kind === "member" ? partyName({ kind: "member", id: event.actor.id }) : `The ${event.actor.kind}`;
  const step = stepName(event.stepId);
  const detail = {
    caseStarted: () => `${who} started the case; it belongs to ${partyName(event.owner)}.`,
    stepTriggered: () => `${step} can start${event.dueAt ? `; it is due ${deadlines.absolute(event.dueAt)}` : ""}.`,
    stepCompleted: () => `${who} completed ${step}.`,
    stepSkipped: () => (event.reason ? `${who} skipped ${step}: ${event.reason}.` : `${step} was skipped: its condition is false.`),
    handoffRequested: () => `${step} waits for a handoff to ${partyName(event.to)}.`,
    handoffCompleted: () => `${who} handed the case from ${partyName(event.from)} to ${partyName(event.to)} (${step}).`,
    handoffReverted: () => `${who} took back the handoff of ${step}: ${partyName(event.to)} owns the case again.`,
    ownershipClaimed: () => `${who} claimed the case from ${partyName(event.from)}.`,
    ownershipTransferred: () => `${who} transferred the case to ${partyName(event.to)}: ${event.reason}.`,
    handoffRedirected: () => `${who} redirected the handoff of ${step} from ${partyName(event.from)} to ${partyName(event.to)}: ${event.reason}.`,
    caseMigrated: () => `${who} moved the case from version ${event.fromVersion} to version ${event.toVersion}.`,
    stepAssigned: () => `${who} assigned ${step} to ${event.to ? partyName(event.to) : "the owner"}.`,
    caseRoleSet: () => `${who} made ${partyName({ kind: "member", id: event.memberId })} the case's ${event.roleId}.`,
    caseClosed: () => "The case is closed.",
  }[event.type];
  return detail ? detail() : deadlines.describeEvent(event, who, step) ?? event.type;
}

/** The case shown: the store's, or one found on the server that the store does not keep. */
function shown(caseId) {
  return state.store.get(caseId) ?? (state.found?.caseId === caseId ? state.found : null);
}

/** Finds a case by id: in the store, else on the server (a closed case, which the board does
 * not keep), and shows it. */
async function find(caseId) {
  if (!caseId) return;
  try {
    const found = state.store.get(caseId) ?? (await state.store.fetchCase(caseId));
    if (!found) {
      notify(`There is no case ${caseId} that you may see.`, "info");
      return;
    }
    state.found = found;
    state.selected = caseId;
  } catch (error) {
    notify(error instanceof HandoffError ? `${error.message} (${error.code})` : String(error));
  }
  renderBoard();
}

function renderBoard() {
  const cases = state.store.list();
  $("cases").replaceChildren(...cases.map((c) =>
    el("li", {}, el("button", { type: "button", class: c.caseId === state.selected ? "selected" : "", "data-case": c.caseId, onclick: () => { state.selected = c.caseId; renderBoard(); } },
      `${c.caseId} — ${c.closed ? "closed" : partyName(c.owner)}`, " ", deadlines.listBadge(c.caseId)))));
  const current = state.selected && shown(state.selected);
  if (!current) {
    // A case that closed leaves the board once synced (closed cases stay on the server).
    const text = state.selected ? `Case ${state.selected} is closed; find it to read it from the server.` : "Start or pick a case.";
    $("case").replaceChildren(el("p", { class: "hint" }, text));
    return;
  }
  const workflow = workflowOf(current);
  const stepName = (id) => workflow?.steps.find((s) => s.id === id)?.name ?? id;
  const allowed = state.store.engine.allowedCommands(current, state.who.actor);
  const can = (type, stepId) => allowed.find((a) => a.type === type && (stepId === undefined || a.stepId === stepId));
  const reason = el("input", { placeholder: "reason (for skip and transfer)", size: 28 });
  const parts = [el("h2", {}, `Case ${current.caseId}`), el("p", { class: "muted", "data-testid": "case-version" }, `${workflow?.name ?? current.workflowId}, version ${current.workflowVersion}`), el("p", { "data-testid": "owner" }, `Owner: ${partyName(current.owner)}${current.closed ? " — closed" : ""}`)];
  if (!state.store.get(current.caseId)) parts.push(el("p", { class: "hint", "data-testid": "from-server" }, "Read from the server: closed cases are not kept in this browser."));
  if (current.pendingHandoff) {
    const handoff = can("completeHandoff", current.pendingHandoff.stepId);
    const chooser = el("select", { "data-testid": "handoff-to" }, (handoff?.candidates ?? []).map((id) => el("option", { value: id }, partyName({ kind: "member", id }))));
    parts.push(el("div", { class: "banner info", "data-testid": "handoff-banner" },
      `Handoff the case to ${partyName(current.pendingHandoff.to)}… (${stepName(current.pendingHandoff.stepId)}) `,
      handoff ? [chooser, " ", el("button", { type: "button", class: "primary", onclick: () => act({ type: "completeHandoff", stepId: current.pendingHandoff.stepId, ...(chooser.value ? { to: chooser.value } : {}) }) }, "Hand off")] : "— only the owner or an admin can complete it.",
      el("div", {}, deadlines.handoffNote(current.caseId)),
      can("redirectHandoff", current.pendingHandoff.stepId) && change.redirectControls(current)));
  }
  parts.push(el("table", {},
    el("tr", {}, el("th", {}, "Step"), el("th", {}, "Status"), el("th", {}, "Due"), el("th", {}, "Assigned to"), el("th", {}, "")),
    (workflow?.steps ?? []).map((step) => {
      const s = current.steps[step.id];
      return [el("tr", { "data-step": step.id },
        el("td", {}, step.name + (step.clientFacing ? " (client)" : "")),
        el("td", { class: "status" }, s.status),
        el("td", {}, deadlines.stepCell(current.caseId, step.id)),
        el("td", {}, s.assignee ? partyName(s.assignee) : "—"),
        el("td", { class: "actions" },
          can("completeStep", step.id) && el("button", { type: "button", "data-action": "complete", onclick: () => act({ type: "completeStep", stepId: step.id }) }, "Complete"),
          can("skipStep", step.id) && el("button", { type: "button", onclick: () => act({ type: "skipStep", stepId: step.id, reason: reason.value || "Not needed" }) }, "Skip"),
          can("extendDeadline", step.id) && deadlines.extendButton(current, step.id))),
      deadlines.extendForm(current, step.id, 5)];
    })));
  if (!current.closed) parts.push(el("div", { class: "actions" },
    can("claim") && el("button", { type: "button", "data-action": "claim", onclick: () => act({ type: "claim" }) }, "Claim the case"),
    can("revertHandoff") && el("button", { type: "button", "data-action": "revert", onclick: () => act({ type: "revertHandoff", stepId: current.lastHandoff.stepId }) }, "Revert the last handoff"),
    can("transferOwnership") && el("button", { type: "button", onclick: () => act({ type: "transferOwnership", to: state.who.actor.kind === "member" ? { kind: "member", id: state.who.actor.id } : current.owner, reason: reason.value || "Rebalancing" }) }, "Take over (admin)"),
    reason));
  // The server's audit trail of the case, whoever acted, then what this browser has not sent yet.
  const trail = state.trails.get(current.caseId) ?? [];
  const sent = new Set(trail.map((event) => event.seq));
  const waiting = state.activity.filter((a) => a.caseId === current.caseId && !sent.has(a.event.seq) && a.event.seq > (trail.at(-1)?.seq ?? 0));
  parts.push(el("h2", {}, "Activity"), el("ul", { class: "trail", "data-testid": "trail" },
    trail.map((event) => el("li", {}, describeEvent(event, stepName))),
    waiting.map(({ event }) => el("li", { class: "muted" }, `${describeEvent(event, stepName)} (not yet synced)`))));
  $("case").replaceChildren(...parts);
  loadTrail(current.caseId, current.version);
}

/** Reads the case's audit trail from the server when the case has changed since it was read. */
async function loadTrail(caseId, version) {
  if (state.trailVersions.get(caseId) === version || state.store.pendingCount) return;
  state.trailVersions.set(caseId, version);
  try {
    const response = await fetch(`/sync/cases/${encodeURIComponent(caseId)}/events`, { headers: { Authorization: `Bearer ${state.who.token}` } });
    if (!response.ok) return;
    const { events } = await response.json();
    state.trails.set(caseId, events);
    if (state.selected === caseId) renderBoard();
  } catch {
    state.trailVersions.delete(caseId);
  }
}

// ---- session, sync, notices -----------------------------------------------------------------

function notify(text, kind = "error") {
  const banner = el("div", { class: `banner ${kind}`, role: "alert" }, text, " ", el("button", { type: "button", onclick: () => banner.remove() }, "Dismiss"));
  $("rejections").append(banner);
}

function showStatus({ pendingCount, online, storageError, configVersion }) {
  $("config-version").textContent = configVersion ? `Configuration ${configVersion}` : "";
  $("sync-status").textContent = pendingCount ? `${pendingCount} change${pendingCount === 1 ? "" : "s"} waiting to sync` : "All changes synced";
  $("offline").hidden = online;
  $("storage").hidden = !storageError;
  $("storage").textContent = storageError ? `This browser's storage: ${storageError.message}` : "";
}

function signIn(token) {
  for (const stop of state.unsubscribe) stop();
  // Signing out sends what the previous person still has queued (it stays queued if offline).
  const previous = state.store;
  previous?.stopAutoSync();
  previous?.sync().catch(() => {});
  const person = state.people.find((p) => p.token === token);
  state.who = person;
  state.store = new CaseStore(state.engine, { baseUrl: "/sync", headers: { Authorization: `Bearer ${token}` }, namespace: token, configVersion: state.configVersion });
  state.unsubscribe = [
    state.store.subscribe((status) => {
      showStatus(status);
      followBoard(status.configVersion);
      requestAnimationFrame(renderBoard);
      requestAnimationFrame(renderPublish);
      change.onStatus(status);
    }),
    state.store.onRejected((r) => {
      notify(`The server refused your change to case ${r.caseId}: ${r.message}`);
      change.onRejected(r);
    }),
  ];
  showStatus({ pendingCount: state.store.pendingCount, online: true, storageError: state.store.storageError });
  renderPublish();
  renderDirectory();
  state.found = null;
  state.trails.clear();
  state.trailVersions.clear();
  change.reset();
  deadlines.reset();
  state.store.startAutoSync({ intervalMs: 1_000 });
  renderBoard();
}

/** Shows a case on the board. */
function showCase(caseId) {
  state.selected = caseId;
  selectTab("board");
  renderBoard();
}

function selectTab(name) {
  for (const button of document.querySelectorAll("nav button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== name;
}

const change = createChange({ state, el, $, partyName, partyOf, notify, ctx, act, isAdmin, openCases, liveConfig, liveVersion, stepName, showCase });
const deadlines = createDeadlines({ state, el, partyName, partyOf, partyOptions, diagnosticsAt, refresh, edit, workflowOf, shown, renderBoard, act, ctx });

/** The client the demo's client-token signs in as (config/demo-tokens.json). */
const PORTAL_CLIENT = { id: "smith", name: "Sam Smith" };

async function main() {
  await init();
  await loadPublished();
  const { config } = state;
  draftFromPublished();
  const { workflow } = state.draft;
  // The demo tokens of the example firm are "<member id>-token" and "client-token", which
  // signs in as one client, Smith: the portal shows only the cases started for Smith.
  state.people = [
    ...config.directory.members.filter((m) => m.active !== false).map((m) => ({ token: `${m.id}-token`, label: m.name, actor: { kind: "member", id: m.id } })),
    { token: "client-token", label: `${PORTAL_CLIENT.name} (client portal)`, actor: { kind: "client", id: PORTAL_CLIENT.id } },
  ];
  $("who").replaceChildren(...state.people.map((p) => el("option", { value: p.token }, p.label)));
  $("who").addEventListener("change", (e) => signIn(e.target.value));
  $("firm-owner").addEventListener("change", (e) => {
    state.draft.owners = { ...state.draft.owners, default: partyOf(e.target.value) ?? undefined };
    renderEditor();
  });
  $("default-owner").addEventListener("change", (e) => {
    const workflows = { ...state.draft.owners.workflows, [workflow.id]: partyOf(e.target.value) };
    if (!e.target.value) delete workflows[workflow.id];
    state.draft.owners = { ...state.draft.owners, workflows };
    renderEditor();
  });
  $("add-step").addEventListener("click", () => edit((w) => {
    let n = w.steps.length + 1;
    while (w.steps.some((s) => s.id === `step-${n}`)) n += 1;
    w.steps.push({ id: `step-${n}`, name: "New step" });
  }));
  for (const button of document.querySelectorAll("nav button")) button.addEventListener("click", () => selectTab(button.dataset.tab));
  $("start-case").addEventListener("click", () => {
    const caseId = $("new-case-id").value.trim() || `case-${Date.now().toString(36)}`;
    try {
      // Every demo case is for the portal's client, so that signing in as the client shows it.
      const { events } = state.store.startCase({ caseId, workflowId: workflow.id, clients: [PORTAL_CLIENT.id] }, ctx());
      state.activity.unshift(...events.reverse().map((event) => ({ caseId, event })));
      state.selected = caseId;
      $("new-case-id").value = "";
    } catch (error) {
      notify(error instanceof HandoffError ? `${error.message} (${error.code})` : String(error));
    }
    renderBoard();
  });
  $("publish").addEventListener("click", () => publish().catch((error) => notify(String(error))));
  $("save-directory").addEventListener("click", () => saveDirectory().catch((error) => notify(String(error))));
  $("add-person").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("person-id").value.trim();
    const name = $("person-name").value.trim();
    if (!id || !name) return notify("A person needs an id and a name.", "info");
    directoryDraft().members.push({ id, name, roles: list($("person-roles").value), teams: list($("person-teams").value) });
    for (const field of ["person-id", "person-name", "person-roles", "person-teams"]) $(field).value = "";
    renderDirectory();
  });
  $("find-case").addEventListener("submit", (event) => {
    event.preventDefault();
    find($("find-case-id").value.trim());
  });
  renderEditor();
  signIn(state.people[0].token);
  // Deadlines pass by the clock, not by a change: the board's badges follow it every second.
  setInterval(deadlines.refresh, 1_000);
  document.body.dataset.ready = "true";
}

main().catch((error) => notify(`The demo could not start: ${error.message ?? error}`));
