# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class Hint(KaitaiStruct):
    """Written beside a sealed log segment (same base name, extension .hint) so
    that opening a store loads the key directory without reading the segment.
    Holds one entry per key the segment still decides: its newest record in
    that segment, tombstones included, so that a delete in a newer segment
    still hides a value in an older one.
    
    The file is written whole to a temporary name, fsynced and renamed into
    place; it is never appended to. A hint that fails any check (header CRC,
    trailer CRC or count, a length out of range, or a segment whose length is
    not covered_length) is never trusted: the segment is rescanned and the
    hint rewritten.
    """
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        self.header = Hint.HintHeader(self._io, self, self._root)
        self._raw_entries = self._io.read_bytes((self._io.size() - 44))
        _io__raw_entries = KaitaiStream(BytesIO(self._raw_entries))
        self.entries = Hint.HintEntries(_io__raw_entries, self, self._root)
        self.trailer = Hint.HintTrailer(self._io, self, self._root)

    class HintHeader(KaitaiStruct):
        """36 bytes at position 0. header_crc covers bytes 0..31."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.magic = self._io.read_bytes(4)
            if not self.magic == b"\x4C\x4B\x56\x48":
                raise kaitaistruct.ValidationNotEqualError(b"\x4C\x4B\x56\x48", self.magic, self._io, u"/types/hint_header/seq/0")
            self.version = self._io.read_u2le()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/hint_header/seq/1")
            self.reserved = self._io.read_u2le()
            if not self.reserved == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/hint_header/seq/2")
            self.segment_base_offset = self._io.read_u8le()
            if not self.segment_base_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.segment_base_offset, self._io, u"/types/hint_header/seq/3")
            self.segment_next_offset = self._io.read_u8le()
            if not self.segment_next_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.segment_next_offset, self._io, u"/types/hint_header/seq/4")
            self.covered_length = self._io.read_u8le()
            if not self.covered_length <= 4294967295:
                raise kaitaistruct.ValidationGreaterThanError(4294967295, self.covered_length, self._io, u"/types/hint_header/seq/5")
            self.header_crc = self._io.read_u4le()


    class HintEntries(KaitaiStruct):
        """The entries, in no particular order, each key at most once."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.entries = []
            i = 0
            while not self._io.is_eof():
                self.entries.append(Hint.HintEntry(self._io, self, self._root))
                i += 1



    class HintEntry(KaitaiStruct):
        """Where the newest record of one key sits in the segment. 19 bytes of
        fixed fields, an optional 8-byte expiry, then the key.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.flags = self._io.read_u1()
            if not self.flags <= 3:
                raise kaitaistruct.ValidationGreaterThanError(3, self.flags, self._io, u"/types/hint_entry/seq/0")
            self.key_length = self._io.read_u2le()
            self.offset = self._io.read_u8le()
            if not self.offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.offset, self._io, u"/types/hint_entry/seq/2")
            self.position = self._io.read_u4le()
            self.size = self._io.read_u4le()
            if not self.size >= 16:
                raise kaitaistruct.ValidationLessThanError(16, self.size, self._io, u"/types/hint_entry/seq/4")
            if not self.size <= 268501015:
                raise kaitaistruct.ValidationGreaterThanError(268501015, self.size, self._io, u"/types/hint_entry/seq/4")
            if self.has_expiry:
                self.expiry = Common.Expiry(self._io, self, self._root)

            self.key = self._io.read_bytes(self.key_length)

        @property
        def is_tombstone(self):
            """True when the newest record of the key is a delete."""
            if hasattr(self, '_m_is_tombstone'):
                return self._m_is_tombstone

            self._m_is_tombstone = (self.flags & 1) != 0
            return getattr(self, '_m_is_tombstone', None)

        @property
        def has_expiry(self):
            """True when an expiry follows."""
            if hasattr(self, '_m_has_expiry'):
                return self._m_has_expiry

            self._m_has_expiry = (self.flags & 2) != 0
            return getattr(self, '_m_has_expiry', None)


    class HintTrailer(KaitaiStruct):
        """The last 8 bytes."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.entry_count = self._io.read_u4le()
            self.entries_crc = self._io.read_u4le()



