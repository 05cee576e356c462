import { defineConfig } from "vite";

export default defineConfig({
  // Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/, away from the
  // package's .wasm: excluded, the package is served as it is and finds its .wasm.
  optimizeDeps: { exclude: ["handoff-engine"] },
  build: { target: "es2022" },
});
