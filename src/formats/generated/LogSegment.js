// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './Common'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./Common'));
  } else {
    factory(root.LogSegment || (root.LogSegment = {}), root.KaitaiStream, root.Common || (root.Common = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (LogSegment_, KaitaiStream, Common_) {
/**
 * One segment of a logkv store's append-only log, named by its base offset
 * (20 decimal digits, e.g. 00000000000000000000.log). The file is a fixed
 * header followed by batches. A batch is the unit of atomicity: after a crash
 * it is either wholly valid (length in range, CRC-32C matching) or not there.
 * 
 * Segments are preallocated, so the newest one normally ends in zero-filled
 * space: a batch_length of 0 marks the end of the log, and every byte after it
 * must be zero. After the last batch the file either ends or holds at least
 * 4 zero bytes (writers preallocate accordingly); 1 to 3 bytes left over
 * are a torn write. A reader stops at the first batch that is not valid and
 * reports its byte position; it never accepts a record from bytes that failed
 * their CRC or from an all-zero region.
 * 
 * Offsets increase strictly within and across batches and segments. The log
 * cleaner keeps the original offsets of the records it keeps, so a compacted
 * batch may have gaps between offset deltas.
 */

var LogSegment = (function() {
  LogSegment.Op = Object.freeze({
    PUT: 1,
    DELETE: 2,

    1: "PUT",
    2: "DELETE",
  });

  function LogSegment(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  LogSegment.prototype._read = function() {
    this.header = new SegmentHeader(this._io, this, this._root);
    this.batches = [];
    var i = 0;
    while (!this._io.isEof()) {
      this.batches.push(new Batch(this._io, this, this._root));
      i++;
    }
  }

  /**
   * One atomic group of records. batch_length counts the bytes after the
   * batch_length field (crc, header and records). The CRC-32C covers the
   * bytes after the crc field up to the end of the batch. A batch_length of
   * 0 is the end-of-log marker: the rest of the file is zero fill.
   */

  var Batch = LogSegment.Batch = (function() {
    function Batch(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Batch.prototype._read = function() {
      this.batchLength = this._io.readU4le();
      var _ = this.batchLength;
      if (!( ((_ == 0) || ( ((_ >= 46) && (_ <= 1073741824)) )) )) {
        throw new KaitaiStream.ValidationExprError(this.batchLength, this._io, "/types/batch/seq/0");
      }
      if (this.batchLength != 0) {
        this.crc = this._io.readU4le();
      }
      if (this.batchLength != 0) {
        this.header = new BatchHeader(this._io, this, this._root);
      }
      if (this.batchLength != 0) {
        this.records = [];
        for (var i = 0; i < this.header.recordCount; i++) {
          this.records.push(new Record(this._io, this, this._root));
        }
      }
      if (this.batchLength == 0) {
        this.zeroFill = this._io.readBytesFull();
      }
    }

    /**
     * Bytes that follow this field in the batch: 4 (crc) + 26 (header) +
     * the records, so at least 46 (one record with an empty key and
     * value) and at most 1 GiB. 0 marks the end of the log.
     */

    /**
     * CRC-32C of the batch_length - 4 bytes that follow this field.
     */

    /**
     * Offsets, time and record count of the batch.
     */

    /**
     * The records. Their encoded sizes add up to exactly
     * batch_length - 30; a reader rejects a batch where they do not.
     */

    /**
     * Preallocated space after the last batch. Every byte must be 0; a
     * non-zero byte here is damage (for example a torn write whose first
     * page was lost) and is reported at its position.
     */

    return Batch;
  })();

  /**
   * 26 bytes, between the crc and the first record.
   */

  var BatchHeader = LogSegment.BatchHeader = (function() {
    function BatchHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    BatchHeader.prototype._read = function() {
      this.baseOffset = this._io.readU8le();
      if (!(this.baseOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.baseOffset, this._io, "/types/batch_header/seq/0");
      }
      this.lastOffsetDelta = this._io.readU4le();
      this.timestampMs = this._io.readU8le();
      if (!(this.timestampMs <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.timestampMs, this._io, "/types/batch_header/seq/2");
      }
      this.attributes = this._io.readU2le();
      if (!(this.attributes <= 1)) {
        throw new KaitaiStream.ValidationGreaterThanError(1, this.attributes, this._io, "/types/batch_header/seq/3");
      }
      this.recordCount = this._io.readU4le();
      if (!(this.recordCount >= 1)) {
        throw new KaitaiStream.ValidationLessThanError(1, this.recordCount, this._io, "/types/batch_header/seq/4");
      }
      if (!(this.recordCount <= 16777216)) {
        throw new KaitaiStream.ValidationGreaterThanError(16777216, this.recordCount, this._io, "/types/batch_header/seq/4");
      }
    }

    /**
     * True when the log cleaner wrote this batch.
     */
    Object.defineProperty(BatchHeader.prototype, 'isCompacted', {
      get: function() {
        if (this._m_isCompacted !== undefined)
          return this._m_isCompacted;
        this._m_isCompacted = (this.attributes & 1) != 0;
        return this._m_isCompacted;
      }
    });

    /**
     * Offset of the first record; at least the segment's base offset.
     */

    /**
     * Offset of the last record minus base_offset. Equals
     * record_count - 1 unless the cleaner removed records (gaps).
     */

    /**
     * When the batch was first appended, milliseconds since the Unix
     * epoch. The cleaner keeps it when it rewrites a batch.
     */

    /**
     * Bit 0: compacted (written by the log cleaner, may have gaps).
     * Other bits are reserved and must be 0.
     */

    /**
     * Number of records in the batch, 1 to 2^24.
     */

    return BatchHeader;
  })();

  /**
   * One put or delete. 16 bytes of fixed fields, an optional 8-byte
   * expiry, then the key and the value.
   */

  var Record = LogSegment.Record = (function() {
    function Record(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Record.prototype._read = function() {
      this.crc = this._io.readU4le();
      this.op = this._io.readU1();
      if (!( ((this.op == LogSegment.Op.PUT) || (this.op == LogSegment.Op.DELETE)) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.op, this._io, "/types/record/seq/1");
      }
      this.flags = this._io.readU1();
      if (!(this.flags <= 1)) {
        throw new KaitaiStream.ValidationGreaterThanError(1, this.flags, this._io, "/types/record/seq/2");
      }
      this.offsetDelta = this._io.readU4le();
      this.keyLength = this._io.readU2le();
      this.valueLength = this._io.readU4le();
      if (!(this.valueLength <= 268435456)) {
        throw new KaitaiStream.ValidationGreaterThanError(268435456, this.valueLength, this._io, "/types/record/seq/5");
      }
      if (this.hasExpiry) {
        this.expiry = new Common_.Common.Expiry(this._io, null, null);
      }
      this.key = this._io.readBytes(this.keyLength);
      this.value = this._io.readBytes(this.valueLength);
    }

    /**
     * True when expire_at_ms is present.
     */
    Object.defineProperty(Record.prototype, 'hasExpiry', {
      get: function() {
        if (this._m_hasExpiry !== undefined)
          return this._m_hasExpiry;
        this._m_hasExpiry = (this.flags & 1) != 0;
        return this._m_hasExpiry;
      }
    });

    /**
     * CRC-32C of the rest of the record (op through value). The batch
     * CRC already covers these bytes; this one lets a point read check
     * the single record it fetches, so a byte damaged after the log was
     * opened is never returned as data.
     */

    /**
     * What the record does to its key.
     */

    /**
     * Bit 0 has_expiry. Other bits are reserved and must be 0.
     */

    /**
     * This record's offset minus the batch's base_offset; strictly
     * increasing within a batch, at most last_offset_delta.
     */

    /**
     * Key size in bytes, 0 to 65535.
     */

    /**
     * Value size in bytes, at most 256 MiB; always 0 for a delete.
     */

    /**
     * Time after which the key reads as absent. Only present when flags
     * bit 0 is set.
     */

    /**
     * The key bytes; keys order by unsigned byte comparison.
     */

    /**
     * The value bytes, encoded as the header's value_encoding says.
     */

    return Record;
  })();

  /**
   * 28 bytes at position 0. header_crc covers bytes 0..23.
   */

  var SegmentHeader = LogSegment.SegmentHeader = (function() {
    function SegmentHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    SegmentHeader.prototype._read = function() {
      this.magic = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 76])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 76]), this.magic, this._io, "/types/segment_header/seq/0");
      }
      this.version = this._io.readU2le();
      if (!(this.version == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/segment_header/seq/1");
      }
      this.valueEncoding = this._io.readU1();
      if (!( ((this.valueEncoding == Common_.Common.ValueEncoding.BINARY) || (this.valueEncoding == Common_.Common.ValueEncoding.UTF8) || (this.valueEncoding == Common_.Common.ValueEncoding.JSON)) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.valueEncoding, this._io, "/types/segment_header/seq/2");
      }
      this.reserved = this._io.readU1();
      if (!(this.reserved == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/segment_header/seq/3");
      }
      this.baseOffset = this._io.readU8le();
      if (!(this.baseOffset <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.baseOffset, this._io, "/types/segment_header/seq/4");
      }
      this.createdMs = this._io.readU8le();
      if (!(this.createdMs <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/types/segment_header/seq/5");
      }
      this.headerCrc = this._io.readU4le();
    }

    /**
     * File magic, ASCII "LKVL".
     */

    /**
     * Format version; this spec describes version 1.
     */

    /**
     * How the store's values are encoded, so tools can show them.
     */

    /**
     * Reserved, always 0.
     */

    /**
     * Offset of the first record this segment may hold; the file is named
     * after it. Offsets stay below 2^53 so every reader can hold them
     * exactly in a double.
     */

    /**
     * Creation time, milliseconds since the Unix epoch.
     */

    /**
     * CRC-32C (Castagnoli) of header bytes 0..23.
     */

    return SegmentHeader;
  })();

  /**
   * Fixed 28-byte file header.
   */

  /**
   * The batches, in offset order, up to the end of the file. A reader that
   * must survive a torn tail drives this loop itself, batch by batch.
   */

  return LogSegment;
})();
LogSegment_.LogSegment = LogSegment;
});
