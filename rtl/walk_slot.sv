// One walk slot: the state machine of docs/walker-fsm.md ("States of one slot") running one
// request from acceptance to its response, one state per cycle.
//
// The walk it performs is the golden model's (arch/golden_translator.h), reference by reference:
//   SEG   canonical check; guest segment BASE_G <= va < LIMIT_G: gPA = va + OFFSET_G (no execute).
//   PWC   paging-structure cache: start below level 4 at the deepest cached entry, else at CR3.
//   For every guest level L (4..1), virtualized: the entry's gPA -> hPA by
//   HSEG  VMM segment BASE_V <= gpa < LIMIT_V and the escape filter does not hold the frame:
//         hPA = gpa + OFFSET_V; else a gPA with bits above 47 is an EPT violation (level 4);
//   NTLB  nested TLB (grants the access's EPT permission, and for a write may skip the walk);
//   EREQ/EWAIT/ECHK (4 EPT levels): not present -> violation, W without R / reserved /
//         memory type -> misconfiguration, permissions ANDed and checked at the leaf; EPT A (and
//         D on a write leaf) set by a locked OR when EPTP bit 6 and CONFIG.AD_ENABLE (EAD_*).
//   GREQ/GWAIT/GCHK the guest entry: not present -> #PF(P=0), reserved -> #PF(P|RSVD), leaf
//         permissions (W, U, XD accumulated) -> #PF(P=1); A (and D on a written leaf) set by a
//         locked OR (GAD_*), which needs EPT write permission on the table (else EPT violation).
//   The final gPA goes through HSEG/NTLB/EPT as the entries did, with the access's own type.
// Faults end the walk in FAULT; success in DONE. Both offer the response until it is taken.
// The segment compares, adds and block sizes of SEG and HSEG, and the escape test, are the
// slot's walk_seg_unit (the datapath scripts/rtl-area.sh synthesizes).
module walk_slot
  import mmu_regs_pkg::*;
  import walk_seg_pkg::*;
  import walker_pkg::*;
#(
  parameter int unsigned MaxPhyAddr = 52,
  parameter int unsigned FrameBits  = 40   // frame-number bits the escape filter hashes
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // request: this slot takes req_i at the edge where accept_i is high (only when idle)
  input  logic                 accept_i,
  input  walk_req_t            req_i,
  input  walk_ctx_t            ctx_i,
  output walk_state_e          state_o,
  // response: offered in DONE/FAULT, leaves at the edge where take_i is high
  output logic                 offer_o,
  output walk_rsp_t            rsp_o,
  input  logic                 take_i,
  // memory port (through the arbiter); the response with this slot's tag
  output logic                 mem_req_o,
  output mem_req_t             mem_o,
  input  logic                 mem_gnt_i,
  input  logic                 mem_rsp_i,
  input  logic [63:0]          mem_rdata_i,
  input  logic                 mem_err_i,
  // escape filter, read live in HSEG
  output logic [FrameBits-1:0] filter_frame_o,
  input  logic                 filter_hit_i,
  input  logic                 filter_empty_i,
  // paging-structure cache
  output logic                 pwc_lookup_o,
  output gva_t                 pwc_va_o,
  output logic [11:0]          pwc_pcid_o,
  output logic [15:0]          pwc_vmid_o,
  input  pwc_hit_t             pwc_hit_i,
  output logic                 pwc_fill_o,
  output pwc_fill_t            pwc_fill_data_o,
  // nested TLB
  output logic                 ntlb_lookup_o,
  output gpa_t                 ntlb_gpa_o,
  output access_e              ntlb_need_o,
  output logic [15:0]          ntlb_vmid_o,
  input  ntlb_look_t           ntlb_hit_i,
  output logic                 ntlb_fill_o,
  output ntlb_fill_t           ntlb_fill_data_o
);

  // ---- registers ------------------------------------------------------------------------------
  walk_state_e state_d, state_q;
  walk_req_t   req_d, req_q;
  walk_ctx_t   ctx_d, ctx_q;
  logic        fin_d, fin_q;                    // translating the final gPA (else a guest entry)
  logic [2:0]  g_level_d, g_level_q;            // guest level being walked
  gpa_t        g_entry_gpa_d, g_entry_gpa_q;    // gPA of the current guest entry
  hpa_t        g_entry_hpa_d, g_entry_hpa_q;    // hPA of the current guest entry
  logic        gw_d, gw_q, gu_d, gu_q, gx_d, gx_q;  // guest permissions accumulated
  logic        g_dirty_d, g_dirty_q;            // guest leaf D set (or a guest segment)
  perms_t      tbl_perms_d, tbl_perms_q;        // EPT permissions on the current guest table
  logic [2:0]  tbl_lvl_d, tbl_lvl_q;            // EPT leaf level that mapped it (0: segment)
  logic [63:0] entry_d, entry_q;                // the entry read last (guest or EPT)
  logic [63:0] ad_bits_d, ad_bits_q;            // bits to OR in the pending A/D update
  logic [2:0]  e_level_d, e_level_q;            // EPT level being walked
  hpa_t        e_table_d, e_table_q;            // EPT table of that level
  logic [2:0]  e_rwx_d, e_rwx_q;                // EPT r/w/x ANDed over the levels
  gpa_t        cur_gpa_d, cur_gpa_q;            // the gPA being translated to an hPA
  hpa_t        h_hpa_d, h_hpa_q;                // final gPA -> hPA result
  page_size_e  h_size_d, h_size_q;
  perms_t      h_perms_d, h_perms_q;
  logic [63:0] h_leaf_d, h_leaf_q;
  logic        h_dirty_d, h_dirty_q;
  gpa_t        res_gpa_d, res_gpa_q;            // gVA -> gPA
  page_size_e  g_size_d, g_size_q;
  logic [63:0] g_leaf_d, g_leaf_q;
  logic        global_d, global_q;
  logic        gseg_hit_d, gseg_hit_q, vseg_hit_d, vseg_hit_q;
  logic [2:0]  fhits_d, fhits_q;
  fault_t      fault_d, fault_q;
  pwc_hit_t    pwc_start_d, pwc_start_q;
  logic [2:0]  ntlb_cnt_d, ntlb_cnt_q;
  ntlb_look_t [MaxNtlbLog-1:0] ntlb_log_d, ntlb_log_q;
  logic [4:0]  vmask_d, vmask_q;

  // ---- decoded context of the walk -------------------------------------------------------------
  logic        virt, is_write, is_exec, ept_ad, set_ad;
  logic        flat;          // mode flat-nested: the EPT walk reads levels 3 then 1
  access_e     need;          // EPT permission the current gPA needs
  logic [2:0]  need_mask;     // as an r/w/x mask
  logic [31:0] qual_base;     // EPT violation exit qualification, access bits
  logic [31:0] pf_base;       // #PF error code W/U/I bits
  fault_stage_e stage_h;      // stage of a fault in the gPA -> hPA step
  logic [2:0]  for_level_h;   // for_level of the EPT references
  hpa_t        e_addr;        // address of the current EPT entry

  assign virt     = is_virtualized(ctx_q.cfg.mode);
  assign is_write = req_q.acc == AccWrite;
  assign is_exec  = req_q.acc == AccExec;
  assign ept_ad   = ctx_q.cfg.eptp[EptpAd];
  assign set_ad   = ept_ad && ctx_q.cfg.ad;
  assign stage_h  = fin_q ? StgFinal : StgGuestTable;
  assign for_level_h = fin_q ? 3'd0 : g_level_q;
  assign pf_base  = (is_write ? PfW : '0) | (req_q.user ? PfU : '0) | (is_exec ? PfI : '0);
  assign flat     = ctx_q.cfg.mode == ModeFlatNested;
  assign e_addr   = flat ? e_table_q + {43'd0, flat_index(cur_gpa_q[47:12], e_level_q), 3'b000}
                         : e_table_q + {52'd0, table_index(cur_gpa_q[47:12], e_level_q), 3'b000};

  always_comb begin
    if (!fin_q) begin
      need      = ept_ad ? AccWrite : AccRead;
      qual_base = ept_ad ? (QRead | QWrite) : QRead;
    end else begin
      need      = req_q.acc;
      qual_base = is_write ? QWrite : is_exec ? QFetch : QRead;
    end
    qual_base = qual_base | QGvaValid | (fin_q ? QFinal : '0);
    unique case (need)
      AccWrite: need_mask = 3'b010;
      AccExec:  need_mask = 3'b100;
      default:  need_mask = 3'b001;
    endcase
  end

  // ---- the segment datapath (SEG: gVA in the guest segment; HSEG: cur_gpa in the VMM one) ------
  logic        sg_hit, sv_in, sv_escaped;
  gpa_t        sg_gpa;
  hpa_t        sv_hpa;
  page_size_e  sg_size, sv_size;

  walk_seg_unit #(.FrameBits(FrameBits)) u_seg (
    .mode_i        (ctx_q.cfg.mode),
    .gseg_i        (ctx_q.gseg),
    .va_i          (req_q.va),
    .g_hit_o       (sg_hit),
    .g_gpa_o       (sg_gpa),
    .g_size_o      (sg_size),
    .vseg_i        (ctx_q.vseg),
    .gpa_i         (cur_gpa_q),
    .filter_frame_o(filter_frame_o),
    .filter_hit_i  (filter_hit_i),
    .filter_empty_i(filter_empty_i),
    .v_in_o        (sv_in),
    .v_escaped_o   (sv_escaped),
    .v_hpa_o       (sv_hpa),
    .v_size_o      (sv_size)
  );

  // ---- the state machine -----------------------------------------------------------------------
  // "Resolve": a gPA has its hPA (segment, nested TLB or EPT leaf); "gcont"/"econt": a guest or
  // EPT entry has been read (and its A/D set), the walk goes on. Each is taken by several states.
  logic        do_resolve, do_gcont, do_econt;
  hpa_t        hr_hpa;
  page_size_e  hr_size;
  perms_t      hr_perms;
  logic [63:0] hr_leaf;
  logic [2:0]  hr_leaf_level;
  logic        hr_dirty;
  logic        gc_w, gc_u, gc_x;
  logic [2:0]  ec_rwx;

  always_comb begin : fsm
    logic [63:0] e;
    logic [63:0] want;
    logic [63:0] tbl;
    logic [2:0]  lvl;
    logic [2:0]  rwx;
    logic        aw, au, ax, leaf, in_vseg, escaped;
    gpa_t        gpa_next;

    state_d       = state_q;
    req_d         = req_q;
    ctx_d         = ctx_q;
    fin_d         = fin_q;
    g_level_d     = g_level_q;
    g_entry_gpa_d = g_entry_gpa_q;
    g_entry_hpa_d = g_entry_hpa_q;
    gw_d          = gw_q;
    gu_d          = gu_q;
    gx_d          = gx_q;
    g_dirty_d     = g_dirty_q;
    tbl_perms_d   = tbl_perms_q;
    tbl_lvl_d     = tbl_lvl_q;
    entry_d       = entry_q;
    ad_bits_d     = ad_bits_q;
    e_level_d     = e_level_q;
    e_table_d     = e_table_q;
    e_rwx_d       = e_rwx_q;
    cur_gpa_d     = cur_gpa_q;
    h_hpa_d       = h_hpa_q;
    h_size_d      = h_size_q;
    h_perms_d     = h_perms_q;
    h_leaf_d      = h_leaf_q;
    h_dirty_d     = h_dirty_q;
    res_gpa_d     = res_gpa_q;
    g_size_d      = g_size_q;
    g_leaf_d      = g_leaf_q;
    global_d      = global_q;
    gseg_hit_d    = gseg_hit_q;
    vseg_hit_d    = vseg_hit_q;
    fhits_d       = fhits_q;
    fault_d       = fault_q;
    pwc_start_d   = pwc_start_q;
    ntlb_cnt_d    = ntlb_cnt_q;
    ntlb_log_d    = ntlb_log_q;
    vmask_d       = vmask_q;

    pwc_fill_o       = 1'b0;
    pwc_fill_data_o  = '0;
    ntlb_fill_o      = 1'b0;
    ntlb_fill_data_o = '0;

    do_resolve    = 1'b0;
    do_gcont      = 1'b0;
    do_econt      = 1'b0;
    hr_hpa        = '0;
    hr_size       = Size4K;
    hr_perms      = '0;
    hr_leaf       = '0;
    hr_leaf_level = '0;
    hr_dirty      = 1'b0;
    gc_w          = gw_q;
    gc_u          = gu_q;
    gc_x          = gx_q;
    ec_rwx        = e_rwx_q;

    e        = entry_q;
    want     = '0;
    tbl      = '0;
    lvl      = g_level_q;
    rwx      = '0;
    aw       = 1'b0;
    au       = 1'b0;
    ax       = 1'b0;
    leaf     = 1'b0;
    in_vseg  = 1'b0;
    escaped  = 1'b0;
    gpa_next = '0;

    unique case (state_q)
      // Free: latch the request and the committed context at the accepting edge.
      W_IDLE: begin
        if (accept_i) begin
          req_d         = req_i;
          ctx_d         = ctx_i;
          fin_d         = 1'b0;
          g_level_d     = 3'd4;
          g_entry_gpa_d = '0;
          g_entry_hpa_d = '0;
          gw_d          = 1'b1;
          gu_d          = 1'b1;
          gx_d          = 1'b1;
          g_dirty_d     = 1'b1;
          tbl_perms_d   = 4'b1111;
          tbl_lvl_d     = '0;
          entry_d       = '0;
          ad_bits_d     = '0;
          e_level_d     = 3'd4;
          e_table_d     = '0;
          e_rwx_d       = 3'b111;
          cur_gpa_d     = '0;
          h_hpa_d       = '0;
          h_size_d      = Size4K;
          h_perms_d     = '0;
          h_leaf_d      = '0;
          h_dirty_d     = 1'b0;
          res_gpa_d     = '0;
          g_size_d      = Size4K;
          g_leaf_d      = '0;
          global_d      = 1'b0;
          gseg_hit_d    = 1'b0;
          vseg_hit_d    = 1'b0;
          fhits_d       = '0;
          fault_d       = mk_fault(FltNone, StgNone, 3'd0, '0, '0, '0);
          pwc_start_d   = '0;
          ntlb_cnt_d    = '0;
          ntlb_log_d    = '0;
          vmask_d       = '0;
          state_d       = W_SEG;
        end
      end

      // Canonical check and the guest segment compare.
      W_SEG: begin
        if (!is_canonical(req_q.va[63:VaBits-1])) begin
          fault_d = mk_fault(FltNonCanonical, StgNone, 3'd0, '0, req_q.va, '0);
          state_d = W_FAULT;
        end else if (sg_hit) begin
          if (is_exec) begin  // segments map read/write/user memory, not code
            fault_d = mk_fault(FltGuestPageFault, StgFinal, 3'd0, pf_base | PfP, req_q.va, '0);
            state_d = W_FAULT;
          end else begin
            res_gpa_d  = sg_gpa;
            g_size_d   = sg_size;
            gseg_hit_d = 1'b1;
            gx_d       = 1'b0;
            if (virt) begin
              fin_d     = 1'b1;
              cur_gpa_d = sg_gpa;
              state_d   = W_HSEG;
            end else begin
              state_d = W_DONE;
            end
          end
        end else begin
          state_d = W_PWC;
        end
      end

      // Paging-structure cache lookup: the level whose entry the walk reads first.
      W_PWC: begin
        if (pwc_hit_i.level != 3'd0) begin
          tbl         = pwc_hit_i.table_addr;
          lvl         = pwc_hit_i.level - 3'd1;
          gw_d        = pwc_hit_i.perms.w;
          gu_d        = pwc_hit_i.perms.u;
          gx_d        = pwc_hit_i.perms.x;
          pwc_start_d = pwc_hit_i;
        end else begin
          tbl = ctx_q.cfg.cr3 & frame_mask(MaxPhyAddr);
          lvl = 3'd4;
        end
        gpa_next      = tbl + {52'd0, table_index(req_q.va[47:12], lvl), 3'b000};
        g_level_d     = lvl;
        g_entry_gpa_d = gpa_next;
        if (virt) begin
          fin_d     = 1'b0;
          cur_gpa_d = gpa_next;
          state_d   = W_HSEG;
        end else begin
          g_entry_hpa_d = gpa_next;
          state_d       = W_GREQ;
        end
      end

      // VMM segment compare with the escape filter (live), and the 48-bit EPT input check.
      W_HSEG: begin
        in_vseg = sv_in;
        escaped = sv_escaped;
        if (in_vseg && !escaped) begin
          hr_hpa        = sv_hpa;
          hr_size       = sv_size;
          hr_perms      = 4'b1111;
          hr_dirty      = 1'b1;
          vmask_d[for_level_h] = 1'b1;
          if (fin_q) vseg_hit_d = 1'b1;
          do_resolve    = 1'b1;
        end else begin
          if (escaped) fhits_d = fhits_q + 3'd1;
          if (cur_gpa_q[63:EptInputBits] != '0) begin
            fault_d = mk_fault(FltEptViolation, stage_h, flat ? 3'd3 : 3'd4, qual_base, req_q.va,
                               cur_gpa_q);
            state_d = W_FAULT;
          end else begin
            state_d = W_NTLB;
          end
        end
      end

      // Nested TLB lookup (counted; a miss when disabled).
      W_NTLB: begin
        if (ntlb_cnt_q < 3'(MaxNtlbLog)) begin
          ntlb_log_d[ntlb_cnt_q]          = ntlb_hit_i;
          ntlb_log_d[ntlb_cnt_q].gpa_page = cur_gpa_q[63:12];
          ntlb_cnt_d                      = ntlb_cnt_q + 3'd1;
        end
        if (ntlb_hit_i.hit) begin
          hr_hpa        = ntlb_hit_i.hpa | (cur_gpa_q & (page_bytes(ntlb_hit_i.size) - 64'd1));
          hr_size       = ntlb_hit_i.size;
          hr_perms      = {ntlb_hit_i.perms.r, ntlb_hit_i.perms.w, ntlb_hit_i.perms.x, 1'b1};
          hr_leaf_level = leaf_level_of(ntlb_hit_i.size);
          hr_dirty      = ntlb_hit_i.dirty;
          do_resolve    = 1'b1;
        end else begin
          e_level_d = flat ? 3'd3 : 3'd4;
          e_table_d = ctx_q.cfg.eptp & frame_mask(MaxPhyAddr);
          e_rwx_d   = 3'b111;
          state_d   = W_EREQ;
        end
      end

      // Request the EPT entry of the current level.
      W_EREQ: begin
        if (mem_gnt_i) state_d = W_EWAIT;
      end

      W_EWAIT: begin
        if (mem_rsp_i) begin
          if (mem_err_i) begin
            fault_d = mk_fault(FltMemoryError, stage_h, e_level_q, '0, req_q.va, e_addr);
            state_d = W_FAULT;
          end else begin
            entry_d = mem_rdata_i;
            state_d = W_ECHK;
          end
        end
      end

      // Decode the EPT entry.
      W_ECHK: begin
        rwx = e_rwx_q & e[2:0];
        if (!ept_present(e[2:0])) begin
          fault_d = mk_fault(FltEptViolation, stage_h, e_level_q, qual_base, req_q.va, cur_gpa_q);
          state_d = W_FAULT;
        end else if (ept_misconfigured(e, e_level_q, MaxPhyAddr)) begin
          fault_d = mk_fault(FltEptMisconfig, stage_h, e_level_q, '0, req_q.va, cur_gpa_q);
          state_d = W_FAULT;
        end else begin
          e_rwx_d = rwx;
          if (!ept_is_leaf(e, e_level_q)) begin
            if (set_ad && !e[EptA]) begin
              ad_bits_d = 64'(1) << EptA;
              state_d   = W_EAD_REQ;
            end else begin
              do_econt = 1'b1;
              ec_rwx   = rwx;
            end
          end else if ((rwx & need_mask) != need_mask) begin
            fault_d = mk_fault(FltEptViolation, stage_h, e_level_q,
                               qual_base | (rwx[0] ? QReadable : '0) |
                               (rwx[1] ? QWritable : '0) | (rwx[2] ? QExecutable : '0),
                               req_q.va, cur_gpa_q);
            state_d = W_FAULT;
          end else begin
            want = (64'(1) << EptA) | ((need == AccWrite) ? (64'(1) << EptD) : '0);
            if (set_ad && (e & want) != want) begin
              ad_bits_d = want;
              state_d   = W_EAD_REQ;
            end else begin
              do_econt = 1'b1;
              ec_rwx   = rwx;
            end
          end
        end
      end

      W_EAD_REQ: begin
        if (mem_gnt_i) state_d = W_EAD_WAIT;
      end

      W_EAD_WAIT: begin
        if (mem_rsp_i) begin
          do_econt = 1'b1;
          ec_rwx   = e_rwx_q;
        end
      end

      // Request the guest entry of the current level.
      W_GREQ: begin
        if (mem_gnt_i) state_d = W_GWAIT;
      end

      W_GWAIT: begin
        if (mem_rsp_i) begin
          if (mem_err_i) begin
            fault_d = mk_fault(FltMemoryError, StgGuestTable, g_level_q, '0, req_q.va,
                               g_entry_hpa_q);
            state_d = W_FAULT;
          end else begin
            entry_d = mem_rdata_i;
            state_d = W_GCHK;
          end
        end
      end

      // Decode the guest entry.
      W_GCHK: begin
        aw   = gw_q && e[PteRW];
        au   = gu_q && e[PteUS];
        ax   = gx_q && !e[PteXD];
        leaf = pte_is_leaf(e, g_level_q);
        if (!e[PteP]) begin
          fault_d = mk_fault(FltGuestPageFault, StgGuestTable, g_level_q, pf_base, req_q.va, '0);
          state_d = W_FAULT;
        end else if (pte_reserved(e, g_level_q, MaxPhyAddr)) begin
          fault_d = mk_fault(FltGuestPageFault, StgGuestTable, g_level_q,
                             pf_base | PfP | PfRsvd, req_q.va, '0);
          state_d = W_FAULT;
        end else if (leaf && ((req_q.user && !au) || (is_write && !aw) || (is_exec && !ax)))
        begin
          fault_d = mk_fault(FltGuestPageFault, StgFinal, g_level_q, pf_base | PfP, req_q.va,
                             '0);
          state_d = W_FAULT;
        end else begin
          gw_d = aw;
          gu_d = au;
          gx_d = ax;
          want = (64'(1) << PteA) | ((leaf && is_write) ? (64'(1) << PteD) : '0);
          if (ctx_q.cfg.ad && (e & want) != want) begin
            // The A/D update writes the guest table: the EPT must allow it.
            if (!tbl_perms_q.w) begin
              fault_d = mk_fault(FltEptViolation, StgGuestTable, tbl_lvl_q,
                                 QWrite | QGvaValid | (tbl_perms_q.r ? QReadable : '0) |
                                 (tbl_perms_q.x ? QExecutable : '0),
                                 req_q.va, g_entry_gpa_q);
              state_d = W_FAULT;
            end else begin
              ad_bits_d = want;
              state_d   = W_GAD_REQ;
            end
          end else begin
            do_gcont = 1'b1;
            gc_w     = aw;
            gc_u     = au;
            gc_x     = ax;
          end
        end
      end

      W_GAD_REQ: begin
        if (mem_gnt_i) state_d = W_GAD_WAIT;
      end

      W_GAD_WAIT: begin
        if (mem_rsp_i) do_gcont = 1'b1;
      end

      // Offer the response until it is taken.
      W_DONE, W_FAULT: begin
        if (take_i) state_d = W_IDLE;
      end

      default: state_d = W_IDLE;
    endcase

    // ---- EPT entry done: next level, or the leaf translates the gPA (nested-TLB fill) ----------
    if (do_econt) begin
      if (!ept_is_leaf(e, e_level_q)) begin
        e_table_d = e & frame_mask(MaxPhyAddr);
        e_level_d = flat ? 3'd1 : e_level_q - 3'd1;
        state_d   = W_EREQ;
      end else begin
        want          = (64'(1) << EptA) | ((need == AccWrite) ? (64'(1) << EptD) : '0);
        hr_size       = leaf_size(e_level_q);
        hr_hpa        = leaf_frame(e, e_level_q, MaxPhyAddr) |
                        (cur_gpa_q & (page_bytes(hr_size) - 64'd1));
        hr_perms      = {ec_rwx[0], ec_rwx[1], ec_rwx[2], 1'b1};
        hr_leaf       = e;
        hr_leaf_level = e_level_q;
        tbl           = set_ad ? (e | want) : e;  // the leaf as it is after the update
        hr_dirty      = !ept_ad || tbl[EptD];
        ntlb_fill_o   = 1'b1;
        ntlb_fill_data_o = '{gpa: cur_gpa_q & ~(page_bytes(hr_size) - 64'd1),
                             hpa: hr_hpa & ~(page_bytes(hr_size) - 64'd1),
                             size: hr_size, vmid: ctx_q.cfg.vmid, perms: hr_perms,
                             dirty: hr_dirty};
        do_resolve    = 1'b1;
      end
    end

    // ---- a gPA has its hPA: the guest entry read, or DONE for the final gPA -------------------
    if (do_resolve) begin
      if (fin_q) begin
        h_hpa_d   = hr_hpa;
        h_size_d  = hr_size;
        h_perms_d = hr_perms;
        h_leaf_d  = hr_leaf;
        h_dirty_d = hr_dirty;
        state_d   = W_DONE;
      end else begin
        g_entry_hpa_d = hr_hpa;
        tbl_perms_d   = hr_perms;
        tbl_lvl_d     = hr_leaf_level;
        state_d       = W_GREQ;
      end
    end

    // ---- guest entry done: next level (PWC fill), or the leaf gives the final gPA -------------
    if (do_gcont) begin
      lvl = g_level_q;
      if (pte_is_leaf(e, lvl)) begin
        want      = (64'(1) << PteA) | (is_write ? (64'(1) << PteD) : '0);
        g_size_d  = leaf_size(lvl);
        gpa_next  = leaf_frame(e, lvl, MaxPhyAddr) |
                    (req_q.va & (page_bytes(leaf_size(lvl)) - 64'd1));
        res_gpa_d = gpa_next;
        g_leaf_d  = e;
        global_d  = e[PteG];
        tbl       = ctx_q.cfg.ad ? (e | want) : e;  // the leaf as it is after the update
        g_dirty_d = tbl[PteD];
        if (virt) begin
          fin_d     = 1'b1;
          cur_gpa_d = gpa_next;
          state_d   = W_HSEG;
        end else begin
          state_d = W_DONE;
        end
      end else begin
        tbl             = e & frame_mask(MaxPhyAddr);
        pwc_fill_o      = 1'b1;
        pwc_fill_data_o = '{level: lvl, va: req_q.va, pcid: ctx_q.cfg.pcid, vmid: ctx_q.cfg.vmid,
                            table_addr: tbl, perms: {1'b1, gc_w, gc_x, gc_u}};
        gpa_next        = tbl + {52'd0, table_index(req_q.va[47:12], lvl - 3'd1), 3'b000};
        g_level_d       = lvl - 3'd1;
        g_entry_gpa_d   = gpa_next;
        if (virt) begin
          fin_d     = 1'b0;
          cur_gpa_d = gpa_next;
          state_d   = W_HSEG;
        end else begin
          g_entry_hpa_d = gpa_next;
          state_d       = W_GREQ;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q       <= W_IDLE;
      req_q         <= '0;
      ctx_q         <= '0;
      fin_q         <= 1'b0;
      g_level_q     <= 3'd4;
      g_entry_gpa_q <= '0;
      g_entry_hpa_q <= '0;
      gw_q          <= 1'b1;
      gu_q          <= 1'b1;
      gx_q          <= 1'b1;
      g_dirty_q     <= 1'b1;
      tbl_perms_q   <= '0;
      tbl_lvl_q     <= '0;
      entry_q       <= '0;
      ad_bits_q     <= '0;
      e_level_q     <= 3'd4;
      e_table_q     <= '0;
      e_rwx_q       <= '0;
      cur_gpa_q     <= '0;
      h_hpa_q       <= '0;
      h_size_q      <= Size4K;
      h_perms_q     <= '0;
      h_leaf_q      <= '0;
      h_dirty_q     <= 1'b0;
      res_gpa_q     <= '0;
      g_size_q      <= Size4K;
      g_leaf_q      <= '0;
      global_q      <= 1'b0;
      gseg_hit_q    <= 1'b0;
      vseg_hit_q    <= 1'b0;
      fhits_q       <= '0;
      fault_q       <= '0;
      pwc_start_q   <= '0;
      ntlb_cnt_q    <= '0;
      ntlb_log_q    <= '0;
      vmask_q       <= '0;
    end else begin
      state_q       <= state_d;
      req_q         <= req_d;
      ctx_q         <= ctx_d;
      fin_q         <= fin_d;
      g_level_q     <= g_level_d;
      g_entry_gpa_q <= g_entry_gpa_d;
      g_entry_hpa_q <= g_entry_hpa_d;
      gw_q          <= gw_d;
      gu_q          <= gu_d;
      gx_q          <= gx_d;
      g_dirty_q     <= g_dirty_d;
      tbl_perms_q   <= tbl_perms_d;
      tbl_lvl_q     <= tbl_lvl_d;
      entry_q       <= entry_d;
      ad_bits_q     <= ad_bits_d;
      e_level_q     <= e_level_d;
      e_table_q     <= e_table_d;
      e_rwx_q       <= e_rwx_d;
      cur_gpa_q     <= cur_gpa_d;
      h_hpa_q       <= h_hpa_d;
      h_size_q      <= h_size_d;
      h_perms_q     <= h_perms_d;
      h_leaf_q      <= h_leaf_d;
      h_dirty_q     <= h_dirty_d;
      res_gpa_q     <= res_gpa_d;
      g_size_q      <= g_size_d;
      g_leaf_q      <= g_leaf_d;
      global_q      <= global_d;
      gseg_hit_q    <= gseg_hit_d;
      vseg_hit_q    <= vseg_hit_d;
      fhits_q       <= fhits_d;
      fault_q       <= fault_d;
      pwc_start_q   <= pwc_start_d;
      ntlb_cnt_q    <= ntlb_cnt_d;
      ntlb_log_q    <= ntlb_log_d;
      vmask_q       <= vmask_d;
    end
  end

  // ---- memory request and cache lookups: functions of the state alone -------------------------
  always_comb begin
    mem_req_o = 1'b1;
    unique case (state_q)
      W_EREQ:    mem_o = '{addr: e_addr, op: MemRead, data: '0, target: TgtEpt,
                           level: e_level_q, for_level: for_level_h};
      W_EAD_REQ: mem_o = '{addr: e_addr, op: MemSetBits, data: ad_bits_q, target: TgtEpt,
                           level: e_level_q, for_level: for_level_h};
      W_GREQ:    mem_o = '{addr: g_entry_hpa_q, op: MemRead, data: '0, target: TgtGuest,
                           level: g_level_q, for_level: g_level_q};
      W_GAD_REQ: mem_o = '{addr: g_entry_hpa_q, op: MemSetBits, data: ad_bits_q,
                           target: TgtGuest, level: g_level_q, for_level: g_level_q};
      default: begin
        mem_req_o = 1'b0;
        mem_o     = '0;
      end
    endcase
  end
  assign pwc_lookup_o  = state_q == W_PWC;
  assign ntlb_lookup_o = state_q == W_NTLB;

  // ---- outputs ----------------------------------------------------------------------------------
  assign state_o        = state_q;
  assign offer_o        = state_q == W_DONE || state_q == W_FAULT;
  assign pwc_va_o       = req_q.va;
  assign pwc_pcid_o     = ctx_q.cfg.pcid;
  assign pwc_vmid_o     = ctx_q.cfg.vmid;
  assign ntlb_gpa_o     = cur_gpa_q;
  assign ntlb_need_o    = need;
  assign ntlb_vmid_o    = ctx_q.cfg.vmid;

  // The combined translation (golden_translator.cpp, "gPA -> hPA").
  always_comb begin
    rsp_o               = '0;
    rsp_o.id            = req_q.id;
    rsp_o.gpa           = res_gpa_q;
    rsp_o.guest_size    = g_size_q;
    rsp_o.global_page   = global_q;
    rsp_o.guest_seg_hit = gseg_hit_q;
    rsp_o.vmm_seg_hit   = vseg_hit_q;
    rsp_o.filter_hits   = fhits_q;
    rsp_o.fault         = fault_q;
    rsp_o.guest_leaf    = g_leaf_q;
    rsp_o.pwc_start     = pwc_start_q;
    rsp_o.ntlb_count    = ntlb_cnt_q;
    rsp_o.ntlb_log      = ntlb_log_q;
    rsp_o.vmm_seg_mask  = vmask_q;
    if (virt) begin
      rsp_o.hpa       = h_hpa_q;
      rsp_o.host_size = h_size_q;
      rsp_o.size      = min_size(g_size_q, h_size_q);
      rsp_o.perms     = {h_perms_q.r, gw_q && h_perms_q.w, gx_q && h_perms_q.x, gu_q};
      rsp_o.dirty     = gw_q && h_perms_q.w && g_dirty_q && h_dirty_q;
      rsp_o.ept_leaf  = h_leaf_q;
    end else begin
      rsp_o.hpa       = res_gpa_q;
      rsp_o.host_size = Size1G;
      rsp_o.size      = g_size_q;
      rsp_o.perms     = {1'b1, gw_q, gx_q, gu_q};
      rsp_o.dirty     = gw_q && g_dirty_q;
      rsp_o.ept_leaf  = '0;
    end
  end

endmodule : walk_slot
