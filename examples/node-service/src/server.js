// A Node service that decides commands with the same engine as the browser, bundled into one
// file (esbuild or webpack). It imports only what it uses: Engine.
import { createServer } from "node:http";
import { Engine } from "handoff-engine";
import firm from "handoff-engine/example-firm";

const engine = new Engine(firm);

/** POST /decide { state?, command, actor } → the outcome, or the engine's refusal. */
async function decide(request) {
  let body = "";
  for await (const chunk of request) body += chunk;
  const { state, command, actor } = JSON.parse(body);
  const ctx = { actor, at: new Date().toISOString() };
  try {
    const outcome = state ? engine.execute(state, command, ctx) : engine.startCase(command, ctx);
    return [200, outcome];
  } catch (error) {
    if (error?.name !== "HandoffError") throw error;
    return [422, { error: { code: error.code, message: error.message } }];
  }
}

const server = createServer(async (request, response) => {
  const [status, body] =
    request.method === "POST" && request.url === "/decide"
      ? await decide(request)
      : request.url === "/health"
        ? [200, { ok: engine.validateConfig().ok }]
        : [404, { error: { code: "not-found", message: "POST /decide or GET /health." } }];
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
