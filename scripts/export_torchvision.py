#!/usr/bin/env python3
"""Exports torchvision's pretrained ImageNet VGG16, ResNet50 and MobileNetV2 to
the files `nnr evaluate` / the harness load:

  DIR/<model>.pt          state dict, torch.save(model.state_dict())
  DIR/<model>.ts.pt       TorchScript, torch.jit.script(model).save()
  DIR/<model>.npz         named float32 arrays in state-dict order
                          (num_batches_tracked counters left out)

Needs Python with torch and torchvision, and the weights (downloaded by
torchvision on first use, or already in its cache). Then, e.g.:

  nnr evaluate resnet50 --variant full --model DIR/resnet50.pt --data /path/to/imagenet/val
"""
import argparse
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--models", nargs="+", default=["vgg16", "resnet50", "mobilenetv2"],
                   choices=["vgg16", "resnet50", "mobilenetv2"])
    p.add_argument("--formats", nargs="+", default=["pt", "ts", "npz"], choices=["pt", "ts", "npz"])
    args = p.parse_args()
    try:
        import numpy as np
        import torch
        import torchvision
    except ImportError as e:
        sys.exit(f"export_torchvision.py: needs torch, torchvision and numpy ({e})")

    builders = {
        "vgg16": lambda: torchvision.models.vgg16(weights="IMAGENET1K_V1"),
        "resnet50": lambda: torchvision.models.resnet50(weights="IMAGENET1K_V1"),
        "mobilenetv2": lambda: torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1"),
    }
    os.makedirs(args.out, exist_ok=True)
    for name in args.models:
        model = builders[name]().eval()
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


if __name__ == "__main__":
    main()
