// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './Common'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./Common'));
  } else {
    factory(root.Hint || (root.Hint = {}), root.KaitaiStream, root.Common || (root.Common = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (Hint_, KaitaiStream, Common_) {
/**
 * Written beside a sealed log segment (same base name, extension .hint) so
 * that opening a store loads the key directory without reading the segment.
 * Holds one entry per key the segment still decides: its newest record in
 * that segment, tombstones included, so that a delete in a newer segment
 * still hides a value in an older one.
 * 
 * The file is written whole to a temporary name, fsynced and renamed into
 * place; it is never appended to. A hint that fails any check (header CRC,
 * trailer CRC or count, a length out of range, or a segment whose length is
 * not covered_length) is never trusted: the segment is rescanned and the
 * hint rewritten.
 */

var Hint = (function() {
  function Hint(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this._debug = {};

  }
  Hint.prototype._read = function() {
    this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.header = new HintHeader(this._io, this, this._root);
    this.header._read();
    this._debug.header.end = this._io.pos;
    this._debug.entries = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this._raw_entries = this._io.readBytes(this._io.size - 44);
    var _io__raw_entries = new KaitaiStream(this._raw_entries);
    this.entries = new HintEntries(_io__raw_entries, this, this._root);
    this.entries._read();
    this._debug.entries.end = this._io.pos;
    this._debug.trailer = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.trailer = new HintTrailer(this._io, this, this._root);
    this.trailer._read();
    this._debug.trailer.end = this._io.pos;
  }

  /**
   * The entries, in no particular order, each key at most once.
   */

  var HintEntries = Hint.HintEntries = (function() {
    function HintEntries(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    HintEntries.prototype._read = function() {
      this._debug.entries = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._debug.entries.arr = [];
      this.entries = [];
      var i = 0;
      while (!this._io.isEof()) {
        this._debug.entries.arr[this.entries.length] = { start: this._io.pos, ioOffset: this._io.byteOffset };
        var _t_entries = new HintEntry(this._io, this, this._root);
        try {
          _t_entries._read();
        } finally {
          this.entries.push(_t_entries);
        }
        this._debug.entries.arr[this.entries.length - 1].end = this._io.pos;
        i++;
      }
      this._debug.entries.end = this._io.pos;
    }

    /**
     * One entry per key.
     */

    return HintEntries;
  })();

  /**
   * Where the newest record of one key sits in the segment. 19 bytes of
   * fixed fields, an optional 8-byte expiry, then the key.
   */

  var HintEntry = Hint.HintEntry = (function() {
    function HintEntry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    HintEntry.prototype._read = function() {
      this._debug.flags = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.flags = this._io.readU1();
      this._debug.flags.end = this._io.pos;
      if (!(this.flags <= 3)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(3, this.flags, this._io, "/types/hint_entry/seq/0");
        this._debug.flags.validationError = _err;
        throw _err;
      }
      this._debug.keyLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.keyLength = this._io.readU2le();
      this._debug.keyLength.end = this._io.pos;
      this._debug.offset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.offset = this._io.readU8le();
      this._debug.offset.end = this._io.pos;
      if (!(this.offset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.offset, this._io, "/types/hint_entry/seq/2");
        this._debug.offset.validationError = _err;
        throw _err;
      }
      this._debug.position = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.position = this._io.readU4le();
      this._debug.position.end = this._io.pos;
      this._debug.size = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.size = this._io.readU4le();
      this._debug.size.end = this._io.pos;
      if (!(this.size >= 16)) {
        var _err = new KaitaiStream.ValidationLessThanError(16, this.size, this._io, "/types/hint_entry/seq/4");
        this._debug.size.validationError = _err;
        throw _err;
      }
      if (!(this.size <= 268501015)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268501015, this.size, this._io, "/types/hint_entry/seq/4");
        this._debug.size.validationError = _err;
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
    }

    /**
     * True when an expiry follows.
     */
    Object.defineProperty(HintEntry.prototype, 'hasExpiry', {
      get: function() {
        if (this._m_hasExpiry !== undefined)
          return this._m_hasExpiry;
        this._debug._m_hasExpiry = {  };
        this._m_hasExpiry = (this.flags & 2) != 0;
        return this._m_hasExpiry;
      }
    });

    /**
     * True when the newest record of the key is a delete.
     */
    Object.defineProperty(HintEntry.prototype, 'isTombstone', {
      get: function() {
        if (this._m_isTombstone !== undefined)
          return this._m_isTombstone;
        this._debug._m_isTombstone = {  };
        this._m_isTombstone = (this.flags & 1) != 0;
        return this._m_isTombstone;
      }
    });

    /**
     * Bit 0 tombstone (the newest record deletes the key), bit 1
     * has_expiry. Other bits are reserved and must be 0.
     */

    /**
     * Key size in bytes.
     */

    /**
     * Offset of the record.
     */

    /**
     * Byte position of the record in the segment file.
     */

    /**
     * Encoded size of the record in bytes: 16 fixed, 8 expiry, a key of
     * up to 65535 and a value of up to 256 MiB at most.
     */

    /**
     * Expiry of the record; present when flags bit 1 is set.
     */

    /**
     * The key bytes.
     */

    return HintEntry;
  })();

  /**
   * 36 bytes at position 0. header_crc covers bytes 0..31.
   */

  var HintHeader = Hint.HintHeader = (function() {
    function HintHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    HintHeader.prototype._read = function() {
      this._debug.magic = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.magic = this._io.readBytes(4);
      this._debug.magic.end = this._io.pos;
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 72])) == 0))) {
        var _err = new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 72]), this.magic, this._io, "/types/hint_header/seq/0");
        this._debug.magic.validationError = _err;
        throw _err;
      }
      this._debug.version = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.version = this._io.readU2le();
      this._debug.version.end = this._io.pos;
      if (!(this.version == 1)) {
        var _err = new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/hint_header/seq/1");
        this._debug.version.validationError = _err;
        throw _err;
      }
      this._debug.reserved = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.reserved = this._io.readU2le();
      this._debug.reserved.end = this._io.pos;
      if (!(this.reserved == 0)) {
        var _err = new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/hint_header/seq/2");
        this._debug.reserved.validationError = _err;
        throw _err;
      }
      this._debug.segmentBaseOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.segmentBaseOffset = this._io.readU8le();
      this._debug.segmentBaseOffset.end = this._io.pos;
      if (!(this.segmentBaseOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentBaseOffset, this._io, "/types/hint_header/seq/3");
        this._debug.segmentBaseOffset.validationError = _err;
        throw _err;
      }
      this._debug.segmentNextOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.segmentNextOffset = this._io.readU8le();
      this._debug.segmentNextOffset.end = this._io.pos;
      if (!(this.segmentNextOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentNextOffset, this._io, "/types/hint_header/seq/4");
        this._debug.segmentNextOffset.validationError = _err;
        throw _err;
      }
      this._debug.coveredLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.coveredLength = this._io.readU8le();
      this._debug.coveredLength.end = this._io.pos;
      if (!(this.coveredLength <= 4294967295)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(4294967295, this.coveredLength, this._io, "/types/hint_header/seq/5");
        this._debug.coveredLength.validationError = _err;
        throw _err;
      }
      this._debug.headerCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.headerCrc = this._io.readU4le();
      this._debug.headerCrc.end = this._io.pos;
    }

    /**
     * File magic, ASCII "LKVH".
     */

    /**
     * Format version; this spec describes version 1.
     */

    /**
     * Reserved, always 0.
     */

    /**
     * Base offset of the segment this hint describes.
     */

    /**
     * One past the last offset the segment holds (equal to
     * segment_base_offset when it holds none).
     */

    /**
     * Length in bytes of the segment the hint was made from. A segment of
     * any other length does not match its hint.
     */

    /**
     * CRC-32C of header bytes 0..31.
     */

    return HintHeader;
  })();

  /**
   * The last 8 bytes.
   */

  var HintTrailer = Hint.HintTrailer = (function() {
    function HintTrailer(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    HintTrailer.prototype._read = function() {
      this._debug.entryCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.entryCount = this._io.readU4le();
      this._debug.entryCount.end = this._io.pos;
      this._debug.entriesCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.entriesCrc = this._io.readU4le();
      this._debug.entriesCrc.end = this._io.pos;
    }

    /**
     * Number of entries; must equal the entries parsed.
     */

    /**
     * CRC-32C of every byte between the header and the trailer.
     */

    return HintTrailer;
  })();

  /**
   * Fixed 36-byte header.
   */

  /**
   * The entries: every byte between the header and the 8-byte trailer.
   */

  /**
   * Entry count and CRC-32C of the entries, the last 8 bytes.
   */

  return Hint;
})();
Hint_.Hint = Hint;
});
