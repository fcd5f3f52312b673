# Decodes every record of TensorBoard event files with python3-protobuf and python3-crc32c, checking
# each masked CRC, and prints a digest: tags with their step count, last value, histogram totals.
# Usage: /usr/bin/python3 scripts/decode_tfevents.py LOGDIR   (Debian: python3-protobuf python3-crc32c protobuf-compiler)
# An outside check of tapegrad's event files: TensorFlow's field numbers through protoc's Python code.
import glob, struct, sys, os, subprocess, tempfile
import crc32c
out = tempfile.mkdtemp()
here = os.path.dirname(os.path.abspath(__file__))
subprocess.run(['protoc', '--proto_path=' + os.path.join(here, '..', 'summary'), '--python_out=' + out,
                'tapegrad_event.proto'], check=True)
sys.path.insert(0, out)
import tapegrad_event_pb2 as pb

def masked(c): return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff

def records(path):
    data = open(path, 'rb').read(); i = 0
    while i + 12 <= len(data):
        n, = struct.unpack('<Q', data[i:i+8]); lc, = struct.unpack('<I', data[i+8:i+12])
        assert masked(crc32c.crc32c(data[i:i+8])) == lc, 'length crc'
        body = data[i+12:i+12+n]; dc, = struct.unpack('<I', data[i+12+n:i+16+n])
        assert masked(crc32c.crc32c(body)) == dc, 'data crc'
        yield body; i += 16 + n
    assert i == len(data), 'trailing bytes'

for run in sorted(glob.glob(sys.argv[1] + '/*')):
    tags = {}
    for f in sorted(glob.glob(run + '/events.out.tfevents.*')):
        for k, body in enumerate(records(f)):
            e = pb.Event(); e.ParseFromString(body)
            if k == 0: assert e.file_version == 'brain.Event:2', e
            for v in e.summary.value:
                kind = v.WhichOneof('value')
                val = v.simple_value if kind == 'simple_value' else (v.histo.num, v.histo.sum, len(v.histo.bucket)) if kind == 'histo' else kind
                tags.setdefault(v.tag, []).append((e.step, val))
    print(run, len(tags), 'tags')
    for t in sorted(tags): print('  ', t, 'steps', [s for s, _ in tags[t]], 'last', tags[t][-1][1])
