// Shared by the package tests: the Example Law Firm config, small builders, the real server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const firm = JSON.parse(readFileSync(new URL("./example-firm.json", import.meta.url), "utf8"));
export const at = "2026-11-25T09:00:00Z";
export const ctx = (id) => ({ actor: { kind: "member", id }, at });
export const client = { actor: { kind: "client" }, at };

/** The example firm with `workflow` as its only workflow. */
export function firmWith(workflow) {
  return { ...firm, workflows: [workflow] };
}

export function workflow(steps) {
  return { id: "chapter-7", name: "Chapter 7", version: 1, steps };
}

/** Starts the reference server (`HANDOFF_SERVER`) on a fresh database and a free loopback port,
 * with `config` (the example firm's by default); resolves to `{ base, stop }`, `base` being its
 * sync endpoint. */
export async function startServer(name = "handoff-store-", config = undefined) {
  const binary = process.env.HANDOFF_SERVER;
  assert.ok(binary, "HANDOFF_SERVER names the server binary");
  const dir = mkdtempSync(join(tmpdir(), name));
  const db = join(dir, "h.sqlite");
  const args = ["--db", db, "--addr", "127.0.0.1:0"];
  if (config) {
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    args.push("--config", join(dir, "config.json"));
  }
  const server = spawn(binary, args);
  const address = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).on("line", (line) => {
      if (line.startsWith("listening on ")) resolve(line.slice("listening on ".length));
    });
    server.on("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return { base: `${address}/sync`, stop: () => server.kill("SIGTERM") };
}
