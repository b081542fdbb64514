// The generated parsers in src/formats/generated/ are what the specs compile
// to today, an invalid spec fails the build with the compiler's message, and
// the bounds in src/formats/limits.ts are the ones the specs validate.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import * as limits from '../../src/formats/limits.js';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'build-formats.mjs');

function build(...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function tempFormats(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-formats-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'formats'), dir, { recursive: true });
  return dir;
}

t.test('generated code matches formats/*.ksy', async (t) => {
  const r = build('--check');
  t.equal(r.status, 0, r.out);
});

t.test('a spec change without regeneration is reported as stale', async (t) => {
  const dir = tempFormats(t);
  const file = join(dir, 'hint.ksy');
  writeFileSync(file, readFileSync(file, 'utf8').replace('File magic, ASCII "LKVH".', 'File magic.'));
  const r = build('--check', '--formats-dir', dir);
  t.equal(r.status, 1);
  t.match(r.out, /stale against formats\/: .*Hint\.js/);
});

t.test('an invalid spec fails the build with the compiler message', async (t) => {
  const dir = tempFormats(t);
  const file = join(dir, 'journal.ksy');
  writeFileSync(file, readFileSync(file, 'utf8').replace('type: u8\n', 'type: u9\n'));
  const out = mkdtempSync(join(tmpdir(), 'logkv-gen-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = build('--formats-dir', dir, '--out-dir', out);
  t.equal(r.status, 1);
  t.match(r.out, /formats\/journal\.ksy: [^]*unable to find type 'u9'/);
});

type Attr = { id: string; valid?: { max?: number; min?: number; eq?: number; expr?: string } };
type Ksy = { types: Record<string, { seq: Attr[] }>; seq?: Attr[] };
const ksy = (name: string) => YAML.parse(readFileSync(join(root, 'formats', `${name}.ksy`), 'utf8')) as Ksy;
const field = (spec: Ksy, type: string, id: string): Attr => spec.types[type]!.seq.find((a) => a.id === id)!;

t.test('limits.ts agrees with the valid: clauses of the specs', async (t) => {
  const log = ksy('log_segment');
  t.equal(field(log, 'record', 'value_length').valid?.max, limits.MAX_VALUE_LENGTH);
  t.equal(field(log, 'batch_header', 'record_count').valid?.max, limits.MAX_RECORDS_PER_BATCH);
  t.equal(field(log, 'batch_header', 'base_offset').valid?.max, limits.MAX_SAFE_U64);
  t.equal(
    field(log, 'batch', 'batch_length').valid?.expr,
    `_ == 0 or (_ >= ${limits.MIN_BATCH_LENGTH} and _ <= ${limits.MAX_BATCH_LENGTH})`,
  );
  t.equal(field(log, 'segment_header', 'version').valid?.eq, limits.FORMAT_VERSION);
  const snap = ksy('snapshot');
  t.equal(field(snap, 'chunk', 'chunk_length').valid?.max, limits.MAX_CHUNK_LENGTH);
  t.equal(field(snap, 'chunk', 'entry_count').valid?.max, limits.MAX_ENTRIES_PER_CHUNK);
  t.equal(field(snap, 'snapshot_entry', 'value_length').valid?.max, limits.MAX_VALUE_LENGTH);
  const journal = ksy('journal');
  t.equal(field(journal, 'journal_header', 'file_size').valid?.min, limits.MIN_JOURNAL_FILE_SIZE);
  t.equal(field(journal, 'journal_header', 'file_size').valid?.max, limits.MAX_JOURNAL_FILE_SIZE);
  t.equal(
    field(journal, 'frame', 'frame_length').valid?.expr,
    `_ == 0 or (_ >= ${limits.FRAME_BODY_FIXED_SIZE} and _ <= ${limits.MAX_BATCH_LENGTH})`,
  );
  t.equal(field(journal, 'string_value', 'length').valid?.max, limits.MAX_VALUE_LENGTH);
  const hint = ksy('hint');
  t.equal(field(hint, 'hint_entry', 'size').valid?.min, limits.RECORD_FIXED_SIZE);
  t.equal(field(hint, 'hint_entry', 'size').valid?.max, limits.MAX_RECORD_SIZE);
  t.equal(field(journal, 'journal_header', 'committed_length').valid?.max, limits.MAX_JOURNAL_FILE_SIZE - limits.JOURNAL_HEADER_SIZE);
});

t.test('fixed sizes in limits.ts are the sizes the specs lay out', async (t) => {
  const sizes: Record<string, number> = { u1: 1, u2: 2, u4: 4, u8: 8, s4: 4, f8: 8 };
  const fixed = (spec: Ksy, type: string) =>
    spec.types[type]!.seq.reduce((n, a) => n + (sizes[(a as { type?: string }).type ?? ''] ?? ((a as { contents?: string }).contents?.length ?? 0)), 0);
  const log = ksy('log_segment');
  t.equal(fixed(log, 'segment_header'), limits.SEGMENT_HEADER_SIZE);
  t.equal(fixed(log, 'batch_header'), limits.BATCH_HEADER_SIZE);
  t.equal(fixed(log, 'record'), limits.RECORD_FIXED_SIZE, 'record fixed part (key/value/expiry excluded)');
  t.equal(fixed(ksy('hint'), 'hint_header'), limits.HINT_HEADER_SIZE);
  t.equal(fixed(ksy('hint'), 'hint_entry'), limits.HINT_ENTRY_FIXED_SIZE);
  t.equal(fixed(ksy('hint'), 'hint_trailer'), limits.HINT_TRAILER_SIZE);
  t.equal(fixed(ksy('snapshot'), 'snapshot_header'), limits.SNAPSHOT_HEADER_SIZE);
  t.equal(fixed(ksy('snapshot'), 'snapshot_entry'), limits.SNAPSHOT_ENTRY_FIXED_SIZE);
  t.equal(fixed(ksy('journal'), 'journal_header'), limits.JOURNAL_HEADER_SIZE);
});
