#!/usr/bin/env bash
# Sets up a fresh machine if needed, builds, and runs the main job: the paper's evaluation
# (`mmuvp eval`: every workload under every configuration, the escape-filter experiment, the
# walk-structure check and one waveform of nested walks; about a minute on two idle cores) into a
# new folder mmuvp-eval-YYYYmmdd-HHMMSS here, then prints where the table, plot and waveform are.
# Extra arguments go to `mmuvp eval` (e.g. --workloads gups --accesses 2000000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/tb/mmuvp eval "$@"
