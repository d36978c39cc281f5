`default_nettype none
// Sum of N signed W-bit values as a pipelined binary tree, the integer MVAU's dot
// product: level t adds pairs of level t-1's sums (an odd last one passes), so
// ceil(log2(N)) levels of one adder each.
//
// Why a tree with registers: a chain of N additions (or yosys' cascade of DSP48E1
// post-adders it maps such a chain to) is one combinational path N adders long; here a
// register follows every LEVELS_PER_REG-th level, so at most LEVELS_PER_REG adders lie
// between two registers. in_tag travels alongside with the same latency (the caller's
// valid and control bits). No register is reset but the tag's: sums of invalid slots
// are don't-cares. The sums never wrap when W holds the sum of any N inputs.
module adder_tree #(
  parameter int N = 4,               // values to add
  parameter int W = 16,              // bits of each value and of the sum, signed
  parameter int LEVELS_PER_REG = 2,  // adder levels between pipeline registers; 0: none
  parameter int TAG_BITS = 1         // width of in_tag/out_tag
) (
  input  wire                ap_clk,
  input  wire                ap_rst_n,  // clears the tag pipeline
  input  wire  [N*W-1:0]     values,    // value i at [i*W]
  input  wire  [TAG_BITS-1:0] in_tag,
  output logic [W-1:0]       sum,
  output logic [TAG_BITS-1:0] out_tag   // in_tag of the same input slot
);
  localparam int LEVELS = N > 1 ? $clog2(N) : 0;

  for (genvar t = 0; t <= LEVELS; t++) begin : level
    localparam int COUNT = (N + (1 << t) - 1) >> t;  // sums at the input of level t
    wire [N*W-1:0]      in_sums;  // sum i at [i*W]; level LEVELS's is the result
    wire [TAG_BITS-1:0] in_level_tag;

    if (t == 0) begin : inputs
      assign in_sums = values;
      assign in_level_tag = in_tag;
    end else begin : previous
      localparam int PREV = (N + (1 << (t - 1)) - 1) >> (t - 1);
      wire [N*W-1:0] added;
      for (genvar i = 0; i < COUNT; i++) begin : pair
        if (2 * i + 1 < PREV) begin : add
          assign added[i*W +: W] = level[t-1].in_sums[2*i*W +: W]
                                   + level[t-1].in_sums[(2*i+1)*W +: W];
        end else begin : pass
          assign added[i*W +: W] = level[t-1].in_sums[2*i*W +: W];
        end
      end
      if (COUNT < N) begin : unused
        assign added[N*W-1:COUNT*W] = '0;
      end
      if (LEVELS_PER_REG > 0 && t % LEVELS_PER_REG == 0) begin : pipeline
        logic [N*W-1:0]      sums_q;
        logic [TAG_BITS-1:0] tag_q;
        always_ff @(posedge ap_clk) begin
          if (!ap_rst_n) tag_q <= '0;
          else tag_q <= level[t-1].in_level_tag;
          sums_q <= added;
        end
        assign in_sums = sums_q;
        assign in_level_tag = tag_q;
      end else begin : direct
        assign in_sums = added;
        assign in_level_tag = level[t-1].in_level_tag;
      end
    end
  end

  assign sum = level[LEVELS].in_sums[W-1:0];
  assign out_tag = level[LEVELS].in_level_tag;
endmodule
`default_nettype wire
