// kvtool and files it must not read whole: a file that is not logkv's is
// judged from its first bytes, whatever its size (a 1 GiB file named like
// a segment cost 1.1 GB of memory to call "not a logkv file"), and a logkv
// file over 2 GiB (past what one Buffer holds) is read a window at a time.
// Sparse files: no disk space is used.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { encodeBatch, encodeSegmentHeader } from '../../src/formats/log-segment-writer.js';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { timedKvtool as kvtool } from './timed-kvtool.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-large-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sparse(name: string, head: Uint8Array, size: number): string {
  const file = path.join(tmp, name);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, head);
  fs.ftruncateSync(fd, size);
  fs.closeSync(fd);
  return file;
}

const GiB = 2 ** 30;
const foreign = sparse('00000000000000000000.log', Buffer.from('user data, not a segment'), GiB);

t.test('a 1 GiB file that is not logkv is judged from its head, in bounded memory', async (t) => {
  for (const command of ['verify', 'dump', 'stats']) {
    const r = kvtool(command, foreign);
    t.equal(r.status, 1, `${command}: exit 1 (not a logkv file)`);
    t.match(r.out, /not a logkv file/, `${command}: says so`);
    if (r.peakMb !== undefined) t.ok(r.peakMb < 200, `${command}: peak memory ${r.peakMb.toFixed(0)} MB (the file is 1024 MB)`);
  }
  const e = kvtool('explain', foreign, '--at', String(GiB - 1));
  t.equal(e.status, 1, 'explain: exit 1');
  t.match(e.out, /not a logkv file/);
});

/** Past the 2 GiB a Buffer (and readFileSync) can hold, and no larger: reading sparse zeros still costs the kernel ~1 s a GiB here. */
const BIG = 2 * GiB + 16 * 2 ** 20;
const GOOD_BATCH = encodeBatch({ baseOffset: 7, timestampMs: 1, compacted: false, records: [{ op: Op.Put, offsetDelta: 0, key: Buffer.from('far'), value: Buffer.from('away'), expireAtMs: undefined }] });
const huge = sparse('00000000000000000007.log', Buffer.concat([encodeSegmentHeader({ baseOffset: 7, valueEncoding: ValueEncoding.Utf8, createdMs: 0 }), GOOD_BATCH]), BIG);
/** A byte that is not zero past 2 GiB: damage at a position no Buffer of the file could hold. */
const FAR = 2 * GiB + 4 * 2 ** 20;
const damaged = sparse('00000000000000000009.log', Buffer.concat([encodeSegmentHeader({ baseOffset: 7, valueEncoding: ValueEncoding.Utf8, createdMs: 0 }), GOOD_BATCH]), BIG);
{
  const fd = fs.openSync(damaged, 'r+');
  fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, FAR);
  fs.closeSync(fd);
}

const MARKER = 28 + GOOD_BATCH.length;
const explainedFar = new RegExp(
  [
    `: segment, ${BIG} bytes; byte ${FAR} \\(0x${FAR.toString(16)}\\) is 0x5a`,
    `status: damaged bytes ${MARKER}\\.\\.${BIG}: CORRUPT nonzero-fill: end-of-log marker at ${MARKER} but a non-zero byte at ${FAR}`,
    `field: batch\\.zero_fill \\(formats/log_segment\\.ksy types/batch seq zero_fill\\), bytes ${MARKER + 4}\\.\\.${BIG} \\(${BIG - MARKER - 4} bytes, this is byte ${FAR - MARKER - 4} of it\\)`,
    `value: 0x0{128}\\.\\.\\. \\(${BIG - MARKER - 4} bytes\\)`,
    `path: batch ${MARKER}\\.\\.${BIG} > zero_fill ${MARKER + 4}\\.\\.${BIG}`,
    `  ${FAR.toString(16).padStart(8, '0')} \\[5a\\]`,
  ].join('[^]*'),
);

t.test('a segment over 2 GiB is read a window at a time, in bounded memory', async (t) => {
  const expected: Array<[string[], number, RegExp]> = [
    [['verify', huge], 0, /ok/],
    [['dump', huge], 0, /"far".*"away"[\s\S]*zero/],
    [['stats', huge], 0, /records: 1/],
    [['verify', damaged], 1, new RegExp(`non-zero byte at ${FAR}`)],
    [['dump', damaged], 0, new RegExp(`non-zero byte at ${FAR}`)],
    // explain stops reading at the batch holding the byte: no pass over the 2 GiB of zeros.
    [['explain', huge, '--at', '30'], 0, /status: valid batch at 28\.\.\d+, offsets 7\.\.7\nfield: batch\.batch_length \(formats\/log_segment\.ksy types\/batch seq batch_length\), bytes 28\.\.32 /],
    // The damage runs from the end-of-log marker to the end of the file; its zero fill is read as far as its head, its length and the byte as they are.
    [['explain', damaged, '--at', String(FAR)], 0, explainedFar],
  ];
  for (const [args, status, says] of expected) {
    const r = kvtool(...args);
    t.equal(r.status, status, `${args.join(' ')}: exit ${status}`);
    t.match(r.out, says, `${args.join(' ')}: ${says}`);
    t.notMatch(r.out, /RangeError|greater than 2 GiB|\n\s+at /, `${args[0]}: no stack trace`);
    if (r.peakMb !== undefined) t.ok(r.peakMb < 200, `${args.join(' ')}: peak memory ${r.peakMb.toFixed(0)} MB (the file is 2064 MB)`);
  }
});
