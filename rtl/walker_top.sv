// The RTL page-walk engine (docs/walker-fsm.md): W walk slots, one memory port behind a
// round-robin arbiter, the paging-structure cache and the nested TLB shared by the slots, the
// escape filter, and the register block (MMIO) whose committed context each slot latches when it
// accepts a request.
//
// Ports are the contract's (clock clk, active-low synchronous reset rst_ni, every transfer at a
// rising edge). Besides them, the MMIO port (reg_*) reaches the register block, and the response
// carries a trace for the golden checker: the guest and EPT leaves as read, the PWC start, every
// nested-TLB lookup of the walk in order, and which gPAs the VMM segment translated
// (resp_vmm_seg_mask bit L: the guest level-L entry; bit 0: the final gPA).
module walker_top
  import mmu_regs_pkg::*;
  import walker_pkg::*;
#(
  parameter int unsigned W            = 2,    // walk slots
  parameter int unsigned MaxPhyAddr   = DefaultMaxPhyAddr,
  parameter int unsigned FilterBits   = FilterDefaultBits,    // m
  parameter int unsigned FilterHashes = FilterDefaultHashes,  // k
  parameter int unsigned Pml4Entries  = 2,    // paging-structure caches (0 disables a level)
  parameter int unsigned Pml4Ways     = 2,
  parameter int unsigned PdptEntries  = 4,
  parameter int unsigned PdptWays     = 4,
  parameter int unsigned PdEntries    = 32,
  parameter int unsigned PdWays       = 4,
  parameter int unsigned NtlbEntries  = 32,   // nested TLB (0 disables it)
  parameter int unsigned NtlbWays     = 4,
  // Fault injection for the tests that show the checkers catch a wrong walker (library
  // mmuvp_rtl_walker_bug): every MMIO write to OFFSET_G / OFFSET_V is XOR-ed with this, so the
  // walker adds a wrong segment offset while software believes the programmed one. 0 in every
  // real build.
  parameter logic [63:0] InjectOffsetXor = '0,
  localparam int unsigned TagBits     = (W > 1) ? $clog2(W) : 1
) (
  input  logic                    clk,
  input  logic                    rst_ni,
  // request (MMU -> walker)
  input  logic                    req_valid,
  output logic                    req_ready,
  input  logic [15:0]             req_id,
  input  logic [63:0]             req_va,
  input  logic [1:0]              req_type,      // 0 read, 1 write, 2 execute
  input  logic                    req_user,
  // response (walker -> MMU)
  output logic                    resp_valid,
  input  logic                    resp_ready,
  output logic [15:0]             resp_id,
  output logic [TagBits-1:0]      resp_slot,
  output logic [63:0]             resp_hpa,
  output logic [63:0]             resp_gpa,
  output logic [1:0]              resp_size,     // 0 4K, 1 2M, 2 1G
  output logic [1:0]              resp_guest_size,
  output logic [1:0]              resp_host_size,
  output logic [3:0]              resp_perms,    // {r, w, x, u}
  output logic                    resp_global,
  output logic                    resp_dirty,
  output logic                    resp_guest_seg_hit,
  output logic                    resp_vmm_seg_hit,
  output logic [2:0]              resp_filter_hits,
  output logic [7:0]              resp_fault_kind,
  output logic [1:0]              resp_fault_stage,
  output logic [2:0]              resp_fault_level,
  output logic [31:0]             resp_fault_code,
  output logic [63:0]             resp_fault_gva,
  output logic [63:0]             resp_fault_gpa,
  // response trace (checker)
  output logic [63:0]             resp_guest_leaf,
  output logic [63:0]             resp_ept_leaf,
  output logic [2:0]              resp_pwc_level,
  output logic [63:0]             resp_pwc_table,
  output logic [3:0]              resp_pwc_perms,
  output logic [2:0]              resp_ntlb_count,
  output logic [MaxNtlbLog-1:0]   resp_ntlb_hit,
  output logic [MaxNtlbLog-1:0][63:0] resp_ntlb_gpa,
  output logic [MaxNtlbLog-1:0][63:0] resp_ntlb_hpa,
  output logic [MaxNtlbLog-1:0][1:0]  resp_ntlb_size,
  output logic [MaxNtlbLog-1:0][3:0]  resp_ntlb_perms,
  output logic [MaxNtlbLog-1:0]   resp_ntlb_dirty,
  output logic [4:0]              resp_vmm_seg_mask,
  // memory request (walker -> memory)
  output logic                    mem_req_valid,
  input  logic                    mem_req_ready,
  output logic [TagBits-1:0]      mem_req_tag,
  output logic [63:0]             mem_req_addr,
  output logic                    mem_req_op,        // 0 READ, 1 SET_BITS
  output logic [63:0]             mem_req_data,
  output logic                    mem_req_target,    // 0 guest entry, 1 EPT entry
  output logic [2:0]              mem_req_level,
  output logic [2:0]              mem_req_for_level,
  // memory response (memory -> walker)
  input  logic                    mem_resp_valid,
  input  logic [TagBits-1:0]      mem_resp_tag,
  input  logic [63:0]             mem_resp_data,
  input  logic                    mem_resp_err,
  // invalidation (arch::Invalidation), applied at this edge after the fills
  input  logic                    inv_valid,
  input  logic [3:0]              inv_op,
  input  logic [63:0]             inv_addr,
  input  logic [15:0]             inv_pcid,
  input  logic [15:0]             inv_vmid,
  // register block (MMIO, one access per cycle)
  input  logic                    reg_valid,
  input  logic                    reg_write,
  input  logic [RegAddrWidth-1:0] reg_addr,
  input  logic [63:0]             reg_wdata,
  output logic [63:0]             reg_rdata,
  output logic [7:0]              reg_status
);
  // ---- register block, escape filter --------------------------------------------------------------
  walk_ctx_t                       ctx;
  logic                            f_clear, f_add, f_empty;
  logic [FilterKeyBits-1:0]        f_add_frame;
  logic [31:0]                     f_added;
  logic [W-1:0][FilterKeyBits-1:0] f_query;
  logic [W-1:0]                    f_hit;
  logic                            r_inv_valid;
  inv_op_e                         r_inv_op;
  logic [63:0]                     r_inv_addr;
  logic [11:0]                     r_inv_pcid;
  logic [15:0]                     r_inv_vmid;
  logic                            fault_taken;
  fault_t                          fault_rsp;
  reg_status_e                     reg_st;
  logic [63:0]                     reg_wdata_regs;  // reg_wdata, with InjectOffsetXor applied

  always_comb begin
    reg_wdata_regs = reg_wdata;
    if (reg_write && (reg_addr == RegOffsetGOffset || reg_addr == RegOffsetVOffset)) begin
      reg_wdata_regs = reg_wdata ^ InjectOffsetXor;
    end
  end

  walker_regs #(
    .MaxPhyAddr  (MaxPhyAddr),
    .FilterBits  (FilterBits),
    .FilterHashes(FilterHashes)
  ) u_regs (
    .clk_i         (clk),
    .rst_ni        (rst_ni),
    .reg_valid_i   (reg_valid),
    .reg_write_i   (reg_write),
    .reg_addr_i    (reg_addr),
    .reg_wdata_i   (reg_wdata_regs),
    .reg_rdata_o   (reg_rdata),
    .reg_status_o  (reg_st),
    .ctx_o         (ctx),
    .filter_clear_o(f_clear),
    .filter_add_o  (f_add),
    .filter_frame_o(f_add_frame),
    .filter_added_i(f_added),
    .inv_valid_o   (r_inv_valid),
    .inv_op_o      (r_inv_op),
    .inv_addr_o    (r_inv_addr),
    .inv_pcid_o    (r_inv_pcid),
    .inv_vmid_o    (r_inv_vmid),
    .fault_valid_i (fault_taken),
    .fault_i       (fault_rsp)
  );
  assign reg_status = reg_st;

  escape_filter #(
    .M(FilterBits),
    .K(FilterHashes),
    .Q(W)
  ) u_filter (
    .clk_i        (clk),
    .rst_ni       (rst_ni),
    .clear_i      (f_clear),
    .add_i        (f_add),
    .add_frame_i  (f_add_frame),
    .query_frame_i(f_query),
    .query_hit_o  (f_hit),
    .empty_o      (f_empty),
    .added_o      (f_added)
  );

  // ---- slots ---------------------------------------------------------------------------------------
  walk_req_t               req;
  walk_state_e [W-1:0]     state;
  logic        [W-1:0]     idle, accept, offer, take;
  walk_rsp_t   [W-1:0]     rsp;
  logic        [W-1:0]     mreq, msel, mgnt, mrsp;
  mem_req_t    [W-1:0]     mreq_data;
  logic        [W-1:0]     pwc_lookup, pwc_fill, ntlb_lookup, ntlb_fill;
  gva_t        [W-1:0]     pwc_va;
  logic        [W-1:0][11:0] pwc_pcid;
  logic        [W-1:0][15:0] pwc_vmid, ntlb_vmid;
  pwc_hit_t    [W-1:0]     pwc_hit;
  pwc_fill_t   [W-1:0]     pwc_fill_data;
  gpa_t        [W-1:0]     ntlb_gpa;
  access_e     [W-1:0]     ntlb_need;
  ntlb_look_t  [W-1:0]     ntlb_hit;
  ntlb_fill_t  [W-1:0]     ntlb_fill_data;

  assign req = '{id: req_id, va: req_va, acc: access_e'(req_type), user: req_user};

  for (genvar s = 0; s < W; s++) begin : gen_slot
    assign idle[s] = state[s] == W_IDLE;
    assign mrsp[s] = mem_resp_valid && 32'(mem_resp_tag) == s;

    walk_slot #(
      .MaxPhyAddr(MaxPhyAddr),
      .FrameBits (FilterKeyBits)
    ) u_slot (
      .clk_i           (clk),
      .rst_ni          (rst_ni),
      .accept_i        (accept[s]),
      .req_i           (req),
      .ctx_i           (ctx),
      .state_o         (state[s]),
      .offer_o         (offer[s]),
      .rsp_o           (rsp[s]),
      .take_i          (take[s]),
      .mem_req_o       (mreq[s]),
      .mem_o           (mreq_data[s]),
      .mem_gnt_i       (mgnt[s]),
      .mem_rsp_i       (mrsp[s]),
      .mem_rdata_i     (mem_resp_data),
      .mem_err_i       (mem_resp_err),
      .filter_frame_o  (f_query[s]),
      .filter_hit_i    (f_hit[s]),
      .filter_empty_i  (f_empty),
      .pwc_lookup_o    (pwc_lookup[s]),
      .pwc_va_o        (pwc_va[s]),
      .pwc_pcid_o      (pwc_pcid[s]),
      .pwc_vmid_o      (pwc_vmid[s]),
      .pwc_hit_i       (pwc_hit[s]),
      .pwc_fill_o      (pwc_fill[s]),
      .pwc_fill_data_o (pwc_fill_data[s]),
      .ntlb_lookup_o   (ntlb_lookup[s]),
      .ntlb_gpa_o      (ntlb_gpa[s]),
      .ntlb_need_o     (ntlb_need[s]),
      .ntlb_vmid_o     (ntlb_vmid[s]),
      .ntlb_hit_i      (ntlb_hit[s]),
      .ntlb_fill_o     (ntlb_fill[s]),
      .ntlb_fill_data_o(ntlb_fill_data[s])
    );
  end

  // Request: the lowest-numbered idle slot takes it. Response: the lowest-numbered offering slot.
  logic [TagBits-1:0] rsp_sel;
  always_comb begin
    accept  = '0;
    take    = '0;
    rsp_sel = '0;
    for (int s = W - 1; s >= 0; s--) begin
      if (offer[s]) rsp_sel = TagBits'(s);
    end
    for (int s = W - 1; s >= 0; s--) begin
      if (idle[s]) begin
        accept    = '0;
        accept[s] = req_valid;
      end
    end
    if (resp_valid && resp_ready) take[rsp_sel] = 1'b1;
  end
  assign req_ready  = |idle;
  assign resp_valid = |offer;

  // ---- response ports ---------------------------------------------------------------------------
  walk_rsp_t r;
  assign r                  = rsp[rsp_sel];
  assign resp_id            = r.id;
  assign resp_slot          = rsp_sel;
  assign resp_hpa           = r.hpa;
  assign resp_gpa           = r.gpa;
  assign resp_size          = r.size;
  assign resp_guest_size    = r.guest_size;
  assign resp_host_size     = r.host_size;
  assign resp_perms         = r.perms;
  assign resp_global        = r.global_page;
  assign resp_dirty         = r.dirty;
  assign resp_guest_seg_hit = r.guest_seg_hit;
  assign resp_vmm_seg_hit   = r.vmm_seg_hit;
  assign resp_filter_hits   = r.filter_hits;
  assign resp_fault_kind    = r.fault.kind;
  assign resp_fault_stage   = r.fault.stage;
  assign resp_fault_level   = r.fault.level;
  assign resp_fault_code    = r.fault.code;
  assign resp_fault_gva     = r.fault.gva;
  assign resp_fault_gpa     = r.fault.gpa;
  assign resp_guest_leaf    = r.guest_leaf;
  assign resp_ept_leaf      = r.ept_leaf;
  assign resp_pwc_level     = r.pwc_start.level;
  assign resp_pwc_table     = r.pwc_start.table_addr;
  assign resp_pwc_perms     = r.pwc_start.perms;
  assign resp_ntlb_count    = r.ntlb_count;
  assign resp_vmm_seg_mask  = r.vmm_seg_mask;
  for (genvar i = 0; i < MaxNtlbLog; i++) begin : gen_ntlb_log
    assign resp_ntlb_hit[i]   = r.ntlb_log[i].hit;
    assign resp_ntlb_gpa[i]   = {r.ntlb_log[i].gpa_page, 12'h000};
    assign resp_ntlb_hpa[i]   = r.ntlb_log[i].hpa;
    assign resp_ntlb_size[i]  = r.ntlb_log[i].size;
    assign resp_ntlb_perms[i] = r.ntlb_log[i].perms;
    assign resp_ntlb_dirty[i] = r.ntlb_log[i].dirty;
  end
  assign fault_taken = resp_valid && resp_ready && r.fault.kind != FltNone;
  assign fault_rsp   = r.fault;

  // ---- memory port --------------------------------------------------------------------------------
  walk_arbiter #(.W(W)) u_arb (
    .clk_i  (clk),
    .rst_ni (rst_ni),
    .req_i  (mreq),
    .ready_i(mem_req_ready),
    .valid_o(mem_req_valid),
    .sel_o  (msel),
    .gnt_o  (mgnt)
  );

  mem_req_t m;
  always_comb begin
    m           = '0;
    mem_req_tag = '0;
    for (int s = 0; s < W; s++) begin
      if (msel[s]) begin
        m           = mreq_data[s];
        mem_req_tag = TagBits'(s);
      end
    end
  end
  assign mem_req_addr      = m.addr;
  assign mem_req_op        = m.op;
  assign mem_req_data      = m.data;
  assign mem_req_target    = m.target;
  assign mem_req_level     = m.level;
  assign mem_req_for_level = m.for_level;

  // ---- walk caches --------------------------------------------------------------------------------
  logic [1:0]       c_inv_valid;
  inv_op_e [1:0]    c_inv_op;
  logic [1:0][11:0] c_inv_pcid;
  logic [1:0][15:0] c_inv_vmid;
  assign c_inv_valid = {inv_valid, r_inv_valid};
  assign c_inv_op    = {inv_op_e'(inv_op), r_inv_op};
  assign c_inv_pcid  = {inv_pcid[11:0], r_inv_pcid};
  assign c_inv_vmid  = {inv_vmid, r_inv_vmid};

  walk_pwc #(
    .W          (W),
    .Pml4Entries(Pml4Entries),
    .Pml4Ways   (Pml4Ways),
    .PdptEntries(PdptEntries),
    .PdptWays   (PdptWays),
    .PdEntries  (PdEntries),
    .PdWays     (PdWays)
  ) u_pwc (
    .clk_i      (clk),
    .rst_ni     (rst_ni),
    .lookup_i   (pwc_lookup),
    .va_i       (pwc_va),
    .pcid_i     (pwc_pcid),
    .vmid_i     (pwc_vmid),
    .hit_o      (pwc_hit),
    .fill_i     (pwc_fill),
    .fill_data_i(pwc_fill_data),
    .inv_valid_i(c_inv_valid),
    .inv_op_i   (c_inv_op),
    .inv_pcid_i (c_inv_pcid),
    .inv_vmid_i (c_inv_vmid)
  );

  walk_ntlb #(
    .W      (W),
    .Entries(NtlbEntries),
    .Ways   (NtlbWays)
  ) u_ntlb (
    .clk_i      (clk),
    .rst_ni     (rst_ni),
    .lookup_i   (ntlb_lookup),
    .gpa_i      (ntlb_gpa),
    .need_i     (ntlb_need),
    .vmid_i     (ntlb_vmid),
    .hit_o      (ntlb_hit),
    .fill_i     (ntlb_fill),
    .fill_data_i(ntlb_fill_data),
    .inv_valid_i(c_inv_valid),
    .inv_op_i   (c_inv_op),
    .inv_vmid_i (c_inv_vmid)
  );

  // inv_addr is part of the invalidation record; the walk caches drop whole contexts (the SDM
  // allows more than the named page), so no cache here needs it.
  logic unused_ok;
  assign unused_ok = ^{inv_addr, inv_pcid[15:12], r_inv_addr};

  // ---- assertions and cover points ----------------------------------------------------------------
  // pragma translate_off
  for (genvar s = 0; s < W; s++) begin : gen_check
    // A memory response is for a slot that waits for one.
    MemRespForWaitingSlot: assert property (@(posedge clk) disable iff (!rst_ni)
        mrsp[s] |-> state[s] inside {W_EWAIT, W_EAD_WAIT, W_GWAIT, W_GAD_WAIT});
    // A slot drives the port only in a *_REQ state.
    ReqOnlyInReqState: assert property (@(posedge clk) disable iff (!rst_ni)
        mreq[s] == (state[s] inside {W_EREQ, W_EAD_REQ, W_GREQ, W_GAD_REQ}));
    // A request is accepted only by an idle slot, a response taken only from an offering one.
    AcceptOnlyIdle: assert property (@(posedge clk) disable iff (!rst_ni) accept[s] |-> idle[s]);
    TakeOnlyOffered: assert property (@(posedge clk) disable iff (!rst_ni) take[s] |-> offer[s]);
    // The state register holds a legal state.
    StateLegal: assert property (@(posedge clk) disable iff (!rst_ni)
        state[s] inside {W_IDLE, W_SEG, W_PWC, W_HSEG, W_NTLB, W_EREQ, W_EWAIT, W_ECHK,
                         W_EAD_REQ, W_EAD_WAIT, W_GREQ, W_GWAIT, W_GCHK, W_GAD_REQ, W_GAD_WAIT,
                         W_DONE, W_FAULT});
    // Every state is visited.
    CovIdle:    cover property (@(posedge clk) state[s] == W_IDLE);
    CovSeg:     cover property (@(posedge clk) state[s] == W_SEG);
    CovPwc:     cover property (@(posedge clk) state[s] == W_PWC);
    CovHseg:    cover property (@(posedge clk) state[s] == W_HSEG);
    CovNtlb:    cover property (@(posedge clk) state[s] == W_NTLB);
    CovEreq:    cover property (@(posedge clk) state[s] == W_EREQ);
    CovEwait:   cover property (@(posedge clk) state[s] == W_EWAIT);
    CovEchk:    cover property (@(posedge clk) state[s] == W_ECHK);
    CovEadReq:  cover property (@(posedge clk) state[s] == W_EAD_REQ);
    CovEadWait: cover property (@(posedge clk) state[s] == W_EAD_WAIT);
    CovGreq:    cover property (@(posedge clk) state[s] == W_GREQ);
    CovGwait:   cover property (@(posedge clk) state[s] == W_GWAIT);
    CovGchk:    cover property (@(posedge clk) state[s] == W_GCHK);
    CovGadReq:  cover property (@(posedge clk) state[s] == W_GAD_REQ);
    CovGadWait: cover property (@(posedge clk) state[s] == W_GAD_WAIT);
    CovDone:    cover property (@(posedge clk) state[s] == W_DONE);
    CovFault:   cover property (@(posedge clk) state[s] == W_FAULT);
  end
  // The port carries one request per cycle, and a response only for a slot that asked.
  MemReqOneHot: assert property (@(posedge clk) disable iff (!rst_ni) $onehot0(msel));
  RespOnlyOffered: assert property (@(posedge clk) disable iff (!rst_ni)
      resp_valid |-> offer[rsp_sel]);
  MemReqAligned: assert property (@(posedge clk) disable iff (!rst_ni)
      mem_req_valid |-> mem_req_addr[2:0] == 3'b000);
  // Every fault kind is reported.
  CovFltNonCanonical: cover property (@(posedge clk) fault_taken && r.fault.kind == FltNonCanonical);
  CovFltGuestPf:      cover property (@(posedge clk) fault_taken && r.fault.kind == FltGuestPageFault);
  CovFltEptViolation: cover property (@(posedge clk) fault_taken && r.fault.kind == FltEptViolation);
  CovFltEptMisconfig: cover property (@(posedge clk) fault_taken && r.fault.kind == FltEptMisconfig);
  CovFltMemoryError:  cover property (@(posedge clk) fault_taken && r.fault.kind == FltMemoryError);
  // pragma translate_on
endmodule : walker_top
