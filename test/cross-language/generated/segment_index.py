# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class SegmentIndex(KaitaiStruct):
    """Written beside a segment's hint (same base name, extension .index), from
    the same entries: one slot per key the segment still decides, tombstones
    included. Slots are fixed-size and sorted by the key's hash, so a store
    can answer a lookup straight from the file (interpolation search over the
    slots, then the record read from the segment, its CRC checked and its key
    compared) without loading any key into memory first: an open serves gets
    before its key directory is built.
    
    The slot holds no key: the record it points at does. A slot whose CRC
    fails, a header that fails its CRC or does not describe the segment
    (base offset, next offset, length), or a file whose size is not
    header + slots + trailer is never trusted: the store loads the segment
    from its hint (or scans it) instead and writes the index again.
    
    Written whole to a temporary name, fsynced and renamed into place, after
    the hint; never appended to.
    """
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        self.header = SegmentIndex.IndexHeader(self._io, self, self._root)
        self.slots = []
        for i in range(self.header.slot_count):
            self.slots.append(SegmentIndex.Slot(self._io, self, self._root))

        self.trailer = SegmentIndex.IndexTrailer(self._io, self, self._root)

    class IndexHeader(KaitaiStruct):
        """44 bytes at position 0. header_crc covers bytes 0..39."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.magic = self._io.read_bytes(4)
            if not self.magic == b"\x4C\x4B\x56\x58":
                raise kaitaistruct.ValidationNotEqualError(b"\x4C\x4B\x56\x58", self.magic, self._io, u"/types/index_header/seq/0")
            self.version = self._io.read_u2le()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/index_header/seq/1")
            self.reserved = self._io.read_u2le()
            if not self.reserved == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/index_header/seq/2")
            self.segment_base_offset = self._io.read_u8le()
            if not self.segment_base_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.segment_base_offset, self._io, u"/types/index_header/seq/3")
            self.segment_next_offset = self._io.read_u8le()
            if not self.segment_next_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.segment_next_offset, self._io, u"/types/index_header/seq/4")
            self.covered_length = self._io.read_u8le()
            if not self.covered_length <= 4294967295:
                raise kaitaistruct.ValidationGreaterThanError(4294967295, self.covered_length, self._io, u"/types/index_header/seq/5")
            self.slot_count = self._io.read_u4le()
            self.last_batch_position = self._io.read_u4le()
            self.header_crc = self._io.read_u4le()


    class Slot(KaitaiStruct):
        """24 bytes: where the newest record of one key sits in the segment.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.key_hash = self._io.read_u4le()
            self.position = self._io.read_u4le()
            self.size = self._io.read_u4le()
            if not self.size >= 16:
                raise kaitaistruct.ValidationLessThanError(16, self.size, self._io, u"/types/slot/seq/2")
            if not self.size <= 268501015:
                raise kaitaistruct.ValidationGreaterThanError(268501015, self.size, self._io, u"/types/slot/seq/2")
            self.offset = self._io.read_u8le()
            if not self.offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.offset, self._io, u"/types/slot/seq/3")
            self.slot_crc = self._io.read_u4le()


    class IndexTrailer(KaitaiStruct):
        """The last 8 bytes."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.slot_count = self._io.read_u4le()
            self.slots_crc = self._io.read_u4le()



