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

    this._read();
  }
  Hint.prototype._read = function() {
    this.header = new HintHeader(this._io, this, this._root);
    this._raw_entries = this._io.readBytes(this._io.size - 44);
    var _io__raw_entries = new KaitaiStream(this._raw_entries);
    this.entries = new HintEntries(_io__raw_entries, this, this._root);
    this.trailer = new HintTrailer(this._io, this, this._root);
  }

  /**
   * The entries, in no particular order, each key at most once.
   */

  var HintEntries = Hint.HintEntries = (function() {
    function HintEntries(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HintEntries.prototype._read = function() {
      this.entries = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.entries.push(new HintEntry(this._io, this, this._root));
        i++;
      }
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

      this._read();
    }
    HintEntry.prototype._read = function() {
      this.flags = this._io.readU1();
      if (!(this.flags <= 3)) {
        throw new KaitaiStream.ValidationGreaterThanError(3, this.flags, this._io, "/types/hint_entry/seq/0");
      }
      this.keyLength = this._io.readU2le();
      this.offset = this._io.readU8le();
      if (!(this.offset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.offset, this._io, "/types/hint_entry/seq/2");
      }
      this.position = this._io.readU4le();
      this.size = this._io.readU4le();
      if (!(this.size >= 16)) {
        throw new KaitaiStream.ValidationLessThanError(16, this.size, this._io, "/types/hint_entry/seq/4");
      }
      if (!(this.size <= 268501015)) {
        throw new KaitaiStream.ValidationGreaterThanError(268501015, this.size, this._io, "/types/hint_entry/seq/4");
      }
      if (this.hasExpiry) {
        this.expiry = new Common_.Common.Expiry(this._io, null, null);
      }
      this.key = this._io.readBytes(this.keyLength);
    }

    /**
     * True when an expiry follows.
     */
    Object.defineProperty(HintEntry.prototype, 'hasExpiry', {
      get: function() {
        if (this._m_hasExpiry !== undefined)
          return this._m_hasExpiry;
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

      this._read();
    }
    HintHeader.prototype._read = function() {
      this.magic = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 72])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 72]), this.magic, this._io, "/types/hint_header/seq/0");
      }
      this.version = this._io.readU2le();
      if (!(this.version == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/hint_header/seq/1");
      }
      this.reserved = this._io.readU2le();
      if (!(this.reserved == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/hint_header/seq/2");
      }
      this.segmentBaseOffset = this._io.readU8le();
      if (!(this.segmentBaseOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentBaseOffset, this._io, "/types/hint_header/seq/3");
      }
      this.segmentNextOffset = this._io.readU8le();
      if (!(this.segmentNextOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.segmentNextOffset, this._io, "/types/hint_header/seq/4");
      }
      this.coveredLength = this._io.readU8le();
      if (!(this.coveredLength <= 4294967295)) {
        throw new KaitaiStream.ValidationGreaterThanError(4294967295, this.coveredLength, this._io, "/types/hint_header/seq/5");
      }
      this.headerCrc = this._io.readU4le();
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

      this._read();
    }
    HintTrailer.prototype._read = function() {
      this.entryCount = this._io.readU4le();
      this.entriesCrc = this._io.readU4le();
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
