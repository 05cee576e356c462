// The JS half of the boundary crossing (src/wasm/convert.rs, src/wasm/pack.rs), imported by the
// WebAssembly module itself.

let caught;

// A text this long is not handed back to wasm-bindgen's glue, which copies it into wasm memory
// one UTF-16 unit at a time: the module reads its length (`longLength`) and has
// `TextEncoder.encodeInto` write it into a buffer it allocated (`copyLong`).
const LONG = 16384;
const encoder = new TextEncoder();
let long;

/** A value's JSON text for the engine in one crossing (a long text in two more, above): a string
 * is JSON text already; undefined when the value has none (undefined, a function, a symbol), when
 * JSON.stringify throws (a BigInt, a cycle), whose message `thrown()` then gives, or when the
 * text is long. Never throws (src/wasm/convert.rs says why). */
export function jsonText(value) {
  caught = long = undefined;
  try {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (text !== undefined && text.length >= LONG) {
      long = text;
      return undefined;
    }
    return text;
  } catch (error) {
    caught = describe(error);
    return undefined;
  }
}

function describe(error) {
  try {
    return String(error?.message ?? error);
  } catch {
    return "a value that cannot be described was thrown";
  }
}

/** The length in UTF-16 units of the long text the last `jsonText` kept, or -1. */
export function longLength() {
  return long === undefined ? -1 : long.length;
}

/** Writes the kept long text as UTF-8 at `ptr` in `memory`; the bytes written, or -1 (the text
 * is kept) when `capacity` is too small. */
export function copyLong(memory, ptr, capacity) {
  const { read, written } = encoder.encodeInto(long, new Uint8Array(memory.buffer, ptr, capacity));
  if (read !== long.length) return -1;
  long = undefined;
  return written;
}

/** The message of what the last `jsonText` caught, or undefined. */
export function thrown() {
  const message = caught;
  caught = undefined;
  return message;
}

/** JSON.parse of the engine's own output; undefined instead of throwing. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Reads the packed result of `validateWorkflow` (src/wasm/pack.rs says how it is packed) into
// the objects JSON.parse of its JSON would give: the same keys in the same order, a fresh object
// for every party (also where an entry has the same parties as the one before, which cross once).
// Tokens are read with indexOf rather than split, which builds no array of them on a large
// result. What reads the records is generated from the layout in
// src/wasm/pack.rs: change that, and paste here what tests/wasm_bindings.rs then prints.
const SEP = "\u0001";
// A number's character is its code point less BASE.
const BASE = 0x30;

// BEGIN generated from src/wasm/pack.rs
export function unpackValidation(text) {
  let at = 0;
  const next = () => {
    const end = text.indexOf(SEP, at);
    const token = text.slice(at, end);
    at = end + 1;
    return token;
  };
  const rules = next().split(",");
  const severities = next().split(",");
  const kinds = next().split(",");
  const party = () => {
    const t = next();
    return t === "" ? null : { kind: kinds[t.charCodeAt(0) - BASE], id: t.slice(1) };
  };
  const copy = (p) => (p === null ? null : { kind: p.kind, id: p.id });
  const h = next();
  const $ok = h.charCodeAt(0) === 49;
  const $diagnostics = new Array(+next());
  for (let i = 0; i < $diagnostics.length; i++) {
    const h = next();
    const $code = rules[h.charCodeAt(0) - BASE];
    const $severity = severities[h.charCodeAt(1) - BASE];
    const has$stepId = h.charCodeAt(2) === 49;
    const $message = h.slice(3);
    const $stepId = has$stepId ? next() : undefined;
    const $path = next();
    $diagnostics[i] = has$stepId ? { code: $code, severity: $severity, message: $message, stepId: $stepId, path: $path } : { code: $code, severity: $severity, message: $message, path: $path };
  }
  const $timeline = new Array(+next());
  let before;
  for (let i = 0; i < $timeline.length; i++) {
    const h = next();
    const same = h.charCodeAt(0) === 49;
    const n$possibleOwners = same ? 0 : h.charCodeAt(1) - BASE;
    const $handoff = h.charCodeAt(same ? 1 : 2) === 49;
    const $clientFacing = h.charCodeAt(same ? 2 : 3) === 49;
    const has$due = h.charCodeAt(same ? 3 : 4) === 49;
    const $stepId = h.slice(same ? 4 : 5);
    const $owner = same ? copy(before.owner) : party();
    const $possibleOwners = same ? before.possibleOwners.map(copy) : new Array(n$possibleOwners);
    if (!same) for (let j = 0; j < n$possibleOwners; j++) $possibleOwners[j] = party();
    const $worker = same ? copy(before.worker) : party();
    const $due = has$due ? next() : null;
    const $escalatesTo = party();
    before = $timeline[i] = { stepId: $stepId, owner: $owner, possibleOwners: $possibleOwners, handoff: $handoff, clientFacing: $clientFacing, worker: $worker, due: $due, escalatesTo: $escalatesTo };
  }
  return { ok: $ok, diagnostics: $diagnostics, timeline: $timeline };
}
// END generated from src/wasm/pack.rs
