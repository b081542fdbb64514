// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.
import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';

/**
 * Definitions shared by the logkv formats. Not a file format of its own.
 */
export declare class Common {
  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
  _io: KaitaiStream;
}

export declare namespace Common {
  const ValueEncoding: { readonly BINARY: 0; readonly UTF8: 1; readonly JSON: 2; readonly [value: number]: string };
  /**
   * An absolute expiry time.
   */
  class Expiry {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Time after which the key reads as absent, milliseconds since the
     * Unix epoch; below 2^53 so every reader holds it exactly.
     */
    expireAtMs: number;
  }
}
