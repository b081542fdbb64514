# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class StoreIdentity(KaitaiStruct):
    """The file IDENTITY in a store directory says that the directory is a logkv
    store and which one. It is written once, when the store is created (or,
    for a store made before this file existed, at its first writable open),
    before any other file of the store: to a temporary name, fsynced, renamed
    into place, the directory fsynced. It is never changed afterwards.
    
    Opening a directory checks it first. A directory without it that is not
    empty is not a store, and nothing in it is touched; a directory whose
    IDENTITY fails a check is damaged, and opening it fails. Only in a
    directory marked by it does opening or repairing remove files, and then
    only files of the store's own kinds, named by its own rules.
    
    store_id tells one store from another: a copy made by restore, or a
    follower, is a store of its own and gets its own id. The whole file is
    exactly 36 bytes.
    """
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(4)
        if not self.magic == b"\x4C\x4B\x56\x49":
            raise kaitaistruct.ValidationNotEqualError(b"\x4C\x4B\x56\x49", self.magic, self._io, u"/seq/0")
        self.version = self._io.read_u2le()
        if not self.version == 1:
            raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/seq/1")
        self.flags = self._io.read_u2le()
        if not self.flags == 0:
            raise kaitaistruct.ValidationNotEqualError(0, self.flags, self._io, u"/seq/2")
        self.store_id = self._io.read_bytes(16)
        self.created_ms = self._io.read_u8le()
        if not self.created_ms <= 9007199254740991:
            raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.created_ms, self._io, u"/seq/4")
        self.crc = self._io.read_u4le()


