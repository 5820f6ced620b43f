// The MMU register block (SPEC §4) in RTL: the MMIO port, the rules of arch/mmu_regs.h and
// arch/register_block.cpp, and the committed context the walk slots latch.
//   - One access per cycle at the edge where reg_valid_i is high; reads return reg_rdata_o in that
//     cycle. A refused write changes nothing but STATUS (code, offset, saturating count); its
//     reason is on reg_status_o in that cycle. Unknown offsets read 0 and record BAD_OFFSET.
//   - BASE/LIMIT/OFFSET_{G,V} are staged; SEG_COMMIT checks the staged segments (4 KiB aligned,
//     LIMIT >= BASE, inside the input space 2^47 (guest) or 2^MAXPHYADDR (VMM), output inside
//     2^MAXPHYADDR) and applies them; with both bits set one failure applies neither. These
//     seven registers are the submodule walk_seg_regs.
//   - FILTER_CTRL bit 0 clears the escape filter, FILTER_ADD adds a frame (< 2^(MAXPHYADDR-12)).
//   - INV_CMD decodes into an invalidation pulse (inv_valid_o) at the edge of the write. A MODE
//     change, an applied segment change and any filter update also pulse a flush-all.
//   - FAULT_INFO/GVA/GPA record the fault of each faulting response (fault_valid_i).
module walker_regs
  import mmu_regs_pkg::*;
  import walk_seg_pkg::*;
  import walker_pkg::*;
#(
  parameter int unsigned MaxPhyAddr   = DefaultMaxPhyAddr,
  parameter int unsigned FilterBits   = FilterDefaultBits,
  parameter int unsigned FilterHashes = FilterDefaultHashes
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // MMIO
  input  logic                     reg_valid_i,
  input  logic                     reg_write_i,
  input  logic [RegAddrWidth-1:0]  reg_addr_i,
  input  logic [63:0]              reg_wdata_i,
  output logic [63:0]              reg_rdata_o,
  output reg_status_e              reg_status_o,
  // the committed context
  output walk_ctx_t                ctx_o,
  // escape filter control
  output logic                     filter_clear_o,
  output logic                     filter_add_o,
  output logic [FilterKeyBits-1:0] filter_frame_o,
  input  logic [31:0]              filter_added_i,
  // invalidation pulse
  output logic                     inv_valid_o,
  output inv_op_e                  inv_op_o,
  output logic [63:0]              inv_addr_o,
  output logic [11:0]              inv_pcid_o,
  output logic [15:0]              inv_vmid_o,
  // the fault of a response taken this cycle
  input  logic                     fault_valid_i,
  input  fault_t                   fault_i
);
  localparam logic [63:0] PhysLimit = 64'(1) << MaxPhyAddr;

  walk_cfg_t   cfg_d, cfg_q;            // the committed configuration
  segment_t    gseg, vseg;              // the committed segments (walk_seg_regs)
  logic [63:0] inv_addr_d, inv_addr_q;
  logic [63:0] status_d, status_q;
  logic [63:0] finfo_d, finfo_q, fgva_d, fgva_q, fgpa_d, fgpa_q;

  function automatic logic eptp_valid(logic [63:0] v);
    if (v[2:0] != 3'd0 && v[2:0] != 3'd6) return 1'b0;
    if (v[5:3] != 3'd3) return 1'b0;
    if (v[11:7] != '0) return 1'b0;
    return (v & bit_range(63, MaxPhyAddr)) == '0;
  endfunction

  function automatic logic known_offset(logic [RegAddrWidth-1:0] a);
    for (int unsigned i = 0; i < RegCount; i++) begin
      if (RegOffsets[i * RegAddrWidth +: RegAddrWidth] == a) return 1'b1;
    end
    return 1'b0;
  endfunction

  // ---- the segment registers --------------------------------------------------------------------
  reg_status_e seg_st;
  logic        seg_changed;

  walk_seg_regs #(.MaxPhyAddr(MaxPhyAddr)) u_seg_regs (
    .clk_i    (clk_i),
    .rst_ni   (rst_ni),
    .write_i  (reg_valid_i && reg_write_i),
    .addr_i   (reg_addr_i),
    .wdata_i  (reg_wdata_i),
    .status_o (seg_st),
    .changed_o(seg_changed),
    .gseg_o   (gseg),
    .vseg_o   (vseg)
  );

  // ---- reads ------------------------------------------------------------------------------------
  always_comb begin
    reg_rdata_o = '0;
    unique case (reg_addr_i)
      RegIdOffset:      reg_rdata_o = RegIdValue;
      RegModeOffset:    reg_rdata_o = 64'(cfg_q.mode);
      RegCr3Offset:     reg_rdata_o = cfg_q.cr3;
      RegPcidOffset:    reg_rdata_o = 64'(cfg_q.pcid);
      RegEptpOffset:    reg_rdata_o = cfg_q.eptp;
      RegVmidOffset:    reg_rdata_o = 64'(cfg_q.vmid);
      RegBaseGOffset:   reg_rdata_o = gseg.base;
      RegLimitGOffset:  reg_rdata_o = gseg.limit;
      RegOffsetGOffset: reg_rdata_o = gseg.offset;
      RegBaseVOffset:   reg_rdata_o = vseg.base;
      RegLimitVOffset:  reg_rdata_o = vseg.limit;
      RegOffsetVOffset: reg_rdata_o = vseg.offset;
      RegFilterCtrlOffset:
        reg_rdata_o = (64'(FilterBits) << FilterCtrlMLsb) |
                      (64'(FilterHashes) << FilterCtrlKLsb) |
                      (64'(filter_added_i) << FilterCtrlAddedLsb);
      RegInvAddrOffset:   reg_rdata_o = inv_addr_q;
      RegStatusOffset:    reg_rdata_o = status_q;
      RegFaultInfoOffset: reg_rdata_o = finfo_q;
      RegFaultGvaOffset:  reg_rdata_o = fgva_q;
      RegFaultGpaOffset:  reg_rdata_o = fgpa_q;
      RegConfigOffset:
        reg_rdata_o = (64'(cfg_q.ad) << ConfigAdEnableLsb) |
                      (64'(MaxPhyAddr) << ConfigMaxphyaddrLsb);
      default: reg_rdata_o = '0;  // write-only registers and unknown offsets
    endcase
  end

  // ---- writes -----------------------------------------------------------------------------------
  always_comb begin : write
    reg_status_e st;
    logic        flush;
    logic [63:0] v;
    logic [31:0] count;
    cfg_d          = cfg_q;
    inv_addr_d     = inv_addr_q;
    status_d       = status_q;
    finfo_d        = finfo_q;
    fgva_d         = fgva_q;
    fgpa_d         = fgpa_q;
    filter_clear_o = 1'b0;
    filter_add_o   = 1'b0;
    filter_frame_o = reg_wdata_i[FilterKeyBits-1:0];
    inv_valid_o    = 1'b0;
    inv_op_o       = OpFlushAll;
    inv_addr_o     = '0;
    inv_pcid_o     = cfg_q.pcid;
    inv_vmid_o     = cfg_q.vmid;
    st             = StsOk;
    flush          = 1'b0;
    v              = reg_wdata_i;
    count          = '0;

    if (reg_valid_i && !reg_write_i) begin
      if (!known_offset(reg_addr_i)) st = StsBadOffset;
    end else if (reg_valid_i && reg_write_i) begin
      unique case (reg_addr_i)
        RegIdOffset, RegFaultInfoOffset, RegFaultGvaOffset, RegFaultGpaOffset:
          st = StsReadOnly;
        RegModeOffset: begin
          if (v > 64'(ModeFlatNested)) begin
            st = StsBadMode;
          end else if (mode_e'(v[2:0]) != cfg_q.mode) begin
            cfg_d.mode = mode_e'(v[2:0]);
            flush      = 1'b1;  // cached translations were made under the other mode's rules
          end
        end
        RegCr3Offset: begin
          if (v[11:0] != '0 || v >= PhysLimit) st = StsBadCr3;
          else cfg_d.cr3 = v;
        end
        RegPcidOffset: begin
          if ((v >> PcidBits) != '0) st = StsBadValue;
          else cfg_d.pcid = v[11:0];
        end
        RegEptpOffset: begin
          if (v != '0 && !eptp_valid(v)) st = StsBadEptp;
          else cfg_d.eptp = v;
        end
        RegVmidOffset: begin
          if ((v >> VmidBits) != '0) st = StsBadValue;
          else cfg_d.vmid = v[15:0];
        end
        // Staged segment writes and SEG_COMMIT: walk_seg_regs checks and applies them.
        RegBaseGOffset, RegLimitGOffset, RegOffsetGOffset,
        RegBaseVOffset, RegLimitVOffset, RegOffsetVOffset, RegSegCommitOffset: begin
          st    = seg_st;
          flush = seg_changed;
        end
        RegFilterCtrlOffset: begin
          if ((v & ~64'h1) != '0) begin
            st = StsBadValue;
          end else if (v[FilterCtrlClearLsb]) begin
            filter_clear_o = 1'b1;
            flush          = 1'b1;
          end
        end
        RegFilterAddOffset: begin
          if ((v >> (MaxPhyAddr - PageShift)) != '0) begin
            st = StsBadValue;
          end else begin
            filter_add_o = 1'b1;
            flush        = 1'b1;
          end
        end
        RegInvCmdOffset: begin
          if ((v & ~(64'hf | (64'hfff << InvCmdPcidLsb) | (64'hffff << InvCmdVmidLsb))) != '0 ||
              v[3:0] == 4'(OpNone) || v[3:0] > 4'(OpFlushAll)) begin
            st = StsBadInvCommand;
          end else begin
            inv_valid_o = 1'b1;
            inv_op_o    = inv_op_e'(v[3:0]);
            unique case (inv_op_e'(v[3:0]))
              OpInvlpg: inv_addr_o = inv_addr_q;
              OpInvpcidAddr: begin
                inv_addr_o = inv_addr_q;
                inv_pcid_o = v[InvCmdPcidLsb +: InvCmdPcidWidth];
              end
              OpInvpcidContext, OpInvpcidAllGlobal, OpInvpcidAll:
                inv_pcid_o = v[InvCmdPcidLsb +: InvCmdPcidWidth];
              OpInveptSingle: inv_vmid_o = v[InvCmdVmidLsb +: InvCmdVmidWidth];
              default: ;
            endcase
          end
        end
        RegInvAddrOffset: inv_addr_d = v;
        RegStatusOffset:  status_d = '0;  // any write clears
        RegConfigOffset: begin
          if ((v & ~(64'h1 | (64'h7f << ConfigMaxphyaddrLsb))) != '0) begin
            st = StsBadValue;
          end else if (v[ConfigMaxphyaddrLsb +: ConfigMaxphyaddrWidth] != 7'(MaxPhyAddr)) begin
            st = StsReadOnly;
          end else begin
            cfg_d.ad = v[ConfigAdEnableLsb];
          end
        end
        default: st = StsBadOffset;
      endcase
    end

    if (st != StsOk) begin  // refused: only STATUS changes
      cfg_d          = cfg_q;
      inv_addr_d     = inv_addr_q;
      filter_clear_o = 1'b0;
      filter_add_o   = 1'b0;
      inv_valid_o    = 1'b0;
      flush          = 1'b0;
      count          = status_q[StatusCountLsb +: StatusCountWidth];
      if (count != '1) count = count + 32'd1;
      status_d = (64'(st) << StatusCodeLsb) | (64'(reg_addr_i) << StatusOffsetLsb) |
                 (64'(count) << StatusCountLsb);
    end
    if (flush) begin
      inv_valid_o = 1'b1;
      inv_op_o    = OpFlushAll;
      inv_addr_o  = '0;
      inv_pcid_o  = cfg_d.pcid;
      inv_vmid_o  = cfg_d.vmid;
    end
    if (fault_valid_i) begin
      finfo_d = (64'(fault_i.kind) << FaultInfoKindLsb) |
                (64'(fault_i.stage) << FaultInfoStageLsb) |
                (64'(fault_i.level) << FaultInfoLevelLsb) |
                (64'(fault_i.code) << FaultInfoCodeLsb);
      fgva_d  = fault_i.gva;
      fgpa_d  = fault_i.gpa;
    end
    reg_status_o = st;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cfg_q      <= '0;
      cfg_q.mode <= mode_e'(RegModeReset[2:0]);
      cfg_q.ad   <= RegConfigReset[ConfigAdEnableLsb];
      inv_addr_q <= RegInvAddrReset;
      status_q   <= RegStatusReset;
      finfo_q    <= RegFaultInfoReset;
      fgva_q     <= RegFaultGvaReset;
      fgpa_q     <= RegFaultGpaReset;
    end else begin
      cfg_q      <= cfg_d;
      inv_addr_q <= inv_addr_d;
      status_q   <= status_d;
      finfo_q    <= finfo_d;
      fgva_q     <= fgva_d;
      fgpa_q     <= fgpa_d;
    end
  end

  assign ctx_o = '{cfg: cfg_q, gseg: gseg, vseg: vseg};
endmodule : walker_regs
