// Shared by the package tests: the Example Law Firm config and small builders.
import { readFileSync } from "node:fs";

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
