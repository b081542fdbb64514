meta:
  id: store_identity
  title: logkv store identity (the IDENTITY file that marks a store directory)
  license: MIT
  endian: le
doc: |
  The file IDENTITY in a store directory says that the directory is a logkv
  store and which one. It is written once, when the store is created (or,
  for a store made before this file existed, at its first writable open),
  before any other file of the store: to a temporary name, fsynced, renamed
  into place, the directory fsynced. It is never changed afterwards.

  Opening a directory checks it first. A directory without it that is not
  empty is not a store, and nothing in it is touched; a directory whose
  IDENTITY fails a check is damaged, and opening it fails. Only in a
  directory marked by it does opening or repairing remove files, and then
  only files of the store's own kinds, named by its own rules.

  store_id tells one store from another: a copy made by restore, or a
  follower, is a store of its own and gets its own id. The whole file is
  exactly 36 bytes.
seq:
  - id: magic
    contents: LKVI
    doc: File magic, ASCII "LKVI".
  - id: version
    type: u2
    valid:
      eq: 1
    doc: Format version; this spec describes version 1.
  - id: flags
    type: u2
    valid:
      eq: 0
    doc: Reserved, always 0.
  - id: store_id
    size: 16
    doc: |
      16 random bytes chosen when the store was created (a version 4 UUID's
      worth of randomness, kept as bytes).
  - id: created_ms
    type: u8
    valid:
      max: 9007199254740991
    doc: When the store was created, milliseconds since the Unix epoch.
  - id: crc
    type: u4
    doc: CRC-32C of bytes 0..31.
