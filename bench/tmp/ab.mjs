import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";
import * as workload from "../workload.mjs";
const repo = "/work/main";
const server = spawn(repo + "/target/release/handoff-server", ["--db", "/tmp/ab.sqlite", "--addr", "127.0.0.1:0", "--pkg", "/tmp/ab"], { cwd: repo });
const base = await new Promise((r) => createInterface({ input: server.stdout }).on("line", (l) => l.startsWith("listening on ") && r(l.slice(13))));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
try {
  const page = await browser.newPage();
  const source = Object.values(workload).map((fn) => fn.toString()).join("\n");
  await page.addInitScript({ content: `${source}\nwindow.workload = { ${Object.keys(workload).join(", ")} };` });
  await page.goto(`${base}/style.css`);
  const out = await page.evaluate(async () => {
    const a = await import("/pkg/a/index.js"); await a.init("/pkg/a/wasm/handoff_engine_bg.wasm");
    const b = await import("/pkg/b/index.js"); await b.init("/pkg/b/wasm/handoff_engine_bg.wasm");
    const res = [];
    for (let r = 0; r < 4; r++) for (const [name, pkg] of [["a", a], ["b", b]]) {
      const m = window.workload.measure(pkg, [2000])[2000];
      const d = window.workload.decide(pkg, 50);
      res.push(`${name} obj ${(m.validate / m.parse).toFixed(2)} text ${(m.text / m.parse).toFixed(2)} parse ${m.parse.toFixed(3)} text ${m.text.toFixed(3)} kept ${(d.kept / 1000).toFixed(2)}µs`);
    }
    return res;
  });
  console.log(out.join("\n"));
} finally { await browser.close(); server.kill(); }
