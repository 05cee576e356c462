// Fails if any type reachable from the package's public exports is `any`.
// Usage: node no-any.mjs <project dir with handoff-engine installed>
import { createRequire } from "node:module";
import { join } from "node:path";

const project = process.argv[2];
const require = createRequire(import.meta.url);
const ts = require("typescript");
const entry = join(project, "node_modules/handoff-engine/pkg/index.d.ts");
const program = ts.createProgram([entry], { strict: true, noEmit: true, lib: ["lib.es2022.d.ts", "lib.dom.d.ts"], types: [] });
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
const seen = new Set();
const problems = [];

function fromLib(symbol) {
  return (symbol?.declarations ?? []).some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()));
}

function visit(type, path) {
  if (!type || seen.has(type)) return;
  seen.add(type);
  if (type.flags & ts.TypeFlags.Any) {
    problems.push(path);
    return;
  }
  // Type arguments count even for library types: Record<string, any>, Promise<any>, any[].
  for (const t of type.aliasTypeArguments ?? []) visit(t, `${path}<>`);
  if (type.flags & ts.TypeFlags.Object && type.objectFlags & ts.ObjectFlags.Reference) {
    checker.getTypeArguments(type).forEach((t) => visit(t, `${path}<>`));
  }
  for (const info of checker.getIndexInfosOfType(type)) visit(info.type, `${path}[]`);
  if (type.isUnionOrIntersection()) type.types.forEach((t, i) => visit(t, `${path}|${i}`));
  if (fromLib(type.getSymbol()) || fromLib(type.aliasSymbol)) return;
  for (const property of checker.getPropertiesOfType(type)) {
    if (fromLib(property)) continue;
    visit(checker.getTypeOfSymbol(property), `${path}.${property.getName()}`);
  }
  for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct]) {
    for (const signature of checker.getSignaturesOfType(type, kind)) {
      signature.getParameters().forEach((p) => visit(checker.getTypeOfSymbol(p), `${path}(${p.getName()})`));
      visit(signature.getReturnType(), `${path}()`);
    }
  }
}

const exported = checker.getExportsOfModule(moduleSymbol);
for (let symbol of exported) {
  const name = symbol.getName();
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  if (symbol.flags & (ts.SymbolFlags.Type | ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
    visit(checker.getDeclaredTypeOfSymbol(symbol), name);
  }
  if (symbol.flags & ts.SymbolFlags.Value) visit(checker.getTypeOfSymbol(symbol), name);
}
if (problems.length > 0 || exported.length < 30) {
  console.error(`'any' in the public types (${exported.length} exports checked):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`no 'any' in the ${exported.length} public exports`);
