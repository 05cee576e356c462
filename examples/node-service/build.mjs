// Bundles src/server.js twice, as a user would: with esbuild (dist/esbuild/server.mjs) and with
// webpack (dist/webpack/server.mjs). webpack emits the .wasm itself; esbuild does not follow
// `new URL(…, import.meta.url)`, so the .wasm is copied to where the bundle looks for it,
// ./wasm/handoff_engine_bg.wasm beside the bundle.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import webpack from "webpack";

await build({ entryPoints: ["src/server.js"], bundle: true, platform: "node", format: "esm", outfile: "dist/esbuild/server.mjs", logLevel: "warning" });
mkdirSync("dist/esbuild/wasm", { recursive: true });
copyFileSync(createRequire(import.meta.url).resolve("handoff-engine/handoff_engine_bg.wasm"), "dist/esbuild/wasm/handoff_engine_bg.wasm");

const stats = await new Promise((resolve, reject) =>
  webpack(
    {
      mode: "production",
      target: "node",
      entry: "./src/server.js",
      experiments: { outputModule: true },
      output: { path: new URL("dist/webpack", import.meta.url).pathname, filename: "server.mjs", module: true, chunkFormat: "module" },
    },
    (error, result) => (error ? reject(error) : resolve(result)),
  ),
);
if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
console.log(stats.toString({ assets: true, modules: false, colors: false, hash: false, version: false, builtAt: false }));
