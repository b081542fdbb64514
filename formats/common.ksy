meta:
  id: common
  title: logkv shared definitions
  license: MIT
  endian: le
doc: |
  Definitions shared by the logkv formats. Not a file format of its own.
types:
  expiry:
    doc: An absolute expiry time.
    seq:
      - id: expire_at_ms
        type: u8
        valid:
          max: 9007199254740991
        doc: |
          Time after which the key reads as absent, milliseconds since the
          Unix epoch; below 2^53 so every reader holds it exactly.
enums:
  value_encoding:
    0:
      id: binary
      doc: Raw bytes.
    1:
      id: utf8
      doc: UTF-8 text.
    2:
      id: json
      doc: UTF-8 JSON text.
