import { createRequire } from 'node:module';
import t from 'tap';
import fc from 'fast-check';
import { crc32c, crc32cImplementation, selectCrc32c } from '../../src/checksum/crc32c.js';
import { crc32cJs, crc32cJsRange, crc32cJsView } from '../../src/checksum/crc32c-js.js';

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

// crc32cJsRange reads 16 bytes a step through a DataView of the whole
// ArrayBuffer, kept for the last small buffer seen, or bytes one by one for
// a short range of a large buffer: ranges at any alignment, of views that
// start inside their buffer, and of buffers taking turns (the kept view
// must follow), must agree with the byte-at-a-time definition.
function bitwise(data: Uint8Array, start: number, end: number): number {
  let c = ~0 >>> 0;
  for (let i = start; i < end; i++) {
    c ^= data[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

t.test('ranges of views at any offset, of buffers taking turns, agree with the definition', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.nat(599), fc.nat(599), fc.nat(64), (a, b, x, y, skew) => {
      // Views starting `skew` bytes into a larger buffer: byteOffset is not 0, nor a multiple of 4.
      const big = new Uint8Array(a.length + skew + 8);
      big.set(a, skew);
      const va = big.subarray(skew, skew + a.length);
      const vb = Buffer.from(b);
      const [s, e] = [Math.min(x, a.length), Math.min(y, a.length)].sort((p, q) => p - q) as [number, number];
      const [s2, e2] = [Math.min(x, b.length), Math.min(y, b.length)].sort((p, q) => p - q) as [number, number];
      const viewed = crc32cJsView(new DataView(big.buffer), skew + s, skew + e);
      return crc32cJsRange(va, s, e) === bitwise(a, s, e) && crc32cJsRange(vb, s2, e2) === bitwise(b, s2, e2) && crc32cJsRange(va, s, e) === bitwise(a, s, e) && viewed === bitwise(a, s, e);
    }),
    { numRuns: 500 },
  );
  // A buffer too large for the kept view, between two small ones.
  const large = Buffer.alloc(100 * 1024, 7);
  const small = Buffer.from('0123456789abcdef0123456789abcdef');
  t.equal(crc32cJsRange(small, 1, 31), bitwise(small, 1, 31));
  t.equal(crc32cJsRange(large, large.length - 100, large.length), bitwise(large, large.length - 100, large.length));
  large.fill(9, 5000, 6000);
  t.equal(crc32cJsRange(large, 3, 7001), bitwise(large, 3, 7001), 'a long range of a large buffer, through a view not kept');
  t.equal(crc32cJsRange(small, 3, 29), bitwise(small, 3, 29));
});
