// FINN multi-threshold activation of one value: out = (number of thresholds t with
// value >= t) + ACT_VAL, in OB bits two's complement. T == 0 passes the value through
// (truncated to OB bits), which is the MVAU without activation.
// Combinational; shared by the MVAU and the standalone Thresholding layer.
module multithreshold #(
  parameter int VALUE_BITS = 8,  // signed width of the value and of every threshold
  parameter int T = 1,           // thresholds, sorted ascending is not required
  parameter int OB = 2,          // output element bits
  parameter int ACT_VAL = 0      // output for a value below every threshold
) (
  input  logic signed [VALUE_BITS-1:0]                 value,
  input  logic        [(T > 0 ? T : 1)*VALUE_BITS-1:0] thresholds,  // threshold t at [t*VALUE_BITS +: VALUE_BITS]
  output logic        [OB-1:0]                         out
);
  if (T == 0) begin : pass_through
    assign out = OB'(value);
  end else begin : compare
    int level;
    always_comb begin
      level = ACT_VAL;
      for (int t = 0; t < T; t++)
        if (value >= $signed(thresholds[t*VALUE_BITS +: VALUE_BITS])) level = level + 1;
    end
    assign out = OB'(level);
  end
endmodule
