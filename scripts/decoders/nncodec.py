#!/usr/bin/env python3
"""NNCodec (the NNR reference software) as a decoder command for `nnr conform`.

    nnr conform SUITE --decoder 'python3 scripts/decoders/nncodec.py {bitstream} {outdir}'

Decodes BITSTREAM with `nnc.decompress` and writes one .npy per tensor into
OUTDIR, named as `nnr decode` names them (every character outside
[A-Za-z0-9._-] replaced by '_'), plus index.json. NNCodec itself is not part
of this project: install it yourself and make `nnc` importable (PYTHONPATH, or
NNCODEC_PATH pointing at its checkout).

The output follows the conformance rule of the specification (3.4, 3.5):
local scaling is applied, batch-norm folding is not undone, decomposed
weights are output as G and H (not recomposed), and codebook tensors, which
NNCodec returns in float64, are rounded to float32.
"""
import json
import os
import re
import sys


def sanitize(name):
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "_" * len(s) if s in (".", "..") else s


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: nncodec.py BITSTREAM OUTDIR\n")
        return 2
    bitstream, outdir = argv[1], argv[2]
    if os.environ.get("NNCODEC_PATH"):
        sys.path.insert(0, os.environ["NNCODEC_PATH"])
    import numpy as np
    import nnc
    import nnc_core

    # Recomposing G x H is post-processing outside the bitstream semantics (3.4 c).
    nnc_core.approximator.recompose_params = lambda info, data: data
    params = nnc.decompress(bitstream, verbose=False, reconstruct_bnf=False)

    os.makedirs(outdir, exist_ok=True)
    index, used = [], set()
    for name, value in params.items():
        a = np.asarray(value)
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int32)
        a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
        base = sanitize(name)
        file, k = base + ".npy", 1
        while file in used:
            file, k = "%s-%d.npy" % (base, k), k + 1
        used.add(file)
        np.save(os.path.join(outdir, file), a)
        index.append({"name": name, "file": file, "dtype": str(a.dtype), "shape": list(a.shape)})
    with open(os.path.join(outdir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
