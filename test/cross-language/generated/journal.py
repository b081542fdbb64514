# Generated from formats/*.ksy by test/cross-language/build-python.mjs (kaitai-struct-compiler 0.10). Do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import Enum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 9):
    raise Exception("Incompatible Kaitai Struct Python API: 0.9 or later is required, but you have %s" % (kaitaistruct.__version__))

class Journal(KaitaiStruct):
    """A JournalStore keeps its state in two files of the same fixed size,
    NAME.jrna and NAME.jrnb. Each is a header, CRC-framed entries appended one
    after another, and zero-filled slack up to the file size. On open, the
    valid file with the higher generation wins.
    
    A frame is the unit of atomicity: a set of one key, a set of many keys
    (setMany), or a clear. A frame whose length is out of range, whose CRC
    fails, or whose generation differs from the header's ends the journal;
    a frame_length of 0 starts the slack, which must be all zero. Writers
    always leave at least 4 bytes of slack, so the end marker is always there.
    
    The header is written when a new generation (the compacted live state) is
    written into the file, and only after the frames it counts and the zero
    slack are durable: committed_length never runs ahead of the frames on
    disk. It is rewritten in place once more at most, to set the superseded
    flag after the next generation is durable in the other file; frames
    appended later are trusted one by one by their CRC.
    
    The flag is what tells a fresh spare (all zero, never written) from a
    newer file that was zeroed or lost: of a valid file whose header says
    superseded, the other file should hold a newer generation, and when it
    does not, its changes are reported lost.
    """

    class FrameOp(Enum):
        set = 1
        clear = 2

    class ValueTag(Enum):
        nil = 0
        bool_false = 1
        bool_true = 2
        int64 = 3
        float64 = 4
        string = 5
        bytes = 6
        array = 7
        object = 8
    def __init__(self, _io, _parent=None, _root=None):
        self._io = _io
        self._parent = _parent
        self._root = _root if _root else self
        self._read()

    def _read(self):
        self.header = Journal.JournalHeader(self._io, self, self._root)
        self.frames = []
        i = 0
        while not self._io.is_eof():
            self.frames.append(Journal.Frame(self._io, self, self._root))
            i += 1


    class ObjectMember(KaitaiStruct):
        """One member of an object."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.key_length = self._io.read_u4le()
            if not self.key_length <= 268435456:
                raise kaitaistruct.ValidationGreaterThanError(268435456, self.key_length, self._io, u"/types/object_member/seq/0")
            self.key = (self._io.read_bytes(self.key_length)).decode(u"UTF-8")
            self.value = Journal.Value(self._io, self, self._root)


    class ObjectValue(KaitaiStruct):
        """String keys to values, in the order written."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.count = self._io.read_u4le()
            if not self.count <= 16777216:
                raise kaitaistruct.ValidationGreaterThanError(16777216, self.count, self._io, u"/types/object_value/seq/0")
            self.members = []
            for i in range(self.count):
                self.members.append(Journal.ObjectMember(self._io, self, self._root))



    class FrameBody(KaitaiStruct):
        """The change a frame makes."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.generation = self._io.read_u8le()
            if not self.generation <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.generation, self._io, u"/types/frame_body/seq/0")
            self.op = KaitaiStream.resolve_enum(Journal.FrameOp, self._io.read_u1())
            if not  ((self.op == Journal.FrameOp.set) or (self.op == Journal.FrameOp.clear)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.op, self._io, u"/types/frame_body/seq/1")
            self.entry_count = self._io.read_u4le()
            if not self.entry_count <= 16777216:
                raise kaitaistruct.ValidationGreaterThanError(16777216, self.entry_count, self._io, u"/types/frame_body/seq/2")
            self.entries = []
            for i in range(self.entry_count):
                self.entries.append(Journal.JournalEntry(self._io, self, self._root))



    class JournalHeader(KaitaiStruct):
        """36 bytes at position 0. header_crc covers bytes 0..31."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.magic = self._io.read_bytes(4)
            if not self.magic == b"\x4C\x4B\x56\x4A":
                raise kaitaistruct.ValidationNotEqualError(b"\x4C\x4B\x56\x4A", self.magic, self._io, u"/types/journal_header/seq/0")
            self.version = self._io.read_u2le()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/journal_header/seq/1")
            self.flags = self._io.read_u2le()
            if not self.flags <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.flags, self._io, u"/types/journal_header/seq/2")
            self.generation = self._io.read_u8le()
            if not self.generation <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.generation, self._io, u"/types/journal_header/seq/3")
            self.file_size = self._io.read_u4le()
            if not self.file_size >= 4096:
                raise kaitaistruct.ValidationLessThanError(4096, self.file_size, self._io, u"/types/journal_header/seq/4")
            if not self.file_size <= 1073741824:
                raise kaitaistruct.ValidationGreaterThanError(1073741824, self.file_size, self._io, u"/types/journal_header/seq/4")
            self.committed_length = self._io.read_u4le()
            if not self.committed_length <= 1073741788:
                raise kaitaistruct.ValidationGreaterThanError(1073741788, self.committed_length, self._io, u"/types/journal_header/seq/5")
            self.created_ms = self._io.read_u8le()
            if not self.created_ms <= 9007199254740991:
                raise kaitaistruct.ValidationGreaterThanError(9007199254740991, self.created_ms, self._io, u"/types/journal_header/seq/6")
            self.header_crc = self._io.read_u4le()


    class Frame(KaitaiStruct):
        """One atomic change. frame_length counts the bytes after the crc field;
        the CRC-32C covers exactly those bytes.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.frame_length = self._io.read_u4le()
            _ = self.frame_length
            if not  ((_ == 0) or ( ((_ >= 13) and (_ <= 1073741824)) )) :
                raise kaitaistruct.ValidationExprError(self.frame_length, self._io, u"/types/frame/seq/0")
            if self.frame_length != 0:
                self.crc = self._io.read_u4le()

            if self.frame_length != 0:
                self._raw_body = self._io.read_bytes(self.frame_length)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Journal.FrameBody(_io__raw_body, self, self._root)

            if self.frame_length == 0:
                self.slack = self._io.read_bytes_full()



    class JournalEntry(KaitaiStruct):
        """One key and its new value; a nil value removes the key."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.key_length = self._io.read_u2le()
            self.key = (self._io.read_bytes(self.key_length)).decode(u"UTF-8")
            self.value = Journal.Value(self._io, self, self._root)


    class StringValue(KaitaiStruct):
        """UTF-8 text."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.length = self._io.read_u4le()
            if not self.length <= 268435456:
                raise kaitaistruct.ValidationGreaterThanError(268435456, self.length, self._io, u"/types/string_value/seq/0")
            self.text = (self._io.read_bytes(self.length)).decode(u"UTF-8")


    class Int64(KaitaiStruct):
        """A signed 64-bit integer as two 32-bit halves, so that readers in
        languages without exact 64-bit numbers (JavaScript) lose nothing:
        value = hi * 2^32 + lo.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.lo = self._io.read_u4le()
            self.hi = self._io.read_s4le()


    class ArrayValue(KaitaiStruct):
        """An ordered list of values."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.count = self._io.read_u4le()
            if not self.count <= 16777216:
                raise kaitaistruct.ValidationGreaterThanError(16777216, self.count, self._io, u"/types/array_value/seq/0")
            self.items = []
            for i in range(self.count):
                self.items.append(Journal.Value(self._io, self, self._root))



    class Value(KaitaiStruct):
        """A JSON-like value, tagged. Arrays and objects nest; writers limit the
        depth to 64.
        """
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.tag = KaitaiStream.resolve_enum(Journal.ValueTag, self._io.read_u1())
            if not  ((self.tag == Journal.ValueTag.nil) or (self.tag == Journal.ValueTag.bool_false) or (self.tag == Journal.ValueTag.bool_true) or (self.tag == Journal.ValueTag.int64) or (self.tag == Journal.ValueTag.float64) or (self.tag == Journal.ValueTag.string) or (self.tag == Journal.ValueTag.bytes) or (self.tag == Journal.ValueTag.array) or (self.tag == Journal.ValueTag.object)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.tag, self._io, u"/types/value/seq/0")
            if  ((self.tag != Journal.ValueTag.nil) and (self.tag != Journal.ValueTag.bool_false) and (self.tag != Journal.ValueTag.bool_true)) :
                _on = self.tag
                if _on == Journal.ValueTag.int64:
                    self.body = Journal.Int64(self._io, self, self._root)
                elif _on == Journal.ValueTag.float64:
                    self.body = self._io.read_f8le()
                elif _on == Journal.ValueTag.array:
                    self.body = Journal.ArrayValue(self._io, self, self._root)
                elif _on == Journal.ValueTag.object:
                    self.body = Journal.ObjectValue(self._io, self, self._root)
                elif _on == Journal.ValueTag.string:
                    self.body = Journal.StringValue(self._io, self, self._root)
                elif _on == Journal.ValueTag.bytes:
                    self.body = Journal.BytesValue(self._io, self, self._root)



    class BytesValue(KaitaiStruct):
        """A byte array."""
        def __init__(self, _io, _parent=None, _root=None):
            self._io = _io
            self._parent = _parent
            self._root = _root if _root else self
            self._read()

        def _read(self):
            self.length = self._io.read_u4le()
            if not self.length <= 268435456:
                raise kaitaistruct.ValidationGreaterThanError(268435456, self.length, self._io, u"/types/bytes_value/seq/0")
            self.data = self._io.read_bytes(self.length)



