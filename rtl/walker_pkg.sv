// Types and pure functions of the RTL page-walk engine (docs/walker-fsm.md): address types, the
// guest PTE and EPT entry bit positions (arch/pte.h, arch/ept.h), access and fault encodings
// (arch/fault.h, via mmu_regs_pkg), the slot state enum and the structs the slot, the walk caches
// and the top exchange. Every function here mirrors one predicate of the C++ golden model. The
// segment and page-size types are walk_seg_pkg's (the datapath Yosys also reads): import both.
package walker_pkg;
  import mmu_regs_pkg::*;
  import walk_seg_pkg::*;

  typedef logic [63:0] gva_t;  // guest virtual address
  typedef logic [63:0] gpa_t;  // guest physical address
  typedef logic [63:0] hpa_t;  // host physical address

  localparam int unsigned VaBits       = 48;  // canonical virtual address bits
  localparam int unsigned EptInputBits = 48;  // gPA bits a 4-level EPT translates
  localparam int unsigned IdBits       = 16;  // request id width
  localparam int unsigned MaxNtlbLog   = 5;   // nested lookups per walk: 4 guest levels + final

  // ---- access, page size, memory port encodings ----------------------------------------------
  typedef enum logic [1:0] {
    AccRead  = 2'd0,
    AccWrite = 2'd1,
    AccExec  = 2'd2
  } access_e;

  typedef enum logic {
    MemRead    = 1'b0,  // plain 8-byte read
    MemSetBits = 1'b1   // locked OR of the data into the 8 bytes (A/D update)
  } mem_op_e;

  typedef enum logic {
    TgtGuest = 1'b0,  // guest paging-structure entry
    TgtEpt   = 1'b1   // EPT entry
  } ref_target_e;

  // ---- the slot state machine (docs/walker-fsm.md, "States of one slot") ---------------------
  typedef enum logic [4:0] {
    W_IDLE     = 5'd0,
    W_SEG      = 5'd1,
    W_PWC      = 5'd2,
    W_HSEG     = 5'd3,
    W_NTLB     = 5'd4,
    W_EREQ     = 5'd5,
    W_EWAIT    = 5'd6,
    W_ECHK     = 5'd7,
    W_EAD_REQ  = 5'd8,
    W_EAD_WAIT = 5'd9,
    W_GREQ     = 5'd10,
    W_GWAIT    = 5'd11,
    W_GCHK     = 5'd12,
    W_GAD_REQ  = 5'd13,
    W_GAD_WAIT = 5'd14,
    W_DONE     = 5'd15,
    W_FAULT    = 5'd16
  } walk_state_e;

  // ---- guest PTE bits (arch/pte.h) -------------------------------------------------------------
  localparam int unsigned PteP  = 0;
  localparam int unsigned PteRW = 1;
  localparam int unsigned PteUS = 2;
  localparam int unsigned PteA  = 5;
  localparam int unsigned PteD  = 6;
  localparam int unsigned PtePS = 7;
  localparam int unsigned PteG  = 8;
  localparam int unsigned PteXD = 63;

  // ---- EPT entry bits (arch/ept.h) -------------------------------------------------------------
  localparam int unsigned EptR     = 0;
  localparam int unsigned EptW     = 1;
  localparam int unsigned EptLarge = 7;
  localparam int unsigned EptA     = 8;
  localparam int unsigned EptD     = 9;
  localparam int unsigned EptpAd   = 6;

  // ---- #PF error code and EPT exit-qualification bits (arch/fault.h) --------------------------
  localparam logic [31:0] PfP    = 32'h1;
  localparam logic [31:0] PfW    = 32'h2;
  localparam logic [31:0] PfU    = 32'h4;
  localparam logic [31:0] PfRsvd = 32'h8;
  localparam logic [31:0] PfI    = 32'h10;
  localparam logic [31:0] QRead       = 32'h1;
  localparam logic [31:0] QWrite      = 32'h2;
  localparam logic [31:0] QFetch      = 32'h4;
  localparam logic [31:0] QReadable   = 32'h8;
  localparam logic [31:0] QWritable   = 32'h10;
  localparam logic [31:0] QExecutable = 32'h20;
  localparam logic [31:0] QGvaValid   = 32'h80;
  localparam logic [31:0] QFinal      = 32'h100;

  // ---- structs ----------------------------------------------------------------------------------
  // r, w, x, u (arch::Perms)
  typedef struct packed {
    logic r;
    logic w;
    logic x;
    logic u;
  } perms_t;

  // The configuration registers a walk runs under.
  typedef struct packed {
    mode_e       mode;
    logic [63:0] cr3;
    logic [11:0] pcid;
    logic [63:0] eptp;
    logic [15:0] vmid;
    logic        ad;      // CONFIG.AD_ENABLE
  } walk_cfg_t;

  // The context a slot latches when it accepts a request (the committed registers).
  typedef struct packed {
    walk_cfg_t   cfg;
    segment_t    gseg;    // BASE_G/LIMIT_G/OFFSET_G (walk_seg_regs)
    segment_t    vseg;    // BASE_V/LIMIT_V/OFFSET_V (walk_seg_regs)
  } walk_ctx_t;

  typedef struct packed {
    logic [IdBits-1:0] id;
    gva_t              va;
    access_e           acc;
    logic              user;
  } walk_req_t;

  typedef struct packed {
    fault_kind_e  kind;
    fault_stage_e stage;
    logic [2:0]   level;
    logic [31:0]  code;
    logic [63:0]  gva;
    logic [63:0]  gpa;
  } fault_t;

  // One memory reference as the port shows it.
  typedef struct packed {
    hpa_t        addr;
    mem_op_e     op;
    logic [63:0] data;
    ref_target_e target;
    logic [2:0]  level;
    logic [2:0]  for_level;
  } mem_req_t;

  // Paging-structure cache: what a lookup returns and what a fill writes.
  typedef struct packed {
    logic [2:0]  level;  // 4, 3, 2; 0 = miss
    logic [63:0] table_addr;
    perms_t      perms;
  } pwc_hit_t;

  typedef struct packed {
    logic [2:0]  level;
    gva_t        va;
    logic [11:0] pcid;
    logic [15:0] vmid;
    logic [63:0] table_addr;
    perms_t      perms;
  } pwc_fill_t;

  // Nested TLB: one lookup's outcome (as arch::NestedLookup) and a fill.
  typedef struct packed {
    logic        hit;
    logic [51:0] gpa_page;  // gPA >> 12 of the lookup
    hpa_t        hpa;       // host frame base of the EPT page
    page_size_e  size;
    perms_t      perms;     // r, w, x (u set)
    logic        dirty;
  } ntlb_look_t;

  typedef struct packed {
    gpa_t        gpa;
    hpa_t        hpa;
    page_size_e  size;
    logic [15:0] vmid;
    perms_t      perms;
    logic        dirty;
  } ntlb_fill_t;

  // The response of one walk (docs/walker-fsm.md "Response"), plus the trace the checker needs:
  // the guest and EPT leaves, the PWC start, the nested lookups and which gPAs the VMM segment
  // translated (bit L: the guest level-L entry, bit 0: the final gPA).
  typedef struct packed {
    logic [IdBits-1:0] id;
    hpa_t              hpa;
    gpa_t              gpa;
    page_size_e        size;
    page_size_e        guest_size;
    page_size_e        host_size;
    perms_t            perms;
    logic              global_page;
    logic              dirty;
    logic              guest_seg_hit;
    logic              vmm_seg_hit;
    logic [2:0]        filter_hits;
    fault_t            fault;
    logic [63:0]       guest_leaf;
    logic [63:0]       ept_leaf;
    pwc_hit_t          pwc_start;
    logic [2:0]        ntlb_count;
    ntlb_look_t [MaxNtlbLog-1:0] ntlb_log;
    logic [4:0]        vmm_seg_mask;
  } walk_rsp_t;

  // ---- helpers ----------------------------------------------------------------------------------
  // Mask with bits [hi:lo] set (hi >= lo).
  function automatic logic [63:0] bit_range(int unsigned hi, int unsigned lo);
    logic [63:0] m;
    for (int unsigned i = 0; i < 64; i++) m[i] = (i >= lo) && (i <= hi);
    return m;
  endfunction

  function automatic logic [63:0] frame_mask(int unsigned maxphy);
    return bit_range(maxphy - 1, 12);
  endfunction

  // `top`: va[63:47], which a canonical 48-bit address has all equal.
  function automatic logic is_canonical(logic [63:VaBits-1] top);
    return (top == '0) || (top == '1);
  endfunction

  // 9-bit table index of `level` (4..1) for an address.
  // `a`: bits 47:12 of the address.
  function automatic logic [8:0] table_index(logic [47:12] a, logic [2:0] level);
    unique case (level)
      3'd4:    return a[47:39];
      3'd3:    return a[38:30];
      3'd2:    return a[29:21];
      default: return a[20:12];
    endcase
  endfunction

  // The flat EPT of mode flat-nested (arch/ept.h flat): levels 3 and 1, 18 index bits each.
  function automatic logic [17:0] flat_index(logic [47:12] a, logic [2:0] level);
    return level == 3'd3 ? a[47:30] : a[29:12];
  endfunction

  function automatic logic [63:0] page_bytes(page_size_e s);
    unique case (s)
      Size2M:  return 64'h20_0000;
      Size1G:  return 64'h4000_0000;
      default: return 64'h1000;
    endcase
  endfunction

  // Paging level 3 -> 1G, 2 -> 2M, else 4K (a leaf at that level).
  function automatic page_size_e leaf_size(logic [2:0] level);
    return level == 3'd3 ? Size1G : level == 3'd2 ? Size2M : Size4K;
  endfunction

  function automatic logic [2:0] leaf_level_of(page_size_e s);
    return s == Size4K ? 3'd1 : s == Size2M ? 3'd2 : 3'd3;
  endfunction

  function automatic page_size_e min_size(page_size_e a, page_size_e b);
    return a < b ? a : b;
  endfunction

  function automatic logic is_virtualized(mode_e m);
    return m != ModeNative && m != ModeNativeDs;
  endfunction

  // ---- guest PTE predicates (arch/pte.h) --------------------------------------------------------
  function automatic logic pte_is_leaf(logic [63:0] e, logic [2:0] level);
    return level == 3'd1 || ((level == 3'd2 || level == 3'd3) && e[PtePS]);
  endfunction

  function automatic logic pte_reserved(logic [63:0] e, logic [2:0] level, int unsigned maxphy);
    logic [63:0] r;
    r = (maxphy < 52) ? bit_range(51, maxphy) : '0;
    if (level == 3'd4) r[PtePS] = 1'b1;
    if (level == 3'd3 && e[PtePS]) r |= bit_range(29, 13);
    if (level == 3'd2 && e[PtePS]) r |= bit_range(20, 13);
    return (e & r) != '0;
  endfunction

  // ---- EPT predicates (arch/ept.h) --------------------------------------------------------------
  // `rwx`: bits 2:0 of the entry.
  function automatic logic ept_present(logic [2:0] rwx);
    return rwx != 3'b000;
  endfunction

  function automatic logic ept_is_leaf(logic [63:0] e, logic [2:0] level);
    return level == 3'd1 || ((level == 3'd2 || level == 3'd3) && e[EptLarge]);
  endfunction

  function automatic logic ept_misconfigured(logic [63:0] e, logic [2:0] level,
                                             int unsigned maxphy);
    logic [63:0] r;
    logic [2:0]  mt;
    if (e[EptW] && !e[EptR]) return 1'b1;
    r  = (maxphy < 52) ? bit_range(51, maxphy) : '0;
    mt = e[5:3];
    if (level == 3'd4) begin
      r |= bit_range(7, 3);
    end else if (ept_is_leaf(e, level)) begin
      if (mt == 3'd2 || mt == 3'd3 || mt == 3'd7) return 1'b1;
      if (level == 3'd3) r |= bit_range(29, 12);
      if (level == 3'd2) r |= bit_range(20, 12);
    end else begin
      r |= bit_range(6, 3);
    end
    return (e & r) != '0;
  endfunction

  // Frame of a leaf entry (guest or EPT) at `level`, page-aligned.
  function automatic logic [63:0] leaf_frame(logic [63:0] e, logic [2:0] level,
                                             int unsigned maxphy);
    return e & frame_mask(maxphy) & ~(page_bytes(leaf_size(level)) - 64'd1);
  endfunction

  function automatic fault_t mk_fault(fault_kind_e kind, fault_stage_e stage, logic [2:0] level,
                                      logic [31:0] code, logic [63:0] gva, logic [63:0] gpa);
    fault_t f;
    f.kind  = kind;
    f.stage = stage;
    f.level = level;
    f.code  = code;
    f.gva   = gva;
    f.gpa   = gpa;
    return f;
  endfunction

endpackage : walker_pkg
