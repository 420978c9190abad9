#!/usr/bin/env python3
"""NNCodec (the MPEG NNR reference software) as an external codec of `nnr run`.

For users who have NNCodec installed (`import nnc` works); this script only
imports it.

    nncodec.py encode INPUT.npz STREAM [--settings SETTINGS.json]
    nncodec.py decode STREAM OUTDIR

In a run file:
    {"type": "external", "label": "nncodec",
     "encode": "python3 scripts/codecs/nncodec.py encode {input} {bitstream} --settings {settings}",
     "decode": "python3 scripts/codecs/nncodec.py decode {bitstream} {outdir}",
     "sweep": {"qp": [-38, -32]}}

Settings keys are those of `nnr encode --settings`; the ones nnc.compress takes
are passed on, `model_kind` is ignored (a plain dictionary of arrays is given).
"""
import argparse
import json
import os
import re
import sys

# Keyword arguments of nnc.compress that the settings schema shares.
PASSED_ON = ("qp", "qp_density", "nonweight_qp", "qp_per_tensor", "use_dq", "codebook_mode",
             "scan_order", "lambda_scale", "param_opt", "cabac_unary_length_minus1", "opt_qp",
             "bnf", "block_id_and_param_type")


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("encode")
    e.add_argument("input")
    e.add_argument("stream")
    e.add_argument("--settings")
    d = sub.add_parser("decode")
    d.add_argument("stream")
    d.add_argument("outdir")
    args = ap.parse_args()
    try:
        import numpy as np
        import nnc
    except ImportError as err:
        sys.exit(f"nncodec.py: NNCodec is not installed here ({err})")

    if args.cmd == "encode":
        settings = {}
        if args.settings:
            with open(args.settings) as f:
                settings = json.load(f)
        kwargs = {k: v for k, v in settings.items() if k in PASSED_ON}
        with np.load(args.input) as z:
            params = {k: z[k] for k in z.files}
        nnc.compress(params, bitstream_path=args.stream, verbose=False, **kwargs)
    else:
        os.makedirs(args.outdir, exist_ok=True)
        out = nnc.decompress(args.stream, verbose=False)
        for name, value in out.items():
            np.save(os.path.join(args.outdir, sanitize(name) + ".npy"), np.ascontiguousarray(value))


if __name__ == "__main__":
    main()
