// The minimal demo: load the package as a user would, fetch the server's config, and show each
// workflow's validation and ownership timeline. Everything is rendered as text.
import { init, Engine, HandoffError } from "/pkg/index.js";

const main = document.getElementById("workflows");
const token = document.getElementById("token");

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function partyName(party, directory) {
  if (!party) return "depends on conditions";
  const list = { member: directory.members, role: directory.roles, team: directory.teams }[party.kind];
  const found = list.find((entry) => entry.id === party.id);
  return found ? found.name : `${party.kind} ${party.id}`;
}

async function show() {
  main.replaceChildren(element("p", "Loading…"));
  try {
    await init();
    const response = await fetch("/sync/config", { headers: { Authorization: `Bearer ${token.value}` } });
    if (!response.ok) throw new Error(`The server answered ${response.status}.`);
    const { configVersion, ...config } = await response.json();
    const engine = new Engine(config);
    const sections = config.workflows.map((workflow) => {
      const { ok, diagnostics, timeline } = engine.validateWorkflow(workflow);
      const section = element("section");
      section.append(element("h2", `${workflow.name} (version ${workflow.version})`));
      section.append(element("p", ok ? "Valid: no errors." : "Has errors.", ok ? "ok" : "error"));
      const list = element("ul");
      for (const d of diagnostics) list.append(element("li", `${d.severity} ${d.code}: ${d.message}`, d.severity));
      section.append(list);
      const table = element("table");
      const head = element("tr");
      for (const title of ["Step", "Owner while the work is done", "Handoff", "Who does the work"]) head.append(element("th", title));
      table.append(head);
      for (const entry of timeline) {
        const step = workflow.steps.find((s) => s.id === entry.stepId);
        const row = element("tr");
        row.append(element("td", step.name + (entry.clientFacing ? " (client)" : "")));
        row.append(element("td", partyName(entry.owner, config.directory)));
        row.append(element("td", entry.handoff ? "yes" : "no"));
        row.append(element("td", entry.clientFacing ? "the client" : partyName(entry.worker, config.directory)));
        table.append(row);
      }
      section.append(table);
      return section;
    });
    main.replaceChildren(element("p", `Configuration version ${configVersion}.`), ...sections);
  } catch (error) {
    const text = error instanceof HandoffError ? `${error.code}: ${error.message}` : String(error.message ?? error);
    main.replaceChildren(element("p", text, "error"));
  }
}

token.addEventListener("change", show);
show();
