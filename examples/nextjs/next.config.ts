import type { NextConfig } from "next";

// Nothing to configure: the client bundle emits the package's .wasm, and the server's bundle
// reads it from node_modules (no serverExternalPackages needed).
const config: NextConfig = {};

export default config;
