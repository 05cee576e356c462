// Deadlines and escalation (SPEC §11) in the demo, in headless Chromium against the real server:
// the editor's Due and Escalate fields, validated at the field and drawn on the timeline, then
// published; on the board, a deadline of one minute passing for real — predicted by the browser
// when its time passes (while it cannot reach the server, so the prediction is its own), then
// recorded by the server's tick and shown as confirmed — an escalation the same way, and a
// deadline extended by the case's owner.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, launch, openAs, push, repo, serverCases, start, startServer } from "./harness.mjs";

let browser;
const shots = join(repo, "test-results");
const exampleFirm = () => JSON.parse(readFileSync(join(repo, "config/example-firm.json"), "utf8"));

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const open = (server, token) => openAs(browser, server, token);

const tab = (page, name) => page.click(`nav button[data-tab="${name}"]`);
const synced = (page) => page.waitForSelector('[data-testid="sync-status"]:has-text("All changes synced")', { timeout: 15_000 });




async function serverEvents(server, caseId) {
  const response = await fetch(`${server.base}/sync/cases/${caseId}/events`, { headers: { Authorization: "Bearer morgan-token" } });
  return (await response.json()).events;
}

test("the demo's configuration is the Example Law Firm with deadlines, and the server starts from it", async (t) => {
  const demo = JSON.parse(readFileSync(join(repo, "config/demo-firm.json"), "utf8"));
  const withoutDeadlines = structuredClone(demo);
  for (const step of withoutDeadlines.workflows.flatMap((w) => w.steps)) {
    delete step.due;
    if (step.handoff) delete step.handoff.escalate;
  }
  assert.deepEqual(withoutDeadlines, exampleFirm(), "only due and escalate differ, so the two cannot drift apart");
  const server = await startServer({ config: join(repo, "config/demo-firm.json") });
  t.after(server.stop);
  const config = await (await fetch(`${server.base}/sync/config`, { headers: { Authorization: "Bearer morgan-token" } })).json();
  const steps = config.workflows[0].steps;
  assert.equal(steps.find((s) => s.id === "documents").due, "P3D");
  assert.deepEqual(steps.find((s) => s.id === "review-call").handoff.escalate, { after: "PT4H", to: { kind: "role", id: "attorney" } });
});

test("the editor sets a step's Due and a handoff's escalation, flags them at the field, draws them on the timeline and publishes them", async (t) => {
  const server = await startServer();
  t.after(server.stop);
  const { page, context, problems } = await open(server, "morgan-token");
  const documents = page.locator('#steps li[data-step="documents"]');
  const due = documents.locator('input[data-field="due"]');

  // A month is not a duration the engine knows: the error is shown at the field, and blocks.
  await due.fill("P1M");
  const invalid = documents.locator('.diagnostics[data-at="steps[0].due"] [data-code="invalid-duration"]');
  await invalid.waitFor();
  assert.match(await invalid.textContent(), /is due after "P1M": a duration is days, hours and minutes/);
  assert.match(await page.textContent("#summary"), /1 error/);
  await page.waitForSelector("#publish[disabled]");
  assert.equal(await documents.locator('.diagnostics[data-at=""] [data-code]').count(), 0, "shown at the field, not again under the card");
  await due.fill("P2D");
  await page.waitForFunction(() => !document.querySelector('#steps [data-code="invalid-duration"]'));
  assert.equal(await due.evaluate((input) => input === document.activeElement), true, "typing keeps the field's focus");
  const documentsBox = page.locator('#timeline g[data-step="documents"]');
  assert.equal(await documentsBox.getAttribute("data-due"), "P2D");
  assert.match(await documentsBox.locator('[data-line="due"]').textContent(), /^due in 2 days$/);

  // The review call's handoff escalates: to its own target is redundant; to the attorneys, after
  // a duration in seconds is invalid; after four hours it is drawn.
  const review = page.locator('#steps li[data-step="review-call"]');
  await review.locator('select[data-field="escalate-to"]').selectOption("role:paralegal");
  await review.locator('.diagnostics[data-at="steps[3].handoff.escalate"] [data-code="redundant-escalation"]').waitFor();
  await review.locator('select[data-field="escalate-to"]').selectOption("role:attorney");
  await review.locator('input[data-field="escalate-after"]').fill("PT30S");
  await review.locator('.diagnostics[data-at="steps[3].handoff.escalate"] [data-code="invalid-duration"]').waitFor();
  await review.locator('input[data-field="escalate-after"]').fill("PT4H");
  await page.waitForFunction(() => !document.querySelector("#steps .diagnostics [data-code]"));
  const reviewBox = page.locator('#timeline g[data-step="review-call"]');
  assert.equal(await reviewBox.getAttribute("data-escalates-to"), "role:attorney");
  assert.deepEqual(await reviewBox.locator('[data-line="escalation"]').allTextContents(), ["escalates after 4 hours", "to Attorney (role)"]);
  assert.equal(await page.locator('#timeline g[data-step="petition"] [data-line]').count(), 0);
  await page.locator("#timeline").screenshot({ path: join(shots, "timeline-deadlines.png") });

  await page.waitForSelector('[data-testid="publish-verdict"]:has-text("Ready to publish")');
  await page.click("#publish");
  await page.waitForSelector('[data-testid="publish-result"]:has-text("Published version 2: configuration 2")');
  const config = await (await fetch(`${server.base}/sync/config`, { headers: { Authorization: "Bearer morgan-token" } })).json();
  const published = config.workflows.find((w) => w.version === 2).steps;
  assert.equal(published.find((s) => s.id === "documents").due, "P2D");
  assert.deepEqual(published.find((s) => s.id === "review-call").handoff.escalate, { after: "PT4H", to: { kind: "role", id: "attorney" } });

  // A case started on version 2 shows its due date.
  await tab(page, "board");
  await page.waitForSelector('[data-testid="config-version"]:has-text("Configuration 2")', { timeout: 15_000 });
  await page.fill("#new-case-id", "on-two");
  await page.click("#start-case");
  const row = page.locator('#case tr[data-step="documents"] [data-testid="due"]');
  await page.waitForSelector('#case tr[data-step="documents"] [data-testid="due"][data-state="upcoming"]');
  assert.match(await row.textContent(), /^Due .* \(in 2 days\)$/);
  assert.equal(await page.textContent('#cases [data-testid="case-deadline"][data-case="on-two"]'), "next deadline in 2 days");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a one-minute deadline and escalation pass: predicted in the browser, then confirmed by the server's tick; an extended deadline does not pass", async (t) => {
  // The Example Law Firm with the shortest deadlines there are: one minute for the documents,
  // one minute for the paralegals to take the review call before the attorneys get it.
  const config = exampleFirm();
  const steps = config.workflows[0].steps;
  steps.find((s) => s.id === "documents").due = "PT1M";
  steps.find((s) => s.id === "review-call").handoff.escalate = { after: "PT1M", to: { kind: "role", id: "attorney" } };
  const file = join(mkdtempSync(join(tmpdir(), "handoff-deadlines-")), "config.json");
  writeFileSync(file, JSON.stringify(config));
  const server = await startServer({ config: file, more: ["--tick-interval", "1"] });
  t.after(server.stop);

  // Three cases: "late" is left alone; "extended" gets a day more; "escalating" waits at the
  // review call's handoff, which nobody takes.
  assert.deepEqual(await push(server, "dana", "dana-1", [
    start("late"), start("extended"), start("escalating"),
    command("escalating", { type: "completeStep", stepId: "documents" }),
    command("escalating", { type: "completeStep", stepId: "credit-report" }),
  ]), ["applied", "applied", "applied", "applied", "applied"]);
  assert.deepEqual(await push(server, "client", "smith-1", [command("escalating", { type: "completeStep", stepId: "questionnaire" })]), ["applied"]);
  const before = await serverCases(server);
  const dueAt = before.get("late").steps.documents.dueAt;
  assert.equal(before.get("escalating").pendingHandoff.stepId, "review-call");

  const dana = await open(server, "dana-token");
  await tab(dana.page, "board");
  const listed = (caseId) => dana.page.locator(`#cases [data-testid="case-deadline"][data-case="${caseId}"]`);
  await dana.page.click('#cases button[data-case="late"]');
  const lateDue = dana.page.locator('#case tr[data-step="documents"] [data-testid="due"]');
  await dana.page.waitForSelector('#case tr[data-step="documents"] [data-testid="due"][data-state="upcoming"]');
  assert.match(await lateDue.textContent(), /^Due .* \(in \d+ seconds\)$/);

  // The escalation to come is shown with the handoff.
  await dana.page.click('#cases button[data-case="escalating"]');
  const escalation = dana.page.locator('#case [data-testid="handoff-banner"] [data-testid="escalation"]');
  assert.equal(await escalation.getAttribute("data-state"), "upcoming");
  assert.match(await escalation.textContent(), /^Escalates to Attorney \(role\) at .* if nobody takes it\.$/);
  assert.equal(await dana.page.getAttribute('#case tr[data-step="documents"] [data-testid="due"]', "data-state"), "on-time");

  // Dana, of the owning team, extends "extended" by a day; the engine checks the form as it is
  // filled in: an earlier time and a missing reason are refused before anything is sent.
  await dana.page.click('#cases button[data-case="extended"]');
  await dana.page.click('#case tr[data-step="documents"] button[data-action="extend"]');
  const form = dana.page.locator('[data-testid="extend-form"]');
  const dayLater = await form.locator('[data-testid="extend-due-at"]').inputValue();
  const hourAgo = await dana.page.evaluate(() => {
    const date = new Date(Date.now() - 3_600_000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  });
  await form.locator('[data-testid="extend-reason"]').fill("the client is travelling");
  await form.locator('[data-testid="extend-due-at"]').fill(hourAgo);
  assert.match(await dana.page.textContent('[data-testid="extend-check"]'), /Step Initial document collection is due at .*: a new deadline must be later\. \(invalid-input\)/);
  assert.equal(await dana.page.isDisabled('button[data-action="send-extend"]'), true);
  await form.locator('[data-testid="extend-due-at"]').fill(dayLater);
  await form.locator('[data-testid="extend-reason"]').fill("");
  assert.match(await dana.page.textContent('[data-testid="extend-check"]'), /Say why/);
  await form.locator('[data-testid="extend-reason"]').fill("the client is travelling");
  assert.match(await dana.page.textContent('[data-testid="extend-check"]'), /The step will be due .*\(in 1 day\)/);
  await dana.page.click('button[data-action="send-extend"]');
  await synced(dana.page);
  const extended = (await serverCases(server)).get("extended").steps.documents.dueAt;
  assert.ok(Date.parse(extended) - Date.parse(dueAt) > 23 * 3_600_000, `extended to ${extended}`);
  await dana.page.waitForSelector('#case [data-testid="trail"]:has-text("Dana Whitfield extended the deadline of Initial document collection")', { timeout: 15_000 });
  assert.match(await dana.page.textContent('#case tr[data-step="documents"] [data-testid="due"]'), /\(in 1 day\)$/);

  // Paula is not of the owning team and no admin: allowedCommands gives her no Extend.
  const paula = await open(server, "paula-token");
  await tab(paula.page, "board");
  await paula.page.click('#cases button[data-case="late"]', { timeout: 15_000 });
  await paula.page.waitForSelector('#case tr[data-step="documents"] [data-testid="due"][data-state="upcoming"]');
  assert.equal(await paula.page.locator('button[data-action="extend"]').count(), 0);
  await paula.context.close();

  // Shortly before the minute is up, Dana's browser stops hearing from the server: its requests
  // get no answer (so the store has nothing to report either, and the board is not drawn again
  // for it). Whatever the board shows next about the deadlines, it found out by the clock.
  await dana.page.click('#cases button[data-case="late"]');
  const cut = Date.parse(dueAt) - 5_000;
  assert.ok(Date.now() < cut, "the checks above ran past the deadline; the test cannot show the prediction");
  await new Promise((resolve) => setTimeout(resolve, cut - Date.now()));
  assert.equal(await listed("late").getAttribute("data-state"), "upcoming");
  const held = [];
  await dana.page.route("**/sync/**", (route) => held.push(route));
  await dana.page.waitForSelector('#case tr[data-step="documents"] [data-testid="due"][data-state="predicted"]', { timeout: Date.parse(dueAt) + 4_000 - Date.now() });
  assert.ok(Date.now() >= Date.parse(dueAt), "predicted only once the time has passed");
  assert.match(await lateDue.textContent(), /^Overdue \(predicted\) — due .* by this device's clock; the server has not recorded it yet$/);
  await dana.page.waitForSelector('#cases [data-testid="case-deadline"][data-case="late"][data-state="predicted"]');
  assert.equal(await listed("late").textContent(), "overdue (predicted)");
  await dana.page.waitForSelector('#cases [data-testid="case-deadline"][data-case="escalating"][data-state="predicted"]', { timeout: 10_000 });
  assert.equal(await listed("escalating").textContent(), "escalation due (predicted)");
  assert.equal(await listed("extended").getAttribute("data-state"), "upcoming");
  await dana.page.click('#cases button[data-case="escalating"]');
  assert.match(await escalation.textContent(), /^Escalation due \(predicted\): nobody took it by .*; the server has not escalated it to Attorney \(role\) yet\.$/);
  await dana.page.screenshot({ path: join(shots, "deadlines-predicted.png"), fullPage: true });

  // The server's scheduler acts on the deadlines, within its interval of a second.
  await dana.page.unroute("**/sync/**");
  for (const route of held) await route.abort().catch(() => {});

  // Dana's browser hears of it at its next pull, and shows it as recorded.
  await dana.page.waitForSelector('#case [data-testid="escalation"][data-state="escalated"]', { timeout: 20_000 });
  assert.match(await escalation.textContent(), /^Escalated from Paralegal \(role\) to Attorney \(role\) at .*: nobody took it in time \(recorded by the server\)\.$/);
  assert.match(await dana.page.textContent('#case [data-testid="handoff-banner"]'), /^Handoff the case to Attorney \(role\)…/);
  assert.match(await dana.page.textContent('#case [data-testid="trail"]'), /Nobody took the handoff of Client review call in time: it escalated from Paralegal \(role\) to Attorney \(role\)\./);
  await dana.page.waitForSelector('#cases [data-testid="case-deadline"][data-case="late"][data-state="overdue"]', { timeout: 20_000 });
  assert.equal(await listed("late").textContent(), "overdue");
  await dana.page.click('#cases button[data-case="late"]');
  assert.match(await lateDue.textContent(), /^Overdue — recorded by the server; it was due /);
  await dana.page.waitForSelector('#case [data-testid="trail"]:has-text("Initial document collection became overdue")', { timeout: 15_000 });
  assert.equal(await listed("extended").getAttribute("data-state"), "upcoming");
  await dana.page.screenshot({ path: join(shots, "deadlines-confirmed.png"), fullPage: true });

  const after = await serverCases(server);
  assert.equal(after.get("late").steps.documents.overdue, true);
  assert.equal(after.get("extended").steps.documents.overdue, false);
  assert.deepEqual(after.get("escalating").pendingHandoff.to, { kind: "role", id: "attorney" });
  const ticked = (await serverEvents(server, "late")).find((e) => e.type === "stepOverdue");
  assert.deepEqual(ticked.actor, { kind: "system" }, "the server's scheduler ticked the case");
  assert.deepEqual(dana.problems, []);
  await dana.context.close();
});
