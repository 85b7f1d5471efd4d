// Lists what index.d.ts declares for the module 'k6/x/authflow', read by the
// TypeScript compiler (node_modules/typescript, pinned in package.json), as
// JSON on stdout for TestDeclarationsMatchRuntime:
//   exports: the value exports (classes, functions, constants)
//   types:   every interface, class and type alias -> its property names
//            (a union: the properties of all its object members)
//   params:  "Class.method#i" (i from 0; "constructor" for constructors)
//            -> the property names of that parameter's object type
// Usage: node declarations.cjs path/to/index.d.ts
'use strict';
const ts = require('typescript');

const file = process.argv[2];
const program = ts.createProgram([file], { strict: true, noEmit: true, types: [] });
const diags = ts.getPreEmitDiagnostics(program);
if (diags.length > 0) {
  console.error(ts.formatDiagnostics(diags, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => '.', getNewLine: () => '\n' }));
  process.exit(1);
}
const checker = program.getTypeChecker();
const source = program.getSourceFile(file);

function props(type) {
  const names = new Set();
  const parts = type.isUnion() ? type.types : [type];
  for (const t of parts) {
    if (t.flags & (ts.TypeFlags.Primitive | ts.TypeFlags.Null | ts.TypeFlags.Undefined)) continue;
    if (checker.isArrayType(t) || checker.isTupleType(t)) continue;
    for (const p of checker.getPropertiesOfType(checker.getApparentType(t))) names.add(p.getName());
  }
  return [...names].sort();
}

function signatureParams(owner, name, sig, out) {
  sig.getParameters().forEach((p, i) => {
    const t = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration));
    const ps = props(t);
    if (ps.length > 0) out[owner + '.' + name + '#' + i] = ps;
  });
}

const result = { exports: [], types: {}, params: {} };
const mod = source.statements.find((s) => ts.isModuleDeclaration(s) && s.name.text === 'k6/x/authflow');
if (!mod) {
  console.error('index.d.ts declares no module k6/x/authflow');
  process.exit(1);
}
const modSymbol = checker.getSymbolAtLocation(mod.name);
for (const sym of checker.getExportsOfModule(modSymbol)) {
  const name = sym.getName();
  if (sym.flags & ts.SymbolFlags.Value) result.exports.push(name);
  const decl = sym.declarations[0];
  if (!(sym.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
  const type = checker.getDeclaredTypeOfSymbol(sym);
  if (type.isTypeParameter && type.isTypeParameter()) continue;
  result.types[name] = props(type);
  for (const m of checker.getPropertiesOfType(type)) {
    const mt = checker.getTypeOfSymbolAtLocation(m, decl);
    for (const sig of mt.getCallSignatures()) signatureParams(name, m.getName(), sig, result.params);
  }
  if (sym.flags & ts.SymbolFlags.Class) {
    const ctor = checker.getTypeOfSymbolAtLocation(sym, decl);
    for (const sig of ctor.getConstructSignatures()) signatureParams(name, 'constructor', sig, result.params);
  }
}
result.exports.sort();
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
