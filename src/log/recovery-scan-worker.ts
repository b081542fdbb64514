// A scan worker of a hint-less open (recovery-scan.ts, readInScanWorkers):
// reads the segments it was started with, one after the other, answering
// each with its scan and its table of records (the buffers transferred).

import { parentPort, workerData } from 'node:worker_threads';
import { nodeFileIO } from '../io/file-io.js';
import { readSegmentParts, type ScanReply } from './recovery-scan.js';
import { SegmentNewest } from './segment-newest.js';

const { paths } = workerData as { paths: string[] };
for (const [index, path] of paths.entries()) {
  let reply: ScanReply;
  try {
    reply = { index, read: readSegmentParts(nodeFileIO, path) };
  } catch (e) {
    reply = { index, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply, 'read' in reply ? [...SegmentNewest.buffers(reply.read.parts), reply.read.chosen.rows.buffer, reply.read.chosen.hashes.buffer] : []);
}
