// Top of the area estimate (scripts/rtl-area.sh): the walker's segment and escape-filter
// datapath as the walker instantiates it, W slots' walk_seg_unit (walk_slot.sv has one each), the
// escape_filter with one query port per slot and, with SegRegs, the segment registers
// walk_seg_regs (walker_regs.sv has one). This file only instantiates and wires: the logic is in
// the rtl/ files Verilator simulates. Not part of the simulated walker; Yosys only.
module walk_seg_area #(
  parameter int unsigned W          = 2,    // walk slots
  parameter int unsigned M          = mmu_regs_pkg::FilterDefaultBits,
  parameter int unsigned K          = mmu_regs_pkg::FilterDefaultHashes,
  parameter bit          SegRegs    = 1'b1,  // 0: the committed segments are inputs
  parameter int unsigned MaxPhyAddr = mmu_regs_pkg::DefaultMaxPhyAddr
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // segment registers (SegRegs): an MMIO write
  input  logic                                   reg_write_i,
  input  logic [mmu_regs_pkg::RegAddrWidth-1:0]  reg_addr_i,
  input  logic [63:0]                            reg_wdata_i,
  output mmu_regs_pkg::reg_status_e              reg_status_o,
  output logic                                   seg_changed_o,
  // the committed segments (!SegRegs)
  input  walk_seg_pkg::segment_t                 gseg_i,
  input  walk_seg_pkg::segment_t                 vseg_i,
  // escape filter maintenance
  input  logic                                   filter_clear_i,
  input  logic                                   filter_add_i,
  input  logic [mmu_regs_pkg::FilterKeyBits-1:0] filter_frame_i,
  output logic [31:0]                            filter_added_o,
  // per slot s: bits [s*N +: N] (mode: the slot's latched MODE)
  input  logic [W*3-1:0]                         mode_i,
  input  logic [W*64-1:0]                        va_i,
  output logic [W-1:0]                           g_hit_o,
  output logic [W*64-1:0]                        g_gpa_o,
  output logic [W*2-1:0]                         g_size_o,
  input  logic [W*64-1:0]                        gpa_i,
  output logic [W-1:0]                           v_in_o,
  output logic [W-1:0]                           v_escaped_o,
  output logic [W*64-1:0]                        v_hpa_o,
  output logic [W*2-1:0]                         v_size_o
);
  localparam int unsigned KeyBits = mmu_regs_pkg::FilterKeyBits;
  if ($bits(mmu_regs_pkg::ModeNative) != 3) begin : gen_bad_mode_width
    $error("walk_seg_area: mode_e is not 3 bits wide");
  end

  walk_seg_pkg::segment_t gseg, vseg;
  if (SegRegs) begin : gen_regs
    walk_seg_regs #(.MaxPhyAddr(MaxPhyAddr)) u_seg_regs (
      .clk_i    (clk_i),
      .rst_ni   (rst_ni),
      .write_i  (reg_write_i),
      .addr_i   (reg_addr_i),
      .wdata_i  (reg_wdata_i),
      .status_o (reg_status_o),
      .changed_o(seg_changed_o),
      .gseg_o   (gseg),
      .vseg_o   (vseg)
    );
    logic unused_ok;  // the segment inputs serve the configuration without registers
    assign unused_ok = ^{gseg_i, vseg_i};
  end else begin : gen_no_regs
    assign gseg          = gseg_i;
    assign vseg          = vseg_i;
    assign reg_status_o  = mmu_regs_pkg::StsOk;
    assign seg_changed_o = 1'b0;
    logic unused_ok;  // the register port serves the configuration with registers
    assign unused_ok = ^{reg_write_i, reg_addr_i, reg_wdata_i};
  end

  logic [W*KeyBits-1:0] f_query;
  logic [W-1:0]         f_hit;
  logic                 f_empty;

  escape_filter #(.M(M), .K(K), .Q(W)) u_filter (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .clear_i      (filter_clear_i),
    .add_i        (filter_add_i),
    .add_frame_i  (filter_frame_i),
    .query_frame_i(f_query),
    .query_hit_o  (f_hit),
    .empty_o      (f_empty),
    .added_o      (filter_added_o)
  );

  for (genvar s = 0; s < W; s++) begin : gen_slot
    walk_seg_unit #(.FrameBits(KeyBits)) u_seg (
      .mode_i        (mode_i[s*3 +: 3]),
      .gseg_i        (gseg),
      .va_i          (va_i[s*64 +: 64]),
      .g_hit_o       (g_hit_o[s]),
      .g_gpa_o       (g_gpa_o[s*64 +: 64]),
      .g_size_o      (g_size_o[s*2 +: 2]),
      .vseg_i        (vseg),
      .gpa_i         (gpa_i[s*64 +: 64]),
      .filter_frame_o(f_query[s*KeyBits +: KeyBits]),
      .filter_hit_i  (f_hit[s]),
      .filter_empty_i(f_empty),
      .v_in_o        (v_in_o[s]),
      .v_escaped_o   (v_escaped_o[s]),
      .v_hpa_o       (v_hpa_o[s*64 +: 64]),
      .v_size_o      (v_size_o[s*2 +: 2])
    );
  end
endmodule : walk_seg_area
