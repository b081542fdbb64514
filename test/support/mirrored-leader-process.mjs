// The leader as a process of its own, for the test that SIGKILLs it
// (test/replication/mirror-follow.test.ts): opens the store, mirrors it into the stream and
// writes w0, w1, ... with 8 in flight, printing "ack N" once write N is
// acknowledged. Uses the build (dist/), as a user's process would.
// Arguments: store directory, servers (comma-separated), stream, count.

import { LogStore } from '../../dist/src/log/log-store.js';
import { mirror } from '../../dist/src/replication/index.js';

const [dir, servers, stream, count] = process.argv.slice(2);
const store = await LogStore.open(dir, { valueEncoding: 'utf8', segmentSize: 64 * 1024 });
await mirror(store, { servers: servers.split(','), stream, requestTimeoutMs: 2000 });
let next = 0;
async function writer() {
  while (next < Number(count)) {
    const i = next++;
    await store.put(`w${i}`, `value ${i}`);
    process.stdout.write(`ack ${i}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, writer));
