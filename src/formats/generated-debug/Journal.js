// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.Journal || (root.Journal = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (Journal_, KaitaiStream) {
/**
 * A JournalStore keeps its state in two files of the same fixed size,
 * NAME.jrna and NAME.jrnb. Each is a header, CRC-framed entries appended one
 * after another, and zero-filled slack up to the file size. On open, the
 * valid file with the higher generation wins.
 * 
 * A frame is the unit of atomicity: a set of one key, a set of many keys
 * (setMany), or a clear. A frame whose length is out of range, whose CRC
 * fails, or whose generation differs from the header's ends the journal;
 * a frame_length of 0 starts the slack, which must be all zero. Writers
 * always leave at least 4 bytes of slack, so the end marker is always there.
 * 
 * The header is written when a new generation (the compacted live state) is
 * written into the file, and only after the frames it counts and the zero
 * slack are durable: committed_length never runs ahead of the frames on
 * disk. It is rewritten in place once more at most, to set the superseded
 * flag after the next generation is durable in the other file; frames
 * appended later are trusted one by one by their CRC.
 * 
 * The flag is what tells a fresh spare (all zero, never written) from a
 * newer file that was zeroed or lost: of a valid file whose header says
 * superseded, the other file should hold a newer generation, and when it
 * does not, its changes are reported lost.
 */

var Journal = (function() {
  Journal.FrameOp = Object.freeze({
    SET: 1,
    CLEAR: 2,

    1: "SET",
    2: "CLEAR",
  });

  Journal.ValueTag = Object.freeze({
    NIL: 0,
    BOOL_FALSE: 1,
    BOOL_TRUE: 2,
    INT64: 3,
    FLOAT64: 4,
    STRING: 5,
    BYTES: 6,
    ARRAY: 7,
    OBJECT: 8,

    0: "NIL",
    1: "BOOL_FALSE",
    2: "BOOL_TRUE",
    3: "INT64",
    4: "FLOAT64",
    5: "STRING",
    6: "BYTES",
    7: "ARRAY",
    8: "OBJECT",
  });

  function Journal(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this._debug = {};

  }
  Journal.prototype._read = function() {
    this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.header = new JournalHeader(this._io, this, this._root);
    this.header._read();
    this._debug.header.end = this._io.pos;
    this._debug.frames = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this._debug.frames.arr = [];
    this.frames = [];
    var i = 0;
    while (!this._io.isEof()) {
      this._debug.frames.arr[this.frames.length] = { start: this._io.pos, ioOffset: this._io.byteOffset };
      var _t_frames = new Frame(this._io, this, this._root);
      try {
        _t_frames._read();
      } finally {
        this.frames.push(_t_frames);
      }
      this._debug.frames.arr[this.frames.length - 1].end = this._io.pos;
      i++;
    }
    this._debug.frames.end = this._io.pos;
  }

  /**
   * An ordered list of values.
   */

  var ArrayValue = Journal.ArrayValue = (function() {
    function ArrayValue(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    ArrayValue.prototype._read = function() {
      this._debug.count = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.count = this._io.readU4le();
      this._debug.count.end = this._io.pos;
      if (!(this.count <= 16777216)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(16777216, this.count, this._io, "/types/array_value/seq/0");
        this._debug.count.validationError = _err;
        throw _err;
      }
      this._debug.items = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._debug.items.arr = [];
      this.items = [];
      for (var i = 0; i < this.count; i++) {
        this._debug.items.arr[i] = { start: this._io.pos, ioOffset: this._io.byteOffset };
        var _t_items = new Value(this._io, this, this._root);
        try {
          _t_items._read();
        } finally {
          this.items.push(_t_items);
        }
        this._debug.items.arr[i].end = this._io.pos;
      }
      this._debug.items.end = this._io.pos;
    }

    /**
     * Number of items.
     */

    /**
     * The items.
     */

    return ArrayValue;
  })();

  /**
   * A byte array.
   */

  var BytesValue = Journal.BytesValue = (function() {
    function BytesValue(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    BytesValue.prototype._read = function() {
      this._debug.length = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.length = this._io.readU4le();
      this._debug.length.end = this._io.pos;
      if (!(this.length <= 268435456)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268435456, this.length, this._io, "/types/bytes_value/seq/0");
        this._debug.length.validationError = _err;
        throw _err;
      }
      this._debug.data = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.data = this._io.readBytes(this.length);
      this._debug.data.end = this._io.pos;
    }

    /**
     * Size in bytes, at most 256 MiB.
     */

    /**
     * The bytes.
     */

    return BytesValue;
  })();

  /**
   * One atomic change. frame_length counts the bytes after the crc field;
   * the CRC-32C covers exactly those bytes.
   */

  var Frame = Journal.Frame = (function() {
    function Frame(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    Frame.prototype._read = function() {
      this._debug.frameLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.frameLength = this._io.readU4le();
      this._debug.frameLength.end = this._io.pos;
      var _ = this.frameLength;
      if (!( ((_ == 0) || ( ((_ >= 13) && (_ <= 1073741824)) )) )) {
        var _err = new KaitaiStream.ValidationExprError(this.frameLength, this._io, "/types/frame/seq/0");
        this._debug.frameLength.validationError = _err;
        throw _err;
      }
      if (this.frameLength != 0) {
        this._debug.crc = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.crc = this._io.readU4le();
        this._debug.crc.end = this._io.pos;
      }
      if (this.frameLength != 0) {
        this._debug.body = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this._raw_body = this._io.readBytes(this.frameLength);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new FrameBody(_io__raw_body, this, this._root);
        this.body._read();
        this._debug.body.end = this._io.pos;
      }
      if (this.frameLength == 0) {
        this._debug.slack = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.slack = this._io.readBytesFull();
        this._debug.slack.end = this._io.pos;
      }
    }

    /**
     * Bytes after the crc field: 8 (generation) + 1 (op) + 4 (count) +
     * the entries. 0 marks the start of the slack.
     */

    /**
     * CRC-32C of the frame_length bytes that follow.
     */

    /**
     * The change.
     */

    /**
     * Unused space to the end of the file; every byte must be 0.
     */

    return Frame;
  })();

  /**
   * The change a frame makes.
   */

  var FrameBody = Journal.FrameBody = (function() {
    function FrameBody(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    FrameBody.prototype._read = function() {
      this._debug.generation = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.generation = this._io.readU8le();
      this._debug.generation.end = this._io.pos;
      if (!(this.generation <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.generation, this._io, "/types/frame_body/seq/0");
        this._debug.generation.validationError = _err;
        throw _err;
      }
      this._debug.op = { start: this._io.pos, ioOffset: this._io.byteOffset, enumName: "Journal.FrameOp" };
      this.op = this._io.readU1();
      this._debug.op.end = this._io.pos;
      if (!( ((this.op == Journal.FrameOp.SET) || (this.op == Journal.FrameOp.CLEAR)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.op, this._io, "/types/frame_body/seq/1");
        this._debug.op.validationError = _err;
        throw _err;
      }
      this._debug.entryCount = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.entryCount = this._io.readU4le();
      this._debug.entryCount.end = this._io.pos;
      if (!(this.entryCount <= 16777216)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(16777216, this.entryCount, this._io, "/types/frame_body/seq/2");
        this._debug.entryCount.validationError = _err;
        throw _err;
      }
      this._debug.entries = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._debug.entries.arr = [];
      this.entries = [];
      for (var i = 0; i < this.entryCount; i++) {
        this._debug.entries.arr[i] = { start: this._io.pos, ioOffset: this._io.byteOffset };
        var _t_entries = new JournalEntry(this._io, this, this._root);
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
     * The header's generation; a frame left over from another one is not part of this journal.
     */

    /**
     * What the frame does.
     */

    /**
     * Number of entries; 0 for a clear.
     */

    /**
     * Keys and their new values, applied in order.
     */

    return FrameBody;
  })();

  /**
   * A signed 64-bit integer as two 32-bit halves, so that readers in
   * languages without exact 64-bit numbers (JavaScript) lose nothing:
   * value = hi * 2^32 + lo.
   */

  var Int64 = Journal.Int64 = (function() {
    function Int64(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    Int64.prototype._read = function() {
      this._debug.lo = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.lo = this._io.readU4le();
      this._debug.lo.end = this._io.pos;
      this._debug.hi = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.hi = this._io.readS4le();
      this._debug.hi.end = this._io.pos;
    }

    /**
     * Low 32 bits, unsigned.
     */

    /**
     * High 32 bits, signed.
     */

    return Int64;
  })();

  /**
   * One key and its new value; a nil value removes the key.
   */

  var JournalEntry = Journal.JournalEntry = (function() {
    function JournalEntry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    JournalEntry.prototype._read = function() {
      this._debug.keyLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.keyLength = this._io.readU2le();
      this._debug.keyLength.end = this._io.pos;
      this._debug.key = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.key = KaitaiStream.bytesToStr(this._io.readBytes(this.keyLength), "UTF-8");
      this._debug.key.end = this._io.pos;
      this._debug.value = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.value = new Value(this._io, this, this._root);
      this.value._read();
      this._debug.value.end = this._io.pos;
    }

    /**
     * Key size in bytes.
     */

    /**
     * The key, UTF-8.
     */

    /**
     * The new value.
     */

    return JournalEntry;
  })();

  /**
   * 36 bytes at position 0. header_crc covers bytes 0..31.
   */

  var JournalHeader = Journal.JournalHeader = (function() {
    function JournalHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    JournalHeader.prototype._read = function() {
      this._debug.magic = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.magic = this._io.readBytes(4);
      this._debug.magic.end = this._io.pos;
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 74])) == 0))) {
        var _err = new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 74]), this.magic, this._io, "/types/journal_header/seq/0");
        this._debug.magic.validationError = _err;
        throw _err;
      }
      this._debug.version = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.version = this._io.readU2le();
      this._debug.version.end = this._io.pos;
      if (!(this.version == 1)) {
        var _err = new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/journal_header/seq/1");
        this._debug.version.validationError = _err;
        throw _err;
      }
      this._debug.flags = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.flags = this._io.readU2le();
      this._debug.flags.end = this._io.pos;
      if (!(this.flags <= 1)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1, this.flags, this._io, "/types/journal_header/seq/2");
        this._debug.flags.validationError = _err;
        throw _err;
      }
      this._debug.generation = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.generation = this._io.readU8le();
      this._debug.generation.end = this._io.pos;
      if (!(this.generation <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.generation, this._io, "/types/journal_header/seq/3");
        this._debug.generation.validationError = _err;
        throw _err;
      }
      this._debug.fileSize = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.fileSize = this._io.readU4le();
      this._debug.fileSize.end = this._io.pos;
      if (!(this.fileSize >= 4096)) {
        var _err = new KaitaiStream.ValidationLessThanError(4096, this.fileSize, this._io, "/types/journal_header/seq/4");
        this._debug.fileSize.validationError = _err;
        throw _err;
      }
      if (!(this.fileSize <= 1073741824)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1073741824, this.fileSize, this._io, "/types/journal_header/seq/4");
        this._debug.fileSize.validationError = _err;
        throw _err;
      }
      this._debug.committedLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.committedLength = this._io.readU4le();
      this._debug.committedLength.end = this._io.pos;
      if (!(this.committedLength <= 1073741788)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(1073741788, this.committedLength, this._io, "/types/journal_header/seq/5");
        this._debug.committedLength.validationError = _err;
        throw _err;
      }
      this._debug.createdMs = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.createdMs = this._io.readU8le();
      this._debug.createdMs.end = this._io.pos;
      if (!(this.createdMs <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/types/journal_header/seq/6");
        this._debug.createdMs.validationError = _err;
        throw _err;
      }
      this._debug.headerCrc = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.headerCrc = this._io.readU4le();
      this._debug.headerCrc.end = this._io.pos;
    }

    /**
     * File magic, ASCII "LKVJ".
     */

    /**
     * Format version; this spec describes version 1.
     */

    /**
     * Bit 0 superseded: a newer generation was made durable in the other
     * file after this one (set on the older file right after a switch).
     * Other bits are reserved and must be 0.
     */

    /**
     * Raised by one each time the live state is rewritten into a file;
     * of two valid files the higher generation is the current one.
     */

    /**
     * Size of the file in bytes (the journal's buffer size).
     */

    /**
     * Bytes of frames after the header known durable when the header was
     * written. Frames up to here must all be valid; frames after it are
     * accepted one by one while valid.
     */

    /**
     * When this generation was written, ms since the Unix epoch.
     */

    /**
     * CRC-32C of header bytes 0..31.
     */

    return JournalHeader;
  })();

  /**
   * One member of an object.
   */

  var ObjectMember = Journal.ObjectMember = (function() {
    function ObjectMember(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    ObjectMember.prototype._read = function() {
      this._debug.keyLength = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.keyLength = this._io.readU4le();
      this._debug.keyLength.end = this._io.pos;
      if (!(this.keyLength <= 268435456)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268435456, this.keyLength, this._io, "/types/object_member/seq/0");
        this._debug.keyLength.validationError = _err;
        throw _err;
      }
      this._debug.key = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.key = KaitaiStream.bytesToStr(this._io.readBytes(this.keyLength), "UTF-8");
      this._debug.key.end = this._io.pos;
      this._debug.value = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.value = new Value(this._io, this, this._root);
      this.value._read();
      this._debug.value.end = this._io.pos;
    }

    /**
     * Size of the member name in bytes.
     */

    /**
     * The member name.
     */

    /**
     * The member value.
     */

    return ObjectMember;
  })();

  /**
   * String keys to values, in the order written.
   */

  var ObjectValue = Journal.ObjectValue = (function() {
    function ObjectValue(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    ObjectValue.prototype._read = function() {
      this._debug.count = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.count = this._io.readU4le();
      this._debug.count.end = this._io.pos;
      if (!(this.count <= 16777216)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(16777216, this.count, this._io, "/types/object_value/seq/0");
        this._debug.count.validationError = _err;
        throw _err;
      }
      this._debug.members = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._debug.members.arr = [];
      this.members = [];
      for (var i = 0; i < this.count; i++) {
        this._debug.members.arr[i] = { start: this._io.pos, ioOffset: this._io.byteOffset };
        var _t_members = new ObjectMember(this._io, this, this._root);
        try {
          _t_members._read();
        } finally {
          this.members.push(_t_members);
        }
        this._debug.members.arr[i].end = this._io.pos;
      }
      this._debug.members.end = this._io.pos;
    }

    /**
     * Number of members.
     */

    /**
     * The members.
     */

    return ObjectValue;
  })();

  /**
   * UTF-8 text.
   */

  var StringValue = Journal.StringValue = (function() {
    function StringValue(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    StringValue.prototype._read = function() {
      this._debug.length = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.length = this._io.readU4le();
      this._debug.length.end = this._io.pos;
      if (!(this.length <= 268435456)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(268435456, this.length, this._io, "/types/string_value/seq/0");
        this._debug.length.validationError = _err;
        throw _err;
      }
      this._debug.text = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.text = KaitaiStream.bytesToStr(this._io.readBytes(this.length), "UTF-8");
      this._debug.text.end = this._io.pos;
    }

    /**
     * Size in bytes, at most 256 MiB.
     */

    /**
     * The text.
     */

    return StringValue;
  })();

  /**
   * A JSON-like value, tagged. Arrays and objects nest; writers limit the
   * depth to 64.
   */

  var Value = Journal.Value = (function() {
    function Value(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    Value.prototype._read = function() {
      this._debug.tag = { start: this._io.pos, ioOffset: this._io.byteOffset, enumName: "Journal.ValueTag" };
      this.tag = this._io.readU1();
      this._debug.tag.end = this._io.pos;
      if (!( ((this.tag == Journal.ValueTag.NIL) || (this.tag == Journal.ValueTag.BOOL_FALSE) || (this.tag == Journal.ValueTag.BOOL_TRUE) || (this.tag == Journal.ValueTag.INT64) || (this.tag == Journal.ValueTag.FLOAT64) || (this.tag == Journal.ValueTag.STRING) || (this.tag == Journal.ValueTag.BYTES) || (this.tag == Journal.ValueTag.ARRAY) || (this.tag == Journal.ValueTag.OBJECT)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.tag, this._io, "/types/value/seq/0");
        this._debug.tag.validationError = _err;
        throw _err;
      }
      if ( ((this.tag != Journal.ValueTag.NIL) && (this.tag != Journal.ValueTag.BOOL_FALSE) && (this.tag != Journal.ValueTag.BOOL_TRUE)) ) {
        this._debug.body = { start: this._io.pos, ioOffset: this._io.byteOffset };
        switch (this.tag) {
        case Journal.ValueTag.ARRAY:
          this.body = new ArrayValue(this._io, this, this._root);
          this.body._read();
          break;
        case Journal.ValueTag.BYTES:
          this.body = new BytesValue(this._io, this, this._root);
          this.body._read();
          break;
        case Journal.ValueTag.FLOAT64:
          this.body = this._io.readF8le();
          break;
        case Journal.ValueTag.INT64:
          this.body = new Int64(this._io, this, this._root);
          this.body._read();
          break;
        case Journal.ValueTag.OBJECT:
          this.body = new ObjectValue(this._io, this, this._root);
          this.body._read();
          break;
        case Journal.ValueTag.STRING:
          this.body = new StringValue(this._io, this, this._root);
          this.body._read();
          break;
        }
        this._debug.body.end = this._io.pos;
      }
    }

    /**
     * Which kind of value follows.
     */

    /**
     * The value itself; absent for nil and the two booleans.
     */

    return Value;
  })();

  /**
   * Fixed 36-byte header.
   */

  /**
   * The frames, oldest first, then the slack.
   */

  return Journal;
})();
Journal_.Journal = Journal;
});
