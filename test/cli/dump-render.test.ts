// kvtool dump --json writes record, hint entry, index slot and snapshot
// entry lines by hand (render.ts) for speed; every other event goes field by field. The two
// must give the same text for any such event: same fields, same order, same
// escaping.

import fc from 'fast-check';
import t from 'tap';
import type { DumpEvent } from '../../cli/dump/events.js';
import type { ShownKey } from '../../cli/format-value.js';
import { renderJson, renderJsonFields } from '../../cli/dump/render.js';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const hex = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('hex'));

const file = fc.oneof(text, fc.constant('/db/00000000000000000000.log'));
const expireAt = fc.option(fc.maxSafeNat(), { nil: undefined });
const key = fc.oneof(text.map((t): ShownKey => ({ text: t })), hex.map((h): ShownKey => ({ hex: h })));
const value = fc.option(
  // A hex value's data is hex, as showValue makes it; text and JSON data is any text.
  fc.oneof(
    fc.record({ form: fc.constant('hex' as const), data: hex, size: fc.nat(), truncated: fc.boolean() }),
    fc.record({ form: fc.constantFrom('text' as const, 'json' as const), data: text, size: fc.nat(), truncated: fc.boolean() }),
  ),
  { nil: undefined },
);

const record: fc.Arbitrary<DumpEvent> = fc.record({
  type: fc.constant('record' as const),
  file,
  offset: fc.maxSafeNat(),
  position: fc.nat(),
  size: fc.nat(),
  op: fc.constantFrom('put' as const, 'delete' as const),
  expireAt,
  key,
  value,
});

const hintEntry: fc.Arbitrary<DumpEvent> = fc.record({
  type: fc.constant('hint-entry' as const),
  file,
  offset: fc.maxSafeNat(),
  position: fc.nat(),
  size: fc.nat(),
  tombstone: fc.boolean(),
  expireAt,
  key,
});

const indexSlot: fc.Arbitrary<DumpEvent> = fc.record({
  type: fc.constant('index-slot' as const),
  file,
  slot: fc.nat(),
  hash: fc.integer({ min: 0, max: 0xffffffff }).map((h) => h.toString(16).padStart(8, '0')),
  offset: fc.maxSafeNat(),
  position: fc.nat(),
  size: fc.nat(),
});

const snapshotEntry: fc.Arbitrary<DumpEvent> = fc.record({ type: fc.constant('snapshot-entry' as const), file, offset: fc.maxSafeNat(), expireAt, key, value });

t.test('a line written by hand is the line the generic renderer writes', async (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.array(fc.oneof(record, hintEntry, indexSlot, snapshotEntry), { minLength: 1, maxLength: 5 }), (events) => {
      for (const e of events) {
        const fast = renderJson(e);
        if (fast !== renderJsonFields(e)) return false;
        JSON.parse(fast);
        runs++;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.ok(runs >= 300, `${runs} lines compared`);
});
