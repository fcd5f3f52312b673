#!/usr/bin/python3
"""The TensorBoard event file tapegrad's summary::Writer must write, byte for byte.

Run: cd tests/golden && /usr/bin/python3 gen_tfevents.py   (writes tfevents.json beside this file)

Needs Debian's protobuf-compiler, python3-protobuf, python3-crc32c and python3-numpy. The messages are
encoded by python3-protobuf from summary/tapegrad_event.proto (compiled here by protoc into a
temporary directory); the TFRecord CRCs come from python3-crc32c; the histogram buckets from numpy
with TensorFlow's rule (tensorflow/core/lib/histogram/histogram.cc: limits growing by 10% from 1e-12
to 1e20, mirrored, with 0 and +-DBL_MAX; a value goes to the first bucket whose limit exceeds it,
np.searchsorted(side="right"); runs of empty buckets collapse into one entry holding the run's last
limit). `protoc --decode_raw` of one record is stored too, as the C++ test can run the same protoc.
"""
import importlib
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import crc32c
import google.protobuf
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DBL_MAX = sys.float_info.max


def load_proto():
    out = tempfile.mkdtemp(prefix="tg_proto_")
    subprocess.run(["protoc", "-I", ROOT, "--python_out", out, "summary/tapegrad_event.proto"], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("summary.tapegrad_event_pb2")


pb = load_proto()


class Lcg:
    """Numerical Recipes' 32-bit LCG on a 1/256 grid, as common.mjs and gen_torch.py."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return self.state

    def uniform(self, n, lo, hi):
        return [lo + math.floor((self.next() / 4294967296) * (hi - lo) * 256) / 256 for _ in range(n)]


# ---- TensorFlow's histogram, in numpy --------------------------------------------------------
def default_limits():
    pos, v = [], 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(DBL_MAX)
    return np.array([-x for x in reversed(pos)] + [0.0] + pos, dtype=np.float64)


LIMITS = default_limits()


def histogram(values):
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    idx = np.minimum(np.searchsorted(LIMITS, x, side="right"), len(LIMITS) - 1)
    counts = np.bincount(idx, minlength=len(LIMITS)).astype(np.float64)
    mn, mx, s, sq = DBL_MAX, -DBL_MAX, 0.0, 0.0
    for v in x.tolist():  # in element order, as TensorFlow's Histogram::Add accumulates
        if mn > v:
            mn = v
        if mx < v:
            mx = v
        s += v
        sq += v * v
    limits, buckets, i = [], [], 0
    while i < len(counts):
        end, count = LIMITS[i], counts[i]
        i += 1
        if count <= 0.0:
            while i < len(counts) and counts[i] <= 0.0:
                end = LIMITS[i]
                i += 1
        limits.append(float(end))
        buckets.append(float(count))
    return {"min": mn, "max": mx, "num": float(len(x)), "sum": s, "sum_squares": sq,
            "bucket_limit": limits, "bucket": buckets}


# ---- events and records ----------------------------------------------------------------------
def frame(data):
    def masked(b):
        c = crc32c.crc32c(b)
        return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked(head)) + data + struct.pack("<I", masked(data)), masked(head), masked(data)


def value_event(wall, step, fill):
    e = pb.Event(wall_time=wall, step=step)
    v = e.summary.value.add()
    fill(v)
    return e


def main():
    base, tick = 1700000000.5, 0.125  # the test's clock: base + tick * k for the k-th reading
    lcg = Lcg(1313)
    kernel = lcg.uniform(20, -2, 2)  # exact in float32
    edges = [0.0, -0.0, 1e-13, -1e-13, float(LIMITS[775]), -float(LIMITS[775]), float(LIMITS[800]),
             float(np.nextafter(LIMITS[800], 0)), 1.0, 1.0, 2.5, -7.25, 1e20, 1e21, -1e150, 5e-324]
    ops = [
        {"kind": "scalar", "tag": "loss", "value": 0.6931471805599453, "step": 1},
        {"kind": "scalar", "tag": "epoch_accuracy", "value": 0.875, "step": 2},
        {"kind": "scalar", "tag": "train/learning_rate", "value": 1e-3, "step": 1234567890123},
        {"kind": "histogram", "tag": "dense/kernel/histogram", "step": 3,
         "values": {"shape": [4, 5], "dtype": "float32", "data": kernel}},
        {"kind": "histogram", "tag": "edges", "step": 4,
         "values": {"shape": [len(edges)], "dtype": "float64", "data": edges}},
        {"kind": "histogram", "tag": "empty", "step": 5, "values": {"shape": [0], "dtype": "float64", "data": []}},
        {"kind": "text", "tag": "notes", "text": "hello **tapegrad** \u2713", "step": 6},
    ]
    events = [pb.Event(wall_time=base, step=0, file_version="brain.Event:2")]
    hists = {}
    for k, op in enumerate(ops, start=1):
        wall = base + tick * k
        if op["kind"] == "scalar":
            events.append(value_event(wall, op["step"], lambda v, op=op: (
                setattr(v, "tag", op["tag"]), setattr(v, "simple_value", op["value"]))))
        elif op["kind"] == "histogram":
            h = histogram(op["values"]["data"])
            hists[op["tag"]] = h

            def fill(v, op=op, h=h):
                v.tag = op["tag"]
                for key in ("min", "max", "num", "sum", "sum_squares"):
                    setattr(v.histo, key, h[key])
                v.histo.bucket_limit.extend(h["bucket_limit"])
                v.histo.bucket.extend(h["bucket"])
            events.append(value_event(wall, op["step"], fill))
        else:
            def fill(v, op=op):
                v.tag = op["tag"]
                v.metadata.plugin_data.plugin_name = "text"
                v.metadata.data_class = pb.DATA_CLASS_TENSOR
                v.tensor.dtype = pb.DT_STRING
                v.tensor.tensor_shape.SetInParent()  # a scalar: present, no dims
                v.tensor.string_val.append(op["text"].encode("utf-8"))
            events.append(value_event(wall, op["step"], fill))
    blob, records, offset = b"", [], 0
    for e in events:
        data = e.SerializeToString()
        framed, crc_len, crc_data = frame(data)
        records.append({"offset": offset, "length": len(data), "length_crc": crc_len, "data_crc": crc_data})
        blob += framed
        offset += len(framed)
    raw = subprocess.run(["protoc", "--decode_raw"], input=events[1].SerializeToString(), capture_output=True,
                         check=True).stdout.decode()
    # A larger histogram: values over many decades, both signs, to exercise the bucketing.
    spread = [v * 10.0 ** e for v, e in zip(lcg.uniform(300, -1, 1), [int(x) for x in lcg.uniform(300, -15, 25)])]
    out = {
        "generator": "tests/golden/gen_tfevents.py",
        "what": "summary::Writer's event file for a fixed clock; TFRecord CRCs; TensorFlow histogram buckets",
        "protobuf_version": google.protobuf.__version__,
        "crc32c_of_123456789": crc32c.crc32c(b"123456789"),
        "clock": {"base": base, "tick": tick},
        "ops": ops,
        "file_hex": blob.hex(),
        "records": records,
        "histograms": hists,
        "decode_raw": {"record": 1, "text": raw},
        "bucket_count": len(LIMITS),
        "spread": {"values": {"shape": [len(spread)], "dtype": "float64", "data": spread}, "histogram": histogram(spread)},
    }
    path = os.path.join(HERE, "tfevents.json")
    with open(path, "w") as f:
        f.write(dump(out, 0) + "\n")
    print(f"wrote {path}: {len(blob)} bytes of events, {len(records)} records")


# ---- JSON with 17 significant digits (-0.0 kept) ---------------------------------------------
def num(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x} cannot go into JSON")
    s = format(x, ".17g")
    return s if any(c in s for c in ".en") else s + ".0"


def dump(v, indent):
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(v, (bool, str)) or v is None:
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        return num(v)
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            return "[" + ", ".join(num(x) for x in v) + "]"
        return "[\n" + ",\n".join(inner + dump(x, indent + 1) for x in v) + "\n" + pad + "]"
    return "{\n" + ",\n".join(inner + json.dumps(k) + ": " + dump(x, indent + 1) for k, x in v.items()) + "\n" + pad + "}"


if __name__ == "__main__":
    main()
