// kvtool repair on real stores made by the engine and then damaged: what
// it says it will change (line by line where it matters), that it asks
// and refuses without a terminal, that it keeps every byte it removes in
// lost/, and that afterwards verify exits 0, a strict open succeeds and
// the store holds the state the chosen policy promises.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { encodeHint } from '../../src/formats/hint-writer.js';
import { encodeSnapshot } from '../../src/formats/snapshot-writer.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { LogStore } from '../../src/log/log-store.js';
import { hintEntries } from '../../src/log/segment-hint.js';
import { readHint } from '../../src/formats/hint-reader.js';
import { encodeSegmentIndex } from '../../src/formats/segment-index-writer.js';
import { readIndexHeader } from '../../src/formats/segment-index-reader.js';
import { hashKey } from '../../src/log/key-directory.js';
import { indexOfSegment, writeIndexes } from '../support/segment-indexes.js';
import { kvtool, kvtoolIn } from './run-kvtool.js';
import { batchesOf, flipByte, makeStore, openAndRead, stateOf } from './stores.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-repair-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => path.join(tmp, `s${n++}`);
const name = (file: string): string => path.basename(file);
const LOST = 'lost/repair-\\d{8}-\\d{6}';

function lostDir(dir: string): string {
  const runs = fs.readdirSync(path.join(dir, 'lost'));
  if (runs.length !== 1) throw new Error(`expected one repair run in lost/, found ${runs.join(', ')}`);
  return path.join(dir, 'lost', runs[0]!);
}

/** verify exits 0, a strict open succeeds without work, and the store holds `expected`. */
async function healthy(t: Test, dir: string, expected: Array<[string, string]>): Promise<void> {
  const v = await kvtool('verify', dir);
  t.equal(v.status, 0, `verify exits 0 after repair:\n${v.stdout}`);
  const opened = await openAndRead(dir);
  t.ok(opened.clean, 'a strict open finds nothing to do');
  t.strictSame(opened.entries, expected, 'the store holds the state the policy promises');
  const again = await kvtool('repair', dir);
  t.equal(again.status, 0);
  t.equal(again.lines[0], `repair ${dir} (--salvage): nothing to change`, 'a second repair finds nothing');
}

t.test('a clean store: nothing to change, nothing written', async (t) => {
  const s = await makeStore(fresh(), 60);
  const r = await kvtool('repair', s.dir);
  t.equal(r.status, 0);
  t.strictSame(r.lines, [`repair ${s.dir} (--salvage): nothing to change`]);
  t.notOk(fs.existsSync(path.join(s.dir, 'lost')), 'no lost/ folder');
  t.strictSame(r.asked, [], 'nothing to ask');
});

t.test('a torn tail: says what it cuts, asks, refuses without a terminal, cuts on yes', async (t) => {
  const s = await makeStore(fresh());
  const newest = s.segments.at(-1)!;
  const last = batchesOf(newest).at(-1)!;
  const before = fs.readFileSync(newest);
  const torn = before.subarray(last.position, last.position + 20);
  fs.appendFileSync(newest, torn);
  const size = before.length + 20;
  // The clean close left a hint of the newest segment; the torn bytes made it stale, so it goes to lost/ too.
  const hint = name(newest).replace('.log', '.hint');
  const index = name(newest).replace('.log', '.index');
  const expectLines = (lines: string[]) => {
    t.equal(lines[0], `repair ${s.dir} (--salvage): 3 changes`);
    t.match(
      lines[1]!,
      new RegExp(
        `^  1\\. cut ${name(newest)} at byte ${before.length} \\(of ${size}\\): TRUNCATED truncated at byte ${before.length}; ` +
          `bytes ${before.length}\\.\\.${size} go to ${LOST}/${name(newest)}\\.at-${before.length}; a torn or damaged tail of the newest segment, as open cuts it$`,
      ),
    );
    t.match(lines[2]!, new RegExp(`^  2\\. move ${hint} to ${LOST}/${hint}: a stale hint of the newest segment, which open scans$`));
    t.match(lines[3]!, new RegExp(`^  3\\. move ${index} to ${LOST}/${index}: the index of ${name(newest)}, whose hint moves to lost/: an index goes where its hint goes$`));
    t.match(lines[4]!, new RegExp(`^Nothing is deleted: what leaves the store is kept in ${LOST}/, with report\\.txt\\.$`));
  };

  const refused = await kvtool('repair', s.dir);
  t.equal(refused.status, 2, 'no terminal and no --yes: refused');
  expectLines(refused.lines);
  t.strictSame(refused.errors, ['kvtool repair: nothing changed: stdin is not a terminal to ask on; run with --yes to make these changes (or --dry-run to only list them)']);
  t.strictSame(fs.readFileSync(newest), Buffer.concat([before, torn]), 'the segment is untouched');

  const declined = await kvtoolIn({ answers: ['n'] }, 'repair', s.dir);
  t.equal(declined.status, 1);
  t.strictSame(declined.asked, ['Make these changes? [y/N] ']);
  t.strictSame(declined.errors, ['kvtool repair: nothing changed']);
  t.equal(fs.statSync(newest).size, size);
  t.notOk(fs.existsSync(path.join(s.dir, 'lost')));

  const dry = await kvtool('repair', '--dry-run', s.dir);
  t.equal(dry.status, 1, 'a dry run that would change something exits 1');
  expectLines(dry.lines);

  const yes = await kvtoolIn({ answers: ['y'] }, 'repair', s.dir);
  t.equal(yes.status, 0, yes.stderr);
  expectLines(yes.lines);
  t.match(yes.lines.at(-1)!, new RegExp(`^repaired: report in ${LOST}/report\\.txt; verify: ok$`));
  t.strictSame(fs.readFileSync(newest), before, 'cut back to the last whole batch');
  const lost = lostDir(s.dir);
  t.strictSame(fs.readFileSync(path.join(lost, `${name(newest)}.at-${before.length}`)), torn, 'the cut bytes are kept');
  const report = fs.readFileSync(path.join(lost, 'report.txt'), 'utf8');
  t.match(report, ': finished');
  t.match(report, `cut ${name(newest)} at byte ${before.length} (was ${size} bytes)`);
  await healthy(t, s.dir, stateOf(s.history));
});

t.test('a flipped bit in a sealed segment, --truncate-tail: the log is cut there', async (t) => {
  const s = await makeStore(fresh());
  t.ok(s.segments.length >= 4, `${s.segments.length} segments`);
  const seg = s.segments[1]!;
  const damaged = batchesOf(seg)[3]!;
  flipByte(seg, damaged.position + 12);
  const size = fs.statSync(seg).size;
  const after = batchesOf(seg).filter((b) => b.position > damaged.position);
  const r = await kvtool('repair', '--yes', '--truncate-tail', s.dir);
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(
    r.lines[1]!,
    new RegExp(
      `^  1\\. cut ${name(seg)} at byte ${damaged.position} \\(of ${size}\\): CORRUPT batch-crc at byte ${damaged.position}; bytes ${damaged.position}\\.\\.${size} go to ${LOST}/${name(seg)}\\.at-${damaged.position}; ` +
        `drops the valid batches after it \\(offsets ${after[0]!.baseOffset}\\.\\.${after.at(-1)!.lastOffset}\\); --truncate-tail cuts the log at its first damage`,
    ),
  );
  const later = s.segments.slice(2);
  for (const f of later) {
    t.ok(r.lines.some((l) => new RegExp(`^  \\d+\\. move ${name(f)} to ${LOST}/${name(f)}: it comes after the cut at byte ${damaged.position} of ${name(seg).slice(0, -4)}\\.log`).test(l)), `moves ${name(f)}`);
    t.notOk(fs.existsSync(f), `${name(f)} left the store`);
    t.ok(fs.existsSync(path.join(lostDir(s.dir), name(f))), `${name(f)} is in lost/`);
  }
  t.ok(r.lines.some((l) => l.includes(`move ${name(seg).replace('.log', '.hint')} to`) && l.endsWith('a stale hint of the newest segment, which open scans')));
  t.ok(r.lines.some((l) => l.includes(`manifest: list 2 segments (it must list exactly the segments kept); drops ${later.map((f) => `segment ${name(f)}`).join(', ')}`)));
  const stats = await kvtool('stats', '--json', s.dir);
  t.strictSame((JSON.parse(stats.stdout) as { segments: Array<{ file: string }> }).segments.map((x) => x.file), s.segments.slice(0, 2), 'the manifest lists the two kept');
  await healthy(t, s.dir, stateOf(s.history, (w) => w.offset < damaged.baseOffset));
});

t.test('the same damage with --salvage: every valid batch stays, offsets unchanged', async (t) => {
  const s = await makeStore(fresh());
  const seg = s.segments[1]!;
  const batches = batchesOf(seg);
  const damaged = batches[3]!;
  flipByte(seg, damaged.position + 12);
  const original = fs.readFileSync(seg);
  const plan = await kvtool('repair', '--salvage', '--dry-run', s.dir);
  t.equal(plan.status, 1);
  t.strictSame(plan.lines.slice(0, 4).map((l) => l.replace(/repair-\d{8}-\d{6}/g, 'RUN')), [
    `repair ${s.dir} (--salvage): 3 changes`,
    `  1. rewrite ${name(seg)} from its ${batches.length - 1} valid batches (${original.length} -> ${original.length - damaged.size} bytes), leaving out damaged bytes ${damaged.position}..${damaged.position + damaged.size} (batch-crc); the original goes to lost/RUN/${name(seg)}; salvage keeps every valid batch, offsets unchanged, and every record the hint says the engine serves from the damaged bytes`,
    `  2. write ${name(seg).replace('.log', '.hint')} from its segment (its segment changes); the old one goes to lost/RUN/${name(seg).replace('.log', '.hint')}`,
    `  3. move ${name(seg).replace('.log', '.index')} to lost/RUN/${name(seg).replace('.log', '.index')}: the index of ${name(seg)}, whose hint is written again: the index is written again with it`,
  ]);
  const r = await kvtool('repair', '--salvage', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  t.strictSame(
    batchesOf(seg).map((b) => [b.baseOffset, b.lastOffset]),
    batches.filter((b) => b !== damaged).map((b) => [b.baseOffset, b.lastOffset]),
    'the valid batches, with their offsets',
  );
  const lost = lostDir(s.dir);
  t.strictSame(fs.readFileSync(path.join(lost, name(seg))), original, 'the original segment is kept whole');
  t.strictSame(fs.readFileSync(path.join(lost, `${name(seg)}.at-${damaged.position}`)), original.subarray(damaged.position, damaged.position + damaged.size), 'and the damaged bytes');
  await healthy(t, s.dir, stateOf(s.history, (w) => w.offset !== damaged.baseOffset));
});

t.test('a segment whose header is unusable: truncate-tail cuts the log there, salvage rebuilds the header from its name', async (t) => {
  for (const mode of ['--truncate-tail', '--salvage']) {
    const s = await makeStore(fresh());
    const seg = s.segments[1]!;
    const { baseOffset } = batchesOf(seg)[0]!;
    flipByte(seg, 10);
    // open goes by the segment's hint and does not read it; verify does.
    t.equal((await kvtool('verify', s.dir)).status, 1);
    const r = await kvtool('repair', mode, '-y', s.dir);
    t.equal(r.status, 0, r.stdout + r.stderr);
    if (mode === '--truncate-tail') {
      t.ok(r.lines.some((l) => l.includes(`move ${name(seg)} to`) && l.includes('its header is unusable (CORRUPT header-crc')), `${mode}: says why`);
      await healthy(t, s.dir, stateOf(s.history, (w) => w.offset < baseOffset));
    } else {
      t.ok(r.lines.some((l) => l.includes(`rewrite ${name(seg)}`) && l.includes('the header is rebuilt from the file name')), `${mode}: says how`);
      await healthy(t, s.dir, stateOf(s.history, () => true));
    }
  }
});

t.test('a listed segment that is missing leaves the manifest', async (t) => {
  const s = await makeStore(fresh());
  const seg = s.segments[1]!;
  const { baseOffset } = batchesOf(seg)[0]!;
  const end = batchesOf(seg).at(-1)!.lastOffset;
  fs.unlinkSync(seg);
  fs.unlinkSync(seg.replace('.log', '.hint'));
  await t.rejects(openAndRead(s.dir), { code: 'CORRUPT', reason: 'missing-segment' });
  const v = await kvtool('verify', s.dir);
  t.equal(v.status, 1);
  t.ok(v.lines.includes(`${s.dir}: store: problem: MISSING_FILE manifest: the manifest lists ${name(seg)}, which does not exist (open fails: run kvtool repair)`));
  const r = await kvtool('repair', '--salvage', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  t.ok(r.lines.some((l) => l.endsWith(`drops segment ${name(seg)} (listed, missing)`)));
  await healthy(t, s.dir, stateOf(s.history, (w) => w.offset < baseOffset || w.offset > end));
});

t.test('a hint that disagrees with its segment is rewritten', async (t) => {
  const s = await makeStore(fresh(), 80);
  const seg = s.segments[0]!;
  const hintFile = seg.replace('.log', '.hint');
  const good = fs.readFileSync(hintFile);
  const entries = hintEntries(fs.readFileSync(seg), seg);
  entries[0] = { ...entries[0]!, position: entries[0]!.position + 1 };
  fs.writeFileSync(hintFile, encodeHint({ segmentBaseOffset: 0, segmentNextOffset: batchesOf(seg).at(-1)!.lastOffset + 1, coveredLength: fs.statSync(seg).size, entries }));
  const v = await kvtool('verify', s.dir);
  t.equal(v.status, 1);
  t.ok(v.lines.some((l) => l.startsWith(`${hintFile}: hint: problem at byte 36: HINT_MISMATCH hint-entry: key "${entries[0]!.key.toString()}": hint says offset`)), v.stdout);
  const r = await kvtool('repair', '-y', s.dir);
  t.equal(r.status, 0);
  t.match(r.lines[1]!, new RegExp(`^  1\\. write ${name(hintFile)} from its segment \\(key "${entries[0]!.key.toString()}": hint says .*\\); the old one goes to ${LOST}/${name(hintFile)}$`));
  t.strictSame(fs.readFileSync(hintFile), good, 'the hint is what the engine writes');
  await healthy(t, s.dir, stateOf(s.history));
});

/** The index files of a store: name -> bytes. */
function indexesOf(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).filter((f) => f.endsWith('.index')).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

/** A store with an index beside every hint and a flipped bit in the second segment's fourth batch; its indexes as they were. */
async function damagedWithIndexes() {
  const s = await makeStore(fresh());
  writeIndexes(s.dir);
  const seg = s.segments[1]!;
  const damaged = batchesOf(seg)[3]!;
  flipByte(seg, damaged.position + 12);
  return { s, seg, damaged, before: indexesOf(s.dir) };
}

t.test('an index goes where its hint goes: a salvaged segment\'s to lost/ as its hint is written again, the others stay', async (t) => {
  const { s, seg, damaged, before } = await damagedWithIndexes();
  const index = name(seg).replace('.log', '.index');
  const r = await kvtool('repair', '--salvage', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  t.ok(r.lines.some((l) => new RegExp(`^  \\d+\\. move ${index} to ${LOST}/${index}: the index of ${name(seg)}, whose hint is written again: the index is written again with it$`).test(l)), r.stdout);
  t.strictSame(fs.readFileSync(path.join(s.dir, index)), indexOfSegment(s.dir, name(seg).replace('.log', '')), 'the index describes the segment as it is now, as its hint does');
  t.notSame(fs.readFileSync(path.join(s.dir, index)), before.get(index), 'not as it was');
  t.strictSame(fs.readFileSync(path.join(lostDir(s.dir), index)), before.get(index), 'the old one is kept in lost/');
  const after = indexesOf(s.dir);
  before.delete(index);
  after.delete(index);
  t.strictSame(after, before, 'every other index stays as it was');
  await healthy(t, s.dir, stateOf(s.history, (w) => w.offset !== damaged.baseOffset));
});

t.test('an index goes where its hint goes: --truncate-tail moves it with its segment, and the cut segment\'s with its hint', async (t) => {
  const { s, seg, damaged, before } = await damagedWithIndexes();
  const r = await kvtool('repair', '--truncate-tail', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  const cut = name(seg).replace('.log', '.index');
  t.ok(r.lines.some((l) => l.includes(`move ${cut} to `) && l.endsWith('whose hint moves to lost/: an index goes where its hint goes')), 'the cut segment is now the newest: its hint and index go');
  for (const f of s.segments.slice(2)) {
    const index = name(f).replace('.log', '.index');
    t.ok(r.lines.some((l) => l.includes(`move ${index} to `) && l.endsWith(`the index of ${name(f)}, which moves to lost/`)), `${index} goes with its segment`);
  }
  const lost = lostDir(s.dir);
  for (const f of s.segments.slice(1)) {
    const index = name(f).replace('.log', '.index');
    t.notOk(fs.existsSync(path.join(s.dir, index)), `${index} left the store`);
    t.strictSame(fs.readFileSync(path.join(lost, index)), before.get(index), `${index} is kept`);
  }
  t.strictSame([...indexesOf(s.dir).keys()], [name(s.segments[0]!).replace('.log', '.index')], 'only the untouched sealed segment keeps its index');
  await healthy(t, s.dir, stateOf(s.history, (w) => w.offset < damaged.baseOffset));
});

t.test('a damaged or stale index alone, one without its segment and an index temp file go to lost/; nothing else changes', async (t) => {
  const s = await makeStore(fresh(), 200);
  writeIndexes(s.dir);
  const index = (i: number) => s.segments[i]!.replace('.log', '.index');
  const damaged = fs.readFileSync(index(0));
  damaged[damaged.length - 2]! ^= 0x01;
  fs.writeFileSync(index(0), damaged);
  // Every CRC holds; one key of the hint has no slot.
  const hint = readHint(fs.readFileSync(s.segments[1]!.replace('.log', '.hint')));
  const lastBatchPosition = readIndexHeader(fs.readFileSync(index(1))).lastBatchPosition;
  fs.writeFileSync(index(1), encodeSegmentIndex({ ...hint, lastBatchPosition }, hint.entries.slice(1).map((e) => ({ hash: hashKey(e.key), position: e.position, size: e.size, offset: e.offset }))));
  const orphan = path.join(s.dir, '00000000000000777777.index');
  fs.copyFileSync(index(2), orphan);
  const temp = `${index(2)}.tmp`;
  fs.writeFileSync(temp, Buffer.alloc(100));
  const segments = s.segments.map((f) => fs.readFileSync(f));
  const hints = s.segments.map((f) => fs.readFileSync(f.replace('.log', '.hint')));
  const kept = fs.readFileSync(index(2));

  const plan = await kvtool('repair', '--dry-run', s.dir);
  const changes = plan.lines.filter((l) => /^  \d+\. /.test(l)).map((l) => l.replace(/^  \d+\. /, '').replace(/repair-\d{8}-\d{6}/g, 'RUN'));
  t.strictSame(changes.sort(), [
    `move ${name(index(0))} to lost/RUN/${name(index(0))}: it fails its own checks (CORRUPT slots-crc): the engine ignores it and writes it again`,
    `move ${name(index(1))} to lost/RUN/${name(index(1))}: it disagrees with its segment or hint: key "${hint.entries[0]!.key.toString()}" (offset ${hint.entries[0]!.offset}, position ${hint.entries[0]!.position}, size ${hint.entries[0]!.size}): in the hint, no slot for it in the index (a get from the index would miss it)`,
    `move ${name(orphan)} to lost/RUN/${name(orphan)}: the manifest does not list it: the next open would delete it`,
    // All zeros: provably the store's own, as a torn write leaves it.
    `move ${name(temp)} to lost/RUN/${name(temp)}: the manifest does not list it: the next open would delete it`,
  ].sort());
  const r = await kvtool('repair', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  for (const f of [index(0), index(1), orphan, temp]) {
    t.notOk(fs.existsSync(f), `${name(f)} left the store`);
    t.ok(fs.existsSync(path.join(lostDir(s.dir), name(f))), `${name(f)} is kept`);
  }
  t.strictSame(s.segments.map((f) => fs.readFileSync(f)), segments, 'no segment changes');
  t.strictSame(s.segments.map((f) => fs.readFileSync(f.replace('.log', '.hint'))), hints, 'no hint changes');
  t.strictSame(fs.readFileSync(index(2)), kept, 'a sound index stays');
  await healthy(t, s.dir, stateOf(s.history));
});

t.test('leftovers open would delete, temp files and orphan hints go to lost/', async (t) => {
  const s = await makeStore(fresh(), 80);
  const stray = path.join(s.dir, '00000000000000999999.log');
  fs.copyFileSync(s.segments[0]!, stray);
  const orphan = path.join(s.dir, '00000000000000777777.hint');
  fs.copyFileSync(s.segments[0]!.replace('.log', '.hint'), orphan);
  const temp = path.join(s.dir, '00000000000000000000.hint.tmp');
  fs.writeFileSync(temp, 'half a hint');
  const v = await kvtool('verify', s.dir);
  t.equal(v.status, 1);
  t.ok(v.lines.includes(`${s.dir}: store: problem: UNLISTED manifest: ${name(stray)} is not in the manifest: the next open removes it (kvtool repair moves it to lost/)`));
  t.ok(v.lines.some((l) => l.startsWith(`${orphan}: hint: problem: ORPHAN no-segment: the hint of 00000000000000777777.log, which does not exist`)));
  const r = await kvtool('repair', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  for (const f of [stray, orphan, temp]) {
    t.notOk(fs.existsSync(f), `${name(f)} left the store`);
    t.ok(fs.existsSync(path.join(lostDir(s.dir), name(f))), `${name(f)} is kept`);
  }
  await healthy(t, s.dir, stateOf(s.history));
});

t.test('a damaged manifest is recovered by the journal and rebuilt from the segments', async (t) => {
  const s = await makeStore(fresh(), 80);
  const store = await LogStore.open<string>(s.dir);
  const snapshot = await store.snapshot();
  await store.close();
  const manifest = path.join(s.dir, 'MANIFEST.jrna');
  flipByte(manifest, 36 + 20);
  const damagedBytes = fs.readFileSync(manifest);
  const r = await kvtool('repair', '-y', s.dir);
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.lines[1]!, /^ {2}1\. recover the manifest: the manifest is damaged \((torn tail cut|committed frames damaged): frame CRC-32C mismatch\)/);
  t.match(r.lines[2]!, `manifest: list ${s.segments.length} segments (rebuilt from the segments and snapshots kept)`);
  t.strictSame(fs.readFileSync(path.join(lostDir(s.dir), 'MANIFEST.jrna')), damagedBytes, 'the damaged file is kept as it was');
  t.strictSame(fs.readdirSync(s.dir).filter((f) => f.includes('.damaged-')), [], "the JournalStore's own copies went to lost/ too");
  const reopened = await LogStore.open<string>(s.dir);
  t.strictSame(reopened.snapshots().map((x) => x.path), [snapshot.path], 'the valid snapshot is listed again (open would otherwise delete it)');
  await reopened.close();
  await healthy(t, s.dir, stateOf(s.history));
});

t.test('with the manifest damaged (no list to go by), an index without its segment still goes to lost/', async (t) => {
  const s = await makeStore(fresh(), 80);
  writeIndexes(s.dir);
  const orphan = path.join(s.dir, '00000000000000777777.index');
  fs.copyFileSync(s.segments[0]!.replace('.log', '.index'), orphan);
  flipByte(path.join(s.dir, 'MANIFEST.jrna'), 36 + 20);
  const r = await kvtool('repair', '-y', s.dir);
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.ok(r.lines.some((l) => new RegExp(`^  \\d+\\. move ${name(orphan)} to ${LOST}/${name(orphan)}: an index without its segment$`).test(l)), r.stdout);
  t.notOk(fs.existsSync(orphan));
  t.equal(indexesOf(s.dir).size, s.segments.length, 'every segment keeps its own');
  await healthy(t, s.dir, stateOf(s.history));
});

t.test('a damaged snapshot moves to lost/ and leaves the manifest; the others stay listed', async (t) => {
  const s = await makeStore(fresh(), 40);
  const store = await LogStore.open<string>(s.dir, { keepSnapshots: 5 });
  const first = await store.snapshot();
  await store.put('after', 'the first snapshot');
  const second = await store.snapshot();
  await store.close();
  const bytes = fs.readFileSync(second.path);
  bytes[50]! ^= 1;
  fs.writeFileSync(second.path, bytes);
  const v = await kvtool('verify', s.dir);
  t.equal(v.status, 1);
  const r = await kvtool('repair', '-y', s.dir);
  t.equal(r.status, 0, r.stdout);
  const rel = path.relative(s.dir, second.path);
  t.ok(r.lines.some((l) => l.includes(`move ${rel} to`) && l.includes('the snapshot is damaged (CORRUPT chunk-crc)')), r.stdout);
  t.ok(r.lines.some((l) => l.endsWith(`drops snapshot ${path.basename(second.path)}`)));
  t.ok(fs.existsSync(path.join(lostDir(s.dir), rel)));
  const reopened = await LogStore.open<string>(s.dir);
  t.strictSame(reopened.snapshots().map((x) => x.path), [first.path], 'the good snapshot is still listed');
  await reopened.close();
  await healthy(t, s.dir, stateOf([...s.history, { offset: 40, key: 'after', value: 'the first snapshot' }]));
});

t.test('repair takes the lock: a store open elsewhere is refused, a dry run is not', async (t) => {
  const s = await makeStore(fresh(), 40);
  // Keys loaded before open resolves: a background load sets the newest segment's hint and index aside under
  // temporary names until it is sealed or closed (opening.ts), and a dry run would propose moving them.
  const store = await LogStore.open(s.dir, { loadKeys: 'before-open' });
  try {
    const r = await kvtool('repair', '-y', s.dir);
    t.equal(r.status, 4);
    t.equal(r.errors.length, 1, 'one line');
    t.match(r.errors[0]!, `kvtool repair: LOCKED: ${s.dir}/LOCK is already open in this process`);
    const dry = await kvtool('repair', '--dry-run', '--json', s.dir);
    t.equal(dry.status, 0);
    t.strictSame((JSON.parse(dry.stdout) as { changes: unknown[] }).changes, []);
  } finally {
    await store.close();
  }
});

t.test('--json: the plan and the result parse', async (t) => {
  const s = await makeStore(fresh());
  flipByte(s.segments[1]!, batchesOf(s.segments[1]!)[2]!.position + 12);
  const r = await kvtool('repair', '--json', '--yes', '--salvage', s.dir);
  t.equal(r.status, 0);
  const [plan, result] = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.strictSame((plan!.changes as Array<{ kind: string }>).map((c) => c.kind), ['rewrite', 'hint', 'move']);
  t.equal(plan!.mode, 'salvage');
  t.equal(result!.verify, 0);
  t.ok(fs.existsSync(result!.report as string));
  t.equal((await kvtool('repair', '--salvage', '--truncate-tail', s.dir)).status, 2, 'the two policies exclude each other');
  t.equal((await kvtool('repair', path.join(s.dir, 'MANIFEST.jrna'))).status, 2, 'a file is not a store');
});

t.test('a manifest older than the files (it names inputs a compaction deleted): repair lists the segments on disk', async (t) => {
  const dir = fresh();
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
  for (let i = 0; i < 100; i++) await s.put(`k${i % 20}`, `v${i}`);
  await s.close();
  const manifest = ['MANIFEST.jrna', 'MANIFEST.jrnb'].map((f) => [f, fs.readFileSync(path.join(dir, f))] as const);
  const again = await LogStore.open<string>(dir, { autoCompact: false });
  await again.compact();
  await again.close();
  // The manifest as it stood before the compaction: it lists the inputs, now
  // deleted, and not the outputs. (Nothing is written after the compaction: a
  // newer segment holding batches would make open take the directory itself.)
  for (const [f, bytes] of manifest) fs.writeFileSync(path.join(dir, f), bytes);
  await t.rejects(openAndRead(dir), { code: 'CORRUPT', reason: 'missing-segment' }, 'open refuses, deleting nothing');
  const v = await kvtool('verify', dir);
  t.equal(v.status, 1);
  t.ok(v.lines.some((l) => / UNLISTED manifest: .*-1\.log is not in the manifest: which lists missing segments/.test(l)), v.stdout);
  const r = await kvtool('repair', '-y', dir);
  t.equal(r.status, 0, r.stdout);
  t.ok(r.lines.some((l) => /it is older than the files, so it lists the segments on disk/.test(l)), r.stdout);
  t.notOk(r.lines.some((l) => /-1\.log.*lost/.test(l)), "the cleaner's output is not moved to lost/");
  const want = Array.from({ length: 20 }, (_, k) => [`k${k}`, `v${80 + k}`] as [string, string]).sort(([a], [b]) => (a < b ? -1 : 1));
  await healthy(t, dir, want);
});
