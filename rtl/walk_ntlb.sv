// The nested TLB of the walker (tlm/nested_tlb.h, used as tlm/walk_cache_set.h does): gPA -> hPA
// mappings of the EPT for 4K, 2M and 1G pages in one set-associative array tagged by VMID, frame
// and size. A lookup probes 4K, then 2M, then 1G (each with that size's frame number as the set
// index); the first matching entry becomes most recently used. It serves the lookup only if it
// grants the permission the access needs (r, w or x) and, for a write (a final write, or a guest
// paging-structure access with EPT A/D on), is dirty; otherwise the walk goes to the EPT. Fills
// come from slots leaving ECHK/EAD_WAIT with an EPT leaf. 0 entries disables it.
//
// Invalidation (after the fills of the same edge, walk_lru_array): INVEPT single drops the entries of its VMID; INVEPT all and flush all drop
// everything; INVLPG and INVPCID leave guest-physical mappings alone (SDM §28.3.3.1).
module walk_ntlb
  import mmu_regs_pkg::*;
  import walk_seg_pkg::*;
  import walker_pkg::*;
#(
  parameter int unsigned W       = 2,
  parameter int unsigned Entries = 32,
  parameter int unsigned Ways    = 4
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic       [W-1:0]      lookup_i,
  input  gpa_t       [W-1:0]      gpa_i,
  input  access_e    [W-1:0]      need_i,
  input  logic       [W-1:0][15:0] vmid_i,
  output ntlb_look_t [W-1:0]      hit_o,
  input  logic       [W-1:0]      fill_i,
  input  ntlb_fill_t [W-1:0]      fill_data_i,
  // invalidations of this edge (two sources: the register block and the inv port)
  input  logic       [1:0]        inv_valid_i,
  input  inv_op_e    [1:0]        inv_op_i,
  input  logic       [1:0][15:0]  inv_vmid_i
);
  localparam int unsigned Sizes    = 3;
  localparam int unsigned TagBits  = 52 + 2 + 16;  // gPA page (size-aligned), size, VMID
  localparam int unsigned DataBits = 52 + 3 + 1;   // hPA page, r/w/x, dirty

  // `a`: gPA bits 63:12.
  function automatic logic [51:0] page_of(logic [63:12] a, page_size_e s);
    logic [51:0] p;
    p = a;
    if (s == Size2M) p[8:0] = '0;
    if (s == Size1G) p[17:0] = '0;
    return p;
  endfunction

  function automatic logic [51:0] frame_of(logic [63:12] a, page_size_e s);
    return s == Size4K ? a : s == Size2M ? {9'd0, a[63:21]} : {18'd0, a[63:30]};
  endfunction

  if (Entries == 0) begin : gen_off
    assign hit_o = '0;
    logic unused_ok;
    assign unused_ok = ^{clk_i, rst_ni, lookup_i, gpa_i, need_i, vmid_i, fill_i, fill_data_i,
                         inv_valid_i, inv_op_i, inv_vmid_i};
  end else begin : gen_on
    localparam int unsigned Sets    = Entries / Ways;
    localparam int unsigned SetBits = (Sets > 1) ? $clog2(Sets) : 1;

    logic [W*Sizes-1:0][SetBits-1:0]  probe_set;
    logic [W*Sizes-1:0][TagBits-1:0]  probe_tag;
    logic [W*Sizes-1:0]               probe_hit, touch;
    logic [W*Sizes-1:0][DataBits-1:0] probe_data;
    logic [W-1:0][SetBits-1:0]        fill_set;
    logic [W-1:0][TagBits-1:0]        fill_tag;
    logic [W-1:0][DataBits-1:0]       fill_data;
    logic [Entries-1:0]               valid;
    logic [Entries-1:0][TagBits-1:0]  tags;
    logic [Entries-1:0][DataBits-1:0] datas_unused;

    always_comb begin : probes
      page_size_e  s;
      logic        found;
      logic [DataBits-1:0] d;
      logic [2:0]  rwx, need_mask;
      for (int unsigned k = 0; k < W; k++) begin
        for (int unsigned p = 0; p < Sizes; p++) begin
          s = page_size_e'(p);
          probe_tag[k * Sizes + p] = {page_of(gpa_i[k][63:12], s), 2'(p), vmid_i[k]};
          probe_set[k * Sizes + p] = Sets > 1 ? SetBits'(frame_of(gpa_i[k][63:12], s)) : '0;
        end
        fill_tag[k]  = {page_of(fill_data_i[k].gpa[63:12], fill_data_i[k].size),
                        2'(fill_data_i[k].size), fill_data_i[k].vmid};
        fill_set[k]  = Sets > 1 ? SetBits'(frame_of(fill_data_i[k].gpa[63:12], fill_data_i[k].size))
                                : '0;
        fill_data[k] = {fill_data_i[k].hpa[63:12], fill_data_i[k].perms.r,
                        fill_data_i[k].perms.w, fill_data_i[k].perms.x, fill_data_i[k].dirty};
      end
      // Outcome of each slot's lookup: the first size that matches decides.
      for (int unsigned k = 0; k < W; k++) begin
        hit_o[k] = '0;
        found    = 1'b0;
        unique case (need_i[k])
          AccWrite: need_mask = 3'b010;
          AccExec:  need_mask = 3'b100;
          default:  need_mask = 3'b001;
        endcase
        for (int unsigned p = 0; p < Sizes; p++) begin
          touch[k * Sizes + p] = 1'b0;
          if (!found && probe_hit[k * Sizes + p]) begin
            found = 1'b1;
            touch[k * Sizes + p] = lookup_i[k];
            d   = probe_data[k * Sizes + p];
            rwx = d[3:1];  // {r, w, x}
            if (!(need_i[k] == AccWrite && !d[0]) &&
                ({rwx[0], rwx[1], rwx[2]} & need_mask) == need_mask) begin
              hit_o[k].hit   = 1'b1;
              hit_o[k].hpa   = {d[DataBits-1:4], 12'h000};
              hit_o[k].size  = page_size_e'(p);
              hit_o[k].perms = {rwx[2], rwx[1], rwx[0], 1'b1};
              hit_o[k].dirty = d[0];
            end
          end
        end
      end
    end

    // The invalidations of this edge as tag patterns over the VMID: the array drops an entry
    // whose tag (after this edge's fills) equals inv_tag on the bits set in inv_mask.
    logic [1:0]              inv_valid;
    logic [1:0][TagBits-1:0] inv_mask, inv_tag;
    always_comb begin
      for (int unsigned n = 0; n < 2; n++) begin
        inv_valid[n] = 1'b0;
        inv_mask[n]  = '0;
        inv_tag[n]   = TagBits'(inv_vmid_i[n]);
        if (inv_valid_i[n]) begin
          unique case (inv_op_i[n])
            OpInveptSingle: begin
              inv_valid[n] = 1'b1;
              inv_mask[n]  = TagBits'(16'hffff);
            end
            OpInveptAll, OpFlushAll: inv_valid[n] = 1'b1;
            default: ;
          endcase
        end
      end
    end

    walk_lru_array #(
      .Entries (Entries),
      .Ways    (Ways),
      .TagBits (TagBits),
      .DataBits(DataBits),
      .Probes  (W * Sizes),
      .Fills   (W),
      .Invs    (2)
    ) u_array (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .probe_set_i (probe_set),
      .probe_tag_i (probe_tag),
      .probe_hit_o (probe_hit),
      .probe_data_o(probe_data),
      .touch_i     (touch),
      .fill_i      (fill_i),
      .fill_set_i  (fill_set),
      .fill_tag_i  (fill_tag),
      .fill_data_i (fill_data),
      .inv_i       (inv_valid),
      .inv_mask_i  (inv_mask),
      .inv_tag_i   (inv_tag),
      .valid_o     (valid),
      .tag_o       (tags),
      .data_o      (datas_unused)
    );
    logic unused_ok;
    assign unused_ok = ^{valid, tags, datas_unused};
  end
endmodule : walk_ntlb
