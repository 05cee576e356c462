// Running cases through change (SPEC §10) in the demo, in headless Chromium against the real
// server: a person deactivated in the Directory panel leaves stuck work, which an admin sees and
// reassigns after reading the plan; a handoff whose target left is redirected; a command the
// server refuses is reported; a version's open cases are migrated after a dry run that shows
// the one that cannot move. Someone who is not an admin gets none of the controls, and is told why.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { command, launch, openAs, push, repo, serverCases, start, startServer } from "./harness.mjs";

let browser;
const shots = join(repo, "test-results");

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});




/** A change to the configuration made straight through the server, as the admin. */
async function deactivate(server, id) {
  const config = await (await fetch(`${server.base}/sync/config`, { headers: { Authorization: "Bearer morgan-token" } })).json();
  config.directory.members.find((m) => m.id === id).active = false;
  const response = await fetch(`${server.base}/sync/config/change`, {
    method: "POST",
    headers: { Authorization: "Bearer morgan-token", "Content-Type": "application/json" },
    body: JSON.stringify({ baseConfigVersion: config.configVersion, directory: config.directory, reason: `${id} left` }),
  });
  assert.equal(response.status, 200, await response.text());
}

const open = (server, token) => openAs(browser, server, token);

const tab = (page, name) => page.click(`nav button[data-tab="${name}"]`);
const synced = (page) => page.waitForSelector('[data-testid="sync-status"]:has-text("All changes synced")', { timeout: 15_000 });

test("a person deactivated in the Directory leaves stuck work, which the admin reassigns after reading the plan", async () => {
  const server = await startServer();
  // Devon owns two cases (claimed from the Documents Team); Dana is the case's paralegal in a
  // third, which Devon does not hold: it must stay as it is.
  assert.deepEqual(await push(server, "dana", "dana-1", [start("devons-1"), start("devons-2"), start("others", { caseRoles: { paralegal: "paula" } })]), ["applied", "applied", "applied"]);
  assert.deepEqual(await push(server, "devon", "devon-1", [command("devons-1", { type: "claim" }), command("devons-2", { type: "claim" })]), ["applied", "applied"]);

  // Someone who is not an admin gets no controls, and is told why.
  const dana = await open(server, "dana-token");
  await tab(dana.page, "stuck-work");
  assert.match(await dana.page.textContent('[data-testid="stuck-not-admin"]'), /Only an admin can see and move stuck work; Dana Whitfield is not one/);
  assert.match(await dana.page.textContent('[data-testid="reassign-not-admin"]'), /Only an admin can reassign a person's work/);
  assert.equal(await dana.page.locator("#reassign-from, #show-plan, [data-action=redirect]").count(), 0);

  // The admin deactivates Devon in the Directory panel.
  const morgan = await open(server, "morgan-token");
  await tab(morgan.page, "board");
  await morgan.page.waitForSelector('#cases button[data-case="devons-2"]');
  await tab(morgan.page, "stuck-work");
  await morgan.page.waitForSelector('[data-testid="stuck-none"]');
  await tab(morgan.page, "directory");
  await morgan.page.click('#people tr[data-member="devon"] button[data-action="deactivate"]');
  await morgan.page.waitForSelector('[data-testid="directory-verdict"]:has-text("Ready to save")');
  await morgan.page.click("#save-directory");
  await morgan.page.waitForSelector('[data-testid="directory-result"]:has-text("Saved: configuration 2")');

  // The board follows configuration 2, and Devon's cases show up as stuck.
  await tab(morgan.page, "stuck-work");
  const finding = morgan.page.locator('[data-testid="stuck-list"] li[data-case="devons-1"][data-code="owner-inactive"]');
  await finding.waitFor({ timeout: 15_000 });
  assert.match(await finding.textContent(), /Case devons-1 is owned by Devon Ray, who is no longer active\./);
  assert.match(await finding.textContent(), /Case devons-1 · party Devon Ray/);
  await morgan.page.waitForSelector('[data-testid="stuck-list"] li[data-case="devons-2"][data-code="owner-inactive"]');
  assert.equal(await morgan.page.locator('[data-testid="stuck-list"] li[data-case="others"]').count(), 0);

  // Reassign Devon's work to Dana: the plan first, nothing changed yet.
  await finding.locator('button[data-action="reassign-from"]').click();
  assert.equal(await morgan.page.inputValue("#reassign-from"), "devon");
  await morgan.page.selectOption("#reassign-to", "dana");
  await morgan.page.click("#show-plan");
  const plan = morgan.page.locator('[data-testid="reassign-plan"]');
  await plan.waitFor();
  assert.match(await plan.textContent(), /2 commands in 2 cases\. Nothing has changed yet\./);
  assert.match(await plan.locator('li[data-case="devons-1"]').textContent(), /Transfer the case to Dana Whitfield \(Devon Ray left\)/);
  assert.equal((await serverCases(server)).get("devons-1").owner.id, "devon", "showing the plan changes nothing");

  // Apply: each command is pushed and decided by the server as the admin.
  await morgan.page.screenshot({ path: join(shots, "reassign-plan.png"), fullPage: true });
  await plan.locator('button[data-action="apply-plan"]').click();
  await morgan.page.waitForSelector('[data-testid="reassign-result"] li[data-case="devons-1"][data-status="accepted"]', { timeout: 15_000 });
  await morgan.page.waitForSelector('[data-testid="reassign-result"] li[data-case="devons-2"][data-status="accepted"]');
  await synced(morgan.page);
  await morgan.page.waitForSelector('[data-testid="stuck-none"]');
  const after = await serverCases(server);
  for (const id of ["devons-1", "devons-2"]) assert.deepEqual(after.get(id).owner, { kind: "member", id: "dana" }, id);
  assert.deepEqual(after.get("others").owner, { kind: "team", id: "documents" });
  // Planned again, nothing is left to move.
  await morgan.page.click("#show-plan");
  await morgan.page.waitForSelector('[data-testid="reassign-nothing"]:has-text("Nothing to move: Devon Ray holds no work in the open cases.")');
  // Dana's browser sees the cases become hers.
  await tab(dana.page, "board");
  await dana.page.waitForSelector('#cases button[data-case="devons-1"]:has-text("Dana Whitfield")', { timeout: 15_000 });
  assert.deepEqual([...dana.problems, ...morgan.problems], []);
  await dana.context.close();
  await morgan.context.close();
  await server.stop();
});

test("a handoff whose target left is redirected, from the stuck work and from the board", async () => {
  const server = await startServer();
  const toReview = (caseId) => [
    command(caseId, { type: "completeStep", stepId: "documents" }),
    command(caseId, { type: "completeStep", stepId: "credit-report" }),
  ];
  assert.deepEqual(new Set(await push(server, "dana", "dana-1", [start("smith-a"), start("smith-b"), ...toReview("smith-a"), ...toReview("smith-b")])), new Set(["applied"]));
  const client = await fetch(`${server.base}/sync/push`, {
    method: "POST",
    headers: { Authorization: "Bearer client-token", "Content-Type": "application/json" },
    body: JSON.stringify({ schemaVersion: 2, clientId: "smith-1", mutations: ["smith-a", "smith-b"].map((caseId, i) => ({ id: i + 1, at: new Date().toISOString(), ...command(caseId, { type: "completeStep", stepId: "questionnaire" }) })) }),
  });
  assert.deepEqual((await client.json()).results.map((r) => r.status), ["applied", "applied"]);
  // Both review-call handoffs were sent to Pete personally, who then left.
  const redirect = (caseId) => command(caseId, { type: "redirectHandoff", stepId: "review-call", to: { kind: "member", id: "pete" }, reason: "Pete has the time" });
  assert.deepEqual(await push(server, "morgan", "morgan-1", [redirect("smith-a"), redirect("smith-b")]), ["applied", "applied"]);
  await deactivate(server, "pete");

  const morgan = await open(server, "morgan-token");
  await tab(morgan.page, "stuck-work");
  const finding = morgan.page.locator('[data-testid="stuck-list"] li[data-case="smith-a"][data-code="handoff-target-inactive"]');
  await finding.waitFor({ timeout: 15_000 });
  assert.match(await finding.textContent(), /The handoff of case smith-a at step Client review call goes to Pete Alvarez, who is no longer active\./);
  assert.match(await finding.textContent(), /step Client review call · party Pete Alvarez/);
  await finding.locator('button[data-action="redirect"]').click();
  await finding.locator('[data-testid="redirect-to"]').selectOption("member:paula");
  await finding.locator('[data-testid="redirect-reason"]').fill("Pete left the firm");
  await morgan.page.screenshot({ path: join(shots, "redirect.png"), fullPage: true });
  await finding.locator('button[data-action="send-redirect"]').click();
  await morgan.page.waitForSelector('[data-testid="redirect-result"] li[data-case="smith-a"][data-status="accepted"]', { timeout: 15_000 });
  assert.match(await morgan.page.textContent('[data-testid="redirect-result"]'), /Redirect the handoff at Client review call to Paula Park \(Pete left the firm\)/);
  await morgan.page.waitForFunction(() => !document.querySelector('[data-testid="stuck-list"] li[data-case="smith-a"]'));
  const pending = (await serverCases(server)).get("smith-a").pendingHandoff;
  assert.deepEqual([pending.stepId, pending.to], ["review-call", { kind: "member", id: "paula" }]);

  // The board offers an admin the same redirect in the handoff banner; to a role this time.
  await morgan.page.click('[data-testid="stuck-list"] li[data-case="smith-b"] button:has-text("Open the case")');
  const banner = morgan.page.locator('[data-testid="handoff-banner"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /Handoff the case to Pete Alvarez/);
  await banner.locator('[data-testid="board-redirect-to"]').selectOption("role:paralegal");
  await banner.locator('button[data-action="board-redirect"]').click();
  await morgan.page.waitForSelector('[data-testid="handoff-banner"]:has-text("Handoff the case to Paralegal (role)")');
  await synced(morgan.page);
  assert.deepEqual((await serverCases(server)).get("smith-b").pendingHandoff.to, { kind: "role", id: "paralegal" });
  await morgan.page.waitForSelector('#case [data-testid="trail"]:has-text("Morgan Lee redirected the handoff of Client review call from Pete Alvarez to Paralegal (role)")', { timeout: 15_000 });
  await tab(morgan.page, "stuck-work");
  await morgan.page.waitForSelector('[data-testid="stuck-none"]');

  // Someone who is not an admin sees the banner without the redirect.
  const dana = await open(server, "dana-token");
  await tab(dana.page, "board");
  await dana.page.click('#cases button[data-case="smith-b"]', { timeout: 15_000 });
  await dana.page.waitForSelector('[data-testid="handoff-banner"]');
  assert.equal(await dana.page.locator('[data-action="board-redirect"]').count(), 0);
  assert.deepEqual([...morgan.problems, ...dana.problems], []);
  await morgan.context.close();
  await dana.context.close();
  await server.stop();
});

test("a planned command that the server refuses is reported as refused, the others applied", async () => {
  const server = await startServer();
  // Dana, of the owning team, assigns two steps to Devon; then Devon leaves.
  assert.deepEqual(await push(server, "dana", "dana-1", [
    start("shared"),
    command("shared", { type: "assignStep", stepId: "documents", to: { kind: "member", id: "devon" } }),
    command("shared", { type: "assignStep", stepId: "credit-report", to: { kind: "member", id: "devon" } }),
  ]), ["applied", "applied", "applied"]);
  await deactivate(server, "devon");
  const morgan = await open(server, "morgan-token");
  await tab(morgan.page, "stuck-work");
  await morgan.page.waitForSelector('[data-testid="stuck-list"] li[data-case="shared"][data-code="assignee-inactive"]', { timeout: 15_000 });
  await morgan.page.selectOption("#reassign-from", "devon");
  await morgan.page.selectOption("#reassign-to", "dana");
  await morgan.page.click("#show-plan");
  const plan = morgan.page.locator('[data-testid="reassign-plan"]');
  assert.match(await plan.textContent(), /Assign Initial document collection to Dana Whitfield/);
  assert.match(await plan.textContent(), /Assign Credit report review to Dana Whitfield/);

  // The browser cannot reach the server while the plan is applied; meanwhile the documents step
  // is completed elsewhere, so the server refuses to assign it.
  await morgan.page.route("**/sync/push", (route) => route.abort());
  await plan.locator('button[data-action="apply-plan"]').click();
  await morgan.page.waitForSelector('[data-testid="reassign-result"] li[data-status="waiting"]');
  assert.deepEqual(await push(server, "morgan", "morgan-elsewhere", [command("shared", { type: "completeStep", stepId: "documents" })]), ["applied"]);
  await morgan.page.unroute("**/sync/push");
  const refused = morgan.page.locator('[data-testid="reassign-result"] li[data-status="refused-by-server"]');
  await refused.waitFor({ timeout: 30_000 });
  assert.match(await refused.textContent(), /Case shared: Assign Initial document collection to Dana Whitfield — refused by the server: Step Initial document collection is not active\. \(step-not-active\)/);
  await morgan.page.waitForSelector('[data-testid="reassign-result"] li[data-status="accepted"]:has-text("Credit report review")', { timeout: 15_000 });
  await morgan.page.waitForSelector('#rejections [role="alert"]:has-text("The server refused your change to case shared")');
  await morgan.page.screenshot({ path: join(shots, "reassign-refused.png"), fullPage: true });
  const shared = (await serverCases(server)).get("shared");
  assert.equal(shared.steps.documents.status, "completed");
  assert.deepEqual(shared.steps["credit-report"].assignee, { kind: "member", id: "dana" });
  assert.deepEqual(morgan.problems, []);
  await morgan.context.close();
  await server.stop();
});

test("migrating version 1's open cases to a published version 2: a dry run first, then the cases that can move", async () => {
  const server = await startServer();
  // Two cases at their first step, and one whose credit report review is under way.
  assert.deepEqual(await push(server, "dana", "dana-1", [
    start("early-1"), start("early-2"), start("under-way"),
    command("under-way", { type: "completeStep", stepId: "documents" }),
  ]), ["applied", "applied", "applied", "applied"]);

  // Someone who is not an admin sees the count and why they cannot migrate.
  const dana = await open(server, "dana-token");
  const morgan = await open(server, "morgan-token");
  await tab(morgan.page, "board");
  await morgan.page.waitForSelector('#cases button[data-case="under-way"]');
  await tab(morgan.page, "editor");
  // Version 2 drops the credit report review, as the editor publishes it.
  await morgan.page.click('#steps li[data-step="credit-report"] button[title="Remove"]');
  await morgan.page.waitForSelector('[data-testid="publish-verdict"]:has-text("Ready to publish")');
  await morgan.page.click("#publish");
  await morgan.page.waitForSelector('[data-testid="publish-result"]:has-text("Published version 2: configuration 2")');
  const migrate = morgan.page.locator('#versions li[data-version="1"] button[data-action="migrate"]');
  await morgan.page.waitForSelector('#versions li[data-version="1"] button[data-action="migrate"]:not([disabled])', { timeout: 15_000 });
  assert.equal(await migrate.textContent(), "Migrate the 3 open cases on version 1 to version 2");
  assert.equal(await morgan.page.locator('#versions li[data-version="2"] button').count(), 0);

  await dana.page.waitForSelector('#versions li[data-version="1"] [data-testid="migrate-not-admin"]', { timeout: 15_000 });
  assert.match(await dana.page.textContent('#versions li[data-version="1"]'), /Version 1: 3 open cases.*Only an admin can migrate cases to a newer version; Dana Whitfield is not one/);
  assert.equal(await dana.page.locator('button[data-action="migrate"]').count(), 0);

  // The dry run: the case under way cannot move, with its step; the others would.
  await migrate.click();
  const dry = morgan.page.locator('[data-testid="migration"]');
  await dry.waitFor();
  assert.match(await dry.textContent(), /A dry run: nothing has changed yet\./);
  assert.match(await dry.locator('[data-testid="migration-ready"]').textContent(), /Would move \(2\): early-1, early-2\./);
  const problem = dry.locator('[data-testid="migration-problems"] li[data-case="under-way"] li[data-step="credit-report"]');
  assert.match(await problem.textContent(), /Credit report review \(credit-report\): Step Credit report review is under way, and that version has no step for it/);
  assert.equal((await serverCases(server)).get("early-1").workflowVersion, 1, "the dry run changes nothing");

  await morgan.page.screenshot({ path: join(shots, "migration-dry-run.png"), fullPage: true });
  await dry.locator('button[data-action="apply-migration"]').click();
  await morgan.page.waitForSelector('[data-testid="migration-result"] li[data-case="early-1"][data-status="accepted"]', { timeout: 15_000 });
  await morgan.page.waitForSelector('[data-testid="migration-result"] li[data-case="early-2"][data-status="accepted"]');
  assert.equal(await morgan.page.locator('[data-testid="migration-result"] li[data-case="under-way"]').count(), 0, "the blocked case is not sent");
  await synced(morgan.page);
  const cases = await serverCases(server);
  assert.deepEqual(["early-1", "early-2", "under-way"].map((id) => cases.get(id).workflowVersion), [2, 2, 1]);
  await morgan.page.waitForSelector('#versions li[data-version="1"]:has-text("Version 1: 1 open cases")');
  await morgan.page.waitForSelector('#versions li[data-version="2"]:has-text("Version 2: 2 open cases")');

  // The board shows the migrated cases on version 2, the other on 1.
  await tab(morgan.page, "board");
  for (const [id, version] of [["early-1", 2], ["under-way", 1]]) {
    await morgan.page.click(`#cases button[data-case="${id}"]`);
    await morgan.page.waitForSelector(`#case h2:has-text("Case ${id}")`);
    assert.match(await morgan.page.textContent('[data-testid="case-version"]'), new RegExp(`version ${version}$`));
  }
  await morgan.page.click('#cases button[data-case="early-1"]');
  assert.equal(await morgan.page.locator('#case tr[data-step="credit-report"]').count(), 0);
  assert.deepEqual([...dana.problems, ...morgan.problems], []);
  await dana.context.close();
  await morgan.context.close();
  await server.stop();
});
