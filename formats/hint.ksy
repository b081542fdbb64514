meta:
  id: hint
  title: logkv hint file (key directory of one sealed segment)
  file-extension: hint
  license: MIT
  endian: le
  imports:
    - common
doc: |
  Written beside a sealed log segment (same base name, extension .hint) so
  that opening a store loads the key directory without reading the segment.
  Holds one entry per key the segment still decides: its newest record in
  that segment, tombstones included, so that a delete in a newer segment
  still hides a value in an older one.

  The file is written whole to a temporary name, fsynced and renamed into
  place; it is never appended to. A hint that fails any check (header CRC,
  trailer CRC or count, a length out of range, or a segment whose length is
  not covered_length) is never trusted: the segment is rescanned and the
  hint rewritten.
seq:
  - id: header
    type: hint_header
    doc: Fixed 36-byte header.
  - id: entries
    type: hint_entries
    size: _io.size - 44
    doc: |
      The entries: every byte between the header and the 8-byte trailer.
  - id: trailer
    type: hint_trailer
    doc: Entry count and CRC-32C of the entries, the last 8 bytes.
types:
  hint_header:
    doc: 36 bytes at position 0. header_crc covers bytes 0..31.
    seq:
      - id: magic
        contents: LKVH
        doc: File magic, ASCII "LKVH".
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
        doc: Base offset of the segment this hint describes.
      - id: segment_next_offset
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          One past the last offset the segment holds (equal to
          segment_base_offset when it holds none).
      - id: covered_length
        type: u8
        valid:
          max: 4294967295
        doc: |
          Length in bytes of the segment the hint was made from. A segment of
          any other length does not match its hint.
      - id: header_crc
        type: u4
        doc: CRC-32C of header bytes 0..31.
  hint_entries:
    doc: The entries, in no particular order, each key at most once.
    seq:
      - id: entries
        type: hint_entry
        repeat: eos
        doc: One entry per key.
  hint_entry:
    doc: |
      Where the newest record of one key sits in the segment. 19 bytes of
      fixed fields, an optional 8-byte expiry, then the key.
    seq:
      - id: flags
        type: u1
        valid:
          max: 3
        doc: |
          Bit 0 tombstone (the newest record deletes the key), bit 1
          has_expiry. Other bits are reserved and must be 0.
      - id: key_length
        type: u2
        doc: Key size in bytes.
      - id: offset
        type: u8
        valid:
          max: 9007199254740991
        doc: Offset of the record.
      - id: position
        type: u4
        doc: Byte position of the record in the segment file.
      - id: size
        type: u4
        valid:
          min: 16
          max: 268501015
        doc: |
          Encoded size of the record in bytes: 16 fixed, 8 expiry, a key of
          up to 65535 and a value of up to 256 MiB at most.
      - id: expiry
        type: common::expiry
        if: has_expiry
        doc: Expiry of the record; present when flags bit 1 is set.
      - id: key
        size: key_length
        doc: The key bytes.
    instances:
      is_tombstone:
        value: (flags & 1) != 0
        doc: True when the newest record of the key is a delete.
      has_expiry:
        value: (flags & 2) != 0
        doc: True when an expiry follows.
  hint_trailer:
    doc: The last 8 bytes.
    seq:
      - id: entry_count
        type: u4
        doc: Number of entries; must equal the entries parsed.
      - id: entries_crc
        type: u4
        doc: CRC-32C of every byte between the header and the trailer.
