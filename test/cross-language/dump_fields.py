# Reads store files with the Python parsers generated from formats/*.ksy
# (generated/, kaitai-struct-compiler 0.10, runtime python3-kaitaistruct
# 0.10) and prints every field of every parsed object as JSON, in the shape
# test/cross-language/cross-language.test.ts builds from the JavaScript
# parsers: objects as {field: value} with names lower-cased and without
# underscores, seq fields and value instances alike; bytes as {"hex": ...};
# enums as their number; non-finite floats and -0 tagged.
#
#   /usr/bin/python3 dump_fields.py < jobs.json     jobs: [{"path", "kind"}]
import json
import math
import os
import sys
from enum import Enum

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'generated'))

from kaitaistruct import KaitaiStruct  # noqa: E402
import common  # noqa: E402
import hint  # noqa: E402
import journal  # noqa: E402
import log_segment  # noqa: E402
import segment_index  # noqa: E402
import snapshot  # noqa: E402
import store_identity  # noqa: E402

# kaitai-struct-compiler 0.10, run through its JavaScript build, emits no
# import for `meta.imports`: the modules refer to Common without importing
# it. Give it to them here rather than touch the generated files.
for module in (hint, log_segment, snapshot):
    module.Common = common.Common
Hint, Journal, LogSegment, Snapshot = hint.Hint, journal.Journal, log_segment.LogSegment, snapshot.Snapshot

TOP = {'segment': LogSegment, 'hint': Hint, 'index': segment_index.SegmentIndex, 'journal': Journal, 'snapshot': Snapshot, 'identity': store_identity.StoreIdentity}


def norm(name):
    return name.replace('_', '').lower()


def walk(x):
    if isinstance(x, KaitaiStruct):
        out = {}
        for name, v in vars(x).items():
            if not name.startswith('_'):
                out[norm(name)] = walk(v)
        for cls in type(x).__mro__:
            for name, attr in vars(cls).items():
                if isinstance(attr, property) and not name.startswith('_'):
                    out[norm(name)] = walk(getattr(x, name))
        return out
    if isinstance(x, list):
        return [walk(v) for v in x]
    if isinstance(x, (bytes, bytearray)):
        return {'hex': bytes(x).hex()}
    if isinstance(x, Enum):
        return x.value
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, float):
        if math.isnan(x):
            return {'special': 'NaN'}
        if math.isinf(x):
            return {'special': 'Infinity' if x > 0 else '-Infinity'}
        if x == 0 and math.copysign(1, x) < 0:
            return {'special': '-0'}
        return x
    if isinstance(x, int):
        return x
    raise TypeError('cannot walk %r' % (x,))


def main():
    for job in json.load(sys.stdin):
        try:
            parsed = TOP[job['kind']].from_file(job['path'])
            result = {'path': job['path'], 'fields': walk(parsed)}
        except Exception as e:  # the parser refusing a file is a result too
            result = {'path': job['path'], 'error': type(e).__name__}
        print(json.dumps(result, sort_keys=True))


main()
