// kvtool explain over the golden files: the field each byte belongs to,
// with positions worked out here from the layouts in formats/*.ksy (a
// record at 62 is crc 4, op 1, flags 1, offset_delta 4, key_length 2,
// value_length 4, key, value), the reader's verdict on the stretch, and
// the bytes around it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { encodeBatch, encodeSegmentHeader } from '../../src/formats/log-segment-writer.js';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { kvtool } from './run-kvtool.js';

const fixture = (f: string): string => path.join(import.meta.dirname, '..', '..', 'fixtures', f);
const field = (lines: string[]) => lines.find((l) => l.startsWith('field: '));
const pathLine = (lines: string[]) => lines.find((l) => l.startsWith('path: '));

t.test('every field of a one-record segment', async (t) => {
  // one-record.log: header 0..28, one batch 28..86 holding one record 62..86, key "alpha", value "one".
  const cases: Array<[number, string, string]> = [
    [0, 'segment_header 0..28 > magic 0..4', 'segment_header.magic (formats/log_segment.ksy types/segment_header seq magic), bytes 0..4'],
    [29, 'batch 28..86 > batch_length 28..32', 'batch.batch_length (formats/log_segment.ksy types/batch seq batch_length), bytes 28..32'],
    [33, 'batch 28..86 > crc 32..36', 'batch.crc (formats/log_segment.ksy types/batch seq crc), bytes 32..36'],
    [40, 'batch 28..86 > header 36..62 > base_offset 36..44', 'batch.header.base_offset (formats/log_segment.ksy types/batch_header seq base_offset), bytes 36..44'],
    [62, 'batch 28..86 > records[0] 62..86 > crc 62..66', 'batch.records[0].crc (formats/log_segment.ksy types/record seq crc), bytes 62..66'],
    [66, 'batch 28..86 > records[0] 62..86 > op 66..67', 'batch.records[0].op (formats/log_segment.ksy types/record seq op), bytes 66..67'],
    [73, 'batch 28..86 > records[0] 62..86 > key_length 72..74', 'batch.records[0].key_length (formats/log_segment.ksy types/record seq key_length), bytes 72..74'],
    [80, 'batch 28..86 > records[0] 62..86 > key 78..83', 'batch.records[0].key (formats/log_segment.ksy types/record seq key), bytes 78..83'],
    [85, 'batch 28..86 > records[0] 62..86 > value 83..86', 'batch.records[0].value (formats/log_segment.ksy types/record seq value), bytes 83..86'],
  ];
  for (const [at, path, fieldLine] of cases) {
    const r = await kvtool('explain', fixture('log/one-record.log'), '--at', String(at));
    t.equal(r.status, 0);
    t.equal(pathLine(r.lines), `path: ${path}`, `byte ${at}`);
    t.match(field(r.lines)!, `field: ${fieldLine} (`);
  }
});

t.test('the whole report for a key byte', async (t) => {
  const r = await kvtool('explain', fixture('log/one-record.log'), '--at', '0x50', '--context', '16');
  t.strictSame(r.lines, [
    `${fixture('log/one-record.log')}: segment, 86 bytes; byte 80 (0x50) is 0x70`,
    'status: valid batch at 28..86, offsets 100..100',
    'field: batch.records[0].key (formats/log_segment.ksy types/record seq key), bytes 78..83 (5 bytes, this is byte 2 of it)',
    'value: 0x616c706861 (5 bytes) "alpha"',
    'path: batch 28..86 > records[0] 62..86 > key 78..83',
    '  00000040  ab 62 01 00 00 00 00 00 05 00 03 00 00 00 61 6c  |.b............al|',
    '                                                      ~~ ~~',
    '  00000050 [70]68 61 6f 6e 65                                |phaone|',
    '            ^^ ~~ ~~',
  ]);
});

t.test('damaged and torn batches, zero fill', async (t) => {
  const flip = await kvtool('explain', fixture('log/flip-crc.log'), '--at', '210', '--context', '0');
  t.equal(flip.lines[1], 'status: damaged bytes 205..260: CORRUPT batch-crc: batch CRC-32C mismatch (stored 65398dc8, computed 653989c8)');
  t.match(field(flip.lines)!, 'field: batch.crc (formats/log_segment.ksy types/batch seq crc), bytes 209..213');

  const torn = await kvtool('explain', fixture('log/torn-mid-record.log'), '--at', '130');
  t.match(torn.lines[1]!, /^status: damaged bytes 86\.\.136: TRUNCATED truncated: /);
  t.match(pathLine(torn.lines)!, /^path: batch 86\.\.\? > /, 'the batch never ends');
  t.ok(torn.lines.some((l) => l.startsWith('parser: stopped with EOFError: ')), 'and says where the parser stopped');

  const fill = await kvtool('explain', fixture('log/zero-filled-tail.log'), '--at', '70000', '--context', '0');
  t.equal(fill.lines[1], 'status: end-of-log marker at 65928 and zero fill (4096 bytes)');
  t.match(field(fill.lines)!, 'field: batch.zero_fill (formats/log_segment.ksy types/batch seq zero_fill), bytes 65932..70024');
});

t.test('the zero fill after damage and a batch salvaged past it', async (t) => {
  const batch = (offset: number) => encodeBatch({ baseOffset: offset, timestampMs: 1, compacted: false, records: [{ op: Op.Put, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v'), expireAtMs: undefined }] });
  const [a, b, c] = [batch(0), batch(1), batch(2)];
  b[b.length - 1]! ^= 1; // b's CRC fails; c is found past it
  const cAt = 28 + a.length + b.length;
  const fillAt = cAt + c.length;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-explain-')), '00000000000000000000.log');
  t.teardown(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  fs.writeFileSync(file, Buffer.concat([encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Utf8, createdMs: 0 }), a, b, c, Buffer.alloc(100)]));
  const r = await kvtool('explain', file, '--at', String(fillAt + 50), '--context', '0');
  t.equal(r.lines[1], `status: end-of-log marker at ${fillAt} and zero fill (100 bytes)`, 'the marker is where c ends, not where the damage starts');
  t.equal(pathLine(r.lines), `path: batch ${fillAt}..${fillAt + 100} > zero_fill ${fillAt + 4}..${fillAt + 100}`);
});

t.test('journal, hint, index and snapshot fields', async (t) => {
  const cases: Array<[string, number, string]> = [
    ['journal/all-value-kinds.jrna', 9, 'path: journal_header 0..36 > generation 8..16'],
    ['journal/all-value-kinds.jrna', 71, 'path: frame 71..217 > frame_length 71..75'],
    ['journal/all-value-kinds.jrna', 80, 'path: frame 71..217 > body 79..217 > generation 79..87'],
    ['hint/many.hint', 60, 'path: hint 0..65673 > entries 36..65665 > entries[1] 60..81 > flags 60..61'],
    ['snapshot/one-entry.snap', 60, 'path: snapshot 0..123 > chunks[0] 36..79 > body 48..79 > entries[0] 48..79 > offset 55..63'],
    // many.index: 9 slots of 16 bytes from 40 (slot_crc at 12 in each), the trailer at 40 + 9 * 16.
    ['index/many.index', 10, 'path: segment_index 0..268 > header 0..44 > segment_base_offset 8..16'],
    ['index/many.index', 37, 'path: segment_index 0..268 > header 0..44 > last_batch_position 36..40'],
    ['index/many.index', 69, 'path: segment_index 0..268 > slots[1] 68..92 > key_hash 68..72'],
    ['index/many.index', 83, 'path: segment_index 0..268 > slots[1] 68..92 > offset 80..88'],
    ['index/many.index', 236, 'path: segment_index 0..268 > slots[8] 236..260 > key_hash 236..240'],
    ['index/many.index', 266, 'path: segment_index 0..268 > trailer 260..268 > slots_crc 264..268'],
  ];
  for (const [file, at, want] of cases) {
    const r = await kvtool('explain', fixture(file), '--at', String(at));
    t.equal(r.status, 0);
    t.equal(pathLine(r.lines), want, `${file} at ${at}`);
  }
  const refused = await kvtool('explain', fixture('hint/torn.hint'), '--at', '40');
  t.equal(refused.lines[1], 'status: the reader refuses this hint: CORRUPT entries-crc at byte 36: hint entries CRC-32C mismatch (or the file is torn)');
  t.match(pathLine(refused.lines)!, /^path: hint 0\.\.\? > entries 36\.\.\? > entries\[0\] 36\.\.60 > offset 39\.\.47$/);

  // Slot 2 changed under CRCs over all the slots made to match again: the slot's own CRC tells it from the others.
  const slot = await kvtool('explain', fixture('index/flip-slot-resealed.index'), '--at', '97');
  t.equal(slot.lines[1], 'status: the reader refuses this index: CORRUPT slot-crc at byte 92: slot 2 fails its CRC-32C or bounds; slot 2 fails its own CRC-32C or bounds');
  t.equal(pathLine(slot.lines), 'path: segment_index 0..268 > slots[2] 92..116 > position 96..100');
  const other = await kvtool('explain', fixture('index/flip-slot-resealed.index'), '--at', '80');
  t.match(other.lines[1]!, /; slot 1 passes its own CRC-32C and bounds$/);
  const torn = await kvtool('explain', fixture('index/torn.index'), '--at', '264');
  t.equal(pathLine(torn.lines), 'path: segment_index 0..? > trailer 260..? > slots_crc 264..?', 'the parser stops in the torn trailer');
});

t.test('--json, and bad arguments', async (t) => {
  const r = await kvtool('explain', '--json', fixture('log/one-record.log'), '--at', '84');
  const doc = JSON.parse(r.stdout) as { byte: number; field: { name: string; spec: string; start: number; end: number; valueHex: string }; path: Array<{ field: string }> };
  t.strictSame(doc.field, { name: 'records[0].value', spec: 'formats/log_segment.ksy types/record seq value', start: 83, end: 86, valueHex: '6f6e65' });
  t.equal(doc.byte, 0x6e);
  t.strictSame(doc.path.map((p) => p.field), ['batch', 'records[0]', 'value']);

  const past = await kvtool('explain', fixture('log/one-record.log'), '--at', '86');
  t.strictSame([past.status, past.errors], [2, [`kvtool explain: --at 86: ${fixture('log/one-record.log')} has 86 bytes (positions 0..85)`]]);
  t.equal((await kvtool('explain', fixture('log/one-record.log'), '--at', 'ten')).status, 2);
  t.equal((await kvtool('explain', fixture('log/one-record.log'))).status, 2, '--at is required');
  t.equal((await kvtool('explain', fixture('log'), '--at', '1')).status, 2, 'a directory');
  const notOurs = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-explain-')), 'notes.txt');
  fs.writeFileSync(notOurs, 'hello');
  t.teardown(() => fs.rmSync(path.dirname(notOurs), { recursive: true, force: true }));
  const foreign = await kvtool('explain', notOurs, '--at', '1');
  t.strictSame([foreign.status, foreign.errors], [1, [`kvtool explain: ${notOurs} is not a logkv file (magic 68656c6c)`]]);
});
