import { createRequire } from 'node:module';
import t from 'tap';
import fc from 'fast-check';
import { crc32c, crc32cImplementation, selectCrc32c } from '../../src/checksum/crc32c.js';
import { crc32cJs } from '../../src/checksum/crc32c-js.js';

// Published check value of CRC-32C over ASCII "123456789".
const CHECK = 0xe3069283;

t.test('check value, both implementations', async (t) => {
  t.equal(crc32cJs(Buffer.from('123456789')), CHECK);
  t.equal(crc32c(Buffer.from('123456789')), CHECK);
  t.equal(crc32cJs(new Uint8Array(0)), 0);
});

t.test('the native addon is used exactly when it loads', async (t) => {
  let loads = true;
  try {
    createRequire(import.meta.url)('sse4_crc32');
  } catch {
    loads = false;
  }
  t.equal(crc32cImplementation.name, loads ? 'sse4_crc32' : 'js');
});

t.test('falls back to pure JS when the native module cannot load', async (t) => {
  const impl = selectCrc32c(() => {
    throw new Error('Cannot find module sse4_crc32');
  });
  t.equal(impl.name, 'js');
  t.equal(impl.crc32c(Buffer.from('123456789')), CHECK);
});

t.test('falls back when the native module computes something else', async (t) => {
  const impl = selectCrc32c(() => ({ calculate: () => 42 }));
  t.equal(impl.name, 'js');
});

t.test('LOGKV_CRC32C=js forces the fallback', async (t) => {
  const impl = selectCrc32c(() => ({ calculate: () => CHECK }), { LOGKV_CRC32C: 'js' });
  t.equal(impl.name, 'js');
});

t.test('native and JS agree on any bytes, whole and continued', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(5000), (data, cut) => {
      const at = Math.min(cut, data.length);
      const whole = crc32cJs(data);
      if (crc32c(data) !== whole) return false;
      return crc32c(data.subarray(at), crc32c(data.subarray(0, at))) === whole;
    }),
    { numRuns: 300 },
  );
  t.pass('300 random inputs agree');
});
