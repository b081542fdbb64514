meta:
  id: journal
  title: logkv journal file (one of a JournalStore's two fixed-size files)
  file-extension:
    - jrna
    - jrnb
  license: MIT
  endian: le
doc: |
  A JournalStore keeps its state in two files of the same fixed size,
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
seq:
  - id: header
    type: journal_header
    doc: Fixed 36-byte header.
  - id: frames
    type: frame
    repeat: eos
    doc: The frames, oldest first, then the slack.
types:
  journal_header:
    doc: 36 bytes at position 0. header_crc covers bytes 0..31.
    seq:
      - id: magic
        contents: LKVJ
        doc: File magic, ASCII "LKVJ".
      - id: version
        type: u2
        valid:
          eq: 1
        doc: Format version; this spec describes version 1.
      - id: flags
        type: u2
        valid:
          max: 1
        doc: |
          Bit 0 superseded: a newer generation was made durable in the other
          file after this one (set on the older file right after a switch).
          Other bits are reserved and must be 0.
      - id: generation
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          Raised by one each time the live state is rewritten into a file;
          of two valid files the higher generation is the current one.
      - id: file_size
        type: u4
        valid:
          min: 4096
          max: 1073741824
        doc: Size of the file in bytes (the journal's buffer size).
      - id: committed_length
        type: u4
        valid:
          max: 1073741788
        doc: |
          Bytes of frames after the header known durable when the header was
          written. Frames up to here must all be valid; frames after it are
          accepted one by one while valid.
      - id: created_ms
        type: u8
        valid:
          max: 9007199254740991
        doc: When this generation was written, ms since the Unix epoch.
      - id: header_crc
        type: u4
        doc: CRC-32C of header bytes 0..31.
  frame:
    doc: |
      One atomic change. frame_length counts the bytes after the crc field;
      the CRC-32C covers exactly those bytes.
    seq:
      - id: frame_length
        type: u4
        valid:
          expr: _ == 0 or (_ >= 13 and _ <= 1073741824)
        doc: |
          Bytes after the crc field: 8 (generation) + 1 (op) + 4 (count) +
          the entries. 0 marks the start of the slack.
      - id: crc
        type: u4
        if: frame_length != 0
        doc: CRC-32C of the frame_length bytes that follow.
      - id: body
        type: frame_body
        size: frame_length
        if: frame_length != 0
        doc: The change.
      - id: slack
        size-eos: true
        if: frame_length == 0
        doc: Unused space to the end of the file; every byte must be 0.
  frame_body:
    doc: The change a frame makes.
    seq:
      - id: generation
        type: u8
        valid:
          max: 9007199254740991
        doc: The header's generation; a frame left over from another one is not part of this journal.
      - id: op
        type: u1
        enum: frame_op
        valid:
          any-of:
            - frame_op::set
            - frame_op::clear
        doc: What the frame does.
      - id: entry_count
        type: u4
        valid:
          max: 16777216
        doc: Number of entries; 0 for a clear.
      - id: entries
        type: journal_entry
        repeat: expr
        repeat-expr: entry_count
        doc: Keys and their new values, applied in order.
  journal_entry:
    doc: One key and its new value; a nil value removes the key.
    seq:
      - id: key_length
        type: u2
        doc: Key size in bytes.
      - id: key
        type: str
        size: key_length
        encoding: UTF-8
        doc: The key, UTF-8.
      - id: value
        type: value
        doc: The new value.
  value:
    doc: |
      A JSON-like value, tagged. Arrays and objects nest; writers limit the
      depth to 64.
    seq:
      - id: tag
        type: u1
        enum: value_tag
        valid:
          any-of:
            - value_tag::nil
            - value_tag::bool_false
            - value_tag::bool_true
            - value_tag::int64
            - value_tag::float64
            - value_tag::string
            - value_tag::bytes
            - value_tag::array
            - value_tag::object
        doc: Which kind of value follows.
      - id: body
        type:
          switch-on: tag
          cases:
            value_tag::int64: int64
            value_tag::float64: f8
            value_tag::string: string_value
            value_tag::bytes: bytes_value
            value_tag::array: array_value
            value_tag::object: object_value
        if: tag != value_tag::nil and tag != value_tag::bool_false and tag != value_tag::bool_true
        doc: The value itself; absent for nil and the two booleans.
  int64:
    doc: |
      A signed 64-bit integer as two 32-bit halves, so that readers in
      languages without exact 64-bit numbers (JavaScript) lose nothing:
      value = hi * 2^32 + lo.
    seq:
      - id: lo
        type: u4
        doc: Low 32 bits, unsigned.
      - id: hi
        type: s4
        doc: High 32 bits, signed.
  string_value:
    doc: UTF-8 text.
    seq:
      - id: length
        type: u4
        valid:
          max: 268435456
        doc: Size in bytes, at most 256 MiB.
      - id: text
        type: str
        size: length
        encoding: UTF-8
        doc: The text.
  bytes_value:
    doc: A byte array.
    seq:
      - id: length
        type: u4
        valid:
          max: 268435456
        doc: Size in bytes, at most 256 MiB.
      - id: data
        size: length
        doc: The bytes.
  array_value:
    doc: An ordered list of values.
    seq:
      - id: count
        type: u4
        valid:
          max: 16777216
        doc: Number of items.
      - id: items
        type: value
        repeat: expr
        repeat-expr: count
        doc: The items.
  object_value:
    doc: String keys to values, in the order written.
    seq:
      - id: count
        type: u4
        valid:
          max: 16777216
        doc: Number of members.
      - id: members
        type: object_member
        repeat: expr
        repeat-expr: count
        doc: The members.
  object_member:
    doc: One member of an object.
    seq:
      - id: key_length
        type: u4
        valid:
          max: 268435456
        doc: Size of the member name in bytes.
      - id: key
        type: str
        size: key_length
        encoding: UTF-8
        doc: The member name.
      - id: value
        type: value
        doc: The member value.
enums:
  frame_op:
    1:
      id: set
      doc: Set each entry's key to its value (nil removes it).
    2:
      id: clear
      doc: Remove every key.
  value_tag:
    0:
      id: nil
      doc: null.
    1:
      id: bool_false
      doc: false.
    2:
      id: bool_true
      doc: true.
    3:
      id: int64
      doc: A 64-bit signed integer (int64 type).
    4:
      id: float64
      doc: An IEEE 754 double, little-endian.
    5:
      id: string
      doc: UTF-8 text (string_value).
    6:
      id: bytes
      doc: A byte array (bytes_value).
    7:
      id: array
      doc: A list (array_value).
    8:
      id: object
      doc: String-keyed members (object_member).
