#!/usr/bin/env bash
# Rough area of what the paper adds to a nested-paging walker (the segment compares and adds, the
# escape filter, the segment registers): Yosys (Debian package) synthesizes
# rtl/synth/seg_filter_area.v to generic gates (`synth -flatten`) in a few configurations and
# prints the cell, flip-flop and CMOS transistor counts (`stat -tech cmos`). Results and docs:
# docs/rtl-area.md.
#
# Usage: scripts/rtl-area.sh [WORK_DIR]   (default: a temporary directory, removed at exit)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v yosys > /dev/null || { echo "rtl-area.sh: yosys not found (apt-get install yosys)" >&2; exit 1; }
if [[ $# -gt 1 ]]; then echo "usage: scripts/rtl-area.sh [WORK_DIR]" >&2; exit 2; fi
if [[ $# -eq 1 ]]; then
  work="$1"; mkdir -p "$work"
else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fi
python3 "$root/rtl/synth/h3_rows.py" "$root/rtl/mmu_regs_pkg.sv" "$work/h3_rows.vh"

# name  W  M    K  SEG_REGS  what
configs=(
  "w2_full       2 256 4 1 two slots, filter m=256 k=4, segment registers (the walker's default)"
  "w2_noregs     2 256 4 0 the same without the segment registers"
  "w1_noregs     1 256 4 0 one slot, no segment registers"
  "w2_nofilter   2 2   1 0 two slots, a 2-bit 1-hash filter (the segments' compares and adds alone)"
)
printf '%-12s %9s %9s %12s  %s\n' config cells flops transistors description
for c in "${configs[@]}"; do
  read -r name w m k regs desc <<< "$c"
  cat > "$work/$name.ys" <<YS
read_verilog -I$work $root/rtl/synth/seg_filter_area.v
chparam -set W $w -set M $m -set K $k -set SEG_REGS $regs seg_filter_area
hierarchy -check -top seg_filter_area
synth -flatten -top seg_filter_area
tee -o $work/$name.stat stat
tee -o $work/$name.cmos stat -tech cmos
YS
  yosys -q -l "$work/$name.log" "$work/$name.ys" > /dev/null
  cells=$(awk '/Number of cells:/ {print $4}' "$work/$name.stat" | tail -1)
  flops=$(awk '/\$_.*DFF/ {s += $2} END {print s + 0}' "$work/$name.stat")
  trans=$(awk '/Estimated number of transistors:/ {print $5}' "$work/$name.cmos" | tail -1)
  printf '%-12s %9s %9s %12s  %s\n' "$name" "$cells" "$flops" "$trans" "$desc"
done
