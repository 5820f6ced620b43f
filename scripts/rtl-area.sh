#!/usr/bin/env bash
# Rough area of what the paper adds to a nested-paging walker (the segment compares and adds, the
# escape filter, the segment registers): Yosys (Debian package, 0.23) synthesizes the walker's own
# datapath modules, the rtl/ files Verilator simulates (walk_seg_unit.sv, escape_filter.sv,
# walk_seg_regs.sv), under the wiring-only top rtl/synth/walk_seg_area.sv, to generic gates
# (`synth -flatten`) in a few configurations, and prints the cell, flip-flop and CMOS transistor
# counts (`stat -tech cmos`). Each synthesized netlist is then simulated by Verilator against the
# RTL it came from (rtl/synth/walk_seg_area_tb.sv, every output at every cycle): the counted gates
# are the simulated design. Results and docs: docs/rtl-area.md.
#
# Usage: scripts/rtl-area.sh [WORK_DIR]   (default: a temporary directory, removed at exit)
#        scripts/rtl-area.sh --check      only read and elaborate every configuration (`read_verilog
#                                         -sv`, `hierarchy -check`, `proc`): the ctest
#                                         rtl_yosys_read; exits 77 (skipped) without yosys
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
check=0
if [[ $# -gt 1 ]]; then echo "usage: scripts/rtl-area.sh [WORK_DIR | --check]" >&2; exit 2; fi
if [[ $# -eq 1 && "$1" == "--check" ]]; then check=1; shift; fi
if ! command -v yosys > /dev/null; then
  if [[ $check -eq 1 ]]; then echo "rtl-area.sh: yosys not found: check skipped" >&2; exit 77; fi
  echo "rtl-area.sh: yosys not found (apt-get install yosys)" >&2
  exit 1
fi
if [[ $# -eq 1 ]]; then
  work="$1"; mkdir -p "$work"
else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fi

# Packages first, then the modules (the same files as rtl/CMakeLists.txt's walker), then the top.
sources=(
  "$root/rtl/mmu_regs_pkg.sv"
  "$root/rtl/walk_seg_pkg.sv"
  "$root/rtl/escape_filter.sv"
  "$root/rtl/walk_seg_unit.sv"
  "$root/rtl/walk_seg_regs.sv"
  "$root/rtl/synth/walk_seg_area.sv"
)
for f in "${sources[@]}"; do [[ -f "$f" ]] || { echo "rtl-area.sh: $f missing" >&2; exit 1; }; done

# name  W  M    K  SegRegs  what
configs=(
  "w2_full       2 256 4 1 two slots, filter m=256 k=4, segment registers (the walker's default)"
  "w2_noregs     2 256 4 0 the same without the segment registers"
  "w1_noregs     1 256 4 0 one slot, no segment registers"
  "w2_nofilter   2 2   1 0 two slots, a 2-bit 1-hash filter (the segments' compares and adds alone)"
)
tb_cycles=20000
if [[ $check -eq 0 ]]; then
  command -v verilator > /dev/null || { echo "rtl-area.sh: verilator not found" >&2; exit 1; }
  printf '%-12s %9s %9s %12s %12s  %s\n' config cells flops transistors "vs RTL" description
fi
for c in "${configs[@]}"; do
  read -r name w m k regs desc <<< "$c"
  {
    echo "read_verilog -sv ${sources[*]}"
    echo "chparam -set W $w -set M $m -set K $k -set SegRegs $regs walk_seg_area"
    echo "hierarchy -check -top walk_seg_area"
    if [[ $check -eq 1 ]]; then
      echo "proc"
    else
      echo "synth -flatten -top walk_seg_area"
      echo "tee -o $work/$name.stat stat"
      echo "tee -o $work/$name.cmos stat -tech cmos"
      echo "rename walk_seg_area walk_seg_area_net"
      echo "write_verilog -noattr $work/$name.net.v"
    fi
  } > "$work/$name.ys"
  if ! yosys -q -l "$work/$name.log" "$work/$name.ys" > /dev/null; then
    echo "rtl-area.sh: yosys failed on $name:" >&2
    grep -m 5 -i "error" "$work/$name.log" >&2 || tail -5 "$work/$name.log" >&2
    exit 1
  fi
  if [[ $check -eq 1 ]]; then
    echo "$name: read and elaborated"
    continue
  fi
  cells=$(awk '/Number of cells:/ {print $4}' "$work/$name.stat" | tail -1)
  flops=$(awk '/\$_.*DFF/ {s += $2} END {print s + 0}' "$work/$name.stat")
  trans=$(awk '/Estimated number of transistors:/ {print $5}' "$work/$name.cmos" | tail -1)
  # The netlist against the RTL, cycle by cycle ("mismatching/cycles").
  if ! verilator --cc --exe --build -j 2 -MAKEFLAGS "OPT_FAST=-O0" -Wno-fatal -Wno-lint -Wno-style \
         --top-module walk_seg_area_tb -GW="$w" -GM="$m" -GK="$k" -GSegRegs="$regs" \
         -GCycles="$tb_cycles" -Mdir "$work/$name.tb" -o tb "${sources[@]}" "$work/$name.net.v" \
         "$root/rtl/synth/walk_seg_area_tb.sv" "$root/rtl/synth/walk_seg_area_tb.cpp" \
         > "$work/$name.tb.log" 2>&1; then
    echo "rtl-area.sh: building the netlist check of $name failed (see $work/$name.tb.log)" >&2
    tail -5 "$work/$name.tb.log" >&2
    exit 1
  fi
  if ! "$work/$name.tb/tb" > "$work/$name.check" 2>&1; then
    echo "rtl-area.sh: $name: the synthesized netlist differs from the RTL:" >&2
    cat "$work/$name.check" >&2
    exit 1
  fi
  xcheck=$(sed -n 's/.*: \([0-9]*\) cycles, \([0-9]*\) mismatches.*/\2\/\1/p' "$work/$name.check")
  printf '%-12s %9s %9s %12s %12s  %s\n' "$name" "$cells" "$flops" "$trans" "${xcheck:-?}" "$desc"
done
