#!/bin/sh
# torchvision's VGG16, ResNet50 and MobileNetV2 (seeded random weights, no
# download) exported by scripts/export_torchvision.py must give torchvision's
# own logits when `nnr evaluate --reference-io` runs them: an independent check
# of the architectures, the parameter names and every model-file loader
# (state dict, TorchScript, .npz). Skipped (77) without Python's torchvision.
#   torchvision_export_test.sh NNR EXPORT_SCRIPT
set -eu
nnr=$1
script=$2
py=${NNR_PYTHON:-/usr/bin/python3}
if ! "$py" -c "import torch, torchvision, numpy" 2>/dev/null; then
  echo "SKIP: $py has no torch/torchvision/numpy (Debian: python3-torchvision)"
  exit 77
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$py" "$script" --out "$d" --weights none --models resnet50 mobilenetv2 vgg16 --formats pt --reference-io
"$py" "$script" --out "$d" --weights none --models mobilenetv2 --formats ts npz
check() {
  "$nnr" evaluate "$1" --variant full --threads 2 --model "$d/$2" --reference-io "$d/$1.io.npz"
}
check resnet50 resnet50.pt
check vgg16 vgg16.pt
check mobilenetv2 mobilenetv2.pt
check mobilenetv2 mobilenetv2.ts.pt
check mobilenetv2 mobilenetv2.npz
# The check can fail: ResNet50 against another model's logits of the same shape.
if "$nnr" evaluate resnet50 --variant full --model "$d/resnet50.pt" --reference-io "$d/vgg16.io.npz" >/dev/null 2>&1; then
  echo "FAIL: a mismatched reference passed"
  exit 1
fi
echo "torchvision export: all outputs match"
