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

    this._read();
  }
  Journal.prototype._read = function() {
    this.header = new JournalHeader(this._io, this, this._root);
    this.frames = [];
    var i = 0;
    while (!this._io.isEof()) {
      this.frames.push(new Frame(this._io, this, this._root));
      i++;
    }
  }

  /**
   * An ordered list of values.
   */

  var ArrayValue = Journal.ArrayValue = (function() {
    function ArrayValue(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    ArrayValue.prototype._read = function() {
      this.count = this._io.readU4le();
      if (!(this.count <= 16777216)) {
        throw new KaitaiStream.ValidationGreaterThanError(16777216, this.count, this._io, "/types/array_value/seq/0");
      }
      this.items = [];
      for (var i = 0; i < this.count; i++) {
        this.items.push(new Value(this._io, this, this._root));
      }
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

      this._read();
    }
    BytesValue.prototype._read = function() {
      this.length = this._io.readU4le();
      if (!(this.length <= 268435456)) {
        throw new KaitaiStream.ValidationGreaterThanError(268435456, this.length, this._io, "/types/bytes_value/seq/0");
      }
      this.data = this._io.readBytes(this.length);
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

      this._read();
    }
    Frame.prototype._read = function() {
      this.frameLength = this._io.readU4le();
      var _ = this.frameLength;
      if (!( ((_ == 0) || ( ((_ >= 13) && (_ <= 1073741824)) )) )) {
        throw new KaitaiStream.ValidationExprError(this.frameLength, this._io, "/types/frame/seq/0");
      }
      if (this.frameLength != 0) {
        this.crc = this._io.readU4le();
      }
      if (this.frameLength != 0) {
        this._raw_body = this._io.readBytes(this.frameLength);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new FrameBody(_io__raw_body, this, this._root);
      }
      if (this.frameLength == 0) {
        this.slack = this._io.readBytesFull();
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

      this._read();
    }
    FrameBody.prototype._read = function() {
      this.generation = this._io.readU8le();
      if (!(this.generation <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.generation, this._io, "/types/frame_body/seq/0");
      }
      this.op = this._io.readU1();
      if (!( ((this.op == Journal.FrameOp.SET) || (this.op == Journal.FrameOp.CLEAR)) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.op, this._io, "/types/frame_body/seq/1");
      }
      this.entryCount = this._io.readU4le();
      if (!(this.entryCount <= 16777216)) {
        throw new KaitaiStream.ValidationGreaterThanError(16777216, this.entryCount, this._io, "/types/frame_body/seq/2");
      }
      this.entries = [];
      for (var i = 0; i < this.entryCount; i++) {
        this.entries.push(new JournalEntry(this._io, this, this._root));
      }
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

      this._read();
    }
    Int64.prototype._read = function() {
      this.lo = this._io.readU4le();
      this.hi = this._io.readS4le();
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

      this._read();
    }
    JournalEntry.prototype._read = function() {
      this.keyLength = this._io.readU2le();
      this.key = KaitaiStream.bytesToStr(this._io.readBytes(this.keyLength), "UTF-8");
      this.value = new Value(this._io, this, this._root);
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

      this._read();
    }
    JournalHeader.prototype._read = function() {
      this.magic = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 74])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 74]), this.magic, this._io, "/types/journal_header/seq/0");
      }
      this.version = this._io.readU2le();
      if (!(this.version == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/journal_header/seq/1");
      }
      this.flags = this._io.readU2le();
      if (!(this.flags <= 1)) {
        throw new KaitaiStream.ValidationGreaterThanError(1, this.flags, this._io, "/types/journal_header/seq/2");
      }
      this.generation = this._io.readU8le();
      if (!(this.generation <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.generation, this._io, "/types/journal_header/seq/3");
      }
      this.fileSize = this._io.readU4le();
      if (!(this.fileSize >= 4096)) {
        throw new KaitaiStream.ValidationLessThanError(4096, this.fileSize, this._io, "/types/journal_header/seq/4");
      }
      if (!(this.fileSize <= 1073741824)) {
        throw new KaitaiStream.ValidationGreaterThanError(1073741824, this.fileSize, this._io, "/types/journal_header/seq/4");
      }
      this.committedLength = this._io.readU4le();
      if (!(this.committedLength <= 1073741788)) {
        throw new KaitaiStream.ValidationGreaterThanError(1073741788, this.committedLength, this._io, "/types/journal_header/seq/5");
      }
      this.createdMs = this._io.readU8le();
      if (!(this.createdMs <= 9007199254740991)) {
        throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/types/journal_header/seq/6");
      }
      this.headerCrc = this._io.readU4le();
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

      this._read();
    }
    ObjectMember.prototype._read = function() {
      this.keyLength = this._io.readU4le();
      if (!(this.keyLength <= 268435456)) {
        throw new KaitaiStream.ValidationGreaterThanError(268435456, this.keyLength, this._io, "/types/object_member/seq/0");
      }
      this.key = KaitaiStream.bytesToStr(this._io.readBytes(this.keyLength), "UTF-8");
      this.value = new Value(this._io, this, this._root);
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

      this._read();
    }
    ObjectValue.prototype._read = function() {
      this.count = this._io.readU4le();
      if (!(this.count <= 16777216)) {
        throw new KaitaiStream.ValidationGreaterThanError(16777216, this.count, this._io, "/types/object_value/seq/0");
      }
      this.members = [];
      for (var i = 0; i < this.count; i++) {
        this.members.push(new ObjectMember(this._io, this, this._root));
      }
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

      this._read();
    }
    StringValue.prototype._read = function() {
      this.length = this._io.readU4le();
      if (!(this.length <= 268435456)) {
        throw new KaitaiStream.ValidationGreaterThanError(268435456, this.length, this._io, "/types/string_value/seq/0");
      }
      this.text = KaitaiStream.bytesToStr(this._io.readBytes(this.length), "UTF-8");
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

      this._read();
    }
    Value.prototype._read = function() {
      this.tag = this._io.readU1();
      if (!( ((this.tag == Journal.ValueTag.NIL) || (this.tag == Journal.ValueTag.BOOL_FALSE) || (this.tag == Journal.ValueTag.BOOL_TRUE) || (this.tag == Journal.ValueTag.INT64) || (this.tag == Journal.ValueTag.FLOAT64) || (this.tag == Journal.ValueTag.STRING) || (this.tag == Journal.ValueTag.BYTES) || (this.tag == Journal.ValueTag.ARRAY) || (this.tag == Journal.ValueTag.OBJECT)) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.tag, this._io, "/types/value/seq/0");
      }
      if ( ((this.tag != Journal.ValueTag.NIL) && (this.tag != Journal.ValueTag.BOOL_FALSE) && (this.tag != Journal.ValueTag.BOOL_TRUE)) ) {
        switch (this.tag) {
        case Journal.ValueTag.ARRAY:
          this.body = new ArrayValue(this._io, this, this._root);
          break;
        case Journal.ValueTag.BYTES:
          this.body = new BytesValue(this._io, this, this._root);
          break;
        case Journal.ValueTag.FLOAT64:
          this.body = this._io.readF8le();
          break;
        case Journal.ValueTag.INT64:
          this.body = new Int64(this._io, this, this._root);
          break;
        case Journal.ValueTag.OBJECT:
          this.body = new ObjectValue(this._io, this, this._root);
          break;
        case Journal.ValueTag.STRING:
          this.body = new StringValue(this._io, this, this._root);
          break;
        }
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
