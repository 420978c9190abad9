"""The Python module against the command: same bytes as `nnr encode`, the
reference decoder's output on a shared vector, arrays without copies,
errors as ValueError with the CLI's message, a PyTorch state dict round trip."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

try:
    import numpy as np
except ImportError:
    print("numpy not found: skipped")
    sys.exit(77)
import nnr

CLI = os.environ["NNR_CLI"]
SHARED = os.environ.get("NNR_SHARED_DIR", "")


def model(seed=3):
    rng = np.random.default_rng(seed)
    return {
        "conv.weight": rng.laplace(0, 0.03, (16, 8, 3, 3)).astype(np.float32),
        "conv.bias": rng.normal(0, 0.1, 16).astype(np.float32),
        "fc.weight": rng.laplace(0, 0.02, (10, 64)).astype(np.float32),
        "steps": np.array([1, -2, 3, 400000], dtype=np.int32),
    }


class Module(unittest.TestCase):
    def test_same_bytes_as_the_command(self):
        tensors = model()
        with tempfile.TemporaryDirectory() as d:
            np.savez(os.path.join(d, "m.npz"), **tensors)
            settings = {"qp": -36, "use_dq": False, "scan_order": 2}
            with open(os.path.join(d, "s.json"), "w") as f:
                json.dump(settings, f)
            subprocess.run([CLI, "encode", os.path.join(d, "m.npz"), "-o", os.path.join(d, "m.nnc"), "--settings",
                            os.path.join(d, "s.json"), "-q"], check=True)
            with open(os.path.join(d, "m.nnc"), "rb") as f:
                cli = f.read()
        self.assertEqual(nnr.encode(tensors, settings), cli)
        self.assertEqual(nnr.encode(tensors, qp=-36, use_dq=False, scan_order=2, threads=1), cli)
        self.assertEqual(nnr.encode(tensors, {"qp": -20}, qp=-36, use_dq=False, scan_order=2), cli)

    def test_round_trip_keeps_names_order_shapes(self):
        tensors = model()
        out = nnr.decode(nnr.encode(tensors, qp=-40), threads=2)
        self.assertEqual(list(out), list(tensors))
        for k, v in tensors.items():
            self.assertEqual(out[k].shape, v.shape)
            self.assertEqual(out[k].dtype, np.int32 if v.dtype == np.int32 else np.float32)
        np.testing.assert_array_equal(out["steps"], tensors["steps"])
        self.assertLess(np.abs(out["fc.weight"] - tensors["fc.weight"]).max(), 0.01)
        # The arrays hold the decoder's buffers.
        self.assertFalse(out["fc.weight"].flags.owndata)
        self.assertIsNotNone(out["fc.weight"].base)

    def test_decodes_the_reference_decoders_output(self):
        vec = os.path.join(SHARED, "conformance", "nncodec", "p21_block_bias")
        if not os.path.exists(vec):
            self.skipTest("shared conformance material not found")
        with open(os.path.join(vec, "stream.nnc"), "rb") as f:
            data = f.read()
        with open(os.path.join(vec, "manifest.json")) as f:
            expected = json.load(f)["decoded"]
        out = nnr.decode(data)
        self.assertEqual(list(out), [e["name"] for e in expected])
        for e in expected:
            a = out[e["name"]]
            self.assertEqual(list(a.shape), e["shape"])
            self.assertEqual(hashlib.sha256(a.astype("<" + ("f4" if e["dtype"] == "float32" else "i4")).tobytes())
                             .hexdigest(), e["sha256"])
        info = nnr.inspect(data)
        self.assertEqual(info["size"], len(data))
        self.assertEqual(info["units"][0]["nnr_unit_type"], "NNR_STR")
        self.assertEqual(len(info["tensors"]), len(expected))

    def test_errors_are_value_errors_with_the_commands_message(self):
        data = nnr.encode(model(), qp=-38)
        with self.assertRaises(ValueError) as e:
            nnr.decode(data[:40])
        self.assertIn("byte", str(e.exception))
        with self.assertRaises(ValueError) as e:
            nnr.encode(model(), qp_density=9)
        self.assertIn("qp_density", str(e.exception))
        with self.assertRaises(ValueError) as e:
            nnr.encode(model(), {"no_such_key": 1})
        self.assertIn("no_such_key", str(e.exception))
        with self.assertRaises(ValueError):
            nnr.encode({"w": np.array([1.0, float("nan")], dtype=np.float32)})

    def test_pytorch_state_dict_round_trip(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch not found")
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Flatten(),
                                  torch.nn.Linear(8 * 6 * 6, 10))
        # The three lines of the README.
        stream = nnr.encode({k: v.numpy() for k, v in net.state_dict().items()}, qp=-40)
        back = nnr.decode(stream)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in back.items()})
        for k, v in net.state_dict().items():
            # 0-D tensors (num_batches_tracked) are coded with shape [1].
            self.assertEqual(tuple(v.shape) or (1,), back[k].shape)
        x = torch.randn(2, 3, 8, 8)
        net.eval()
        self.assertEqual(net(x).shape, (2, 10))


    def test_update_sequence_with_a_state(self):
        v = os.path.join(SHARED, "conformance", "nncodec2", "q03_tca_diff_dq")
        if not os.path.isdir(v):
            self.skipTest("shared vectors not found")
        with open(os.path.join(v, "manifest.json")) as f:
            m = json.load(f)
        dec = nnr.DecoderState()
        enc = nnr.DecoderState()
        for st in m["steps"]:
            with open(os.path.join(v, st["dir"], "stream.nnc"), "rb") as f:
                data = f.read()
            out = nnr.decode(data, state=dec)
            for e in st["decoded"]:
                self.assertEqual(hashlib.sha256(out[e["name"]].tobytes()).hexdigest(), e["sha256"])
            # The encoder with the same state gives the reference stream back.
            inputs = {}
            for i in st["inputs"]:
                raw = np.fromfile(os.path.join(v, st["dir"], i["file"]), dtype=np.float32)
                inputs[i["name"]] = raw.reshape(i["shape"])
            settings = dict(st["encoder_settings"], general_profile_idc=1)
            again = nnr.encode(inputs, settings, parent=enc)
            self.assertEqual(hashlib.sha256(again).hexdigest(), st["bitstream"]["sha256"])
            nnr.decode(again, state=enc)
        self.assertEqual(dec.streams, len(m["steps"]))
        with self.assertRaises(ValueError):  # a TCA step without its parents
            with open(os.path.join(v, "step-01", "stream.nnc"), "rb") as f:
                nnr.decode(f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
