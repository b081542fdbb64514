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

    this._read();
  }
  SegmentIndex.prototype._read = function() {
    this.header = new IndexHeader(this._io, this, this._root);
    this.slots = [];
    for (var i = 0; i < this.header.slotCount; i++) {
      this.slots.push(new Slot(this._io, this, this._root));
    }
    this.trailer = new IndexTrailer(this._io, this, this._root);
  }

  /**
   * 44 bytes at position 0. header_crc covers bytes 0..39.
   */

  var IndexHeader = SegmentIndex.IndexHeader = (function() {
    function IndexHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    IndexHeader.prototype._read = function() {
      this.magic = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 88])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 88]), this.magic, this._io, "/types/index_header/seq/0");
      }
      this.version = this._io.readU2le();
      if (!(this.version == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/index_header/seq/1");
      }
      this.reserved = this._io.readU2le();
      if (!(this.reserved == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/index_header/seq/2");
      }
      this.segmentBaseOffset = this._io.readU8le();
      if (!(this.segmentBaseOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentBaseOffset, this._io, "/types/index_header/seq/3");
      }
      this.segmentNextOffset = this._io.readU8le();
      if (!(this.segmentNextOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentNextOffset, this._io, "/types/index_header/seq/4");
      }
      this.coveredLength = this._io.readU8le();
      if (!(this.coveredLength <= 4294967295)) {
        throw new KaitaiStream.ValidationGreaterThanError(4294967295, this.coveredLength, this._io, "/types/index_header/seq/5");
      }
      this.slotCount = this._io.readU4le();
      this.lastBatchPosition = this._io.readU4le();
      this.headerCrc = this._io.readU4le();
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

      this._read();
    }
    IndexTrailer.prototype._read = function() {
      this.slotCount = this._io.readU4le();
      this.slotsCrc = this._io.readU4le();
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

      this._read();
    }
    Slot.prototype._read = function() {
      this.keyHash = this._io.readU4le();
      this.position = this._io.readU4le();
      this.size = this._io.readU4le();
      if (!(this.size >= 16)) {
        throw new KaitaiStream.ValidationLessThanError(16, this.size, this._io, "/types/slot/seq/2");
      }
      if (!(this.size <= 268501015)) {
        throw new KaitaiStream.ValidationGreaterThanError(268501015, this.size, this._io, "/types/slot/seq/2");
      }
      this.offset = this._io.readU8le();
      if (!(this.offset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.offset, this._io, "/types/slot/seq/3");
      }
      this.slotCrc = this._io.readU4le();
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
