#!/usr/bin/env bash
# The main job: installs what is missing, builds, then decodes the
# conformance suites (the project's own and the reference ones) and prints a pass/fail table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
shared=${NNR_SHARED_DIR:-$root/../shared}
suites=("$root/datasets/conformance")
for s in "$shared/conformance/nncodec" "$shared/conformance/nncodec-real"; do
  [[ -d "$s" ]] && suites+=("$s")
done
exec "$root/build/bin/nnr" conform "${suites[@]}"
