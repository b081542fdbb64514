meta:
  id: segment_index
  title: logkv segment index (hash-ordered fixed slots over one segment)
  file-extension: index
  license: MIT
  endian: le
doc: |
  Written beside a segment's hint (same base name, extension .index), from
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
seq:
  - id: header
    type: index_header
    doc: Fixed 44-byte header.
  - id: slots
    type: slot
    repeat: expr
    repeat-expr: header.slot_count
    doc: The slots, ascending by (key_hash, position).
  - id: trailer
    type: index_trailer
    doc: Slot count again and CRC-32C of every slot byte, the last 8 bytes.
types:
  index_header:
    doc: 44 bytes at position 0. header_crc covers bytes 0..39.
    seq:
      - id: magic
        contents: LKVX
        doc: File magic, ASCII "LKVX".
      - id: version
        type: u2
        valid:
          eq: 1
        doc: Format version; this spec describes version 1.
      - id: reserved
        type: u2
        valid:
          eq: 0
        doc: Reserved, always 0.
      - id: segment_base_offset
        type: u8
        valid:
          max: 9007199254740991
        doc: Base offset of the segment this index describes.
      - id: segment_next_offset
        type: u8
        valid:
          max: 9007199254740991
        doc: One past the last offset the segment holds (the hint's).
      - id: covered_length
        type: u8
        valid:
          max: 4294967295
        doc: |
          Length in bytes of the segment the index was made from. A segment
          of any other length does not match its index.
      - id: slot_count
        type: u4
        doc: Number of slots that follow.
      - id: last_batch_position
        type: u4
        doc: |
          Byte position of the segment's last batch (0 when it holds none).
          Opening a store whose newest segment was closed cleanly checks
          that batch (whole, ending at covered_length and at
          segment_next_offset) instead of following every batch from the
          header; the batches before it are checked after open.
      - id: header_crc
        type: u4
        doc: CRC-32C of header bytes 0..39.
  slot:
    doc: |
      24 bytes: where the newest record of one key sits in the segment.
    seq:
      - id: key_hash
        type: u4
        doc: |
          murmur3_x86_32 of the key bytes with seed 0x9747b28c (the key
          directory's hash). Slots ascend by it; equal hashes by position.
      - id: position
        type: u4
        doc: Byte position of the record in the segment file.
      - id: size
        type: u4
        valid:
          min: 16
          max: 268501015
        doc: Encoded size of the record in bytes (the hint's bounds).
      - id: offset
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          Log offset of the record (a record holds only its delta from its
          batch's base offset).
      - id: slot_crc
        type: u4
        doc: CRC-32C of the slot's first 20 bytes.
  index_trailer:
    doc: The last 8 bytes.
    seq:
      - id: slot_count
        type: u4
        doc: Number of slots; must equal the header's.
      - id: slots_crc
        type: u4
        doc: CRC-32C of every byte between the header and the trailer.
