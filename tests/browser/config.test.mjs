// Publishing from the demo's editor (SPEC §9), in headless Chromium against the real server: an
// admin publishes version 2 while another person has a case open on version 1; that person's
// store follows the new configuration, the open case stays on version 1, a new one starts on 2;
// someone who is not an admin cannot publish.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, openAs, startServer } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const open = (token) => openAs(browser, server, token);

const board = (page) => page.click('nav button[data-tab="board"]');
const editor = (page) => page.click('nav button[data-tab="editor"]');

test("an admin publishes version 2; another person's store follows, their open case stays on 1, a new case starts on 2", async () => {
  const paula = await open("paula-token");
  await board(paula.page);
  await paula.page.fill("#new-case-id", "on-v1");
  await paula.page.click("#start-case");
  await paula.page.waitForSelector("text=All changes synced");
  await paula.page.waitForSelector('[data-testid="config-version"]:has-text("Configuration 1")');
  assert.match(await paula.page.textContent('[data-testid="case-version"]'), /version 1/);

  const dana = await open("dana-token");
  assert.match(await dana.page.textContent('[data-testid="publish-verdict"]'), /Only an admin can publish/);
  assert.equal(await dana.page.locator("#publish").isDisabled(), true);

  const morgan = await open("morgan-token");
  await editor(morgan.page);
  assert.match(await morgan.page.textContent("#publish-base"), /draft of version 2, from the published configuration 1/);
  await morgan.page.waitForSelector('[data-testid="publish-verdict"]:has-text("Ready to publish")');
  await morgan.page.fill('#steps li[data-step="petition"] input.name', "Petition drafting");
  await morgan.page.click("#publish");
  await morgan.page.waitForSelector('[data-testid="publish-result"]:has-text("Published version 2: configuration 2")');
  assert.match(await morgan.page.textContent("#publish-base"), /draft of version 3, from the published configuration 2/);
  await morgan.page.waitForSelector('#versions li[data-version="2"]');

  // Paula's store follows at its next pull; her case stays on version 1; a new one starts on 2.
  await paula.page.waitForSelector('[data-testid="config-version"]:has-text("Configuration 2")', { timeout: 15_000 });
  assert.match(await paula.page.textContent('[data-testid="case-version"]'), /version 1/);
  await paula.page.fill("#new-case-id", "on-v2");
  await paula.page.click("#start-case");
  await paula.page.waitForSelector('[data-testid="case-version"]:has-text("version 2")');
  await paula.page.waitForSelector("text=All changes synced");
  await paula.page.click('#cases button[data-case="on-v2"]');
  assert.match(await paula.page.textContent('#case tr[data-step="petition"]'), /Petition drafting/);

  // A second publish from a stale editor is refused: someone else published first.
  await dana.context.close();
  const stale = await open("morgan-token");
  await editor(stale.page);
  await morgan.page.click("#publish");
  await morgan.page.waitForSelector('[data-testid="publish-result"]:has-text("Published version 3")');
  await stale.page.evaluate(() => {});
  await stale.page.click("#publish").catch(() => {});
  await stale.page.waitForSelector('[data-testid="publish-result"]:has-text("Someone else published first"), [data-testid="publish-verdict"]:has-text("was published meanwhile")', { timeout: 15_000 });
  assert.deepEqual([...paula.problems, ...morgan.problems, ...stale.problems], []);
  for (const one of [paula, morgan, stale]) await one.context.close();
});

test("the Directory panel: an admin deactivates a person, whose case shows up as stuck, and adds one; others cannot", async () => {
  const own = await startServer();
  const at = new Date().toISOString();
  // Devon owns a case: started by Dana, the documents step completed, then claimed by Devon.
  for (const [token, client, mutation] of [
    ["dana", "d", { id: 1, caseId: "devons", kind: "startCase", input: { caseId: "devons", workflowId: "chapter-7" }, at }],
    ["devon", "v", { id: 1, caseId: "devons", kind: "command", command: { type: "claim" }, at }],
  ]) {
    const response = await fetch(`${own.base}/sync/push`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}-token`, "Content-Type": "application/json" },
      body: JSON.stringify({ schemaVersion: 2, clientId: `${client}-1`, mutations: [mutation] }),
    });
    assert.equal((await response.json()).results[0].status, "applied");
  }
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${own.base}/`);
  await page.waitForSelector("body[data-ready]");
  await page.click('nav button[data-tab="directory"]');
  assert.match(await page.textContent('[data-testid="directory-verdict"]'), /Only an admin can change the directory/);
  await page.selectOption("#who", "morgan-token");
  await page.click('nav button[data-tab="board"]');
  await page.waitForSelector('#cases button[data-case="devons"]');
  await page.click('nav button[data-tab="directory"]');
  await page.click('#people tr[data-member="devon"] button[data-action="deactivate"]');
  await page.fill("#person-id", "jo");
  await page.fill("#person-name", "Jo Banks");
  await page.fill("#person-teams", "documents");
  await page.click('#add-person button[type="submit"]');
  await page.waitForSelector('[data-testid="directory-verdict"]:has-text("Ready to save")');
  await page.click("#save-directory");
  await page.waitForSelector('[data-testid="directory-result"]:has-text("Saved: configuration 2")');
  assert.match(await page.textContent('[data-testid="stuck"]'), /owner-inactive/);
  assert.match(await page.textContent('#people tr[data-member="devon"]'), /deactivated/);
  assert.match(await page.textContent('#people tr[data-member="jo"]'), /Jo Banks/);
  const history = await (await fetch(`${own.base}/sync/config/history`, { headers: { Authorization: "Bearer morgan-token" } })).json();
  assert.equal(history.changes.at(-1).directory, true);
  assert.deepEqual(problems, []);
  await context.close();
  await own.stop();
});
