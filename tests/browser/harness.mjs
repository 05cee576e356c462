// The real server on a free loopback port and Debian's Chromium, for the browser tests.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const repo = new URL("../..", import.meta.url).pathname;

/** Starts the server; resolves to { base, stop }. */
export async function startServer() {
  const db = join(mkdtempSync(join(tmpdir(), "handoff-browser-")), "h.sqlite");
  const server = spawn(join(repo, "target/debug/handoff-server"), ["--db", db, "--addr", "127.0.0.1:0"], { cwd: repo });
  const base = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).on("line", (line) => {
      if (line.startsWith("listening on ")) resolve(line.slice("listening on ".length));
    });
    server.on("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return { base, stop: () => server.kill("SIGTERM") };
}

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
