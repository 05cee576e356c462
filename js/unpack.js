// Reads the packed result of `validateWorkflow` (src/wasm/pack.rs) into the objects JSON.parse of
// its JSON would give: the same keys in the same order, a fresh object for every party.
const SEVERITY = { e: "error", w: "warning", i: "info", E: "error", W: "warning", I: "info" };
const KIND = { m: "member", r: "role", t: "team" };

export function unpackValidation(text) {
  if (text.charCodeAt(0) === 123) return JSON.parse(text);
  const t = text.split("\u0001");
  let i = 0;
  const ok = t[i++] === "1";
  const diagnostics = new Array(+t[i++]);
  for (let n = 0; n < diagnostics.length; n++) {
    const code = t[i++];
    const flag = t[i++];
    const message = t[i++];
    diagnostics[n] =
      flag.charCodeAt(0) < 97
        ? { code, severity: SEVERITY[flag], message, stepId: t[i++], path: t[i++] }
        : { code, severity: SEVERITY[flag], message, path: t[i++] };
  }
  const timeline = new Array(+t[i++]);
  for (let n = 0; n < timeline.length; n++) {
    const stepId = t[i++];
    const flags = +t[i++];
    const owner = party(t[i++]);
    const possibleOwners = new Array(+t[i++]);
    for (let k = 0; k < possibleOwners.length; k++) possibleOwners[k] = party(t[i++]);
    timeline[n] = { stepId, owner, possibleOwners, handoff: (flags & 1) !== 0, clientFacing: (flags & 2) !== 0, worker: party(t[i++]) };
  }
  return { ok, diagnostics, timeline };
}

/** `mdana` → { kind: "member", id: "dana" }; the empty token → null. */
function party(token) {
  return token === "" ? null : { kind: KIND[token[0]], id: token.slice(1) };
}
