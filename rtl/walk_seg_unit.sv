// The direct-segment datapath of one walk slot (walk_slot.sv), combinational:
//   SEG   the guest segment on the gVA: BASE_G <= va < LIMIT_G in a mode that uses it, gPA =
//         va + OFFSET_G, and the largest block (1G, 2M, else 4K) whose aligned range around va
//         lies in the segment with an aligned offset;
//   HSEG  the VMM segment on a gPA: BASE_V <= gpa < LIMIT_V in a mode that uses it, escaped
//         when the escape filter holds the gPA's frame, hPA = gpa + OFFSET_V, and the block
//         size, limited to 4K while the filter holds any frame (arch/golden_translator.cpp);
//         the frame number goes to the filter's query port.
// One instance per slot; the slot uses the outputs in its SEG and HSEG states. Yosys reads this
// file (see walk_seg_pkg.sv for the subset of SystemVerilog that allows).
module walk_seg_unit #(
  parameter int unsigned FrameBits = mmu_regs_pkg::FilterKeyBits  // frame bits the filter hashes
) (
  input  mmu_regs_pkg::mode_e      mode_i,          // the walk's translation mode
  // SEG: the guest segment
  input  walk_seg_pkg::segment_t   gseg_i,          // BASE_G/LIMIT_G/OFFSET_G (committed)
  input  logic [63:0]              va_i,
  output logic                     g_hit_o,         // va_i translates through the guest segment
  output logic [63:0]              g_gpa_o,         // va_i + OFFSET_G
  output walk_seg_pkg::page_size_e g_size_o,
  // HSEG: the VMM segment and the escape filter
  input  walk_seg_pkg::segment_t   vseg_i,          // BASE_V/LIMIT_V/OFFSET_V (committed)
  input  logic [63:0]              gpa_i,
  output logic [FrameBits-1:0]     filter_frame_o,  // gpa_i >> 12, to the filter's query port
  input  logic                     filter_hit_i,    // the filter may hold that frame
  input  logic                     filter_empty_i,  // the filter holds no frame
  output logic                     v_in_o,          // gpa_i lies in the VMM segment
  output logic                     v_escaped_o,     // ... and escapes it through the filter
  output logic [63:0]              v_hpa_o,         // gpa_i + OFFSET_V
  output walk_seg_pkg::page_size_e v_size_o
);
  localparam logic [63:0] Bytes1G = 64'h4000_0000;
  localparam logic [63:0] Bytes2M = 64'h20_0000;

  // Largest size whose aligned block around `a` lies in [base, limit) with an aligned offset
  // (offset_low: the offset's bits 29:0).
  function automatic walk_seg_pkg::page_size_e block_size(
      input logic [63:0] base, input logic [63:0] limit, input logic [29:0] offset_low,
      input logic [63:0] a, input logic allow_large);
    logic [63:0] lo1g, lo2m;
    lo1g = a & ~(Bytes1G - 64'd1);
    lo2m = a & ~(Bytes2M - 64'd1);
    if (allow_large && offset_low == '0 && lo1g >= base && lo1g + Bytes1G <= limit) begin
      block_size = walk_seg_pkg::Size1G;
    end else if (allow_large && offset_low[20:0] == '0 && lo2m >= base &&
                 lo2m + Bytes2M <= limit) begin
      block_size = walk_seg_pkg::Size2M;
    end else begin
      block_size = walk_seg_pkg::Size4K;
    end
  endfunction

  logic uses_gseg, uses_vseg;
  assign uses_gseg = mode_i == mmu_regs_pkg::ModeNativeDs ||
                     mode_i == mmu_regs_pkg::ModeDualDirect ||
                     mode_i == mmu_regs_pkg::ModeGuestDirect;
  assign uses_vseg = mode_i == mmu_regs_pkg::ModeDualDirect ||
                     mode_i == mmu_regs_pkg::ModeVmmDirect;

  // ---- SEG --------------------------------------------------------------------------------------
  assign g_hit_o  = uses_gseg && gseg_i.base <= va_i && va_i < gseg_i.limit;
  assign g_gpa_o  = va_i + gseg_i.offset;
  assign g_size_o = block_size(gseg_i.base, gseg_i.limit, gseg_i.offset[29:0], va_i, 1'b1);

  // ---- HSEG -------------------------------------------------------------------------------------
  assign filter_frame_o = gpa_i[12 +: FrameBits];
  assign v_in_o         = uses_vseg && vseg_i.base <= gpa_i && gpa_i < vseg_i.limit;
  assign v_escaped_o    = v_in_o && !filter_empty_i && filter_hit_i;
  assign v_hpa_o        = gpa_i + vseg_i.offset;
  assign v_size_o       = block_size(vseg_i.base, vseg_i.limit, vseg_i.offset[29:0], gpa_i,
                                     filter_empty_i);

  if (FrameBits < 1 || FrameBits > 52) begin : gen_bad_frame_bits
    $error("walk_seg_unit: FrameBits must be in [1, 52]");
  end
endmodule : walk_seg_unit
