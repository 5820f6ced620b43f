#!/usr/bin/env bash
# Verilator line, toggle and cover-point coverage of the RTL walker (rtl/*.sv) collected on the
# co-simulation regression itself: `mmuvp cosim --mode all` (the cycle-level SystemC walker and the
# Verilated RTL in lockstep on stub-built address spaces, every response compared) run by
# mmuvp_cosim_coverage, the same regression over the coverage build of the RTL
# (tb/cosim_coverage_main.cpp), which writes the RTL's coverage and checks that every state of the
# walk FSM, every fault kind and every cover point was reached. Annotates the sources with
# verilator_coverage and prints the summary that docs/rtl-coverage.md records.
#
# Usage: scripts/rtl-coverage.sh [--translations N] [--seed S] [--build DIR] [--out DIR]
#   defaults: 50000 translations per mode (7 modes), seed 1, build dir build, out dir
#   build/rtl-coverage. The default runs in about 2 minutes on 2 cores: the coverage build is
#   about 7 times slower than `mmuvp cosim`, so the issue's 200000 per mode takes about 9 minutes
#   (it reaches the same line, branch and cover-point numbers, toggles +0.7 points:
#   docs/rtl-coverage.md).
#   Output files: cosim.txt (the regression's output), coverage.dat, annotated/, summary.txt,
#   uncovered-<kind>.txt (the points never hit: rtl/FILE:LINE and the point's comment, e.g. the
#   signal bit of a toggle point).
# Exit status: 0, or 1 if the regression failed (mismatch, or a state / fault kind / cover point
# not reached); the coverage is reported either way.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
translations=50000 seed=1 build="$root/build" out=""
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { echo "rtl-coverage.sh: '$1' needs a value (or is unknown)" >&2; exit 2; }
  case "$1" in
    --translations) translations="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "rtl-coverage.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -n "$out" ]] || out="$build/rtl-coverage"
command -v verilator_coverage > /dev/null ||
  { echo "rtl-coverage.sh: verilator_coverage not found" >&2; exit 1; }

[[ -f "$build/CMakeCache.txt" ]] ||
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j2 --target mmuvp_cosim_coverage > /dev/null
rm -rf "$out"; mkdir -p "$out"

cmd=(--mode all --translations "$translations" --seed "$seed")
echo "source: co-simulation regression, mmuvp cosim ${cmd[*]} (coverage build mmuvp_cosim_coverage)"
echo
status=0
start=$(date +%s.%N)
"$build/tb/mmuvp_cosim_coverage" "${cmd[@]}" --coverage "$out/cosim.dat" \
  | tee "$out/cosim.txt" || status=$?
end=$(date +%s.%N)
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
[[ -s "$out/cosim.dat" ]] ||
  { echo "rtl-coverage.sh: the regression wrote no coverage" >&2; exit 1; }

verilator_coverage --write "$out/coverage.dat" "$out/cosim.dat"
verilator_coverage --annotate "$out/annotated" --annotate-min 1 "$out/coverage.dat" \
  > "$out/annotate.txt"

# Per kind (the 'page' field up to '/': v_line, v_toggle, v_user, ...), points hit at least once /
# all points, over the walker's own sources: every rtl/*.sv the coverage names (the 'f' field).
# Also per source file, and the points never hit per kind (rtl/FILE:LINE, the point's comment).
echo
awk -v out="$out" '
  /^C / {
    n = split($0, f, "\001")
    page = ""; file = ""; line = ""; comment = ""
    for (i = 1; i <= n; i++) {
      if (substr(f[i], 1, 5) == "page\002") page = substr(f[i], 6)
      else if (substr(f[i], 1, 2) == "f\002") file = substr(f[i], 3)
      else if (substr(f[i], 1, 2) == "l\002") line = substr(f[i], 3)
      else if (substr(f[i], 1, 2) == "o\002") comment = substr(f[i], 3)
    }
    if (file !~ /(^|\/)rtl\/[^\/]+\.sv$/) next
    sub(/.*\//, "", file)
    sub(/'"'"' [0-9]+$/, "", comment)
    sub(/\/.*/, "", page)
    count = $NF + 0
    total[page]++; if (count > 0) hit[page]++
    ftotal[file, page]++; if (count > 0) fhit[file, page]++
    files[file] = 1
    if (count == 0) printf "rtl/%s:%s %s\n", file, line, comment > (out "/uncovered-" page ".txt")
  }
  END {
    printf "%-10s %8s %8s %7s\n", "kind", "hit", "points", "percent"
    np = 0
    for (p in total) kinds[++np] = p
    for (i = 1; i <= np; i++) for (j = i + 1; j <= np; j++)
      if (kinds[j] < kinds[i]) { t = kinds[i]; kinds[i] = kinds[j]; kinds[j] = t }
    for (i = 1; i <= np; i++) {
      p = kinds[i]
      printf "%-10s %8d %8d %6.1f%%\n", p, hit[p], total[p], 100 * hit[p] / total[p]
    }
    printf "\n%-20s", "file"
    for (i = 1; i <= np; i++) printf " %18s", kinds[i]
    printf "\n"
    nf = 0
    for (x in files) names[++nf] = x
    for (i = 1; i <= nf; i++) for (j = i + 1; j <= nf; j++)
      if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
    for (k = 1; k <= nf; k++) {
      printf "%-20s", names[k]
      for (i = 1; i <= np; i++) {
        p = kinds[i]
        if (ftotal[names[k], p] == 0) printf " %18s", "-"
        else printf " %18s", sprintf("%d/%d %5.1f%%", fhit[names[k], p], ftotal[names[k], p],
                                     100 * fhit[names[k], p] / ftotal[names[k], p])
      }
      printf "\n"
    }
  }' "$out/coverage.dat" | tee "$out/summary.txt"
unhit=""
for kind in $(awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $1 }' "$out/summary.txt"); do
  f="$out/uncovered-$kind.txt"
  touch "$f"
  sort -t: -k1,1 -k2,2n -o "$f" "$f"
  unhit="$unhit${unhit:+, }$(wc -l < "$f") $kind ($f)"
done

echo
echo "regression: ${seconds} s wall (build not included), exit status $status"
echo "points never hit: $unhit"
echo "merged: $out/coverage.dat  annotated sources: $out/annotated/"
exit "$status"
