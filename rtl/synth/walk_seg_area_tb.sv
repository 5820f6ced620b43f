// Cross-check of the area estimate (scripts/rtl-area.sh): the gate netlist Yosys synthesized from
// walk_seg_area (module walk_seg_area_net, written by the script) against the RTL walk_seg_area
// as Verilator reads it, cycle by cycle on the same stimulus. Every output is compared before
// every clock edge; a difference means Yosys read the RTL differently from Verilator, and the
// cell count would not be the simulated design's. Verilator only, clocked by
// walk_seg_area_tb.cpp; not part of the walker.
//
// Stimulus: segments whose bounds and offsets are aligned to 4K, 1M, 2M, 512M or 1G (or not),
// disabled or inverted; gVAs and gPAs at and around the segment bounds and 2M/1G block edges;
// filter adds, clears and queries over a small pool of frames so queries hit; MMIO writes of the
// six segment registers (from one candidate segment per side, so commits pass) and SEG_COMMIT
// with legal and illegal values; random modes. Inputs change after the rising edge.
module walk_seg_area_tb #(
  parameter int unsigned W       = 2,
  parameter int unsigned M       = 256,
  parameter int unsigned K       = 4,
  parameter bit          SegRegs = 1'b1,
  parameter int unsigned Cycles  = 20000
) (
  input logic clk
);
  localparam int unsigned KeyBits  = mmu_regs_pkg::FilterKeyBits;
  localparam int unsigned AddrBits = mmu_regs_pkg::RegAddrWidth;
  localparam int unsigned OutBits  = 8 + 1 + 32 + W * (1 + 64 + 2 + 1 + 1 + 64 + 2);
  localparam int unsigned Pool     = 16;

  logic                   rst_ni = 1'b0;
  logic                   reg_write;
  logic [AddrBits-1:0]    reg_addr;
  logic [63:0]            reg_wdata;
  walk_seg_pkg::segment_t gseg, vseg;
  logic                   f_clear, f_add;
  logic [KeyBits-1:0]     f_frame;
  logic [W*3-1:0]         mode;
  logic [W*64-1:0]        va, gpa;

  // The outputs of each side, concatenated.
  logic [OutBits-1:0] out_rtl, out_net;

  walk_seg_area #(.W(W), .M(M), .K(K), .SegRegs(SegRegs)) u_rtl (
    .clk_i(clk), .rst_ni(rst_ni), .reg_write_i(reg_write), .reg_addr_i(reg_addr),
    .reg_wdata_i(reg_wdata), .reg_status_o(out_rtl[7:0]), .seg_changed_o(out_rtl[8]),
    .gseg_i(gseg), .vseg_i(vseg), .filter_clear_i(f_clear), .filter_add_i(f_add),
    .filter_frame_i(f_frame), .filter_added_o(out_rtl[40:9]), .mode_i(mode), .va_i(va),
    .g_hit_o(out_rtl[41 +: W]), .g_gpa_o(out_rtl[41 + W +: W * 64]),
    .g_size_o(out_rtl[41 + 65 * W +: W * 2]), .gpa_i(gpa), .v_in_o(out_rtl[41 + 67 * W +: W]),
    .v_escaped_o(out_rtl[41 + 68 * W +: W]), .v_hpa_o(out_rtl[41 + 69 * W +: W * 64]),
    .v_size_o(out_rtl[41 + 133 * W +: W * 2]));

  walk_seg_area_net u_net (
    .clk_i(clk), .rst_ni(rst_ni), .reg_write_i(reg_write), .reg_addr_i(reg_addr),
    .reg_wdata_i(reg_wdata), .reg_status_o(out_net[7:0]), .seg_changed_o(out_net[8]),
    .gseg_i(gseg), .vseg_i(vseg), .filter_clear_i(f_clear), .filter_add_i(f_add),
    .filter_frame_i(f_frame), .filter_added_o(out_net[40:9]), .mode_i(mode), .va_i(va),
    .g_hit_o(out_net[41 +: W]), .g_gpa_o(out_net[41 + W +: W * 64]),
    .g_size_o(out_net[41 + 65 * W +: W * 2]), .gpa_i(gpa), .v_in_o(out_net[41 + 67 * W +: W]),
    .v_escaped_o(out_net[41 + 68 * W +: W]), .v_hpa_o(out_net[41 + 69 * W +: W * 64]),
    .v_size_o(out_net[41 + 133 * W +: W * 2]));

  // ---- stimulus helpers -----------------------------------------------------------------------
  logic [KeyBits-1:0] frames [Pool];  // the filter's frame pool
  logic [63:0]        points [8];     // segment bounds seen lately (staged or committed)

  function automatic logic [63:0] rnd64();
    return {$urandom, $urandom};
  endfunction

  // 4K, 2M or 1G, or half of 2M or 1G (which tells the block-size tests' bit ranges apart).
  function automatic logic [63:0] granule();
    int unsigned pick;
    pick = $urandom_range(0, 4);
    unique case (pick)
      0:       return 64'(1) << 12;
      1:       return 64'(1) << 20;
      2:       return 64'(1) << 21;
      3:       return 64'(1) << 29;
      default: return 64'(1) << 30;
    endcase
  endfunction

  // A value aligned to granule g below 2^47, often below 2^32 (sometimes anything at all).
  function automatic logic [63:0] aligned(logic [63:0] g);
    if ($urandom_range(0, 15) == 0) return rnd64();
    return (rnd64() & ((64'(1) << 47) - 1)) & ~(g - 1) &
           (($urandom_range(0, 1) == 0) ? 64'hffff_ffff : '1);
  endfunction

  // A segment with bounds and offset aligned to one granule, disabled, inverted or ragged.
  // (A random choice goes to a variable first: a case expression may be evaluated per item.)
  function automatic walk_seg_pkg::segment_t rnd_segment();
    walk_seg_pkg::segment_t s;
    logic [63:0]            g;
    int unsigned            pick;
    g      = granule();
    s.base = aligned(g);
    pick   = $urandom_range(0, 8);
    unique case (pick)
      0:       s.limit = s.base;                              // disabled
      1:       s.limit = s.base - g;                          // below base
      2:       s.limit = aligned(granule());
      3:       s.limit = (64'(1) << 47) + g * 64'($urandom_range(0, 1));  // guest input space end
      default: s.limit = s.base + g * 64'($urandom_range(1, 5));
    endcase
    s.offset = aligned(g) - (($urandom_range(0, 1) == 0) ? s.base : '0);
    pick     = $urandom_range(0, 7);
    if (pick == 0) begin  // the output ends at, or one granule past, the physical address space
      s.offset = (64'(1) << 52) - s.limit + g * 64'($urandom_range(0, 1));
    end else if (pick == 1) begin  // the output starts there
      s.offset = (64'(1) << 52) - s.base - g * 64'($urandom_range(0, 1));
    end
    return s;
  endfunction

  // A new segment: its bounds become probe points, and for a VMM segment some pool frames lie
  // inside it (so the escape filter holds frames of the segment).
  function automatic walk_seg_pkg::segment_t new_segment(bit vmm);
    walk_seg_pkg::segment_t s;
    s = rnd_segment();
    note(s.base);
    note(s.limit);
    if (vmm && s.limit > s.base) begin
      for (int unsigned i = 0; i < 2; i++) begin
        frames[$urandom_range(0, Pool - 1)] =
            KeyBits'((s.base >> 12) + 64'($urandom_range(0, 1023)));
      end
    end
    return s;
  endfunction

  // An address at or around a recent segment bound or a 2M/1G edge.
  function automatic logic [63:0] probe();
    logic [63:0] p;
    int unsigned pick;
    p    = points[$urandom_range(0, 7)];
    pick = $urandom_range(0, 5);
    unique case (pick)
      0:       return rnd64();
      1:       return p;
      2:       return p - 64'd1 - 64'($urandom_range(0, 8191));
      3:       return p + 64'($urandom_range(0, 8191));
      4:       return (p & ~(granule() - 1)) + granule() * 64'($urandom_range(0, 3)) -
                      64'($urandom_range(0, 1)) * 64'h1000;
      default: return {($urandom_range(0, 1) == 0) ? 12'd0 : 12'($urandom),
                       frames[$urandom_range(0, Pool - 1)], 12'($urandom)};
    endcase
  endfunction

  function automatic void note(logic [63:0] v);
    points[$urandom_range(0, 7)] = v;
  endfunction

  function automatic logic [AddrBits-1:0] seg_reg_addr();
    int unsigned pick;
    pick = $urandom_range(0, 8);
    unique case (pick)
      0: return mmu_regs_pkg::RegBaseGOffset;
      1: return mmu_regs_pkg::RegLimitGOffset;
      2: return mmu_regs_pkg::RegOffsetGOffset;
      3: return mmu_regs_pkg::RegBaseVOffset;
      4: return mmu_regs_pkg::RegLimitVOffset;
      5: return mmu_regs_pkg::RegOffsetVOffset;
      6, 7: return mmu_regs_pkg::RegSegCommitOffset;
      default: return AddrBits'($urandom);
    endcase
  endfunction

  // The candidate segments the MMIO writes stage (G, V).
  walk_seg_pkg::segment_t cand [2];

  // The inputs of the next cycle.
  logic                   reg_write_n;
  logic [AddrBits-1:0]    reg_addr_n;
  logic [63:0]            reg_wdata_n;
  walk_seg_pkg::segment_t gseg_n, vseg_n;
  logic                   f_clear_n, f_add_n;
  logic [KeyBits-1:0]     f_frame_n;
  logic [W*3-1:0]         mode_n;
  logic [W*64-1:0]        va_n, gpa_n;

  task automatic next_inputs();
    int unsigned side;
    reg_write_n = $urandom_range(0, 1) == 0;
    reg_addr_n  = seg_reg_addr();
    side        = (reg_addr_n >= mmu_regs_pkg::RegBaseVOffset) ? 1 : 0;
    if ($urandom_range(0, 15) == 0) cand[side] = new_segment(side == 1);
    unique case (reg_addr_n)
      mmu_regs_pkg::RegBaseGOffset, mmu_regs_pkg::RegBaseVOffset:
        reg_wdata_n = cand[side].base;
      mmu_regs_pkg::RegLimitGOffset, mmu_regs_pkg::RegLimitVOffset:
        reg_wdata_n = cand[side].limit;
      mmu_regs_pkg::RegOffsetGOffset, mmu_regs_pkg::RegOffsetVOffset:
        reg_wdata_n = cand[side].offset;
      mmu_regs_pkg::RegSegCommitOffset:
        reg_wdata_n = ($urandom_range(0, 7) == 0) ? rnd64() : 64'($urandom_range(1, 3));
      default:
        reg_wdata_n = rnd64();
    endcase
    if ($urandom_range(0, 15) == 0) reg_wdata_n = reg_wdata_n ^ 64'($urandom_range(1, 4095));
    gseg_n = gseg;
    vseg_n = vseg;
    if ($urandom_range(0, 31) == 0) gseg_n = new_segment(1'b0);
    if ($urandom_range(0, 31) == 0) vseg_n = new_segment(1'b1);
    f_clear_n = $urandom_range(0, 255) == 0;
    f_add_n   = $urandom_range(0, 7) == 0;
    f_frame_n = ($urandom_range(0, 3) == 0) ? KeyBits'(rnd64())
                                            : frames[$urandom_range(0, Pool - 1)];
    for (int unsigned s_i = 0; s_i < W; s_i++) begin
      mode_n[s_i * 3 +: 3] = ($urandom_range(0, 3) == 0) ? 3'($urandom) : 3'd3;  // mostly dual
      va_n[s_i * 64 +: 64] = probe();
      gpa_n[s_i * 64 +: 64] = ($urandom_range(0, 2) == 0)
          ? {12'd0, frames[$urandom_range(0, Pool - 1)], 12'($urandom)} : probe();
    end
  endtask

  // ---- the run --------------------------------------------------------------------------------
  // How often the RTL showed each case (the stimulus reaches them).
  int unsigned cycle = 0, mismatches = 0;
  int unsigned n_changed = 0, n_refused = 0, n_ghit = 0, n_g1g = 0, n_g2m = 0, n_vin = 0,
               n_vesc = 0, n_v1g = 0, n_v2m = 0;
  task automatic count();
    if (out_rtl[8]) n_changed++;
    if (out_rtl[7:0] != 8'(mmu_regs_pkg::StsOk)) n_refused++;
    for (int unsigned s_i = 0; s_i < W; s_i++) begin
      if (out_rtl[41 + s_i]) begin
        n_ghit++;
        if (out_rtl[41 + 65 * W + 2 * s_i +: 2] == walk_seg_pkg::Size1G) n_g1g++;
        if (out_rtl[41 + 65 * W + 2 * s_i +: 2] == walk_seg_pkg::Size2M) n_g2m++;
      end
      if (out_rtl[41 + 67 * W + s_i]) begin
        n_vin++;
        if (out_rtl[41 + 68 * W + s_i]) n_vesc++;
        if (out_rtl[41 + 133 * W + 2 * s_i +: 2] == walk_seg_pkg::Size1G) n_v1g++;
        if (out_rtl[41 + 133 * W + 2 * s_i +: 2] == walk_seg_pkg::Size2M) n_v2m++;
      end
    end
  endtask

  initial begin
    for (int unsigned i = 0; i < Pool; i++) frames[i] = KeyBits'(rnd64());
    for (int unsigned i = 0; i < 8; i++) points[i] = aligned(granule());
    cand[0] = new_segment(1'b0);
    cand[1] = new_segment(1'b1);
    gseg    = new_segment(1'b0);
    vseg    = new_segment(1'b1);
    next_inputs();
    reg_write = reg_write_n;
    reg_addr  = reg_addr_n;
    reg_wdata = reg_wdata_n;
    gseg      = gseg_n;
    vseg      = vseg_n;
    f_clear   = f_clear_n;
    f_add     = f_add_n;
    f_frame   = f_frame_n;
    mode      = mode_n;
    va        = va_n;
    gpa       = gpa_n;
  end

  // Compare: the outputs of this cycle's inputs and state, before the edge that takes them.
  always @(negedge clk) begin
    if (rst_ni) begin
      if (out_rtl != out_net) begin
        mismatches++;
        if (mismatches <= 5) begin
          $display("walk_seg_area_tb: cycle %0d: RTL %h", cycle, out_rtl);
          $display("walk_seg_area_tb: cycle %0d: net %h", cycle, out_net);
          $display("  inputs: mode %h va %h gpa %h", mode, va, gpa);
        end
      end
      count();
      cycle++;
      if (cycle == Cycles) begin
        $display("walk_seg_area_tb: W=%0d M=%0d K=%0d SegRegs=%0d: %0d cycles, %0d mismatches",
                 W, M, K, SegRegs, cycle, mismatches);
        $display("  seen: %0d commits applied, %0d writes refused;", n_changed, n_refused);
        $display("        guest hits %0d (1G %0d, 2M %0d);", n_ghit, n_g1g, n_g2m);
        $display("        VMM hits %0d, escaped %0d (1G %0d, 2M %0d)", n_vin, n_vesc, n_v1g, n_v2m);
        if (mismatches != 0) $fatal(1, "walk_seg_area_tb: the netlist differs from the RTL");
        $finish;
      end
    end
  end

  // Drive: new inputs after the edge (nonblocking, so this edge takes the old ones).
  int unsigned edges = 0;
  always @(posedge clk) begin
    edges++;
    rst_ni <= edges >= 2;
    next_inputs();
    reg_write <= reg_write_n;
    reg_addr  <= reg_addr_n;
    reg_wdata <= reg_wdata_n;
    gseg      <= gseg_n;
    vseg      <= vseg_n;
    f_clear   <= f_clear_n;
    f_add     <= f_add_n;
    f_frame   <= f_frame_n;
    mode      <= mode_n;
    va        <= va_n;
    gpa       <= gpa_n;
  end
endmodule : walk_seg_area_tb
