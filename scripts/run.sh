#!/usr/bin/env bash
# The main job: installs what is missing, builds, then decodes the
# conformance suites and prints a pass/fail table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
shared=${NNR_SHARED_DIR:-$root/../shared}
suites=()
for s in "$shared/conformance/nncodec" "$shared/conformance/nncodec-real"; do
  [[ -d "$s" ]] && suites+=("$s")
done
if ((${#suites[@]} == 0)); then
  echo "run.sh: no conformance suites under $shared/conformance" >&2
  exit 1
fi
exec "$root/build/bin/nnr" conform "${suites[@]}"
