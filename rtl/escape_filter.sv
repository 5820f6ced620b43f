// The escape filter (SPEC §3): a Bloom filter of M bits with K H3 hashes over gPA frame numbers.
// Hash i of frame x is the XOR of row j of hash i over the set bits j of x (FilterH3Rows of
// mmu_regs_pkg, generated from the C++ seed kH3Seed), truncated to log2(M) bits: the same
// function as arch/escape_filter.h. CLEAR empties it; ADD sets the K bits of a frame and counts
// it; each of the Q query ports answers "maybe contains" combinationally from the current bits.
// Yosys reads this file (see walk_seg_pkg.sv for the subset of SystemVerilog that allows).
module escape_filter #(
  parameter int unsigned M = mmu_regs_pkg::FilterDefaultBits,    // bits, power of 2 in [2, 2^16]
  parameter int unsigned K = mmu_regs_pkg::FilterDefaultHashes,  // hashes, 1..8
  parameter int unsigned Q = 2                                   // query ports
) (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,
  input  logic                                     clear_i,
  input  logic                                     add_i,
  input  logic [mmu_regs_pkg::FilterKeyBits-1:0]   add_frame_i,
  // query port q: bits [q*FilterKeyBits +: FilterKeyBits]
  input  logic [Q*mmu_regs_pkg::FilterKeyBits-1:0] query_frame_i,
  output logic [Q-1:0]                             query_hit_o,
  output logic                                     empty_o,
  output logic [31:0]                              added_o
);
  localparam int unsigned KeyBits   = mmu_regs_pkg::FilterKeyBits;
  localparam int unsigned RowBits   = mmu_regs_pkg::FilterMaxIndexBits;
  localparam int unsigned IndexBits = $clog2(M);

  logic [M-1:0] bits_d, bits_q;
  logic [31:0]  added_d, added_q;

  // Hash i of a frame: the XOR of row j of hash i over the set bits j of the key.
  function automatic logic [IndexBits-1:0] h3(input int unsigned i, input logic [KeyBits-1:0] key);
    logic [RowBits-1:0] h;
    h = '0;
    for (int unsigned j = 0; j < KeyBits; j++) begin
      if (key[j]) h = h ^ mmu_regs_pkg::FilterH3Rows[(i * KeyBits + j) * RowBits +: RowBits];
    end
    h3 = h[IndexBits-1:0];
  endfunction

  always_comb begin
    bits_d  = bits_q;
    added_d = added_q;
    if (clear_i) begin
      bits_d  = '0;
      added_d = '0;
    end else if (add_i) begin
      for (int unsigned i = 0; i < K; i++) bits_d[h3(i, add_frame_i)] = 1'b1;
      added_d = added_q + 32'd1;
    end
  end

  always_comb begin
    for (int unsigned q = 0; q < Q; q++) begin
      query_hit_o[q] = added_q != '0;
      for (int unsigned i = 0; i < K; i++) begin
        if (!bits_q[h3(i, query_frame_i[q * KeyBits +: KeyBits])]) query_hit_o[q] = 1'b0;
      end
    end
  end

  assign empty_o = added_q == '0;
  assign added_o = added_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      bits_q  <= '0;
      added_q <= '0;
    end else begin
      bits_q  <= bits_d;
      added_q <= added_d;
    end
  end

  if (M < 2 || M > (1 << RowBits) || (M & (M - 1)) != 0) begin : gen_bad_m
    $error("escape_filter: M must be a power of two in [2, 65536]");
  end
  if (K < 1 || K > mmu_regs_pkg::FilterMaxHashes) begin : gen_bad_k
    $error("escape_filter: K must be in [1, 8]");
  end
endmodule : escape_filter
