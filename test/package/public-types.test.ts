// Every type a public signature names can be named by a user: each type
// that the declarations of 'logkv' and 'logkv/level' refer to, and that is
// declared in the package itself, is exported from one of them. A type
// left out gives users TS2305 (found for RangeQuery and Cursor).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const dist = fileURLToPath(new URL('../../dist/src/', import.meta.url));
const entries = [path.join(dist, 'index.d.ts'), path.join(dist, 'level', 'index.d.ts')];

t.test('every package type in a public signature is exported', async (t) => {
  const program = ts.createProgram(entries, { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exported = new Set<ts.Symbol>();
  for (const entry of entries) {
    const file = program.getSourceFile(entry);
    t.ok(file, `${path.relative(dist, entry)} is built`);
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    if (!moduleSymbol) continue;
    for (const s of checker.getExportsOfModule(moduleSymbol)) exported.add(resolve(s));
  }
  t.ok(exported.size > 20, `${exported.size} exports`);

  const missing = new Map<string, string>();
  const inPackage = (d: ts.Declaration) => path.resolve(d.getSourceFile().fileName).startsWith(dist);
  const visit = (node: ts.Node, from: string): void => {
    // Private members are not part of the public signature, nor abstract-level's `_` methods (the implementor's side, which users do not call).
    if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return;
    if ((ts.isMethodDeclaration(node) || ts.isPropertyDeclaration(node)) && node.name.getText().startsWith('_')) return;
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const at = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      const symbol = checker.getSymbolAtLocation(at);
      const target = symbol && resolve(symbol);
      const declared = target?.declarations?.filter(inPackage) ?? [];
      const isTypeParameter = declared.some((d) => ts.isTypeParameterDeclaration(d));
      if (target && declared.length > 0 && !isTypeParameter && !exported.has(target)) missing.set(target.name, from);
    }
    ts.forEachChild(node, (child) => visit(child, from));
  };
  for (const s of exported) for (const d of s.declarations ?? []) if (inPackage(d)) visit(d, s.name);
  t.same([...missing].map(([name, from]) => `${name} (named by ${from})`), [], 'no public signature names a type users cannot import');
});
