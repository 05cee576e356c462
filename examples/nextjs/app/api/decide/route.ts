// Decides on the server, with the same engine the page validates with: the browser predicts,
// the server's answer is the one that counts.
import { Engine, HandoffError } from "handoff-engine";
import firm from "handoff-engine/example-firm";

const engine = new Engine(firm);

export async function POST(request: Request) {
  const { caseId } = (await request.json()) as { caseId: string };
  const ctx = { actor: { kind: "member", id: "dana" }, at: new Date().toISOString() } as const;
  try {
    const outcome = engine.startCase({ caseId, workflowId: "chapter-7" }, ctx);
    const allowed = engine.allowedCommands(outcome.state, ctx.actor).map((a) => a.type);
    return Response.json({ ...outcome, allowed });
  } catch (error) {
    if (!(error instanceof HandoffError)) throw error;
    return Response.json({ error: { code: error.code, message: error.message } }, { status: 422 });
  }
}
