# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class Snapshot(KaitaiStruct):
    """The live state of a store as of one offset: every key that was present and
    not expired, in ascending unsigned byte order of the keys, with no
    tombstones. Entries are grouped into chunks, each with its own CRC-32C, so a
    reader can check and stream them one chunk at a time; a chunk with no
    entries ends the list. The last 32 bytes are the SHA-256 of everything
    before them.
    
    The file is a pure function of the state: the same state (the same keys,
    values, offsets and expiries, and the same next_offset and created_ms)
    always gives the same bytes. created_ms is therefore the timestamp of the
    newest batch included, not the wall-clock time of writing.
    
    Written whole to a temporary name, fsynced and renamed into place. A
    snapshot whose header CRC, any chunk CRC, or SHA-256 fails is never used.
    """
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        self.header = Snapshot.SnapshotHeader(self._io, self, self._root)
        self.chunks = []
        i = 0
        while True:
            _ = Snapshot.Chunk(self._io, self, self._root)
            self.chunks.append(_)
            if _.entry_count == 0:
                break
            i += 1
        self.sha256 = self._io.read_bytes(32)

    class SnapshotHeader(KaitaiStruct):
        """36 bytes at position 0. header_crc covers bytes 0..31."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.magic = self._io.read_bytes(4)
            if not self.magic == b"\x4C\x4B\x56\x53":
                raise kaitaistruct.ValidationNotEqualError(b"\x4C\x4B\x56\x53", self.magic, self._io, u"/types/snapshot_header/seq/0")
            self.version = self._io.read_u2le()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/snapshot_header/seq/1")
            self.value_encoding = KaitaiStream.resolve_enum(Common.ValueEncoding, self._io.read_u1())
            if not  ((self.value_encoding == Common.ValueEncoding.binary) or (self.value_encoding == Common.ValueEncoding.utf8) or (self.value_encoding == Common.ValueEncoding.json)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.value_encoding, self._io, u"/types/snapshot_header/seq/2")
            self.reserved = self._io.read_u1()
            if not self.reserved == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/snapshot_header/seq/3")
            self.next_offset = self._io.read_u8le()
            if not self.next_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.next_offset, self._io, u"/types/snapshot_header/seq/4")
            self.created_ms = self._io.read_u8le()
            if not self.created_ms <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.created_ms, self._io, u"/types/snapshot_header/seq/5")
            self.entry_count = self._io.read_u8le()
            if not self.entry_count <= 4294967295:
                raise kaitaistruct.ValidationGreaterThanError(4294967295, self.entry_count, self._io, u"/types/snapshot_header/seq/6")
            self.header_crc = self._io.read_u4le()


    class Chunk(KaitaiStruct):
        """A run of entries with its own CRC. Writers close a chunk once it holds
        about 64 KiB; readers must accept any split.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.entry_count = self._io.read_u4le()
            if not self.entry_count <= 16777216:
                raise kaitaistruct.ValidationGreaterThanError(16777216, self.entry_count, self._io, u"/types/chunk/seq/0")
            self.chunk_length = self._io.read_u4le()
            if not self.chunk_length <= 1073741824:
                raise kaitaistruct.ValidationGreaterThanError(1073741824, self.chunk_length, self._io, u"/types/chunk/seq/1")
            self.crc = self._io.read_u4le()
            self._raw_body = self._io.read_bytes(self.chunk_length)
            _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
            self.body = Snapshot.ChunkBody(_io__raw_body, self, self._root)


    class ChunkBody(KaitaiStruct):
        """The entries of one chunk, filling it exactly."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.entries = []
            for i in range(self._parent.entry_count):
                self.entries.append(Snapshot.SnapshotEntry(self._io, self, self._root))



    class SnapshotEntry(KaitaiStruct):
        """One live key. 15 bytes of fixed fields, an optional 8-byte expiry,
        then the key and the value.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.flags = self._io.read_u1()
            if not self.flags <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.flags, self._io, u"/types/snapshot_entry/seq/0")
            self.key_length = self._io.read_u2le()
            self.value_length = self._io.read_u4le()
            if not self.value_length <= 268435456:
                raise kaitaistruct.ValidationGreaterThanError(268435456, self.value_length, self._io, u"/types/snapshot_entry/seq/2")
            self.offset = self._io.read_u8le()
            if not self.offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.offset, self._io, u"/types/snapshot_entry/seq/3")
            if self.has_expiry:
                self.expiry = Common.Expiry(self._io, self, self._root)

            self.key = self._io.read_bytes(self.key_length)
            self.value = self._io.read_bytes(self.value_length)

        @property
        def has_expiry(self):
            """True when an expiry follows."""
            if hasattr(self, '_m_has_expiry'):
                return self._m_has_expiry

            self._m_has_expiry = (self.flags & 1) != 0
            return getattr(self, '_m_has_expiry', None)



