meta:
  id: snapshot
  title: logkv snapshot (point-in-time state of a store)
  file-extension: snap
  license: MIT
  endian: le
  imports:
    - common
doc: |
  The live state of a store as of one offset: every key that was present and
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
seq:
  - id: header
    type: snapshot_header
    doc: Fixed 36-byte header.
  - id: chunks
    type: chunk
    repeat: until
    repeat-until: _.entry_count == 0
    doc: The chunks, ending with one that holds no entries.
  - id: sha256
    size: 32
    doc: SHA-256 of every byte before it (header and chunks).
types:
  snapshot_header:
    doc: 36 bytes at position 0. header_crc covers bytes 0..31.
    seq:
      - id: magic
        contents: LKVS
        doc: File magic, ASCII "LKVS".
      - id: version
        type: u2
        valid:
          eq: 1
        doc: Format version; this spec describes version 1.
      - id: value_encoding
        type: u1
        enum: common::value_encoding
        valid:
          any-of:
            - common::value_encoding::binary
            - common::value_encoding::utf8
            - common::value_encoding::json
        doc: How the values are encoded.
      - id: reserved
        type: u1
        valid:
          eq: 0
        doc: Reserved, always 0.
      - id: next_offset
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          Every offset below this one is reflected in the snapshot (the last
          offset included plus one); a store restored from it continues here.
      - id: created_ms
        type: u8
        valid:
          max: 9007199254740991
        doc: Timestamp of the newest batch included, ms since the Unix epoch.
      - id: entry_count
        type: u8
        valid:
          max: 4294967295
        doc: Number of entries in all chunks together.
      - id: header_crc
        type: u4
        doc: CRC-32C of header bytes 0..31.
  chunk:
    doc: |
      A run of entries with its own CRC. Writers close a chunk once it holds
      about 64 KiB; readers must accept any split.
    seq:
      - id: entry_count
        type: u4
        valid:
          max: 16777216
        doc: Entries in this chunk; 0 marks the end of the chunk list.
      - id: chunk_length
        type: u4
        valid:
          max: 1073741824
        doc: Bytes of entries that follow the crc field; 0 in the end chunk.
      - id: crc
        type: u4
        doc: CRC-32C of the chunk_length bytes of entries.
      - id: body
        type: chunk_body
        size: chunk_length
        doc: The entries.
  chunk_body:
    doc: The entries of one chunk, filling it exactly.
    seq:
      - id: entries
        type: snapshot_entry
        repeat: expr
        repeat-expr: _parent.entry_count
        doc: The entries, keys ascending across the whole file.
  snapshot_entry:
    doc: |
      One live key. 15 bytes of fixed fields, an optional 8-byte expiry,
      then the key and the value.
    seq:
      - id: flags
        type: u1
        valid:
          max: 1
        doc: Bit 0 has_expiry. Other bits are reserved and must be 0.
      - id: key_length
        type: u2
        doc: Key size in bytes.
      - id: value_length
        type: u4
        valid:
          max: 268435456
        doc: Value size in bytes, at most 256 MiB.
      - id: offset
        type: u8
        valid:
          max: 9007199254740991
        doc: Offset of the record that last set the key.
      - id: expiry
        type: common::expiry
        if: has_expiry
        doc: Present when flags bit 0 is set.
      - id: key
        size: key_length
        doc: The key bytes.
      - id: value
        size: value_length
        doc: The value bytes.
    instances:
      has_expiry:
        value: (flags & 1) != 0
        doc: True when an expiry follows.
