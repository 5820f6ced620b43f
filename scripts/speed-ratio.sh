#!/usr/bin/env bash
# Measures the issue-3 speed figures of docs/performance.md: for each mode x workload, the
# golden model (`--walker golden`) and the loosely-timed platform (`--walker tlm`) are run N times
# in pairs (golden, tlm, golden, tlm, ...) on the same access stream. Printed: the best rate of
# each, the ratio of the bests, and the median of the N per-pair ratios (each pair ran back to
# back, so load that drifts during the series cancels; on a shared machine this is the stable
# figure). Wall clock: run it on an idle machine.
#
#   scripts/speed-ratio.sh [N] [ACCESSES] [MODE:WORKLOAD ...]
#   (defaults: 5, 4000000, and the configurations of docs/performance.md)
#   MMUVP_RUN_FLAGS="--no-dmi" scripts/speed-ratio.sh ...   # extra flags for the tlm runs
#
# With valgrind installed, MMUVP_INSTRUCTIONS=1 adds instructions per access instead (callgrind,
# the difference of two run lengths, which removes the setup), which does not depend on the load.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
accesses=${2:-4000000}
shift $(($# < 2 ? $# : 2))
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
  configs=(native:stream nested:stream native:gups nested:gups nested:graph nested:kv nested:cg
           vmm-direct:gups dual-direct:gups)
fi
[ -x build/tb/mmuvp ] || scripts/build.sh
mmuvp=build/tb/mmuvp

flags=${MMUVP_RUN_FLAGS:-}

rate() {  # walker mode workload accesses [flags] -> accesses per second
  # shellcheck disable=SC2086
  "$mmuvp" run --walker "$1" --mode "$2" --workload "$3" --accesses "$4" --footprint 1g ${5:-} \
      --json - |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["accesses_per_second"])'
}

instructions() {  # walker mode workload [flags] -> instructions per access
  local n1=200000 n2=400000 c1 c2
  # shellcheck disable=SC2086
  c1=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$mmuvp" run --walker "$1" \
         --mode "$2" --workload "$3" --accesses $n1 --footprint 1g ${4:-} --json /dev/null 2>&1 |
       awk '/Collected/ {print $4}')
  # shellcheck disable=SC2086
  c2=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$mmuvp" run --walker "$1" \
         --mode "$2" --workload "$3" --accesses $n2 --footprint 1g ${4:-} --json /dev/null 2>&1 |
       awk '/Collected/ {print $4}')
  python3 -c "print(($c2 - $c1) / ($n2 - $n1))"
}

printf '%-12s %-8s %12s %12s %8s %14s\n' mode workload "golden M/s" "tlm M/s" ratio \
  "median ratio"
for c in "${configs[@]}"; do
  mode=${c%%:*}
  workload=${c#*:}
  best_g=0
  best_t=0
  ratios=()
  for _ in $(seq "$runs"); do
    g=$(rate golden "$mode" "$workload" "$accesses")
    t=$(rate tlm "$mode" "$workload" "$accesses" "$flags")
    best_g=$(python3 -c "print(max($best_g, $g))")
    best_t=$(python3 -c "print(max($best_t, $t))")
    ratios+=("$(python3 -c "print($g / $t)")")
  done
  median=$(python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" \
             "${ratios[@]}")
  python3 -c "print('%-12s %-8s %12.2f %12.2f %7.2fx %13.2fx' % ('$mode', '$workload',
                    $best_g / 1e6, $best_t / 1e6, $best_g / $best_t, $median))"
  if [ "${MMUVP_INSTRUCTIONS:-0}" = 1 ]; then
    ig=$(instructions golden "$mode" "$workload")
    it=$(instructions tlm "$mode" "$workload" "$flags")
    python3 -c "print('%-21s instructions per access: golden %.0f, tlm %.0f (%.2fx)' %
                      ('', $ig, $it, $it / $ig))"
  fi
done
