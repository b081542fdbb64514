// The package as a user gets it: `npm pack` ships the build and nothing
// else, and `npm install` of the tarball works on a machine with no C++
// compiler (the native CRC is optional) and gives a working LogStore,
// LogLevel and kvtool. The build itself is what prepack runs
// (scripts/build.mjs); here the tree make test built is packed.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-package-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

/** No compiler anywhere: node-gyp, cc and c++ all fail at once. */
const noCompiler = { ...process.env, CC: '/bin/false', CXX: '/bin/false', npm_config_node_gyp: '/bin/false', npm_config_audit: 'false', npm_config_fund: 'false' };

t.test('npm pack builds first and ships dist/, the formats and a LICENSE, nothing else', async (t) => {
  t.match(pkg.scripts.prepack, /scripts\/build\.mjs/, 'prepack runs the build (npm pack, npm publish)');
  t.match(pkg.scripts.prepare, /scripts\/build\.mjs/, 'prepare runs it too (an install from git)');
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const [packed] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed!.files.map((f) => f.path);
  for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/level/index.js', 'dist/cli/kvtool.js', 'dist/src/log/background-worker.js', 'formats/log_segment.ksy']) {
    t.ok(files.includes(needed), `ships ${needed}`);
  }
  t.ok(files.some((f) => f.startsWith('dist/src/formats/generated/')), 'ships the generated parsers');
  for (const source of ['native/mmap.c', 'native/binding.gyp', 'native/build.mjs']) t.ok(files.includes(source), `ships ${source}, built at install`);
  t.same(files.filter((f) => f.startsWith('native/build/')), [], 'no addon built here (it is built for the machine it installs on)');
  t.same(files.filter((f) => f.endsWith('.map')), [], 'no source maps (they point at .ts files it does not ship)');
  t.same(files.filter((f) => /^(dist\/)?(bench|scripts|test)\//.test(f)), [], 'no bench, scripts or tests');
  fs.renameSync(path.join(work, packed!.filename), path.join(work, 'logkv.tgz'));
});

t.test('the tarball installs with no compiler and works: LogStore, LogLevel, kvtool', async (t) => {
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', '--prefer-offline', path.join(work, 'logkv.tgz')], { cwd: app, env: noCompiler, encoding: 'utf8' });
  t.equal(install.status, 0, `npm install: ${install.stderr.slice(-2000)}`);
  if (install.status !== 0) return;

  fs.writeFileSync(
    path.join(app, 'main.js'),
    `import { LogStore } from 'logkv';
import { LogLevel } from 'logkv/level';
const s = await LogStore.open('./store', { valueEncoding: 'utf8' });
await s.put('greeting', 'hello');
await s.close();
const r = await LogStore.open('./store', { valueEncoding: 'utf8' });
const got = r.get('greeting');
await r.close();
const { available } = (await import('logkv')).mmapAvailable();
const db = new LogLevel('./level', { valueEncoding: 'json' });
await db.put('k', { n: 1 });
const v = await db.get('k');
await db.close();
console.log(JSON.stringify({ got, v, available }));
`,
  );
  const run = spawnSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.same(JSON.parse(run.stdout.trim() || '{}'), { got: 'hello', v: { n: 1 }, available: false }, 'a value survives a reopen; LogLevel reads back JSON; gets use pread');

  const kvtool = path.join(app, 'node_modules', '.bin', 'kvtool');
  const version = spawnSync(kvtool, ['--version'], { cwd: app, encoding: 'utf8' });
  t.equal(version.stdout.trim(), pkg.version, 'kvtool --version');
  const verify = spawnSync(kvtool, ['verify', './store'], { cwd: app, encoding: 'utf8' });
  t.equal(verify.status, 0, `kvtool verify ./store: ${verify.stdout}${verify.stderr}`);
  const get = spawnSync(kvtool, ['get', './store', 'greeting'], { cwd: app, encoding: 'utf8' });
  t.equal(get.stdout.trim(), 'hello', 'kvtool get');
});

t.test('with a compiler the tarball install builds the mmap addon, and gets read mapped segments', async (t) => {
  const app = path.join(work, 'app-native');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app-native', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, 'logkv.tgz')], { cwd: app, encoding: 'utf8' });
  t.equal(install.status, 0, `npm install: ${install.stderr.slice(-2000)}`);
  if (install.status !== 0) return;
  const script = `import { LogStore, mmapAvailable } from 'logkv';
import { readFileSync } from 'node:fs';
const s = await LogStore.open('./store', { segmentSize: 4096 });
for (let i = 0; i < 100; i++) await s.put('k' + i, Buffer.alloc(100, i));
const ok = s.get('k1')?.[0] === 1;
const maps = readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('/store/') && l.endsWith('.log')).length;
await s.close();
console.log(JSON.stringify({ ...mmapAvailable(), ok, mapped: maps > 0 }));
`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.same(JSON.parse(run.stdout.trim() || '{}'), { available: true, reason: 'loaded', ok: true, mapped: true }, 'the addon loads and a get reads a mapped segment');
});

t.test('npm install git+file:// of the repository builds it (prepare) and works, with no compiler', async (t) => {
  // npm clones the repository's HEAD, installs its dev dependencies, runs prepare (the build) and installs what npm pack would ship.
  const app = path.join(work, 'from-git');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'from-git', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', '--prefer-offline', `git+file://${root.replace(/\/$/, '')}`], { cwd: app, env: noCompiler, encoding: 'utf8' });
  t.equal(install.status, 0, `npm install: ${install.stderr.slice(-2000)}`);
  if (install.status !== 0) return;
  const installed = path.join(app, 'node_modules', 'logkv');
  t.ok(fs.existsSync(path.join(installed, 'dist', 'src', 'index.js')), 'the build is there');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', "import { LogStore } from 'logkv'; const s = await LogStore.open('./s'); await s.put('k', Buffer.from('v')); console.log(String(s.get('k'))); await s.close();"], { cwd: app, encoding: 'utf8' });
  t.equal(run.stdout.trim(), 'v', run.stderr);
});
