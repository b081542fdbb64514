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

    this._read();
  }
  Snapshot.prototype._read = function() {
    this.header = new SnapshotHeader(this._io, this, this._root);
    this.chunks = [];
    var i = 0;
    do {
      var _ = new Chunk(this._io, this, this._root);
      this.chunks.push(_);
      i++;
    } while (!(_.entryCount == 0));
    this.sha256 = this._io.readBytes(32);
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

      this._read();
    }
    Chunk.prototype._read = function() {
      this.entryCount = this._io.readU4le();
      if (!(this.entryCount <= 16777216)) {
        throw new KaitaiStream.ValidationGreaterThanError(16777216, this.entryCount, this._io, "/types/chunk/seq/0");
      }
      this.chunkLength = this._io.readU4le();
      if (!(this.chunkLength <= 1073741824)) {
        throw new KaitaiStream.ValidationGreaterThanError(1073741824, this.chunkLength, this._io, "/types/chunk/seq/1");
      }
      this.crc = this._io.readU4le();
      this._raw_body = this._io.readBytes(this.chunkLength);
      var _io__raw_body = new KaitaiStream(this._raw_body);
      this.body = new ChunkBody(_io__raw_body, this, this._root);
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

      this._read();
    }
    ChunkBody.prototype._read = function() {
      this.entries = [];
      for (var i = 0; i < this._parent.entryCount; i++) {
        this.entries.push(new SnapshotEntry(this._io, this, this._root));
      }
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

      this._read();
    }
    SnapshotEntry.prototype._read = function() {
      this.flags = this._io.readU1();
      if (!(this.flags <= 1)) {
        throw new KaitaiStream.ValidationGreaterThanError(1, this.flags, this._io, "/types/snapshot_entry/seq/0");
      }
      this.keyLength = this._io.readU2le();
      this.valueLength = this._io.readU4le();
      if (!(this.valueLength <= 268435456)) {
        throw new KaitaiStream.ValidationGreaterThanError(268435456, this.valueLength, this._io, "/types/snapshot_entry/seq/2");
      }
      this.offset = this._io.readU8le();
      if (!(this.offset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.offset, this._io, "/types/snapshot_entry/seq/3");
      }
      if (this.hasExpiry) {
        this.expiry = new Common_.Common.Expiry(this._io, null, null);
      }
      this.key = this._io.readBytes(this.keyLength);
      this.value = this._io.readBytes(this.valueLength);
    }

    /**
     * True when an expiry follows.
     */
    Object.defineProperty(SnapshotEntry.prototype, 'hasExpiry', {
      get: function() {
        if (this._m_hasExpiry !== undefined)
          return this._m_hasExpiry;
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

      this._read();
    }
    SnapshotHeader.prototype._read = function() {
      this.magic = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 83])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 83]), this.magic, this._io, "/types/snapshot_header/seq/0");
      }
      this.version = this._io.readU2le();
      if (!(this.version == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/snapshot_header/seq/1");
      }
      this.valueEncoding = this._io.readU1();
      if (!( ((this.valueEncoding == Common_.Common.ValueEncoding.BINARY) || (this.valueEncoding == Common_.Common.ValueEncoding.UTF8) || (this.valueEncoding == Common_.Common.ValueEncoding.JSON)) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.valueEncoding, this._io, "/types/snapshot_header/seq/2");
      }
      this.reserved = this._io.readU1();
      if (!(this.reserved == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/snapshot_header/seq/3");
      }
      this.nextOffset = this._io.readU8le();
      if (!(this.nextOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.nextOffset, this._io, "/types/snapshot_header/seq/4");
      }
      this.createdMs = this._io.readU8le();
      if (!(this.createdMs <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/types/snapshot_header/seq/5");
      }
      this.entryCount = this._io.readU8le();
      if (!(this.entryCount <= 4294967295)) {
        throw new KaitaiStream.ValidationGreaterThanError(4294967295, this.entryCount, this._io, "/types/snapshot_header/seq/6");
      }
      this.headerCrc = this._io.readU4le();
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
