# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import Enum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class Common(KaitaiStruct):
    """Definitions shared by the logkv formats. Not a file format of its own.
    """

    class ValueEncoding(Enum):
        binary = 0
        utf8 = 1
        json = 2
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        pass

    class Expiry(KaitaiStruct):
        """An absolute expiry time."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.expire_at_ms = self._io.read_u8le()
            if not self.expire_at_ms <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.expire_at_ms, self._io, u"/types/expiry/seq/0")



