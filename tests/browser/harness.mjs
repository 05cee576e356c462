// The real server on a free loopback port and Debian's Chromium, for the browser tests.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const repo = new URL("../..", import.meta.url).pathname;

/** Starts the server; resolves to { base, db, port, stop }. Options: a port, a database file to
 * reuse (for restarts), a config file, more arguments. */
export async function startServer({ port = 0, db = join(mkdtempSync(join(tmpdir(), "handoff-browser-")), "h.sqlite"), config, more = [] } = {}) {
  const args = ["--db", db, "--addr", `127.0.0.1:${port}`, ...(config ? ["--config", config] : []), ...more];
  const server = spawn(join(repo, "target/debug/handoff-server"), args, { cwd: repo });
  const base = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).on("line", (line) => {
      if (line.startsWith("listening on ")) resolve(line.slice("listening on ".length));
    });
    server.on("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const stopped = new Promise((resolve) => server.on("exit", resolve));
  return { base, db, port: Number(new URL(base).port), stop: () => (server.kill("SIGTERM"), stopped) };
}

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Pushes mutations of one client straight to the server, as `who`; returns the statuses. */
export async function push(server, who, clientId, mutations) {
  const at = new Date().toISOString();
  const response = await fetch(`${server.base}/sync/push`, {
    method: "POST",
    headers: { Authorization: `Bearer ${who}-token`, "Content-Type": "application/json" },
    body: JSON.stringify({ schemaVersion: 2, clientId, mutations: mutations.map((m, i) => ({ id: i + 1, at, ...m })) }),
  });
  const body = await response.json();
  return body.results.map((r) => (r.status === "rejected" ? `rejected: ${r.message}` : r.status));
}

export const start = (caseId, extra = {}) => ({ caseId, kind: "startCase", input: { caseId, workflowId: "chapter-7", clients: ["smith"], ...extra } });
export const command = (caseId, body) => ({ caseId, kind: "command", command: body });

/** The server's state of every open case, read as the admin. */
export async function serverCases(server) {
  const response = await fetch(`${server.base}/sync/pull`, {
    method: "POST",
    headers: { Authorization: "Bearer morgan-token", "Content-Type": "application/json" },
    body: JSON.stringify({ schemaVersion: 2, clientId: `check-${Math.random()}`, cookie: null }),
  });
  const { cases } = await response.json();
  return new Map(cases.map((c) => [c.caseId, c]));
}

/** A fresh browser context on the demo, signed in with `token`; its page errors collected. */
export async function openAs(browser, server, token) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${server.base}/`);
  await page.waitForSelector("body[data-ready]");
  await page.selectOption("#who", token);
  return { page, context, problems };
}
