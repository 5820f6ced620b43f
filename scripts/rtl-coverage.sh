#!/usr/bin/env bash
# Verilator line, toggle and cover-point coverage of the RTL walker (rtl/) from a regression over
# stub-built address spaces in every mode (tests/rtl/rtl_coverage_run.cpp: the coverage build
# mmuvp_rtl_walker_cov, every response checked against the golden model). Merges the per-run
# coverage files, annotates the sources with verilator_coverage and prints the summary that
# docs/rtl-coverage.md records.
#
# Usage: scripts/rtl-coverage.sh [--accesses N] [--seed S] [--build DIR] [--out DIR]
#   defaults: 3000 accesses per configuration (18 configurations), seed 1, build dir build,
#   out dir build/rtl-coverage (coverage.dat, annotated/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
accesses=3000 seed=1 build="$root/build" out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --accesses) accesses="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "rtl-coverage.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -n "$out" ]] || out="$build/rtl-coverage"
command -v verilator_coverage > /dev/null || { echo "rtl-coverage.sh: verilator_coverage not found" >&2; exit 1; }

[[ -f "$build/CMakeCache.txt" ]] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j2 --target rtl_coverage_run > /dev/null
rm -rf "$out"; mkdir -p "$out/runs"
"$build/tests/rtl/rtl_coverage_run" "$out/runs" --accesses "$accesses" --seed "$seed" | tee "$out/regression.txt"
verilator_coverage --write "$out/coverage.dat" "$out"/runs/*.dat
verilator_coverage --annotate "$out/annotated" --annotate-min 1 "$out/coverage.dat" > "$out/annotate.txt"

# Per kind (the 'page' field: v_line, v_toggle, v_user), points hit at least once / all points,
# over the walker's own sources (rtl/*.sv).
echo
awk -v root="$root/rtl/" '
  /^C / {
    n = split($0, f, "\001")
    page = ""; file = ""
    for (i = 1; i <= n; i++) {
      if (substr(f[i], 1, 5) == "page\002") page = substr(f[i], 6)
      if (substr(f[i], 1, 2) == "f\002") file = substr(f[i], 3)
    }
    sub(/\/.*/, "", page)
    count = $NF + 0
    total[page]++; if (count > 0) hit[page]++
  }
  END {
    printf "%-10s %8s %8s %7s\n", "kind", "hit", "points", "percent"
    for (p in total) printf "%-10s %8d %8d %6.1f%%\n", p, hit[p], total[p], 100 * hit[p] / total[p]
  }' "$out/coverage.dat" | tee "$out/summary.txt"
echo
echo "merged: $out/coverage.dat  annotated sources: $out/annotated/"
