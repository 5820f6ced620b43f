#!/usr/bin/env bash
# Sets up a fresh machine if needed, builds, and runs every test (each GoogleTest case in its own
# process through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure "$@"
