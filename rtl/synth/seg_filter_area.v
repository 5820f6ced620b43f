// The datapath the paper adds to a nested-paging walker, restated in plain Verilog-2005 for the
// area estimate of scripts/rtl-area.sh: Yosys 0.23's front end cannot read the walker's packages
// (unpacked-array parameters, `return`, package imports in module headers), so this module
// expresses the same logic as rtl/ with the same widths, one copy per walk slot where the walker
// has one per slot:
//   - guest segment (walk_slot.sv, SEG): BASE_G <= va < LIMIT_G, gPA = va + OFFSET_G, and the
//     block size (walker_pkg::seg_block_size: 1G/2M when the aligned block lies inside the
//     segment and the offset is aligned);
//   - VMM segment (walk_slot.sv, HSEG): the same compare and add on the gPA, escaped when the
//     filter holds the frame, block size 4K while the filter is non-empty;
//   - the escape filter (escape_filter.sv): M bits, the ADD path setting K H3-hashed bits, the
//     added-frames counter, and one query port per slot (H3 rows generated from mmu_regs_pkg.sv
//     by h3_rows.py into h3_rows.vh);
//   - optionally (SEG_REGS=1) the six 64-bit segment registers, staged and committed as in
//     walker_regs.sv (SEG_COMMIT copies staged to committed).
// The simulation model is rtl/; this file is never Verilated into it.
module seg_filter_area #(
  parameter W        = 2,    // walk slots
  parameter M        = 256,  // escape filter bits (power of two)
  parameter K        = 4,    // escape filter hashes
  parameter SEG_REGS = 1     // include the staged and committed segment registers
) (
  input  wire              clk,
  input  wire              rst_n,
  input  wire [2:0]        mode,
  // register writes: sel 0..5 = BASE_G, LIMIT_G, OFFSET_G, BASE_V, LIMIT_V, OFFSET_V
  input  wire              seg_we,
  input  wire [2:0]        seg_sel,
  input  wire [63:0]       seg_wdata,
  input  wire              seg_commit,
  // committed segments when SEG_REGS = 0
  input  wire [6*64-1:0]   seg_in,
  // guest segment compare, per slot
  input  wire [W*64-1:0]   va,
  output wire [W-1:0]      g_hit,
  output wire [W*64-1:0]   g_gpa,
  output wire [W*2-1:0]    g_size,
  // VMM segment compare and filter query, per slot
  input  wire [W*64-1:0]   gpa,
  output wire [W-1:0]      v_hit,
  output wire [W-1:0]      v_escaped,
  output wire [W*64-1:0]   v_hpa,
  output wire [W*2-1:0]    v_size,
  // filter maintenance
  input  wire              f_clear,
  input  wire              f_add,
  input  wire [39:0]       f_add_frame,
  output wire [31:0]       f_added
);
`include "h3_rows.vh"
  localparam IDX = $clog2(M);
  localparam [1:0] SIZE_4K = 2'd0, SIZE_2M = 2'd1, SIZE_1G = 2'd2;

  // ---- segment registers ------------------------------------------------------------------------
  wire [6*64-1:0] seg;
  generate
    if (SEG_REGS) begin : g_regs
      reg [6*64-1:0] staged, committed;
      always @(posedge clk) begin
        if (!rst_n) begin
          staged    <= 0;
          committed <= 0;
        end else begin
          if (seg_we) staged[seg_sel*64 +: 64] <= seg_wdata;
          if (seg_commit) committed <= staged;
        end
      end
      assign seg = committed;
    end else begin : g_noregs
      assign seg = seg_in;
    end
  endgenerate
  wire [63:0] base_g = seg[0*64 +: 64], limit_g = seg[1*64 +: 64], off_g = seg[2*64 +: 64];
  wire [63:0] base_v = seg[3*64 +: 64], limit_v = seg[4*64 +: 64], off_v = seg[5*64 +: 64];

  wire uses_g = mode == 3'd1 || mode == 3'd3 || mode == 3'd5;  // native-ds, dual, guest-direct
  wire uses_v = mode == 3'd3 || mode == 3'd4;                  // dual-direct, vmm-direct

  // ---- escape filter ------------------------------------------------------------------------------
  reg  [M-1:0] bits;
  reg  [31:0]  added;
  wire         empty = added == 0;
  assign f_added = added;

  function [IDX-1:0] h3;
    input [2:0]  i;
    input [39:0] key;
    reg   [15:0] h;
    integer      j;
    begin
      h = 16'd0;
      for (j = 0; j < H3_KEY_BITS; j = j + 1)
        if (key[j]) h = h ^ H3_ROWS[(i * H3_KEY_BITS + j) * 16 +: 16];
      h3 = h[IDX-1:0];
    end
  endfunction

  integer a;
  always @(posedge clk) begin
    if (!rst_n || f_clear) begin
      bits  <= 0;
      added <= 0;
    end else if (f_add) begin
      for (a = 0; a < K; a = a + 1) bits[h3(a[2:0], f_add_frame)] <= 1'b1;
      added <= added + 32'd1;
    end
  end

  // ---- block size of a segment around an address --------------------------------------------
  function [1:0] block_size;
    input [63:0] base, limit, off, addr;
    input        allow_large;
    reg   [63:0] lo1, lo2;
    begin
      lo1 = addr & ~64'h3fff_ffff;
      lo2 = addr & ~64'h1f_ffff;
      if (allow_large && off[29:0] == 0 && lo1 >= base && lo1 + 64'h4000_0000 <= limit)
        block_size = SIZE_1G;
      else if (allow_large && off[20:0] == 0 && lo2 >= base && lo2 + 64'h20_0000 <= limit)
        block_size = SIZE_2M;
      else
        block_size = SIZE_4K;
    end
  endfunction

  // ---- per slot ---------------------------------------------------------------------------------
  genvar s;
  generate
    for (s = 0; s < W; s = s + 1) begin : g_slot
      wire [63:0] v = va[s*64 +: 64];
      wire [63:0] p = gpa[s*64 +: 64];
      wire [39:0] frame = p[12 +: 40];
      reg         hit;
      integer     i;
      always @(*) begin
        hit = !empty;
        for (i = 0; i < K; i = i + 1)
          if (!bits[h3(i[2:0], frame)]) hit = 1'b0;
      end
      wire in_v = uses_v && base_v <= p && p < limit_v;
      assign g_hit[s]           = uses_g && base_g <= v && v < limit_g;
      assign g_gpa[s*64 +: 64]  = v + off_g;
      assign g_size[s*2 +: 2]   = block_size(base_g, limit_g, off_g, v, 1'b1);
      assign v_escaped[s]       = in_v && hit;
      assign v_hit[s]           = in_v && !hit;
      assign v_hpa[s*64 +: 64]  = p + off_v;
      assign v_size[s*2 +: 2]   = block_size(base_v, limit_v, off_v, p, empty);
    end
  endgenerate
endmodule
