// The paging-structure cache of the walker (tlm/paging_structure_cache.h): PML4, PDPT and PD caches
// keyed by va[47:39], va[47:30], va[47:21] and tagged by PCID and VMID, each holding the address of
// the next table and the permissions (w, x, u) accumulated down to its entry. A lookup returns the
// deepest hit (PD, then PDPT, then PML4) and only that entry becomes most recently used. Fills come
// from slots leaving GCHK/GAD_WAIT with a non-leaf entry of level 4, 3 or 2. A level with 0 entries
// is disabled (always misses, fills are dropped).
//
// Invalidation (SDM §4.10.4.1), applied after the fills of the same edge (walk_lru_array):
//   INVLPG, INVPCID address, INVPCID context  every entry of that PCID and VMID
//   INVPCID all (with/without global), INVEPT single  every entry of the VMID
//   INVEPT all, flush all  everything
module walk_pwc
  import mmu_regs_pkg::*;
  import walker_pkg::*;
#(
  parameter int unsigned W           = 2,
  parameter int unsigned Pml4Entries = 2,
  parameter int unsigned Pml4Ways    = 2,
  parameter int unsigned PdptEntries = 4,
  parameter int unsigned PdptWays    = 4,
  parameter int unsigned PdEntries   = 32,
  parameter int unsigned PdWays      = 4
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic      [W-1:0]      lookup_i,
  input  gva_t      [W-1:0]      va_i,
  input  logic      [W-1:0][11:0] pcid_i,
  input  logic      [W-1:0][15:0] vmid_i,
  output pwc_hit_t  [W-1:0]      hit_o,
  input  logic      [W-1:0]      fill_i,
  input  pwc_fill_t [W-1:0]      fill_data_i,
  // invalidations of this edge (two sources: the register block and the inv port)
  input  logic      [1:0]        inv_valid_i,
  input  inv_op_e   [1:0]        inv_op_i,
  input  logic      [1:0][11:0]  inv_pcid_i,
  input  logic      [1:0][15:0]  inv_vmid_i
);
  localparam int unsigned Levels   = 3;  // index i: paging level 4 - i
  localparam int unsigned DataBits = 52 + 3;

  // Per level and slot: did the level hit, and with what.
  logic [Levels-1:0][W-1:0]                level_hit;
  logic [Levels-1:0][W-1:0][DataBits-1:0]  level_data;
  logic [Levels-1:0][W-1:0]                level_touch;

  // The invalidations of this edge as tag patterns over {PCID, VMID}: the array drops an entry
  // whose tag (after this edge's fills) equals inv_tag on the bits set in inv_mask.
  localparam int unsigned CtxBits = 12 + 16;
  logic [1:0]              inv_valid;
  logic [1:0][CtxBits-1:0] inv_mask, inv_tag;
  always_comb begin
    for (int unsigned n = 0; n < 2; n++) begin
      inv_valid[n] = 1'b0;
      inv_mask[n]  = '0;
      inv_tag[n]   = {inv_pcid_i[n], inv_vmid_i[n]};
      if (inv_valid_i[n]) begin
        unique case (inv_op_i[n])
          OpInvlpg, OpInvpcidAddr, OpInvpcidContext: begin  // that PCID and VMID
            inv_valid[n] = 1'b1;
            inv_mask[n]  = '1;
          end
          OpInvpcidAllGlobal, OpInvpcidAll, OpInveptSingle: begin  // the VMID
            inv_valid[n] = 1'b1;
            inv_mask[n]  = {12'h000, 16'hffff};
          end
          OpInveptAll, OpFlushAll: inv_valid[n] = 1'b1;  // everything
          default: ;
        endcase
      end
    end
  end

  for (genvar i = 0; i < Levels; i++) begin : gen_level
    localparam int unsigned Level   = 4 - i;
    localparam int unsigned Entries = i == 0 ? Pml4Entries : i == 1 ? PdptEntries : PdEntries;
    localparam int unsigned Ways    = i == 0 ? Pml4Ways : i == 1 ? PdptWays : PdWays;
    localparam int unsigned KeyBits = 9 * (5 - Level);       // va[47 : 12 + 9 * (Level - 1)]
    localparam int unsigned KeyLsb  = 12 + 9 * (Level - 1);
    localparam int unsigned TagBits = KeyBits + 12 + 16;     // key, PCID, VMID

    if (Entries == 0) begin : gen_off
      assign level_hit[i]  = '0;
      assign level_data[i] = '0;
    end else begin : gen_on
      localparam int unsigned Sets    = Entries / Ways;
      localparam int unsigned SetBits = (Sets > 1) ? $clog2(Sets) : 1;

      logic [W-1:0][SetBits-1:0]   probe_set, fill_set;
      logic [W-1:0][TagBits-1:0]   probe_tag, fill_tag;
      logic [W-1:0][DataBits-1:0]  fill_data;
      logic [W-1:0]                fill_en;
      logic [Entries-1:0]          valid;
      logic [Entries-1:0][TagBits-1:0]  tags;
      logic [Entries-1:0][DataBits-1:0] datas_unused;
      logic [1:0][TagBits-1:0]     inv_mask_l, inv_tag_l;

      always_comb begin
        for (int unsigned n = 0; n < 2; n++) begin
          inv_mask_l[n] = TagBits'(inv_mask[n]);
          inv_tag_l[n]  = TagBits'(inv_tag[n]);
        end
        for (int unsigned s = 0; s < W; s++) begin
          probe_tag[s] = {va_i[s][47:KeyLsb], pcid_i[s], vmid_i[s]};
          probe_set[s] = Sets > 1 ? SetBits'(va_i[s][47:KeyLsb]) : '0;
          fill_en[s]   = fill_i[s] && fill_data_i[s].level == 3'(Level);
          fill_tag[s]  = {fill_data_i[s].va[47:KeyLsb], fill_data_i[s].pcid,
                          fill_data_i[s].vmid};
          fill_set[s]  = Sets > 1 ? SetBits'(fill_data_i[s].va[47:KeyLsb]) : '0;
          fill_data[s] = {fill_data_i[s].table_addr[63:12], fill_data_i[s].perms.w,
                          fill_data_i[s].perms.x, fill_data_i[s].perms.u};
        end
      end
      walk_lru_array #(
        .Entries (Entries),
        .Ways    (Ways),
        .TagBits (TagBits),
        .DataBits(DataBits),
        .Probes  (W),
        .Fills   (W),
        .Invs    (2)
      ) u_array (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .probe_set_i (probe_set),
        .probe_tag_i (probe_tag),
        .probe_hit_o (level_hit[i]),
        .probe_data_o(level_data[i]),
        .touch_i     (level_touch[i]),
        .fill_i      (fill_en),
        .fill_set_i  (fill_set),
        .fill_tag_i  (fill_tag),
        .fill_data_i (fill_data),
        .inv_i       (inv_valid),
        .inv_mask_i  (inv_mask_l),
        .inv_tag_i   (inv_tag_l),
        .valid_o     (valid),
        .tag_o       (tags),
        .data_o      (datas_unused)
      );
      logic unused_ok;
      assign unused_ok = ^{valid, tags, datas_unused};
    end
  end

  if (Pml4Entries + PdptEntries + PdEntries == 0) begin : gen_all_off
    logic unused_ok;
    assign unused_ok = ^{clk_i, rst_ni, va_i, pcid_i, vmid_i, fill_i, fill_data_i, inv_valid,
                         inv_mask, inv_tag, level_touch};
  end

  // Deepest hit per slot; only that level is touched.
  always_comb begin
    for (int unsigned s = 0; s < W; s++) begin
      hit_o[s] = '0;
      for (int unsigned i = 0; i < Levels; i++) level_touch[i][s] = 1'b0;
      for (int unsigned i = 0; i < Levels; i++) begin  // PML4 first: deeper levels override
        if (level_hit[i][s]) begin
          hit_o[s].level      = 3'(4 - i);
          hit_o[s].table_addr = {level_data[i][s][DataBits-1:3], 12'h000};
          hit_o[s].perms      = {1'b1, level_data[i][s][2], level_data[i][s][1],
                                 level_data[i][s][0]};
        end
      end
      if (lookup_i[s] && hit_o[s].level != 3'd0) level_touch[4 - 32'(hit_o[s].level)][s] = 1'b1;
    end
  end
endmodule : walk_pwc
