// Compiled with lib: ["es2022"] and no @types: a Node project without the DOM lib, with
// skipLibCheck off, must compile against the package's declarations (the glue's included).
import { init, Engine, HandoffError, defineConfig, type InitInput } from "handoff-engine";
import { useCaseStore, useValidation } from "handoff-engine/react";
import firm from "handoff-engine/example-firm";

await init();
const engine = new Engine(defineConfig(firm));
const input: InitInput = new Uint8Array([0, 97, 115, 109]);
export const used = [engine.validateConfig().ok, HandoffError, input, useCaseStore, useValidation];
