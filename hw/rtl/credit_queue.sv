`default_nettype none
// Output queue of a pipeline that never stalls (credit-based flow control, as FINN's
// stall-free MVU feed): the layer takes a credit (`reserve`) when it issues work that
// will push one word here some cycles later, and issues only while `room` says a slot
// is left for it; so the queue never overflows, and no stall signal has to reach the
// pipeline's registers (on a large fold such an enable drives thousands of them: a
// fan-out and timing wall).
//
// `room` comes from a register: the layer's in_ready does not depend on out_ready, so
// the ready path stops here. DEPTH >= the pipeline latency (reserve to the word leaving
// at the earliest) + 1 keeps one word per cycle when out_ready stays high. The queue is
// stream_fifo (first-word fall-through), so a word pushed in one cycle can leave in
// the next, as from an output register.
module credit_queue #(
  parameter int DEPTH = 4,  // words; credits
  parameter int WIDTH = 8   // bits of a word
) (
  input  wire              ap_clk,
  input  wire              ap_rst_n,
  input  wire              reserve,   // a word will be pushed for this issue
  output logic             room,      // a credit is left: the layer may issue
  input  wire  [WIDTH-1:0] in_data,   // the pipeline's output word
  input  wire              in_valid,  // push (never refused: it holds a credit)
  output logic [WIDTH-1:0] out_data,
  output logic             out_valid,
  input  wire              out_ready
);
  localparam int CREDIT_BITS = $clog2(DEPTH + 1);
  logic [CREDIT_BITS-1:0] reserved;  // credits taken and not returned by a word leaving

  assign room = reserved != CREDIT_BITS'(DEPTH);

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) reserved <= '0;
    else reserved <= reserved + CREDIT_BITS'(reserve) - CREDIT_BITS'(out_valid && out_ready);
  end

  stream_fifo #(.DEPTH(DEPTH), .WIDTH(WIDTH)) queue (
    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
    .in0_V_TDATA(in_data), .in0_V_TVALID(in_valid), .in0_V_TREADY(),
    .out0_V_TDATA(out_data), .out0_V_TVALID(out_valid), .out0_V_TREADY(out_ready),
    .count()
  );
endmodule
`default_nettype wire
