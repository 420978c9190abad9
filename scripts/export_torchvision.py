#!/usr/bin/env python3
"""Exports torchvision's VGG16, ResNet50 and MobileNetV2 to the files
`nnr evaluate` / the harness load:

  DIR/<model>.pt          state dict, torch.save(model.state_dict())
  DIR/<model>.ts.pt       TorchScript, torch.jit.script(model).save()
  DIR/<model>.npz         named float32 arrays in state-dict order
                          (num_batches_tracked counters left out)
  DIR/<model>.io.npz      with --reference-io: a seeded input batch ("input",
                          2x3x224x224) and torchvision's logits for it in eval
                          mode ("logits"), to check a reimplementation against

Needs Python with torch and torchvision (Debian: python3-torchvision). With
the default --weights imagenet, torchvision downloads the pretrained weights on
first use (or finds them in its cache). Then, e.g.:

  nnr evaluate resnet50 --variant full --model DIR/resnet50.pt --data /path/to/imagenet/val

--weights none keeps torchvision's own seeded random initialisation: no
download, for checking the export and the loaders offline.
"""
import argparse
import os
import sys

WEIGHTS = {"vgg16": "IMAGENET1K_V1", "resnet50": "IMAGENET1K_V1", "mobilenetv2": "IMAGENET1K_V1"}


def build(torchvision, name, weights):
    w = WEIGHTS[name] if weights == "imagenet" else None
    if name == "vgg16":
        return torchvision.models.vgg16(weights=w)
    if name == "resnet50":
        return torchvision.models.resnet50(weights=w)
    return torchvision.models.mobilenet_v2(weights=w)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--models", nargs="+", default=["vgg16", "resnet50", "mobilenetv2"], choices=sorted(WEIGHTS))
    p.add_argument("--formats", nargs="+", default=["pt", "ts", "npz"], choices=["pt", "ts", "npz"])
    p.add_argument("--weights", default="imagenet", choices=["imagenet", "none"],
                   help="imagenet: torchvision's pretrained weights; none: its seeded random initialisation")
    p.add_argument("--seed", type=int, default=0, help="seed for --weights none and for the reference input")
    p.add_argument("--reference-io", action="store_true", help="also write <model>.io.npz (input and logits)")
    args = p.parse_args()
    try:
        import numpy as np
        import torch
        import torchvision
    except ImportError as e:
        sys.exit(f"export_torchvision.py: needs torch, torchvision and numpy ({e})")

    os.makedirs(args.out, exist_ok=True)
    for name in args.models:
        torch.manual_seed(args.seed)
        model = build(torchvision, name, args.weights).eval()
        if args.weights == "none":
            # Fresh batch-norm statistics are 0 / 1, which would leave them
            # untested: give them seeded values that a loader must carry.
            g = torch.Generator().manual_seed(args.seed + 1)
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                    m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
        state = model.state_dict()
        n = sum(p.numel() for p in model.parameters())
        print(f"{name}: {n} parameters, {len(state)} state-dict entries")
        if "pt" in args.formats:
            torch.save(state, os.path.join(args.out, f"{name}.pt"))
        if "ts" in args.formats:
            torch.jit.script(model).save(os.path.join(args.out, f"{name}.ts.pt"))
        if "npz" in args.formats:
            arrays = {k: v.detach().cpu().numpy().astype(np.float32)
                      for k, v in state.items() if not k.endswith("num_batches_tracked")}
            np.savez(os.path.join(args.out, f"{name}.npz"), **arrays)
        if args.reference_io:
            g = torch.Generator().manual_seed(args.seed + 2)
            x = torch.randn(2, 3, 224, 224, generator=g)
            with torch.no_grad():
                y = model(x)
            np.savez(os.path.join(args.out, f"{name}.io.npz"), input=x.numpy(), logits=y.numpy())


if __name__ == "__main__":
    main()
