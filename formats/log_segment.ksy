meta:
  id: log_segment
  title: logkv log segment (the write-ahead log)
  file-extension: log
  license: MIT
  endian: le
  imports:
    - common
doc: |
  One segment of a logkv store's append-only log, named by its base offset
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
seq:
  - id: header
    type: segment_header
    doc: Fixed 28-byte file header.
  - id: batches
    type: batch
    repeat: eos
    doc: |
      The batches, in offset order, up to the end of the file. A reader that
      must survive a torn tail drives this loop itself, batch by batch.
types:
  segment_header:
    doc: |
      28 bytes at position 0. header_crc covers bytes 0..23.
    seq:
      - id: magic
        contents: LKVL
        doc: File magic, ASCII "LKVL".
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
        doc: How the store's values are encoded, so tools can show them.
      - id: reserved
        type: u1
        valid:
          eq: 0
        doc: Reserved, always 0.
      - id: base_offset
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          Offset of the first record this segment may hold; the file is named
          after it. Offsets stay below 2^53 so every reader can hold them
          exactly in a double.
      - id: created_ms
        type: u8
        valid:
          max: 9007199254740991
        doc: Creation time, milliseconds since the Unix epoch.
      - id: header_crc
        type: u4
        doc: CRC-32C (Castagnoli) of header bytes 0..23.
  batch:
    doc: |
      One atomic group of records. batch_length counts the bytes after the
      batch_length field (crc, header and records). The CRC-32C covers the
      bytes after the crc field up to the end of the batch. A batch_length of
      0 is the end-of-log marker: the rest of the file is zero fill.
    seq:
      - id: batch_length
        type: u4
        valid:
          expr: _ == 0 or (_ >= 46 and _ <= 1073741824)
        doc: |
          Bytes that follow this field in the batch: 4 (crc) + 26 (header) +
          the records, so at least 46 (one record with an empty key and
          value) and at most 1 GiB. 0 marks the end of the log.
      - id: crc
        type: u4
        if: batch_length != 0
        doc: |
          CRC-32C of the batch_length - 4 bytes that follow this field.
      - id: header
        type: batch_header
        if: batch_length != 0
        doc: Offsets, time and record count of the batch.
      - id: records
        type: record
        repeat: expr
        repeat-expr: header.record_count
        if: batch_length != 0
        doc: |
          The records. Their encoded sizes add up to exactly
          batch_length - 30; a reader rejects a batch where they do not.
      - id: zero_fill
        size-eos: true
        if: batch_length == 0
        doc: |
          Preallocated space after the last batch. Every byte must be 0; a
          non-zero byte here is damage (for example a torn write whose first
          page was lost) and is reported at its position.
  batch_header:
    doc: 26 bytes, between the crc and the first record.
    seq:
      - id: base_offset
        type: u8
        valid:
          max: 9007199254740991
        doc: Offset of the first record; at least the segment's base offset.
      - id: last_offset_delta
        type: u4
        doc: |
          Offset of the last record minus base_offset. Equals
          record_count - 1 unless the cleaner removed records (gaps).
      - id: timestamp_ms
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          When the batch was first appended, milliseconds since the Unix
          epoch. The cleaner keeps it when it rewrites a batch.
      - id: attributes
        type: u2
        valid:
          max: 1
        doc: |
          Bit 0: compacted (written by the log cleaner, may have gaps).
          Other bits are reserved and must be 0.
      - id: record_count
        type: u4
        valid:
          min: 1
          max: 16777216
        doc: Number of records in the batch, 1 to 2^24.
    instances:
      is_compacted:
        value: (attributes & 1) != 0
        doc: True when the log cleaner wrote this batch.
  record:
    doc: |
      One put or delete. 16 bytes of fixed fields, an optional 8-byte
      expiry, then the key and the value.
    seq:
      - id: crc
        type: u4
        doc: |
          CRC-32C of the rest of the record (op through value). The batch
          CRC already covers these bytes; this one lets a point read check
          the single record it fetches, so a byte damaged after the log was
          opened is never returned as data.
      - id: op
        type: u1
        enum: op
        valid:
          any-of:
            - op::put
            - op::delete
        doc: What the record does to its key.
      - id: flags
        type: u1
        valid:
          max: 1
        doc: Bit 0 has_expiry. Other bits are reserved and must be 0.
      - id: offset_delta
        type: u4
        doc: |
          This record's offset minus the batch's base_offset; strictly
          increasing within a batch, at most last_offset_delta.
      - id: key_length
        type: u2
        doc: Key size in bytes, 0 to 65535.
      - id: value_length
        type: u4
        valid:
          max: 268435456
        doc: Value size in bytes, at most 256 MiB; always 0 for a delete.
      - id: expiry
        type: common::expiry
        if: has_expiry
        doc: |
          Time after which the key reads as absent. Only present when flags
          bit 0 is set.
      - id: key
        size: key_length
        doc: The key bytes; keys order by unsigned byte comparison.
      - id: value
        size: value_length
        doc: The value bytes, encoded as the header's value_encoding says.
    instances:
      has_expiry:
        value: (flags & 1) != 0
        doc: True when expire_at_ms is present.
enums:
  op:
    1:
      id: put
      doc: Sets the key to the value.
    2:
      id: delete
      doc: Removes the key (a tombstone); value_length is 0.
