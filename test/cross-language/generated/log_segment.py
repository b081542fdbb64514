# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import Enum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class LogSegment(KaitaiStruct):
    """One segment of a logkv store's append-only log, named by its base offset
    (20 decimal digits, e.g. 00000000000000000000.log). The file is a fixed
    header followed by batches. A batch is the unit of atomicity: after a crash
    it is either wholly valid (length in range, CRC-32C matching) or not there.
    
    Segments are preallocated, so the newest one normally ends in zero-filled
    space: a batch_length of 0 marks the end of the log, and every byte after it
    must be zero. After the last batch the file either ends or holds at least
    4 zero bytes (writers preallocate accordingly); 1 to 3 bytes left over
    are a torn write. A reader stops at the first batch that is not valid and
    reports its byte position; it never accepts a record from bytes that failed
    their CRC or from an all-zero region.
    
    Offsets increase strictly within and across batches and segments. The log
    cleaner keeps the original offsets of the records it keeps, so a compacted
    batch may have gaps between offset deltas.
    """

    class Op(Enum):
        put = 1
        delete = 2
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        self.header = LogSegment.SegmentHeader(self._io, self, self._root)
        self.batches = []
        i = 0
        while not self._io.is_eof():
            self.batches.append(LogSegment.Batch(self._io, self, self._root))
            i += 1


    class SegmentHeader(KaitaiStruct):
        """28 bytes at position 0. header_crc covers bytes 0..23.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.magic = self._io.read_bytes(4)
            if not self.magic == b"\x4C\x4B\x56\x4C":
                raise kaitaistruct.ValidationNotEqualError(b"\x4C\x4B\x56\x4C", self.magic, self._io, u"/types/segment_header/seq/0")
            self.version = self._io.read_u2le()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/segment_header/seq/1")
            self.value_encoding = KaitaiStream.resolve_enum(Common.ValueEncoding, self._io.read_u1())
            if not  ((self.value_encoding == Common.ValueEncoding.binary) or (self.value_encoding == Common.ValueEncoding.utf8) or (self.value_encoding == Common.ValueEncoding.json)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.value_encoding, self._io, u"/types/segment_header/seq/2")
            self.reserved = self._io.read_u1()
            if not self.reserved == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/segment_header/seq/3")
            self.base_offset = self._io.read_u8le()
            if not self.base_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.base_offset, self._io, u"/types/segment_header/seq/4")
            self.created_ms = self._io.read_u8le()
            if not self.created_ms <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.created_ms, self._io, u"/types/segment_header/seq/5")
            self.header_crc = self._io.read_u4le()


    class Batch(KaitaiStruct):
        """One atomic group of records. batch_length counts the bytes after the
        batch_length field (crc, header and records). The CRC-32C covers the
        bytes after the crc field up to the end of the batch. A batch_length of
        0 is the end-of-log marker: the rest of the file is zero fill.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.batch_length = self._io.read_u4le()
            _ = self.batch_length
            if not  ((_ == 0) or ( ((_ >= 46) and (_ <= 1073741824)) )) :
                raise kaitaistruct.ValidationExprError(self.batch_length, self._io, u"/types/batch/seq/0")
            if self.batch_length != 0:
                self.crc = self._io.read_u4le()

            if self.batch_length != 0:
                self.header = LogSegment.BatchHeader(self._io, self, self._root)

            if self.batch_length != 0:
                self.records = []
                for i in range(self.header.record_count):
                    self.records.append(LogSegment.Record(self._io, self, self._root))


            if self.batch_length == 0:
                self.zero_fill = self._io.read_bytes_full()



    class BatchHeader(KaitaiStruct):
        """26 bytes, between the crc and the first record."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.base_offset = self._io.read_u8le()
            if not self.base_offset <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.base_offset, self._io, u"/types/batch_header/seq/0")
            self.last_offset_delta = self._io.read_u4le()
            self.timestamp_ms = self._io.read_u8le()
            if not self.timestamp_ms <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.timestamp_ms, self._io, u"/types/batch_header/seq/2")
            self.attributes = self._io.read_u2le()
            if not self.attributes <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.attributes, self._io, u"/types/batch_header/seq/3")
            self.record_count = self._io.read_u4le()
            if not self.record_count >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.record_count, self._io, u"/types/batch_header/seq/4")
            if not self.record_count <= 16777216:
                raise kaitaistruct.ValidationGreaterThanError(16777216, self.record_count, self._io, u"/types/batch_header/seq/4")

        @property
        def is_compacted(self):
            """True when the log cleaner wrote this batch."""
            if hasattr(self, '_m_is_compacted'):
                return self._m_is_compacted

            self._m_is_compacted = (self.attributes & 1) != 0
            return getattr(self, '_m_is_compacted', None)


    class Record(KaitaiStruct):
        """One put or delete. 16 bytes of fixed fields, an optional 8-byte
        expiry, then the key and the value.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.crc = self._io.read_u4le()
            self.op = KaitaiStream.resolve_enum(LogSegment.Op, self._io.read_u1())
            if not  ((self.op == LogSegment.Op.put) or (self.op == LogSegment.Op.delete)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.op, self._io, u"/types/record/seq/1")
            self.flags = self._io.read_u1()
            if not self.flags <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.flags, self._io, u"/types/record/seq/2")
            self.offset_delta = self._io.read_u4le()
            self.key_length = self._io.read_u2le()
            self.value_length = self._io.read_u4le()
            if not self.value_length <= 268435456:
                raise kaitaistruct.ValidationGreaterThanError(268435456, self.value_length, self._io, u"/types/record/seq/5")
            if self.has_expiry:
                self.expiry = Common.Expiry(self._io, self, self._root)

            self.key = self._io.read_bytes(self.key_length)
            self.value = self._io.read_bytes(self.value_length)

        @property
        def has_expiry(self):
            """True when expire_at_ms is present."""
            if hasattr(self, '_m_has_expiry'):
                return self._m_has_expiry

            self._m_has_expiry = (self.flags & 1) != 0
            return getattr(self, '_m_has_expiry', None)



