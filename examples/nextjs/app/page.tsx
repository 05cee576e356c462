"use client";
// A client page: the workflow edit is validated in the browser as the user types (useValidation),
// and a command is decided on the server by the route handler, with the same package.
import { useEffect, useState } from "react";
import { init, Engine, type Outcome } from "handoff-engine";
import { useValidation } from "handoff-engine/react";
import firm from "handoff-engine/example-firm";

const draftOf = (steps: number) => JSON.stringify({ ...firm.workflows[0], steps: firm.workflows[0].steps.slice(0, steps) }, null, 2);

export default function Page() {
  const [engine, setEngine] = useState<Engine | null>(null);
  const [draft, setDraft] = useState(() => draftOf(6));
  const [server, setServer] = useState<string>("");
  useEffect(() => {
    init().then(() => setEngine(new Engine(firm)));
  }, []);
  const { validation, error } = useValidation(engine, draft);

  async function decide() {
    const response = await fetch("/api/decide", { method: "POST", body: JSON.stringify({ caseId: "smith-2026" }) });
    const body = (await response.json()) as Outcome & { allowed: string[] };
    setServer(`${body.state.caseId}: owned by ${body.state.owner.kind} ${body.state.owner.id}; may ${body.allowed.join(", ")}`);
  }

  return (
    <main>
      <h1>Chapter 7 workflow</h1>
      <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={12} cols={80} />
      <p id="verdict">
        {error ? `invalid-input at ${error.details.path}` : validation ? (validation.ok ? "valid" : "has errors") : "loading"}
      </p>
      <ul id="diagnostics">
        {validation?.diagnostics.map((d) => (
          <li key={`${d.code}${d.path}`}>
            {d.code}: {d.message}
          </li>
        ))}
      </ul>
      <button onClick={() => setDraft(draftOf(6).replace('"kind": "role"', '"kind": "member"'))}>Break a handoff</button>
      <button onClick={decide}>Start a case on the server</button>
      <p id="server">{server}</p>
    </main>
  );
}
