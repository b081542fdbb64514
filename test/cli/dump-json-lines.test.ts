// kvtool dump --json writes the lines of records, hint entries and index
// slots as bytes from the readers' fields (json-lines.ts, json-bytes.ts),
// not through an event and renderJson(). Each must be the very line
// renderJson() gives for the event the generic path makes: keys and values
// of any bytes (text, text with quotes, controls, C1 controls, U+2028,
// a BOM, cut UTF-8, overlong forms, surrogates, binary), every value
// encoding and --values mode, expiries, deletes, large numbers. And a
// whole dump is the same with or without the fast lines.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { JsonLines } from '../../cli/dump/json-lines.js';
import { renderJson } from '../../cli/dump/render.js';
import { hashText } from '../../cli/dump/segment-index.js';
import { showKey, showValue, type ValuesMode } from '../../cli/format-value.js';
import { memoryOutput } from '../../cli/output.js';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { LogStore } from '../../src/log/log-store.js';
import { kvtool } from './run-kvtool.js';

/** Bytes that are often UTF-8 text with something to escape or refuse in it, and often not. */
const tricky = fc.oneof(
  fc.uint8Array({ maxLength: 90 }),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.array(fc.constantFrom('a', '"', '\\', '\n', '\t', '\u0001', '\u007f', '\u0085', '\u2028', '\u2029', '\ufeff', 'é', '€', '𝄞', ' '), { maxLength: 40 }).map((a) => Buffer.from(a.join(''), 'utf8')),
  // Overlong forms, surrogates, stray continuations, a cut sequence, past U+10FFFF.
  fc.constantFrom(Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xf0, 0x9f, 0x98, 0x80])),
);

const file = fc.constantFrom('/db/00000000000000000000.log', 'a "quoted" \u00e9 name\n.log');

/** The lines `write` makes through a JsonLines. */
function fastLines(write: (j: JsonLines) => void): string[] {
  const out = memoryOutput();
  const j = new JsonLines(out);
  write(j);
  j.flush();
  return out.lines;
}

t.test('a record line written as bytes is the line renderJson() writes', async (t) => {
  let runs = 0;
  fc.assert(
    fc.property(
      file,
      fc.maxSafeNat(),
      fc.nat(),
      fc.nat(),
      fc.constantFrom(Op.Put, Op.Delete),
      fc.option(fc.maxSafeNat(), { nil: undefined }),
      tricky,
      tricky,
      fc.constantFrom(ValueEncoding.Binary, ValueEncoding.Utf8, ValueEncoding.Json),
      fc.constantFrom<ValuesMode>('preview', 'full', 'none'),
      (f, offset, position, size, op, expireAt, key, value, encoding, values) => {
        const bytes = Buffer.concat([Buffer.from('pad'), key, op === Op.Delete ? Buffer.alloc(0) : value, Buffer.from('after')]);
        const lines = fastLines((j) => j.record(f, offset, position, size, op, expireAt, bytes, 3, key.length, op === Op.Delete ? 0 : value.length, encoding, values));
        const expected = renderJson({
          type: 'record',
          file: f,
          offset,
          position,
          size,
          op: op === Op.Delete ? 'delete' : 'put',
          expireAt,
          key: showKey(key),
          value: op === Op.Delete ? undefined : showValue(value, encoding, values),
        });
        runs++;
        return lines.length === 1 && lines[0] === expected;
      },
    ),
    { numRuns: 1500 },
  );
  t.ok(runs >= 1500, `${runs} lines compared`);
});

t.test('hint entry and index slot lines written as bytes are the lines renderJson() writes', async (t) => {
  fc.assert(
    fc.property(file, fc.maxSafeNat(), fc.nat(), fc.nat(), fc.boolean(), fc.option(fc.maxSafeNat(), { nil: undefined }), tricky, fc.integer({ min: 0, max: 0xffffffff }), (f, offset, position, size, tombstone, expireAt, key, hash) => {
      const bytes = Buffer.concat([Buffer.from('xy'), key]);
      const entry = fastLines((j) => j.hintEntry(f, offset, position, size, tombstone, expireAt, bytes, 2, key.length));
      const slot = fastLines((j) => j.indexSlot(f, size, hash, offset, position, size));
      return (
        entry[0] === renderJson({ type: 'hint-entry', file: f, offset, position, size, tombstone, expireAt, key: showKey(key) }) &&
        slot[0] === renderJson({ type: 'index-slot', file: f, slot: size, hash: hashText(hash), offset, position, size })
      );
    }),
    { numRuns: 800 },
  );
  t.pass('compared');
});

t.test('lines past a chunk, and other events between them, come out whole and in order', async (t) => {
  const lines = fastLines((j) => {
    for (let i = 0; i < 30000; i++) {
      j.indexSlot('/f.index', i, i * 7919, i, i * 3, 40);
      if (i % 10000 === 0) j.event({ type: 'file', file: '/f.index', kind: 'index', size: i });
    }
  });
  t.equal(lines.length, 30003);
  t.equal(lines[1], renderJson({ type: 'file', file: '/f.index', kind: 'index', size: 0 }));
  t.equal(lines.at(-1), renderJson({ type: 'index-slot', file: '/f.index', slot: 29999, hash: hashText(29999 * 7919), offset: 29999, position: 29999 * 3, size: 40 }));
});

t.test('a dump of a store is the same with the fast lines as without them', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-dump-lines-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const valueEncoding of ['utf8', 'binary'] as const) {
    const dir = path.join(tmp, valueEncoding);
    const s = await LogStore.open<string | Uint8Array>(dir, { valueEncoding, segmentSize: 8 * 1024, autoCompact: false });
    for (let i = 0; i < 600; i++) {
      const key = i % 4 === 0 ? `k\u00e9y "${i % 50}"\n` : i % 4 === 1 ? Buffer.from([0xff, i % 256, 0]).toString('latin1') : `key-${i % 80}`;
      const text = `value ${i} \u2028 "q" \\ \u0001 ${'x'.repeat(i % 90)}`;
      if (i % 13 === 0) await s.delete(key);
      else await s.put(key, valueEncoding === 'utf8' ? text : Buffer.from(text), i % 7 === 0 ? { ttlMs: 10 ** 9 } : {});
    }
    await s.close();
    for (const values of ['preview', 'full', 'none']) {
      const fast = await kvtool('dump', '--json', '--values', values, dir);
      // --from-offset 0 keeps every line and takes the generic path of events and renderJson().
      const generic = await kvtool('dump', '--json', '--values', values, '--from-offset', '0', dir);
      t.equal(fast.status, 0);
      t.ok(fast.lines.length > 1000, `${valueEncoding} --values ${values}: ${fast.lines.length} lines`);
      t.same(fast.lines, generic.lines, `${valueEncoding} --values ${values}: the same lines`);
    }
  }
});

t.test('a chunk is filled again only when the Output says it is done with it', async (t) => {
  const lineOf = (i: number) => renderJson({ type: 'index-slot', file: '/f.index', slot: i, hash: hashText(i), offset: i, position: i, size: 40 });
  const write = (j: JsonLines) => {
    for (let i = 0; i < 30000; i++) j.indexSlot('/f.index', i, i, i, i, 40);
    j.flush();
  };
  // An Output that keeps the chunks it is given (as the dump's own thread does while a worker's file is written first).
  const kept: Uint8Array[] = [];
  write(new JsonLines({ ...memoryOutput(), text: (data) => void kept.push(data) }));
  t.ok(kept.length >= 3, `${kept.length} chunks`);
  t.equal(new Set(kept.map((c) => c.buffer)).size, kept.length, 'each chunk in a buffer of its own');
  const lines = kept.flatMap((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8').split('\n').slice(0, -1));
  t.equal(lines.length, 30000);
  t.ok(lines.every((l, i) => l === lineOf(i)), 'every kept chunk still holds its own lines');
  // An Output that is done with each chunk when text() returns (stdout to a file): one buffer throughout.
  const seen = new Set<ArrayBufferLike>();
  const done: string[] = [];
  write(
    new JsonLines({
      ...memoryOutput(),
      text: (data) => {
        seen.add(data.buffer);
        done.push(...Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8').split('\n').slice(0, -1));
        return true;
      },
    }),
  );
  t.equal(seen.size, 1, 'one buffer, filled again');
  t.ok(done.length === 30000 && done.every((l, i) => l === lineOf(i)), 'the same lines');
});
