// FINN multi-threshold activation of PE lanes: out = (number of thresholds t with
// value >= t) + ACT_VAL, in OB bits two's complement. Lane p of channel fold f is
// channel f*PE + p. Shared by the MVAU and the standalone Thresholding layer.
//
// Pipelined binary search, as FINN's RTL thresholding: the generator sorts each
// channel's thresholds and pads them to 2**STAGES - 1 with ones no value passes,
// so the count has STAGES bits, decided MSB first. Stage s knows the top s bits r
// and compares the value with threshold ((2r + 1) << (STAGES - 1 - s)) - 1, the
// middle one of those left; it reads it from its own memory at {fold, r}.
// One value per lane and cycle, STAGES comparators per lane.
//
// Timing, all registers advancing every cycle (the parents never stall their pipelines,
// see credit_queue): the edge that loads `values` and `in_valid` into the parent's
// registers reads stage 0 at `fold`; every later edge moves them one stage on. `out` and
// `out_valid` leave the last stage combinationally, STAGES - 1 edges after `values`, for
// the parent's output queue.
// T == 0 passes `values` through (truncated to OB bits): the MVAU without activation.
module multithreshold #(
  parameter int PE = 1,              // lanes
  parameter int FOLDS = 1,           // channel folds: channels / PE
  parameter int VALUE_BITS = 8,      // signed width of the values and of every threshold
  parameter int T = 1,               // thresholds per channel
  parameter int OB = 2,              // output element bits
  parameter int ACT_VAL = 0,         // output for a value below every threshold
  // stage s: $readmemh of {THRESHOLD_PREFIX, "_stage", s in two digits, ".memh"}, word
  // f*2**s + r, lane p at [p*VALUE_BITS]: the threshold asked of channel f*PE + p after r
  parameter THRESHOLD_PREFIX = ""
) (
  input  logic                                       ap_clk,
  input  logic                                       ap_rst_n,
  input  logic [(FOLDS > 1 ? $clog2(FOLDS) : 1)-1:0] fold,  // channel fold of the next values
  input  logic                                       in_valid,
  input  logic [PE*VALUE_BITS-1:0]                   values,
  output logic                                       out_valid,
  output logic [PE*OB-1:0]                           out
);
  localparam int FOLD_W = FOLDS > 1 ? $clog2(FOLDS) : 1;
  localparam int STAGES = T > 0 ? $clog2(T + 1) : 1;
  localparam int WORD_BITS = PE * VALUE_BITS;
  localparam logic [VALUE_BITS-1:0] SIGN_BIT = 1 << (VALUE_BITS - 1);  // of a signed value

  if (T == 0) begin : pass_through
    for (genvar p = 0; p < PE; p++) begin : lane
      assign out[p*OB +: OB] = OB'(values[p*VALUE_BITS +: VALUE_BITS]);
    end
    assign out_valid = in_valid;
  end else begin : search
    // Shared by the lanes, per stage s: whether it holds a value, and the fold of its
    // thresholds (loaded with the value).
    logic [STAGES-1:0]        stage_valid;
    logic [STAGES*FOLD_W-1:0] read_fold;  // stage s's memories read at this fold
    assign stage_valid[0] = in_valid;
    assign read_fold[0 +: FOLD_W] = fold;

    for (genvar s = 0; s < STAGES; s++) begin : stage
      logic [FOLD_W-1:0] fold_here;
      always_ff @(posedge ap_clk) fold_here <= read_fold[s*FOLD_W +: FOLD_W];
      if (s + 1 < STAGES) begin : hand_on
        logic next_valid;
        always_ff @(posedge ap_clk) begin
          if (!ap_rst_n) next_valid <= 1'b0;
          else next_valid <= stage_valid[s];
        end
        assign stage_valid[s+1] = next_valid;
        assign read_fold[(s+1)*FOLD_W +: FOLD_W] = fold_here;
      end
    end

    // Each lane's own pipeline: its value and count in signals of their own, so that a
    // stage of a lane is a few operations on machine words in Verilator's C++ (the
    // threshold searches were a fifth of the C++ harness's time).
    for (genvar p = 0; p < PE; p++) begin : lane
      for (genvar s = 0; s < STAGES; s++) begin : stage
        localparam int ADDR_W = FOLD_W + s;
        localparam STAGE_FILE = {THRESHOLD_PREFIX, "_stage", 8'("0" + s / 10),
                                 8'("0" + s % 10), ".memh"};
        logic [VALUE_BITS-1:0] value;       // the value in this stage
        logic [STAGES-1:0]     count_in;    // the count decided before this stage
        logic [STAGES-1:0]     count_here;  // count_in, loaded with the value
        logic [VALUE_BITS-1:0] threshold_here;  // the threshold the value is asked
        logic [STAGES-1:0]     decided;     // the count after this stage, combinational
        logic                  passed;
        if (s == 0) begin : first
          assign value = values[p*VALUE_BITS +: VALUE_BITS];
          assign count_in = '0;
        end else begin : later
          assign value = lane[p].stage[s-1].hand_on.next_value;
          assign count_in = lane[p].stage[s-1].decided;
        end

        // lanes read different addresses: a copy of the stage memory per lane, of which
        // synthesis keeps the lane's bits, has one read port and maps to BRAM or LUTRAM.
        // Power-of-two depth: any address is in range.
        logic [WORD_BITS-1:0] thresholds [2**ADDR_W];
        logic [ADDR_W-1:0]    address;
        initial $readmemh(STAGE_FILE, thresholds);
        assign address = (ADDR_W'(read_fold[s*FOLD_W +: FOLD_W]) << s) | ADDR_W'(count_in);
        always_ff @(posedge ap_clk) begin
          count_here <= count_in;
          threshold_here <= thresholds[address][p*VALUE_BITS +: VALUE_BITS];
        end
        // signed >= written as unsigned >= of both sides with the sign bit flipped: the
        // same function, and Verilator evaluates it without sign-extending
        assign passed = (value ^ SIGN_BIT) >= (threshold_here ^ SIGN_BIT);
        assign decided = STAGES'({count_here, passed});

        if (s + 1 < STAGES) begin : hand_on
          logic [VALUE_BITS-1:0] next_value;
          always_ff @(posedge ap_clk) next_value <= value;
        end
      end
      // modulo 2**OB: two's complement ACT_VAL plus the count
      assign out[p*OB +: OB] = OB'(ACT_VAL) + OB'(lane[p].stage[STAGES-1].decided);
    end
    assign out_valid = stage_valid[STAGES-1];
  end
endmodule
