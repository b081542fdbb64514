// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.SegmentIndex || (root.SegmentIndex = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (SegmentIndex_, KaitaiStream) {
/**
 * Written beside a segment's hint (same base name, extension .index), from
 * the same entries: one slot per key the segment still decides, tombstones
 * included. Slots are fixed-size and sorted by the key's hash, so a store
 * can answer a lookup straight from the file (interpolation search over the
 * slots, then the record read from the segment, its CRC checked and its key
 * compared) without loading any key into memory first: an open serves gets
 * before its key directory is built.
 * 
 * The slot holds no key: the record it points at does. A slot whose CRC
 * fails, a header that fails its CRC or does not describe the segment
 * (base offset, next offset, length), or a file whose size is not
 * header + slots + trailer is never trusted: the store loads the segment
 * from its hint (or scans it) instead and writes the index again.
 * 
 * Written whole to a temporary name, fsynced and renamed into place, after
 * the hint; never appended to.
 */

var SegmentIndex = (function() {
  function SegmentIndex(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this._debug = {};

  }
  SegmentIndex.prototype._read = function() {
    this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.header = new IndexHeader(this._io, this, this._root);
    this.header._read();
    this._debug.header.end = this._io.pos;
    this._debug.slots = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this._debug.slots.arr = [];
    this.slots = [];
    for (var i = 0; i < this.header.slotCount; i++) {
      this._debug.slots.arr[i] = { start: this._io.pos, ioOffset: this._io.byteOffset };
      var _t_slots = new Slot(this._io, this, this._root);
      try {
        _t_slots._read();
      } finally {
        this.slots.push(_t_slots);
      }
      this._debug.slots.arr[i].end = this._io.pos;
    }
    this._debug.slots.end = this._io.pos;
    this._debug.trailer = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.trailer = new IndexTrailer(this._io, this, this._root);
    this.trailer._read();
    this._debug.trailer.end = this._io.pos;
  }

  /**
   * 44 bytes at position 0. header_crc covers bytes 0..39.
   */

  var IndexHeader = SegmentIndex.IndexHeader = (function() {
    function IndexHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    IndexHeader.prototype._read = function() {
      this._debug.magic = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.magic = this._io.readBytes(4);
      this._debug.magic.end = this._io.pos;
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 88])) == 0))) {
        var _err = new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 88]), this.magic, this._io, "/types/index_header/seq/0");
        this._debug.magic.validationError = _err;
        throw _err;
      }
      this._debug.version = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.version = this._io.readU2le();
      this._debug.version.end = this._io.pos;
      if (!(this.version == 1)) {
        var _err = new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/index_header/seq/1");
        this._debug.version.validationError = _err;
        throw _err;
      }
      this._debug.reserved = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.reserved = this._io.readU2le();
      this._debug.reserved.end = this._io.pos;
      if (!(this.reserved == 0)) {
        var _err = new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/index_header/seq/2");
        this._debug.reserved.validationError = _err;
        throw _err;
      }
      this._debug.segmentBaseOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.segmentBaseOffset = this._io.readU8le();
      this._debug.segmentBaseOffset.end = this._io.pos;
      if (!(this.segmentBaseOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentBaseOffset, this._io, "/types/index_header/seq/3");
        this._debug.segmentBaseOffset.validationError = _err;
        throw _err;
      }
      this._debug.segmentNextOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.segmentNextOffset = this._io.readU8le();
      this._debug.segmentNextOffset.end = this._io.pos;
      if (!(this.segmentNextOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentNextOffset, this._io, "/types/index_header/seq/4");
        this._debug.segmentNextOffset.validationError = _err;
        throw _err;
      }
      this._debug.coveredLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.coveredLength = this._io.readU8le();
      this._debug.coveredLength.end = this._io.pos;
      if (!(this.coveredLength <= 4294967295)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(4294967295, this.coveredLength, this._io, "/types/index_header/seq/5");
        this._debug.coveredLength.validationError = _err;
        throw _err;
      }
      this._debug.slotCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.slotCount = this._io.readU4le();
      this._debug.slotCount.end = this._io.pos;
      this._debug.lastBatchPosition = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.lastBatchPosition = this._io.readU4le();
      this._debug.lastBatchPosition.end = this._io.pos;
      this._debug.headerCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.headerCrc = this._io.readU4le();
      this._debug.headerCrc.end = this._io.pos;
    }

    /**
     * File magic, ASCII "LKVX".
     */

    /**
     * Format version; this spec describes version 1.
     */

    /**
     * Reserved, always 0.
     */

    /**
     * Base offset of the segment this index describes.
     */

    /**
     * One past the last offset the segment holds (the hint's).
     */

    /**
     * Length in bytes of the segment the index was made from. A segment
     * of any other length does not match its index.
     */

    /**
     * Number of slots that follow.
     */

    /**
     * Byte position of the segment's last batch (0 when it holds none).
     * Opening a store whose newest segment was closed cleanly checks
     * that batch (whole, ending at covered_length and at
     * segment_next_offset) instead of following every batch from the
     * header; the batches before it are checked after open.
     */

    /**
     * CRC-32C of header bytes 0..39.
     */

    return IndexHeader;
  })();

  /**
   * The last 8 bytes.
   */

  var IndexTrailer = SegmentIndex.IndexTrailer = (function() {
    function IndexTrailer(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    IndexTrailer.prototype._read = function() {
      this._debug.slotCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.slotCount = this._io.readU4le();
      this._debug.slotCount.end = this._io.pos;
      this._debug.slotsCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.slotsCrc = this._io.readU4le();
      this._debug.slotsCrc.end = this._io.pos;
    }

    /**
     * Number of slots; must equal the header's.
     */

    /**
     * CRC-32C of every byte between the header and the trailer.
     */

    return IndexTrailer;
  })();

  /**
   * 24 bytes: where the newest record of one key sits in the segment.
   */

  var Slot = SegmentIndex.Slot = (function() {
    function Slot(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    Slot.prototype._read = function() {
      this._debug.keyHash = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.keyHash = this._io.readU4le();
      this._debug.keyHash.end = this._io.pos;
      this._debug.position = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.position = this._io.readU4le();
      this._debug.position.end = this._io.pos;
      this._debug.size = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.size = this._io.readU4le();
      this._debug.size.end = this._io.pos;
      if (!(this.size >= 16)) {
        var _err = new KaitaiStream.ValidationLessThanError(16, this.size, this._io, "/types/slot/seq/2");
        this._debug.size.validationError = _err;
        throw _err;
      }
      if (!(this.size <= 268501015)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268501015, this.size, this._io, "/types/slot/seq/2");
        this._debug.size.validationError = _err;
        throw _err;
      }
      this._debug.offset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.offset = this._io.readU8le();
      this._debug.offset.end = this._io.pos;
      if (!(this.offset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.offset, this._io, "/types/slot/seq/3");
        this._debug.offset.validationError = _err;
        throw _err;
      }
      this._debug.slotCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.slotCrc = this._io.readU4le();
      this._debug.slotCrc.end = this._io.pos;
    }

    /**
     * murmur3_x86_32 of the key bytes with seed 0x9747b28c (the key
     * directory's hash). Slots ascend by it; equal hashes by position.
     */

    /**
     * Byte position of the record in the segment file.
     */

    /**
     * Encoded size of the record in bytes (the hint's bounds).
     */

    /**
     * Log offset of the record (a record holds only its delta from its
     * batch's base offset).
     */

    /**
     * CRC-32C of the slot's first 20 bytes.
     */

    return Slot;
  })();

  /**
   * Fixed 44-byte header.
   */

  /**
   * The slots, ascending by (key_hash, position).
   */

  /**
   * Slot count again and CRC-32C of every slot byte, the last 8 bytes.
   */

  return SegmentIndex;
})();
SegmentIndex_.SegmentIndex = SegmentIndex;
});
