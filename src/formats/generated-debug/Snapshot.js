// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './Common'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./Common'));
  } else {
    factory(root.Snapshot || (root.Snapshot = {}), root.KaitaiStream, root.Common || (root.Common = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (Snapshot_, KaitaiStream, Common_) {
/**
 * The live state of a store as of one offset: every key that was present and
 * not expired, in ascending unsigned byte order of the keys, with no
 * tombstones. Entries are grouped into chunks, each with its own CRC-32C, so a
 * reader can check and stream them one chunk at a time; a chunk with no
 * entries ends the list. The last 32 bytes are the SHA-256 of everything
 * before them.
 * 
 * The file is a pure function of the state: the same state (the same keys,
 * values, offsets and expiries, and the same next_offset and created_ms)
 * always gives the same bytes. created_ms is therefore the timestamp of the
 * newest batch included, not the wall-clock time of writing.
 * 
 * Written whole to a temporary name, fsynced and renamed into place. A
 * snapshot whose header CRC, any chunk CRC, or SHA-256 fails is never used.
 */

var Snapshot = (function() {
  function Snapshot(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this._debug = {};

  }
  Snapshot.prototype._read = function() {
    this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.header = new SnapshotHeader(this._io, this, this._root);
    this.header._read();
    this._debug.header.end = this._io.pos;
    this._debug.chunks = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this._debug.chunks.arr = [];
    this.chunks = [];
    var i = 0;
    do {
      this._debug.chunks.arr[this.chunks.length] = { start: this._io.pos, ioOffset: this._io.byteOffset };
      var _t_chunks = new Chunk(this._io, this, this._root);
      try {
        _t_chunks._read();
      } finally {
        var _ = _t_chunks;
        this.chunks.push(_);
      }
      this._debug.chunks.arr[this.chunks.length - 1].end = this._io.pos;
      i++;
    } while (!(_.entryCount == 0));
    this._debug.chunks.end = this._io.pos;
    this._debug.sha256 = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.sha256 = this._io.readBytes(32);
    this._debug.sha256.end = this._io.pos;
  }

  /**
   * A run of entries with its own CRC. Writers close a chunk once it holds
   * about 64 KiB; readers must accept any split.
   */

  var Chunk = Snapshot.Chunk = (function() {
    function Chunk(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    Chunk.prototype._read = function() {
      this._debug.entryCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.entryCount = this._io.readU4le();
      this._debug.entryCount.end = this._io.pos;
      if (!(this.entryCount <= 16777216)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(16777216, this.entryCount, this._io, "/types/chunk/seq/0");
        this._debug.entryCount.validationError = _err;
        throw _err;
      }
      this._debug.chunkLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.chunkLength = this._io.readU4le();
      this._debug.chunkLength.end = this._io.pos;
      if (!(this.chunkLength <= 1073741824)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1073741824, this.chunkLength, this._io, "/types/chunk/seq/1");
        this._debug.chunkLength.validationError = _err;
        throw _err;
      }
      this._debug.crc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.crc = this._io.readU4le();
      this._debug.crc.end = this._io.pos;
      this._debug.body = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._raw_body = this._io.readBytes(this.chunkLength);
      var _io__raw_body = new KaitaiStream(this._raw_body);
      this.body = new ChunkBody(_io__raw_body, this, this._root);
      this.body._read();
      this._debug.body.end = this._io.pos;
    }

    /**
     * Entries in this chunk; 0 marks the end of the chunk list.
     */

    /**
     * Bytes of entries that follow the crc field; 0 in the end chunk.
     */

    /**
     * CRC-32C of the chunk_length bytes of entries.
     */

    /**
     * The entries.
     */

    return Chunk;
  })();

  /**
   * The entries of one chunk, filling it exactly.
   */

  var ChunkBody = Snapshot.ChunkBody = (function() {
    function ChunkBody(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    ChunkBody.prototype._read = function() {
      this._debug.entries = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._debug.entries.arr = [];
      this.entries = [];
      for (var i = 0; i < this._parent.entryCount; i++) {
        this._debug.entries.arr[i] = { start: this._io.pos, ioOffset: this._io.byteOffset };
        var _t_entries = new SnapshotEntry(this._io, this, this._root);
        try {
          _t_entries._read();
        } finally {
          this.entries.push(_t_entries);
        }
        this._debug.entries.arr[i].end = this._io.pos;
      }
      this._debug.entries.end = this._io.pos;
    }

    /**
     * The entries, keys ascending across the whole file.
     */

    return ChunkBody;
  })();

  /**
   * One live key. 15 bytes of fixed fields, an optional 8-byte expiry,
   * then the key and the value.
   */

  var SnapshotEntry = Snapshot.SnapshotEntry = (function() {
    function SnapshotEntry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    SnapshotEntry.prototype._read = function() {
      this._debug.flags = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.flags = this._io.readU1();
      this._debug.flags.end = this._io.pos;
      if (!(this.flags <= 1)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1, this.flags, this._io, "/types/snapshot_entry/seq/0");
        this._debug.flags.validationError = _err;
        throw _err;
      }
      this._debug.keyLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.keyLength = this._io.readU2le();
      this._debug.keyLength.end = this._io.pos;
      this._debug.valueLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.valueLength = this._io.readU4le();
      this._debug.valueLength.end = this._io.pos;
      if (!(this.valueLength <= 268435456)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268435456, this.valueLength, this._io, "/types/snapshot_entry/seq/2");
        this._debug.valueLength.validationError = _err;
        throw _err;
      }
      this._debug.offset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.offset = this._io.readU8le();
      this._debug.offset.end = this._io.pos;
      if (!(this.offset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.offset, this._io, "/types/snapshot_entry/seq/3");
        this._debug.offset.validationError = _err;
        throw _err;
      }
      if (this.hasExpiry) {
        this._debug.expiry = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.expiry = new Common_.Common.Expiry(this._io, null, null);
        this.expiry._read();
        this._debug.expiry.end = this._io.pos;
      }
      this._debug.key = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.key = this._io.readBytes(this.keyLength);
      this._debug.key.end = this._io.pos;
      this._debug.value = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.value = this._io.readBytes(this.valueLength);
      this._debug.value.end = this._io.pos;
    }

    /**
     * True when an expiry follows.
     */
    Object.defineProperty(SnapshotEntry.prototype, 'hasExpiry', {
      get: function() {
        if (this._m_hasExpiry !== undefined)
          return this._m_hasExpiry;
        this._debug._m_hasExpiry = {  };
        this._m_hasExpiry = (this.flags & 1) != 0;
        return this._m_hasExpiry;
      }
    });

    /**
     * Bit 0 has_expiry. Other bits are reserved and must be 0.
     */

    /**
     * Key size in bytes.
     */

    /**
     * Value size in bytes, at most 256 MiB.
     */

    /**
     * Offset of the record that last set the key.
     */

    /**
     * Present when flags bit 0 is set.
     */

    /**
     * The key bytes.
     */

    /**
     * The value bytes.
     */

    return SnapshotEntry;
  })();

  /**
   * 36 bytes at position 0. header_crc covers bytes 0..31.
   */

  var SnapshotHeader = Snapshot.SnapshotHeader = (function() {
    function SnapshotHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    SnapshotHeader.prototype._read = function() {
      this._debug.magic = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.magic = this._io.readBytes(4);
      this._debug.magic.end = this._io.pos;
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 83])) == 0))) {
        var _err = new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 83]), this.magic, this._io, "/types/snapshot_header/seq/0");
        this._debug.magic.validationError = _err;
        throw _err;
      }
      this._debug.version = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.version = this._io.readU2le();
      this._debug.version.end = this._io.pos;
      if (!(this.version == 1)) {
        var _err = new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/snapshot_header/seq/1");
        this._debug.version.validationError = _err;
        throw _err;
      }
      this._debug.valueEncoding = { start: this._io.pos, ioOffset: this._io.byteOffset, enumName: "Common.ValueEncoding" };
      this.valueEncoding = this._io.readU1();
      this._debug.valueEncoding.end = this._io.pos;
      if (!( ((this.valueEncoding == Common_.Common.ValueEncoding.BINARY) || (this.valueEncoding == Common_.Common.ValueEncoding.UTF8) || (this.valueEncoding == Common_.Common.ValueEncoding.JSON)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.valueEncoding, this._io, "/types/snapshot_header/seq/2");
        this._debug.valueEncoding.validationError = _err;
        throw _err;
      }
      this._debug.reserved = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.reserved = this._io.readU1();
      this._debug.reserved.end = this._io.pos;
      if (!(this.reserved == 0)) {
        var _err = new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/snapshot_header/seq/3");
        this._debug.reserved.validationError = _err;
        throw _err;
      }
      this._debug.nextOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.nextOffset = this._io.readU8le();
      this._debug.nextOffset.end = this._io.pos;
      if (!(this.nextOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.nextOffset, this._io, "/types/snapshot_header/seq/4");
        this._debug.nextOffset.validationError = _err;
        throw _err;
      }
      this._debug.createdMs = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.createdMs = this._io.readU8le();
      this._debug.createdMs.end = this._io.pos;
      if (!(this.createdMs <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/types/snapshot_header/seq/5");
        this._debug.createdMs.validationError = _err;
        throw _err;
      }
      this._debug.entryCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.entryCount = this._io.readU8le();
      this._debug.entryCount.end = this._io.pos;
      if (!(this.entryCount <= 4294967295)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(4294967295, this.entryCount, this._io, "/types/snapshot_header/seq/6");
        this._debug.entryCount.validationError = _err;
        throw _err;
      }
      this._debug.headerCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.headerCrc = this._io.readU4le();
      this._debug.headerCrc.end = this._io.pos;
    }

    /**
     * File magic, ASCII "LKVS".
     */

    /**
     * Format version; this spec describes version 1.
     */

    /**
     * How the values are encoded.
     */

    /**
     * Reserved, always 0.
     */

    /**
     * Every offset below this one is reflected in the snapshot (the last
     * offset included plus one); a store restored from it continues here.
     */

    /**
     * Timestamp of the newest batch included, ms since the Unix epoch.
     */

    /**
     * Number of entries in all chunks together.
     */

    /**
     * CRC-32C of header bytes 0..31.
     */

    return SnapshotHeader;
  })();

  /**
   * Fixed 36-byte header.
   */

  /**
   * The chunks, ending with one that holds no entries.
   */

  /**
   * SHA-256 of every byte before it (header and chunks).
   */

  return Snapshot;
})();
Snapshot_.Snapshot = Snapshot;
});
