// abstract-level's own test suite, run against LogLevel the way its README
// tells an implementation to: suite({ test, factory }) with tape, a fresh
// directory per database. Every test the manifest enables runs (the suite
// picks them from db.supports; it also runs itself again on a sublevel).
// tap runs this file and reads tape's TAP output, so each of the suite's
// assertions counts in tap's totals; tape's own "# pass N" line shows the
// suite's count in the output.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'tape';
import suite from 'abstract-level/test/index.js';
import { LogLevel } from '../../src/level/log-level.js';

const root = mkdtempSync(join(tmpdir(), 'logkv-abstract-level-'));
let made = 0;
test.onFinish(() => rmSync(root, { recursive: true, force: true }));

suite({
  test,
  // Small segments: the suite makes hundreds of databases, and the larger tests roll segments.
  factory: (options) => new LogLevel(join(root, String(made++)), { segmentSize: 64 * 1024, ...options }),
});
