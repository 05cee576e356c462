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
