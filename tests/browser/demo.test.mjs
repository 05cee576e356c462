// The demo as people use it, in headless Chromium against the real server: the editor's live
// validation, a case handed off twice between two people in two browsers, working offline, and
// names that are shown as text. Screenshots go to test-results/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, repo, startServer } from "./harness.mjs";

let server;
let browser;
const shots = join(repo, "test-results");

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(base, token) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("dialog", (dialog) => {
    problems.push(`a dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
  await page.goto(`${base}/`);
  await page.waitForSelector("body[data-ready]");
  if (token) await page.selectOption("#who", token);
  return { page, context, problems };
}

const board = (page) => page.click('nav button[data-tab="board"]');

test("the editor flags a redundant handoff as it is added and clears it when it is removed", async () => {
  const { page, context, problems } = await open(server.base);
  const card = page.locator('#steps [data-step="credit-report"]');
  assert.equal(await card.locator('[data-code="redundant-handoff"]').count(), 0);
  await card.locator('select[data-field="handoff"]').selectOption("team:documents");
  const flag = card.locator('[data-code="redundant-handoff"]');
  await flag.waitFor();
  assert.match(await flag.textContent(), /already owns it/);
  assert.match(await page.textContent("#summary"), /1 warning/);
  await page.screenshot({ path: join(shots, "editor.png"), fullPage: true });
  await page.locator("#timeline").screenshot({ path: join(shots, "timeline.png") });
  await card.locator('select[data-field="handoff"]').selectOption("");
  await page.waitForFunction(() => !document.querySelector('#steps [data-step="credit-report"] [data-code="redundant-handoff"]'));
  assert.match(await page.textContent("#summary"), /No errors or warnings/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a case runs through both handoffs between two people in two browsers", async () => {
  const dana = await open(server.base, "dana-token");
  const paula = await open(server.base, "paula-token");
  await board(dana.page);
  await dana.page.fill("#new-case-id", "smith-2026");
  await dana.page.click("#start-case");
  for (const step of ["documents", "credit-report"]) {
    await dana.page.click(`#case tr[data-step="${step}"] button[data-action="complete"]`);
  }
  // Another client's case, started through the protocol: the portal must never list it.
  const pushed = await dana.page.evaluate(async () => {
    const mutation = { id: 1, caseId: "jones-2026", kind: "startCase", at: new Date().toISOString(),
      input: { caseId: "jones-2026", workflowId: "chapter-7", clients: ["jones"], facts: { debtor: "Jo Jones" } } };
    const response = await fetch("/sync/push", { method: "POST", headers: { Authorization: "Bearer dana-token", "Content-Type": "application/json" },
      body: JSON.stringify({ schemaVersion: 2, clientId: "demo-test-jones", mutations: [mutation] }) });
    return (await response.json()).results[0].status;
  });
  assert.equal(pushed, "applied");
  await dana.page.waitForSelector('#cases button[data-case="jones-2026"]', { timeout: 10_000 });
  // The client answers the questionnaire from the same browser (the demo's portal identity:
  // the client Smith, for whom the board starts its cases).
  await dana.page.selectOption("#who", "client-token");
  await dana.page.click('#cases button[data-case="smith-2026"]', { timeout: 10_000 });
  assert.equal(await dana.page.locator('#cases button[data-case="jones-2026"]').count(), 0, "the portal shows only Smith's cases");
  await dana.page.click('#case tr[data-step="questionnaire"] button[data-action="complete"]', { timeout: 10_000 });
  await dana.page.waitForSelector("text=All changes synced");
  await dana.page.selectOption("#who", "dana-token");
  await dana.page.click('#cases button[data-case="smith-2026"]', { timeout: 10_000 });
  const banner = dana.page.locator('[data-testid="handoff-banner"]');
  await banner.waitFor({ timeout: 10_000 });
  assert.match(await banner.textContent(), /Handoff the case to Paralegal \(role\)/);
  const candidates = await dana.page.locator('[data-testid="handoff-to"] option').allTextContents();
  assert.deepEqual(candidates, ["Paula Park", "Pete Alvarez"], "only the active paralegals");
  await dana.page.selectOption('[data-testid="handoff-to"]', "paula");
  await banner.locator("button").click();
  await dana.page.screenshot({ path: join(shots, "board.png"), fullPage: true });

  // Paula's browser sees the case become hers after it syncs, and works it.
  await board(paula.page);
  await paula.page.click('#cases button[data-case="smith-2026"]', { timeout: 10_000 });
  await paula.page.waitForFunction(() => document.querySelector('[data-testid="owner"]')?.textContent.includes("Paula Park"), null, { timeout: 10_000 });
  for (const step of ["review-call", "petition"]) {
    await paula.page.click(`#case tr[data-step="${step}"] button[data-action="complete"]`);
  }
  await paula.page.selectOption('[data-testid="handoff-to"]', "avery");
  await paula.page.locator('[data-testid="handoff-banner"] button').click();

  // And Dana's browser sees Paula's handoff to the attorney.
  await dana.page.waitForFunction(() => document.querySelector('[data-testid="owner"]')?.textContent.includes("Avery Stone"), null, { timeout: 10_000 });
  assert.deepEqual([...dana.problems, ...paula.problems], []);
  await dana.context.close();
  await paula.context.close();
});

test("working offline: the change is kept, and sent when the server is back", async () => {
  const own = await startServer();
  const { page, context } = await open(own.base, "dana-token");
  await board(page);
  await page.fill("#new-case-id", "offline-1");
  await page.click("#start-case");
  await page.waitForSelector("text=All changes synced");
  await own.stop();
  await page.click('#case button[data-action="claim"]');
  await page.waitForSelector("#offline:not([hidden])", { timeout: 15_000 });
  assert.match(await page.textContent('[data-testid="sync-status"]'), /1 change waiting to sync/);
  assert.match(await page.textContent('[data-testid="owner"]'), /Dana Whitfield/, "the claim shows at once");
  await page.screenshot({ path: join(shots, "offline.png"), fullPage: true });
  const back = await startServer({ port: own.port, db: own.db });
  await page.waitForSelector("#offline[hidden]", { state: "attached", timeout: 20_000 });
  await page.waitForSelector("text=All changes synced", { timeout: 20_000 });
  await context.close();
  await back.stop();
});

/** Runs case `caseId` of the Example Law Firm to closing through the protocol, as the people
 * whose turn each step is. */
async function closeThroughProtocol(page, caseId) {
  return page.evaluate(async (caseId) => {
    const at = new Date().toISOString();
    const turns = [
      ["dana", { kind: "startCase", input: { caseId, workflowId: "chapter-7", clients: ["smith"] } }],
      ["devon", { kind: "command", command: { type: "completeStep", stepId: "documents" } }],
      ["dana", { kind: "command", command: { type: "claim" } }],
      ["dana", { kind: "command", command: { type: "completeStep", stepId: "credit-report" } }],
      ["client", { kind: "command", command: { type: "completeStep", stepId: "questionnaire" } }],
      ["dana", { kind: "command", command: { type: "completeHandoff", stepId: "review-call", to: "paula" } }],
      ["paula", { kind: "command", command: { type: "completeStep", stepId: "review-call" } }],
      ["paula", { kind: "command", command: { type: "completeStep", stepId: "petition" } }],
      ["paula", { kind: "command", command: { type: "completeHandoff", stepId: "final-review", to: "avery" } }],
      ["avery", { kind: "command", command: { type: "completeStep", stepId: "final-review" } }],
    ];
    const statuses = [];
    for (const [n, [who, body]] of turns.entries()) {
      const mutation = { id: 1, caseId, at, ...body };
      const response = await fetch("/sync/push", { method: "POST", headers: { Authorization: `Bearer ${who}-token`, "Content-Type": "application/json" },
        body: JSON.stringify({ schemaVersion: 2, clientId: `close-${caseId}-${n}`, mutations: [mutation] }) });
      statuses.push((await response.json()).results[0].status);
    }
    return statuses;
  }, caseId);
}

test("the board lists open cases; a closed one is found on the server on demand", async () => {
  const { page, context, problems } = await open(server.base, "dana-token");
  await board(page);
  const statuses = await closeThroughProtocol(page, "closed-2025");
  assert.deepEqual(new Set(statuses), new Set(["applied"]), statuses.join(" "));
  await page.fill("#new-case-id", "open-2026");
  await page.click("#start-case");
  await page.waitForSelector("text=All changes synced");
  await page.waitForSelector('#cases button[data-case="open-2026"]');
  assert.equal(await page.locator('#cases button[data-case="closed-2025"]').count(), 0, "closed cases are not listed");
  await page.fill("#find-case-id", "closed-2025");
  await page.click('#find-case button[type="submit"]');
  await page.waitForSelector('[data-testid="from-server"]', { timeout: 10_000 });
  assert.match(await page.textContent("#case h2"), /closed-2025/);
  assert.match(await page.textContent('[data-testid="owner"]'), /Avery Stone — closed/);
  assert.equal(await page.locator('#case tr[data-step="final-review"] .status').textContent(), "completed");
  await page.screenshot({ path: join(shots, "found.png"), fullPage: true });
  await page.fill("#find-case-id", "no-such-case");
  await page.click('#find-case button[type="submit"]');
  await page.waitForSelector("text=There is no case no-such-case that you may see.");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a member named like markup is shown as text, never run", async () => {
  const config = JSON.parse(readFileSync(join(repo, "config/example-firm.json"), "utf8"));
  const hostile = "<img src=x onerror=alert(1)>";
  config.directory.members.find((m) => m.id === "pete").name = hostile;
  const file = join(mkdtempSync(join(tmpdir(), "handoff-xss-")), "config.json");
  writeFileSync(file, JSON.stringify(config));
  const own = await startServer({ config: file });
  const { page, context, problems } = await open(own.base);
  const labels = await page.locator("#who option").allTextContents();
  assert.ok(labels.includes(hostile), labels.join(" | "));
  assert.equal(await page.locator("img").count(), 0, "no element was made from the name");
  await page.locator('#steps [data-step="review-call"] select[data-field="handoff"]').selectOption("member:pete");
  await page.waitForFunction(() => document.querySelector('#steps [data-step="review-call"]').textContent.includes("<img"));
  assert.equal(await page.locator("img").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
  await own.stop();
});
