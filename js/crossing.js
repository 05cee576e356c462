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

// Reads the packed result of `validateWorkflow` into the objects JSON.parse of its JSON would
// give: the same keys in the same order, a fresh object for every party (also where an entry has
// the same parties as the one before, which cross once). Tokens are read with indexOf rather than
// split: half the time in Node on a 2,000-step result (0.3 ms), the same in Chromium.
const SEP = "\u0001";
const SEVERITY = { e: "error", w: "warning", i: "info", E: "error", W: "warning", I: "info" };
const KIND = { m: "member", r: "role", t: "team" };

export function unpackValidation(text) {
  if (text.charCodeAt(0) === 123) return JSON.parse(text);
  let at = 0;
  const next = () => {
    const end = text.indexOf(SEP, at);
    const token = text.slice(at, end);
    at = end + 1;
    return token;
  };
  const party = (token) => (token === "" ? null : { kind: KIND[token[0]], id: token.slice(1) });
  const copy = (party) => (party === null ? null : { kind: party.kind, id: party.id });
  const ok = next() === "1";
  const codes = next().split(",");
  const diagnostics = new Array(+next());
  for (let n = 0; n < diagnostics.length; n++) {
    const token = next();
    const code = codes[token.charCodeAt(0) - 65];
    const flag = token[1];
    const message = token.slice(2);
    diagnostics[n] =
      flag.charCodeAt(0) < 97
        ? { code, severity: SEVERITY[flag], message, stepId: next(), path: next() }
        : { code, severity: SEVERITY[flag], message, path: next() };
  }
  const timeline = new Array(+next());
  let before;
  for (let n = 0; n < timeline.length; n++) {
    const token = next();
    const flags = token.charCodeAt(0) - 48;
    const stepId = token.slice(1);
    let owner, possibleOwners, worker;
    if (flags & 4) {
      // The same parties as the entry before, as fresh objects.
      owner = copy(before.owner);
      possibleOwners = before.possibleOwners.map(copy);
      worker = copy(before.worker);
    } else {
      owner = party(next());
      possibleOwners = new Array(+next());
      for (let k = 0; k < possibleOwners.length; k++) possibleOwners[k] = party(next());
      worker = party(next());
    }
    before = timeline[n] = { stepId, owner, possibleOwners, handoff: (flags & 1) !== 0, clientFacing: (flags & 2) !== 0, worker };
  }
  return { ok, diagnostics, timeline };
}
