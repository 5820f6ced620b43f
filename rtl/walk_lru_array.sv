// A set-associative array with true-LRU replacement, the storage of the paging-structure cache and
// the nested TLB: the same choices as tlm/set_assoc.h. A probe finds the valid way of its set whose
// tag matches (from the state at the start of the cycle). At the edge, in this order:
//   1. touches (probe order): the probe's matching way becomes most recently used;
//   2. fills (port order): the valid way with the same tag is overwritten, else the first invalid
//      way, else the least recently used way; the filled way becomes most recently used;
//   3. invalidation: every valid entry whose tag, as the fills left it, matches one of the
//      invalidations of this edge (inv_i[n]: (tag ^ inv_tag_i[n]) & inv_mask_i[n] == 0) becomes
//      invalid. So a fill of this edge that an invalidation of this edge names is dropped, and an
//      entry a fill overwrote is judged by its new tag (docs/walker-fsm.md: fills, then the
//      invalidation).
// LRU is kept as a rank per way (0 = most recently used), a permutation within each set: a use
// moves the way to rank 0 and ages the ways that were more recent. The valid way of highest rank
// is the one with the oldest use, as the smallest stamp of set_assoc.h.
module walk_lru_array #(
  parameter int unsigned Entries  = 4,
  parameter int unsigned Ways     = 4,
  parameter int unsigned TagBits  = 8,
  parameter int unsigned DataBits = 8,
  parameter int unsigned Probes   = 1,
  parameter int unsigned Fills    = 1,
  parameter int unsigned Invs     = 1,
  localparam int unsigned Sets    = Entries / Ways,
  localparam int unsigned SetBits = (Sets > 1) ? $clog2(Sets) : 1
) (
  input  logic                               clk_i,
  input  logic                               rst_ni,
  input  logic [Probes-1:0][SetBits-1:0]     probe_set_i,
  input  logic [Probes-1:0][TagBits-1:0]     probe_tag_i,
  output logic [Probes-1:0]                  probe_hit_o,
  output logic [Probes-1:0][DataBits-1:0]    probe_data_o,
  input  logic [Probes-1:0]                  touch_i,
  input  logic [Fills-1:0]                   fill_i,
  input  logic [Fills-1:0][SetBits-1:0]      fill_set_i,
  input  logic [Fills-1:0][TagBits-1:0]      fill_tag_i,
  input  logic [Fills-1:0][DataBits-1:0]     fill_data_i,
  input  logic [Invs-1:0]                    inv_i,
  input  logic [Invs-1:0][TagBits-1:0]       inv_mask_i,
  input  logic [Invs-1:0][TagBits-1:0]       inv_tag_i,
  output logic [Entries-1:0]                 valid_o,
  output logic [Entries-1:0][TagBits-1:0]    tag_o,
  output logic [Entries-1:0][DataBits-1:0]   data_o
);
  localparam int unsigned RankBits = (Ways > 1) ? $clog2(Ways) : 1;

  logic [Entries-1:0]                valid_d, valid_q;
  logic [Entries-1:0][TagBits-1:0]   tag_d, tag_q;
  logic [Entries-1:0][DataBits-1:0]  data_d, data_q;
  logic [Entries-1:0][RankBits-1:0]  rank_d, rank_q;
  logic [Probes-1:0][RankBits-1:0]   probe_way;

  // Probes: the state at the start of the cycle.
  always_comb begin
    for (int unsigned p = 0; p < Probes; p++) begin
      probe_hit_o[p]  = 1'b0;
      probe_data_o[p] = '0;
      probe_way[p]    = '0;
      for (int unsigned w = 0; w < Ways; w++) begin
        if (!probe_hit_o[p] && valid_q[32'(probe_set_i[p]) * Ways + w] &&
            tag_q[32'(probe_set_i[p]) * Ways + w] == probe_tag_i[p]) begin
          probe_hit_o[p]  = 1'b1;
          probe_data_o[p] = data_q[32'(probe_set_i[p]) * Ways + w];
          probe_way[p]    = RankBits'(w);
        end
      end
    end
  end

  always_comb begin : update
    int unsigned base;
    int unsigned victim;
    logic        chosen;
    base    = 0;
    victim  = 0;
    chosen  = 1'b0;
    valid_d = valid_q;
    tag_d   = tag_q;
    data_d  = data_q;
    rank_d  = rank_q;
    // 1. touches
    for (int unsigned p = 0; p < Probes; p++) begin
      if (touch_i[p] && probe_hit_o[p]) begin
        base = 32'(probe_set_i[p]) * Ways;
        for (int unsigned w = 0; w < Ways; w++) begin
          if (rank_d[base + w] < rank_d[base + 32'(probe_way[p])]) rank_d[base + w] += 1'b1;
        end
        rank_d[base + 32'(probe_way[p])] = '0;
      end
    end
    // 2. fills
    for (int unsigned f = 0; f < Fills; f++) begin
      if (fill_i[f]) begin
        base   = 32'(fill_set_i[f]) * Ways;
        victim = 0;
        chosen = 1'b0;
        for (int unsigned w = 0; w < Ways; w++) begin  // same tag: overwrite in place
          if (!chosen && valid_d[base + w] && tag_d[base + w] == fill_tag_i[f]) begin
            victim = w;
            chosen = 1'b1;
          end
        end
        for (int unsigned w = 0; w < Ways; w++) begin  // first invalid way
          if (!chosen && !valid_d[base + w]) begin
            victim = w;
            chosen = 1'b1;
          end
        end
        for (int unsigned w = 0; w < Ways; w++) begin  // least recently used
          if (!chosen && rank_d[base + w] == RankBits'(Ways - 1)) begin
            victim = w;
            chosen = 1'b1;
          end
        end
        for (int unsigned w = 0; w < Ways; w++) begin
          if (rank_d[base + w] < rank_d[base + victim]) rank_d[base + w] += 1'b1;
        end
        rank_d[base + victim]  = '0;
        valid_d[base + victim] = 1'b1;
        tag_d[base + victim]   = fill_tag_i[f];
        data_d[base + victim]  = fill_data_i[f];
      end
    end
    // 3. invalidation, on the tags after the fills
    for (int unsigned e = 0; e < Entries; e++) begin
      for (int unsigned n = 0; n < Invs; n++) begin
        if (inv_i[n] && ((tag_d[e] ^ inv_tag_i[n]) & inv_mask_i[n]) == '0) valid_d[e] = 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      valid_q <= '0;
      tag_q   <= '0;
      data_q  <= '0;
      for (int unsigned e = 0; e < Entries; e++) rank_q[e] <= RankBits'(e % Ways);
    end else begin
      valid_q <= valid_d;
      tag_q   <= tag_d;
      data_q  <= data_d;
      rank_q  <= rank_d;
    end
  end

  assign valid_o = valid_q;
  assign tag_o   = tag_q;
  assign data_o  = data_q;

  // pragma translate_off
  if (Entries == 0 || Ways == 0 || Entries % Ways != 0 || (Sets & (Sets - 1)) != 0)
  begin : gen_bad_geometry
    $error("walk_lru_array: entries must be a multiple of ways with a power-of-two set count");
  end
  // pragma translate_on
endmodule : walk_lru_array
