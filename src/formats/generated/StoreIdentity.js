// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.StoreIdentity || (root.StoreIdentity = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (StoreIdentity_, KaitaiStream) {
/**
 * The file IDENTITY in a store directory says that the directory is a logkv
 * store and which one. It is written once, when the store is created (or,
 * for a store made before this file existed, at its first writable open),
 * before any other file of the store: to a temporary name, fsynced, renamed
 * into place, the directory fsynced. It is never changed afterwards.
 * 
 * Opening a directory checks it first. A directory without it that is not
 * empty is not a store, and nothing in it is touched; a directory whose
 * IDENTITY fails a check is damaged, and opening it fails. Only in a
 * directory marked by it does opening or repairing remove files, and then
 * only files of the store's own kinds, named by its own rules.
 * 
 * store_id tells one store from another: a copy made by restore, or a
 * follower, is a store of its own and gets its own id. The whole file is
 * exactly 36 bytes.
 */

var StoreIdentity = (function() {
  function StoreIdentity(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  StoreIdentity.prototype._read = function() {
    this.magic = this._io.readBytes(4);
    if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 75, 86, 73])) == 0))) {
      throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 75, 86, 73]), this.magic, this._io, "/seq/0");
    }
    this.version = this._io.readU2le();
    if (!(this.version == 1)) {
      throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/seq/1");
    }
    this.flags = this._io.readU2le();
    if (!(this.flags == 0)) {
      throw new KaitaiStream.ValidationNotEqualError(0, this.flags, this._io, "/seq/2");
    }
    this.storeId = this._io.readBytes(16);
    this.createdMs = this._io.readU8le();
    if (!(this.createdMs <= 9007199254740991)) {
      throw new KaitaiStream.ValidationGreaterThanError(9007199254740991, this.createdMs, this._io, "/seq/4");
    }
    this.crc = this._io.readU4le();
  }

  /**
   * File magic, ASCII "LKVI".
   */

  /**
   * Format version; this spec describes version 1.
   */

  /**
   * Reserved, always 0.
   */

  /**
   * 16 random bytes chosen when the store was created (a version 4 UUID's
   * worth of randomness, kept as bytes).
   */

  /**
   * When the store was created, milliseconds since the Unix epoch.
   */

  /**
   * CRC-32C of bytes 0..31.
   */

  return StoreIdentity;
})();
StoreIdentity_.StoreIdentity = StoreIdentity;
});
