// Child of test/crash/kill.test.ts: opens the store (the built package)
// with durability 'sync' and writes until it is killed, reporting each
// write on file descriptor 3 only after its promise resolved, that is,
// after the store acknowledged it as durable. Every 97th write is followed
// by a compact().
//   node kill-child.mjs DIR ROUND ENTRY
import { writeSync } from 'node:fs';

const [dir, round, entry] = process.argv.slice(2);
const { open } = await import(entry);
const db = await open(dir, { valueEncoding: 'utf8', durability: 'sync', segmentSize: 8192, cleanerDirtyRatio: 0.3 });
writeSync(3, 'open\n');
for (let i = 0; ; i++) {
  const key = `r${round}-${i}`;
  const value = `${round}.${i}:${'x'.repeat((i * 37) % 400)}`;
  if (i % 10 === 9) {
    await db.batch([
      { type: 'put', key, value },
      { type: 'put', key: `${key}-b`, value },
    ]);
    writeSync(3, `${key}\n${key}-b\n`);
  } else {
    await db.put(key, value);
    writeSync(3, `${key}\n`);
  }
  // An explicit compaction now and then: its roll often finds the spare not
  // ready (8 KiB segments fill fast) and starts a segment that grows as written.
  if (i % 97 === 96) await db.compact();
  // Overwrites, so the sealed log gets dirty and the cleaner runs too.
  if (i % 3 === 0) {
    await db.put('hot', `${round}.${i}`);
    writeSync(3, `hot=${round}.${i}\n`);
  }
}
