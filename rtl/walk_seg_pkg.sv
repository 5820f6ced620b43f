// Types of the walker's segment and escape-filter datapath (walk_seg_unit.sv, walk_seg_regs.sv,
// escape_filter.sv): a segment register set and the page (block) size. walker_pkg and the rest of
// the walker import it; scripts/rtl-area.sh has Yosys synthesize the datapath modules from the
// very files Verilator simulates.
//
// Those modules, this package and mmu_regs_pkg.sv are therefore written in the subset of
// SystemVerilog that Yosys 0.23 (the Debian package) reads correctly, found by experiment:
//   - no `import` anywhere (header, body or file scope): name package items by scope, pkg::Name;
//   - no `return`: a function assigns its name;
//   - no unpacked array constants and no multi-dimensional packed arrays: flat vectors with
//     [i*N +: N] selects (a packed array of a typedef or struct parses, but Yosys drops the
//     array dimension, so x[i] selects one bit);
//   - no type casts (type'(x)), no struct-typed function arguments, no $bits(pkg::type);
//   - `// pragma translate_off` is not honoured: elaboration checks ($error in a generate `if`)
//     are read by both tools.
// Enum and packed-struct typedefs, struct-typed ports, always_comb/always_ff, `for` loops with
// `int unsigned` variables, size casts N'(x) and $clog2 are fine. The ctest rtl_yosys_read
// (rtl/CMakeLists.txt) reads these files with Yosys, so a construct outside the subset fails it.
package walk_seg_pkg;

  // Page size of a translation, and the largest aligned block a segment maps (arch::PageSize).
  typedef enum logic [1:0] {
    Size4K = 2'd0,
    Size2M = 2'd1,
    Size1G = 2'd2
  } page_size_e;

  // One direct segment (arch/segment.h): BASE <= a < LIMIT maps a to a + OFFSET.
  typedef struct packed {
    logic [63:0] base;
    logic [63:0] limit;   // exclusive; base == limit disables the segment
    logic [63:0] offset;  // output = input + offset (mod 2^64)
  } segment_t;

endpackage : walk_seg_pkg
