// The segment registers of the register block (walker_regs.sv; SPEC §4, docs/register-map.md):
// BASE/LIMIT/OFFSET of the guest (_G) and VMM (_V) segments, staged by their MMIO writes and
// applied by SEG_COMMIT, as arch/register_block.cpp does it:
//   - a staged write must be 4 KiB aligned (else SegMisaligned, nothing changes);
//   - SEG_COMMIT bit 0 / bit 1 checks the staged guest / VMM segment (4 KiB aligned, LIMIT >=
//     BASE, inside the input space 2^47 (guest) or 2^MAXPHYADDR (VMM), output inside
//     2^MAXPHYADDR) and applies it; any other bit set is BadValue; with both bits set one failure
//     applies neither, the guest segment's reported first;
//   - changed_o: the commit changed a committed segment (cached translations are stale).
// status_o is the outcome of a write to one of these seven registers (StsOk for any other
// access); the register block records it in STATUS. Yosys reads this file (see walk_seg_pkg.sv
// for the subset of SystemVerilog that allows).
module walk_seg_regs #(
  parameter int unsigned MaxPhyAddr = mmu_regs_pkg::DefaultMaxPhyAddr
) (
  input  logic                                  clk_i,
  input  logic                                  rst_ni,
  // an MMIO write at this edge
  input  logic                                  write_i,
  input  logic [mmu_regs_pkg::RegAddrWidth-1:0] addr_i,
  input  logic [63:0]                           wdata_i,
  output mmu_regs_pkg::reg_status_e             status_o,
  output logic                                  changed_o,
  // the committed segments
  output walk_seg_pkg::segment_t                gseg_o,
  output walk_seg_pkg::segment_t                vseg_o
);
  localparam logic [63:0] PageMask   = (64'(1) << mmu_regs_pkg::PageShift) - 64'd1;
  localparam logic [63:0] PhysLimit  = 64'(1) << MaxPhyAddr;
  localparam logic [63:0] GuestLimit = 64'(1) << mmu_regs_pkg::GuestSegmentInputBits;
  localparam logic [63:0] CommitBits = (64'(1) << mmu_regs_pkg::SegCommitCommitGLsb) |
                                       (64'(1) << mmu_regs_pkg::SegCommitCommitVLsb);

  // Reset values of the staged and the committed registers (fields in the struct's order).
  localparam walk_seg_pkg::segment_t GReset = {mmu_regs_pkg::RegBaseGReset,
                                               mmu_regs_pkg::RegLimitGReset,
                                               mmu_regs_pkg::RegOffsetGReset};
  localparam walk_seg_pkg::segment_t VReset = {mmu_regs_pkg::RegBaseVReset,
                                               mmu_regs_pkg::RegLimitVReset,
                                               mmu_regs_pkg::RegOffsetVReset};

  walk_seg_pkg::segment_t sg_d, sg_q, sv_d, sv_q;  // staged
  walk_seg_pkg::segment_t g_d, g_q, v_d, v_q;      // committed

  // The SEG_COMMIT checks of one staged segment whose input space ends at in_limit.
  function automatic mmu_regs_pkg::reg_status_e seg_check(
      input logic [63:0] base, input logic [63:0] limit, input logic [63:0] offset,
      input logic [63:0] in_limit);
    logic [63:0] lo, hi;
    lo = base + offset;
    hi = limit + offset;
    if (((base | limit | offset) & PageMask) != '0) begin
      seg_check = mmu_regs_pkg::StsSegMisaligned;
    end else if (limit < base) begin
      seg_check = mmu_regs_pkg::StsSegLimitBelowBase;
    end else if (base == limit) begin
      seg_check = mmu_regs_pkg::StsOk;  // disabled: nothing to translate
    end else if (limit > in_limit) begin
      seg_check = mmu_regs_pkg::StsSegInputOutOfRange;
    end else if (lo >= PhysLimit || hi > PhysLimit || hi <= lo) begin
      seg_check = mmu_regs_pkg::StsSegOutputOutOfRange;
    end else begin
      seg_check = mmu_regs_pkg::StsOk;
    end
  endfunction

  mmu_regs_pkg::reg_status_e g_st, v_st;
  logic                      commit_g, commit_v;
  assign commit_g = wdata_i[mmu_regs_pkg::SegCommitCommitGLsb];
  assign commit_v = wdata_i[mmu_regs_pkg::SegCommitCommitVLsb];
  assign g_st = commit_g ? seg_check(sg_q.base, sg_q.limit, sg_q.offset, GuestLimit)
                         : mmu_regs_pkg::StsOk;
  assign v_st = commit_v ? seg_check(sv_q.base, sv_q.limit, sv_q.offset, PhysLimit)
                         : mmu_regs_pkg::StsOk;

  always_comb begin
    sg_d      = sg_q;
    sv_d      = sv_q;
    g_d       = g_q;
    v_d       = v_q;
    status_o  = mmu_regs_pkg::StsOk;
    changed_o = 1'b0;
    if (write_i) begin
      unique case (addr_i)
        mmu_regs_pkg::RegBaseGOffset, mmu_regs_pkg::RegLimitGOffset,
        mmu_regs_pkg::RegOffsetGOffset, mmu_regs_pkg::RegBaseVOffset,
        mmu_regs_pkg::RegLimitVOffset, mmu_regs_pkg::RegOffsetVOffset: begin
          if ((wdata_i & PageMask) != '0) begin
            status_o = mmu_regs_pkg::StsSegMisaligned;
          end else begin
            unique case (addr_i)
              mmu_regs_pkg::RegBaseGOffset:   sg_d.base   = wdata_i;
              mmu_regs_pkg::RegLimitGOffset:  sg_d.limit  = wdata_i;
              mmu_regs_pkg::RegOffsetGOffset: sg_d.offset = wdata_i;
              mmu_regs_pkg::RegBaseVOffset:   sv_d.base   = wdata_i;
              mmu_regs_pkg::RegLimitVOffset:  sv_d.limit  = wdata_i;
              default:                        sv_d.offset = wdata_i;
            endcase
          end
        end
        mmu_regs_pkg::RegSegCommitOffset: begin
          if ((wdata_i & ~CommitBits) != '0) begin
            status_o = mmu_regs_pkg::StsBadValue;
          end else if (g_st != mmu_regs_pkg::StsOk) begin
            status_o = g_st;
          end else if (v_st != mmu_regs_pkg::StsOk) begin
            status_o = v_st;
          end else begin
            if (commit_g && g_q != sg_q) begin
              g_d       = sg_q;
              changed_o = 1'b1;
            end
            if (commit_v && v_q != sv_q) begin
              v_d       = sv_q;
              changed_o = 1'b1;
            end
          end
        end
        default: ;  // not a segment register
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      sg_q <= GReset;
      sv_q <= VReset;
      g_q  <= GReset;
      v_q  <= VReset;
    end else begin
      sg_q <= sg_d;
      sv_q <= sv_d;
      g_q  <= g_d;
      v_q  <= v_d;
    end
  end

  assign gseg_o = g_q;
  assign vseg_o = v_q;

  if (MaxPhyAddr < mmu_regs_pkg::MinMaxPhyAddr || MaxPhyAddr > 52) begin : gen_bad_maxphyaddr
    $error("walk_seg_regs: MaxPhyAddr must be in [32, 52]");
  end
endmodule : walk_seg_regs
