#!/usr/bin/env node
// Compiles every formats/*.ksy with the official Kaitai Struct compiler
// (JavaScript target) into src/formats/generated/, and writes a TypeScript
// declaration file for each generated parser from the same .ksy files
// (Kaitai generates none for JavaScript). Compiles them a second time in
// debug mode into src/formats/generated-debug/: parsers that record where
// each field starts and ends (`_debug`), which `kvtool explain` uses. They
// are 3-5x slower, so only kvtool loads them, never the engine.
//
//   node scripts/build-formats.mjs          write both generated folders
//   node scripts/build-formats.mjs --check  exit 1 if either is stale
//   --formats-dir DIR / --out-dir DIR / --debug-out-dir DIR
//                                           read or write elsewhere
//
// A spec the compiler rejects fails the build with the compiler's message.

import { createRequire } from 'node:module';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const compiler = require('kaitai-struct-compiler');
const YAML = require('yaml');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
// --formats-dir and --out-dir exist for the tests of this script.
const argValue = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const formatsDir = argValue('--formats-dir', join(root, 'formats'));
const outDir = argValue('--out-dir', join(root, 'src', 'formats', 'generated'));
const debugOutDir = argValue('--debug-out-dir', join(root, 'src', 'formats', 'generated-debug'));
const HEADER = '// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.\n';

function loadKsy(name) {
  const file = join(formatsDir, `${name}.ksy`);
  if (!existsSync(file)) throw new Error(`import "${name}": ${file} does not exist`);
  return YAML.parse(readFileSync(file, 'utf8'));
}

const importer = { importYaml: (name) => Promise.resolve(loadKsy(name)) };

function compilerMessage(e) {
  if (e && typeof e.getMessage === 'function') return e.getMessage();
  if (e && typeof e.s$1 === 'string') return e.s$1;
  return String(e);
}

async function compileAll(debug) {
  const files = new Map();
  const specs = readdirSync(formatsDir).filter((f) => f.endsWith('.ksy')).sort();
  for (const spec of specs) {
    const name = basename(spec, '.ksy');
    let ksy;
    try {
      ksy = loadKsy(name);
    } catch (e) {
      throw new Error(`formats/${spec}: ${e.message}`);
    }
    let out;
    try {
      out = await compiler.compile('javascript', ksy, importer, debug);
    } catch (e) {
      throw new Error(`formats/${spec}: ${compilerMessage(e)}`);
    }
    for (const [file, code] of Object.entries(out)) files.set(file, code);
    if (!debug) files.set(`${className(name)}.d.ts`, declarations(ksy));
  }
  files.set('package.json', '{ "type": "commonjs" }\n');
  return files;
}

// ---- TypeScript declarations from a .ksy ---------------------------------

function upperCamel(id) {
  return id.split('_').map((p) => (p ? p[0].toUpperCase() + p.slice(1) : '')).join('');
}
function lowerCamel(id) {
  const u = upperCamel(id);
  return id.startsWith('_') ? id : u[0].toLowerCase() + u.slice(1);
}
function className(id) {
  return upperCamel(id);
}

const NUMERIC = /^(u[1248]|s[1248]|f[48])(le|be)?$/;

/** TypeScript type of one attribute's single (non-repeated) value. */
function attrType(attr, top) {
  const t = attr.type;
  if (t === undefined) return 'Uint8Array';
  if (typeof t === 'object') {
    const cases = Object.values(t.cases).map((c) => scalarType(c, top));
    return [...new Set(cases)].join(' | ');
  }
  if (attr.enum) return 'number';
  return scalarType(t, top);
}

function scalarType(t, top) {
  if (NUMERIC.test(t)) return 'number';
  if (t === 'str' || t === 'strz') return 'string';
  if (t.includes('::')) {
    const [mod, ...rest] = t.split('::');
    return [className(mod), ...rest.map(className)].join('.');
  }
  return `${className(top)}.${className(t)}`;
}

/** Value instances here are comparisons; anything else needs a type added here. */
function instanceType(name, inst) {
  if (inst.value !== undefined) {
    if (/(==|!=|<=|>=|<|>|\bnot\b)/.test(String(inst.value))) return 'boolean';
    throw new Error(`instance ${name}: cannot infer a type for value "${inst.value}"`);
  }
  return attrType(inst);
}

function docComment(doc, indent) {
  if (!doc) return '';
  const lines = String(doc).trim().split('\n');
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function classBody(type, top, indent) {
  let s = `${indent}  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);\n`;
  s += `${indent}  _io: KaitaiStream;\n`;
  for (const attr of type.seq ?? []) {
    let ts = attrType(attr, top);
    if (attr.repeat) ts = `Array<${ts}>`;
    const optional = attr.if !== undefined ? ' | undefined' : '';
    s += docComment(attr.doc, `${indent}  `);
    s += `${indent}  ${lowerCamel(attr.id)}: ${ts}${optional};\n`;
    if (attr.size !== undefined && attr.type && typeof attr.type === 'string' && !NUMERIC.test(attr.type) && attr.type !== 'str') {
      s += `${indent}  _raw_${lowerCamel(attr.id)}: Uint8Array${optional};\n`;
    }
  }
  for (const [name, inst] of Object.entries(type.instances ?? {})) {
    s += docComment(inst.doc, `${indent}  `);
    s += `${indent}  readonly ${lowerCamel(name)}: ${instanceType(name, inst)};\n`;
  }
  return s;
}

function enumDecl(name, values, indent) {
  const members = Object.entries(values).map(([n, v]) => {
    const id = typeof v === 'object' ? v.id : v;
    return `readonly ${id.toUpperCase()}: ${n}`;
  });
  return `${indent}const ${className(name)}: { ${members.join('; ')}; readonly [value: number]: string };\n`;
}

function declarations(ksy) {
  const top = ksy.meta.id;
  const imports = (ksy.meta.imports ?? []).map(
    (i) => `import type { ${className(i)} } from './${className(i)}.js';\n`,
  );
  let s = HEADER;
  s += `import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';\n${imports.join('')}\n`;
  s += docComment(ksy.doc, '');
  s += `export declare class ${className(top)} {\n${classBody(ksy, top, '')}}\n\n`;
  s += `export declare namespace ${className(top)} {\n`;
  for (const [name, values] of Object.entries(ksy.enums ?? {})) s += enumDecl(name, values, '  ');
  for (const [name, type] of Object.entries(ksy.types ?? {})) {
    s += docComment(type.doc, '  ');
    s += `  class ${className(name)} {\n${classBody(type, top, '  ')}  }\n`;
  }
  s += '}\n';
  return s;
}

// ---- main ------------------------------------------------------------------

/** Files of `dir` that differ from `files`, or that no spec generates. */
function staleIn(dir, files, label) {
  const stale = [];
  for (const [file, code] of files) {
    const p = join(dir, file);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== code) stale.push(`${label}${file}`);
  }
  const present = existsSync(dir) ? readdirSync(dir) : [];
  for (const f of present) if (!files.has(f)) stale.push(`${label}${f} (not generated by any spec)`);
  return stale;
}

function writeFolder(dir, files) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, code] of files) writeFileSync(join(dir, file), code);
  console.log(`build-formats: wrote ${files.size} files to ${dir}`);
}

async function main() {
  const check = args.includes('--check');
  let files;
  let debugFiles;
  try {
    files = await compileAll(false);
    debugFiles = await compileAll(true);
  } catch (e) {
    console.error(`build-formats: ${e.message}`);
    process.exit(1);
  }
  if (check) {
    const stale = [...staleIn(outDir, files, ''), ...staleIn(debugOutDir, debugFiles, 'generated-debug/')];
    if (stale.length) {
      console.error(`build-formats: generated code is stale against formats/: ${stale.join(', ')}`);
      console.error('run: make formats');
      process.exit(1);
    }
    console.log(`build-formats: ${files.size} + ${debugFiles.size} (debug) generated files match formats/`);
    return;
  }
  writeFolder(outDir, files);
  writeFolder(debugOutDir, debugFiles);
}

main();
