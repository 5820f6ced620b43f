// Round-robin arbiter of the walker's memory port (docs/walker-fsm.md, "Arbiter"): every cycle,
// among the requesting slots, the first one after the slot granted last drives the port (slot 0
// first after reset); it is granted at the edge where the port is ready, and only a grant moves
// the pointer.
module walk_arbiter #(
  parameter int unsigned W = 2
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic [W-1:0] req_i,    // slots in a *_REQ state
  input  logic         ready_i,  // mem_req_ready
  output logic         valid_o,  // some slot requests
  output logic [W-1:0] sel_o,    // one-hot: the slot that drives the port
  output logic [W-1:0] gnt_o     // one-hot: the slot granted at this edge
);
  localparam int unsigned IdxBits = (W > 1) ? $clog2(W) : 1;

  logic [IdxBits-1:0] last_d, last_q;  // slot granted last

  always_comb begin : pick
    logic [IdxBits-1:0] idx;
    logic               found;
    sel_o = '0;
    found = 1'b0;
    last_d = last_q;
    for (int unsigned k = 1; k <= W; k++) begin
      idx = IdxBits'((32'(last_q) + k) % W);
      if (!found && req_i[idx]) begin
        sel_o[idx] = 1'b1;
        found      = 1'b1;
        if (ready_i) last_d = idx;
      end
    end
    valid_o = found;
    gnt_o   = ready_i ? sel_o : '0;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) last_q <= IdxBits'(W - 1);
    else last_q <= last_d;
  end

  // pragma translate_off
  GntOneHot: assert property (@(posedge clk_i) disable iff (!rst_ni) $onehot0(gnt_o));
  GntOnlyRequested: assert property (@(posedge clk_i) disable iff (!rst_ni)
                                     (gnt_o & ~req_i) == '0);
  // pragma translate_on
endmodule : walk_arbiter
