#!/usr/bin/env bash
# Sets up a fresh machine if needed, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/tb/mmuvp demo "$@"
