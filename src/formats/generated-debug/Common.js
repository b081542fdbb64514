// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.Common || (root.Common = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (Common_, KaitaiStream) {
/**
 * Definitions shared by the logkv formats. Not a file format of its own.
 */

var Common = (function() {
  Common.ValueEncoding = Object.freeze({
    BINARY: 0,
    UTF8: 1,
    JSON: 2,

    0: "BINARY",
    1: "UTF8",
    2: "JSON",
  });

  function Common(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this._debug = {};

  }
  Common.prototype._read = function() {
  }

  /**
   * An absolute expiry time.
   */

  var Expiry = Common.Expiry = (function() {
    function Expiry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

    }
    Expiry.prototype._read = function() {
      this._debug.expireAtMs = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.expireAtMs = this._io.readU8le();
      this._debug.expireAtMs.end = this._io.pos;
      if (!(this.expireAtMs <= 9007199254740991)) {
        var _err = new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.expireAtMs, this._io, "/types/expiry/seq/0");
        this._debug.expireAtMs.validationError = _err;
        throw _err;
      }
    }

    /**
     * Time after which the key reads as absent, milliseconds since the
     * Unix epoch; below 2^53 so every reader holds it exactly.
     */

    return Expiry;
  })();

  return Common;
})();
Common_.Common = Common;
});
