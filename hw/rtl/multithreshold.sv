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
  localparam int COUNT_BITS = PE * STAGES;  // per lane, the count decided so far
  localparam logic [VALUE_BITS-1:0] SIGN_BIT = 1 << (VALUE_BITS - 1);  // of a signed value

  if (T == 0) begin : pass_through
    for (genvar p = 0; p < PE; p++) begin : lane
      assign out[p*OB +: OB] = OB'(values[p*VALUE_BITS +: VALUE_BITS]);
    end
    assign out_valid = in_valid;
  end else begin : search
    // per stage s, at [s*width +: width]: the value in it, and what reads its thresholds
    logic [STAGES-1:0]            stage_valid;
    logic [STAGES*WORD_BITS-1:0]  stage_values;
    logic [STAGES*FOLD_W-1:0]     read_fold;
    logic [STAGES*COUNT_BITS-1:0] read_count;
    logic [STAGES*COUNT_BITS-1:0] decided;   // stage s's count, s + 1 bits, combinational

    assign stage_valid[0] = in_valid;
    assign stage_values[0 +: WORD_BITS] = values;
    assign read_fold[0 +: FOLD_W] = fold;
    assign read_count[0 +: COUNT_BITS] = '0;

    for (genvar s = 0; s < STAGES; s++) begin : stage
      localparam int ADDR_W = FOLD_W + s;
      localparam STAGE_FILE = {THRESHOLD_PREFIX, "_stage", 8'("0" + s / 10), 8'("0" + s % 10),
                               ".memh"};
      // loaded with the value: its fold, the count decided before, the threshold it is asked
      logic [FOLD_W-1:0]     fold_here;
      logic [COUNT_BITS-1:0] count_here;
      logic [WORD_BITS-1:0]  threshold_here;  // lane p at [p*VALUE_BITS]
      logic [FOLD_W-1:0]     fold_in;
      logic [COUNT_BITS-1:0] count_in;
      assign fold_in = read_fold[s*FOLD_W +: FOLD_W];
      assign count_in = read_count[s*COUNT_BITS +: COUNT_BITS];

      always_ff @(posedge ap_clk) begin
        fold_here <= fold_in;
        count_here <= count_in;
      end

      for (genvar p = 0; p < PE; p++) begin : lane
        // lanes read different addresses: a copy of the stage memory per lane, of which
        // synthesis keeps the lane's bits, has one read port and maps to BRAM or LUTRAM.
        // Power-of-two depth: any address is in range.
        logic [WORD_BITS-1:0] thresholds [2**ADDR_W];
        logic [ADDR_W-1:0]    address;
        logic                 passed;
        initial $readmemh(STAGE_FILE, thresholds);

        assign address = (ADDR_W'(fold_in) << s) | ADDR_W'(count_in[p*STAGES +: STAGES]);
        always_ff @(posedge ap_clk)
          threshold_here[p*VALUE_BITS +: VALUE_BITS] <=
              thresholds[address][p*VALUE_BITS +: VALUE_BITS];
        // signed >= written as unsigned >= of both sides with the sign bit flipped: the
        // same function, and Verilator evaluates it without sign-extending (the threshold
        // searches are a fifth of the harness's time)
        assign passed = (stage_values[s*WORD_BITS + p*VALUE_BITS +: VALUE_BITS] ^ SIGN_BIT)
                        >= (threshold_here[p*VALUE_BITS +: VALUE_BITS] ^ SIGN_BIT);
        assign decided[s*COUNT_BITS + p*STAGES +: STAGES] =
          STAGES'({count_here[p*STAGES +: STAGES], passed});
      end

      if (s + 1 < STAGES) begin : hand_on
        logic                 next_valid;
        logic [WORD_BITS-1:0] next_values;
        always_ff @(posedge ap_clk) begin
          if (!ap_rst_n) next_valid <= 1'b0;
          else next_valid <= stage_valid[s];
          next_values <= stage_values[s*WORD_BITS +: WORD_BITS];
        end
        assign stage_valid[s+1] = next_valid;
        assign stage_values[(s+1)*WORD_BITS +: WORD_BITS] = next_values;
        assign read_fold[(s+1)*FOLD_W +: FOLD_W] = fold_here;
        assign read_count[(s+1)*COUNT_BITS +: COUNT_BITS] = decided[s*COUNT_BITS +: COUNT_BITS];
      end
    end

    for (genvar p = 0; p < PE; p++) begin : lane
      // modulo 2**OB: two's complement ACT_VAL plus the count
      assign out[p*OB +: OB] =
        OB'(ACT_VAL) + OB'(decided[(STAGES-1)*COUNT_BITS + p*STAGES +: STAGES]);
    end
    assign out_valid = stage_valid[STAGES-1];
  end
endmodule
