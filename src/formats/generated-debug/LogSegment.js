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
    this._debug = {};

  }
  LogSegment.prototype._read = function() {
    this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.header = new SegmentHeader(this._io, this, this._root);
    this.header._read();
    this._debug.header.end = this._io.pos;
    this._debug.batches = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this._debug.batches.arr = [];
    this.batches = [];
    var i = 0;
    while (!this._io.isEof()) {
      this._debug.batches.arr[this.batches.length] = { start: this._io.pos, ioOffset: this._io.byteOffset };
      var _t_batches = new Batch(this._io, this, this._root);
      try {
        _t_batches._read();
      } finally {
        this.batches.push(_t_batches);
      }
      this._debug.batches.arr[this.batches.length - 1].end = this._io.pos;
      i++;
    }
    this._debug.batches.end = this._io.pos;
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
      this._debug = {};

    }
    Batch.prototype._read = function() {
      this._debug.batchLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.batchLength = this._io.readU4le();
      this._debug.batchLength.end = this._io.pos;
      var _ = this.batchLength;
      if (!( ((_ == 0) || ( ((_ >= 46) && (_ <= 1073741824)) )) )) {
        var _err = new KaitaiStream.ValidationExprError(this.batchLength, this._io, "/types/batch/seq/0");
        this._debug.batchLength.validationError = _err;
        throw _err;
      }
      if (this.batchLength != 0) {
        this._debug.crc = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.crc = this._io.readU4le();
        this._debug.crc.end = this._io.pos;
      }
      if (this.batchLength != 0) {
        this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.header = new BatchHeader(this._io, this, this._root);
        this.header._read();
        this._debug.header.end = this._io.pos;
      }
      if (this.batchLength != 0) {
        this._debug.records = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this._debug.records.arr = [];
        this.records = [];
        for (var i = 0; i < this.header.recordCount; i++) {
          this._debug.records.arr[i] = { start: this._io.pos, ioOffset: this._io.byteOffset };
          var _t_records = new Record(this._io, this, this._root);
          try {
            _t_records._read();
          } finally {
            this.records.push(_t_records);
          }
          this._debug.records.arr[i].end = this._io.pos;
        }
        this._debug.records.end = this._io.pos;
      }
      if (this.batchLength == 0) {
        this._debug.zeroFill = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.zeroFill = this._io.readBytesFull();
        this._debug.zeroFill.end = this._io.pos;
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
      this._debug = {};

    }
    BatchHeader.prototype._read = function() {
      this._debug.baseOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.baseOffset = this._io.readU8le();
      this._debug.baseOffset.end = this._io.pos;
      if (!(this.baseOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.baseOffset, this._io, "/types/batch_header/seq/0");
        this._debug.baseOffset.validationError = _err;
        throw _err;
      }
      this._debug.lastOffsetDelta = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.lastOffsetDelta = this._io.readU4le();
      this._debug.lastOffsetDelta.end = this._io.pos;
      this._debug.timestampMs = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.timestampMs = this._io.readU8le();
      this._debug.timestampMs.end = this._io.pos;
      if (!(this.timestampMs <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.timestampMs, this._io, "/types/batch_header/seq/2");
        this._debug.timestampMs.validationError = _err;
        throw _err;
      }
      this._debug.attributes = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.attributes = this._io.readU2le();
      this._debug.attributes.end = this._io.pos;
      if (!(this.attributes <= 1)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1, this.attributes, this._io, "/types/batch_header/seq/3");
        this._debug.attributes.validationError = _err;
        throw _err;
      }
      this._debug.recordCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.recordCount = this._io.readU4le();
      this._debug.recordCount.end = this._io.pos;
      if (!(this.recordCount >= 1)) {
        var _err = new KaitaiStream.ValidationLessThanError(1, this.recordCount, this._io, "/types/batch_header/seq/4");
        this._debug.recordCount.validationError = _err;
        throw _err;
      }
      if (!(this.recordCount <= 16777216)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(16777216, this.recordCount, this._io, "/types/batch_header/seq/4");
        this._debug.recordCount.validationError = _err;
        throw _err;
      }
    }

    /**
     * True when the log cleaner wrote this batch.
     */
    Object.defineProperty(BatchHeader.prototype, 'isCompacted', {
      get: function() {
        if (this._m_isCompacted !== undefined)
          return this._m_isCompacted;
        this._debug._m_isCompacted = {  };
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
      this._debug = {};

    }
    Record.prototype._read = function() {
      this._debug.crc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.crc = this._io.readU4le();
      this._debug.crc.end = this._io.pos;
      this._debug.op = { start: this._io.pos, ioOffset: this._io.byteOffset, enumName: "LogSegment.Op" };
      this.op = this._io.readU1();
      this._debug.op.end = this._io.pos;
      if (!( ((this.op == LogSegment.Op.PUT) || (this.op == LogSegment.Op.DELETE)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.op, this._io, "/types/record/seq/1");
        this._debug.op.validationError = _err;
        throw _err;
      }
      this._debug.flags = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.flags = this._io.readU1();
      this._debug.flags.end = this._io.pos;
      if (!(this.flags <= 1)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1, this.flags, this._io, "/types/record/seq/2");
        this._debug.flags.validationError = _err;
        throw _err;
      }
      this._debug.offsetDelta = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.offsetDelta = this._io.readU4le();
      this._debug.offsetDelta.end = this._io.pos;
      this._debug.keyLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.keyLength = this._io.readU2le();
      this._debug.keyLength.end = this._io.pos;
      this._debug.valueLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.valueLength = this._io.readU4le();
      this._debug.valueLength.end = this._io.pos;
      if (!(this.valueLength <= 268435456)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268435456, this.valueLength, this._io, "/types/record/seq/5");
        this._debug.valueLength.validationError = _err;
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
     * True when expire_at_ms is present.
     */
    Object.defineProperty(Record.prototype, 'hasExpiry', {
      get: function() {
        if (this._m_hasExpiry !== undefined)
          return this._m_hasExpiry;
        this._debug._m_hasExpiry = {  };
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
      this._debug = {};

    }
    SegmentHeader.prototype._read = function() {
      this._debug.magic = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.magic = this._io.readBytes(4);
      this._debug.magic.end = this._io.pos;
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 76])) == 0))) {
        var _err = new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 76]), this.magic, this._io, "/types/segment_header/seq/0");
        this._debug.magic.validationError = _err;
        throw _err;
      }
      this._debug.version = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.version = this._io.readU2le();
      this._debug.version.end = this._io.pos;
      if (!(this.version == 1)) {
        var _err = new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/segment_header/seq/1");
        this._debug.version.validationError = _err;
        throw _err;
      }
      this._debug.valueEncoding = { start: this._io.pos, ioOffset: this._io.byteOffset, enumName: "Common.ValueEncoding" };
      this.valueEncoding = this._io.readU1();
      this._debug.valueEncoding.end = this._io.pos;
      if (!( ((this.valueEncoding == Common_.Common.ValueEncoding.BINARY) || (this.valueEncoding == Common_.Common.ValueEncoding.UTF8) || (this.valueEncoding == Common_.Common.ValueEncoding.JSON)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.valueEncoding, this._io, "/types/segment_header/seq/2");
        this._debug.valueEncoding.validationError = _err;
        throw _err;
      }
      this._debug.reserved = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.reserved = this._io.readU1();
      this._debug.reserved.end = this._io.pos;
      if (!(this.reserved == 0)) {
        var _err = new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/segment_header/seq/3");
        this._debug.reserved.validationError = _err;
        throw _err;
      }
      this._debug.baseOffset = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.baseOffset = this._io.readU8le();
      this._debug.baseOffset.end = this._io.pos;
      if (!(this.baseOffset <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.baseOffset, this._io, "/types/segment_header/seq/4");
        this._debug.baseOffset.validationError = _err;
        throw _err;
      }
      this._debug.createdMs = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.createdMs = this._io.readU8le();
      this._debug.createdMs.end = this._io.pos;
      if (!(this.createdMs <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/types/segment_header/seq/5");
        this._debug.createdMs.validationError = _err;
        throw _err;
      }
      this._debug.headerCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.headerCrc = this._io.readU4le();
      this._debug.headerCrc.end = this._io.pos;
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
