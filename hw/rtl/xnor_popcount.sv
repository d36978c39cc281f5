`default_nettype none
// XNOR-popcount of two N-bit vectors as a compressor tree: the number of lanes where
// x and w agree, the binary MVAU's dot product (FINN's XnorPopcount).
//
// Why a tree: a chain of N one-bit additions costs about 3 LUTs per lane after yosys'
// mapping; counting columns of equal-weight bits with counters that each fit one LUT6
// per output bit costs about 1.3. The bits are kept as columns (column j weighs 2^j):
// - level 0 counts groups of FIRST_GROUP lanes: 3 XNORs read 6 signals, so each of the
//   2 count bits is one LUT6 (1 or 2 leftover lanes pass as XNOR bits); lanes whose w
//   is a function of a few select bits shared by all lanes (a weight ROM read in the
//   same cycle) fit more per LUT6, and below 3 they just pass;
// - every further level replaces each group of up to 6 bits of a column by their
//   count (bits in columns j, j+1, j+2: 6:3 and 5:3 counters, 3:2 for 3 or 4 leftover
//   bits, 1 or 2 leftover bits pass), until no column holds more than 2 bits;
// - a carry-chain adder sums the two remaining rows.
// Column heights depend on N alone; a constant function computes them once per level,
// so elaboration stays cheap at hundreds of lanes. hw/xnor_popcount.py models the same
// levels (its latency is this module's).
//
// Bit-sliced: a column is an N-bit vector of rows, and counter c of a column takes the
// rows c, c + k, c + 2k... (k its counters), so input i of all counters is one slice
// and each counter output bit is a handful of bitwise operations on whole columns.
// Synthesis maps each counter to the same LUT6s as contiguous groups would (only which
// rows share a counter differs); Verilator evaluates a column with word operations
// instead of one expression per bit (the popcount trees were 45% of the default
// design's C++ harness time).
//
// A pipeline register follows every LEVELS_PER_REG-th level, so at most LEVELS_PER_REG
// LUT levels lie between two registers inside the tree; in_tag travels alongside with
// the same latency (the caller's valid and control bits). No register is reset but the
// tag's: counts of invalid slots are don't-cares.
module xnor_popcount #(
  parameter int N = 8,               // lanes: bits of x and w
  parameter int FIRST_GROUP = 3,     // lanes per level-0 counter, 1..6: as many as fit a LUT6
                                     // (3 when w is a register; see mvau's ROM_IN_TREE)
  parameter int LEVELS_PER_REG = 2,  // counter levels between pipeline registers; 0: none
  parameter int TAG_BITS = 1         // width of in_tag/out_tag
) (
  input  wire                   ap_clk,
  input  wire                   ap_rst_n,  // clears the tag pipeline
  input  wire                   enable,    // advances the pipeline
  input  wire  [N-1:0]          x,
  input  wire  [N-1:0]          w,
  input  wire  [TAG_BITS-1:0]   in_tag,
  output logic [$clog2(N+1)-1:0] count,  // matching lanes, 0..N
  output logic [TAG_BITS-1:0]   out_tag    // in_tag of the same input slot
);
  localparam int C = $clog2(N + 1);  // columns: a count <= N never sets bit C
  localparam int HW = 16;            // bits of one column height in a height vector
  localparam int HV = C * HW;        // bits of a height vector
  localparam int MAX_LEVELS = 64;

  // Counters of a column of h bits, each taking up to g of them: h / g full ones and
  // one of last_size(h, g) bits (0: none); 4 leftover bits count better as 3 + 1 passed.
  function automatic int last_size(input int h, input int g);
    last_size = h % g == 4 ? 3 : (h % g >= 3 ? h % g : 0);
  endfunction

  // groups below 3 bits count nothing: their bits pass
  function automatic int counters(input int h, input int g);
    counters = g < 3 ? 0 : h / g + (last_size(h, g) > 0 ? 1 : 0);
  endfunction

  function automatic int passed(input int h, input int g);
    passed = g < 3 ? h : h % g - last_size(h, g);
  endfunction

  // counters with a third output bit (4 or more inputs)
  function automatic int tops(input int h, input int g);
    tops = g < 4 ? 0 : h / g + (last_size(h, g) >= 4 ? 1 : 0);
  endfunction

  function automatic int group(input int level);
    group = level == 0 ? FIRST_GROUP : 6;
  endfunction

  function automatic int height(input logic [C*HW-1:0] h, input int j);
    height = j < 0 || j >= C ? 0 : 32'(h[j*HW +: HW]);
  endfunction

  // Column heights after one level of counters of up to g inputs. Column j receives,
  // in this row order: its counters' bit 0, its passed bits, bit 1 of column j-1's
  // counters, bit 2 of column j-2's counters (rows_before gives the offsets).
  function automatic logic [C*HW-1:0] next_heights(input logic [C*HW-1:0] h, input int g);
    int j;
    next_heights = '0;
    for (j = 0; j < C; j++)
      next_heights[j*HW +: HW] = HW'(counters(height(h, j), g) + passed(height(h, j), g)
                                     + counters(height(h, j - 1), g) + tops(height(h, j - 2), g));
  endfunction

  // Column heights at the input of level `level` (level 0: N lanes in column 0).
  function automatic logic [C*HW-1:0] level_heights(input int level);
    int t;
    level_heights = HV'(N);
    for (t = 0; t < level; t++) level_heights = next_heights(level_heights, group(t));
  endfunction

  function automatic int max_height(input logic [C*HW-1:0] h);
    int j;
    max_height = 0;
    for (j = 0; j < C; j++) if (height(h, j) > max_height) max_height = height(h, j);
  endfunction

  // Level 0 (the XNORs) and then as many levels as leave no column above 2 bits.
  function automatic int tree_levels();
    logic [C*HW-1:0] h;
    int t;
    h = next_heights(HV'(N), group(0));
    tree_levels = 1;
    for (t = 1; t < MAX_LEVELS; t++)
      if (max_height(h) > 2) begin
        h = next_heights(h, group(t));
        tree_levels = tree_levels + 1;
      end
  endfunction

  localparam int LEVELS = tree_levels();

  // a counter of up to 6 bits (missing inputs 0), bit-sliced: bit c of every operand
  // belongs to counter c, so one bitwise operation advances all counters of a column
  // (Verilator evaluates a column as one machine word); bit 2 is 0 below 4 inputs
  function automatic logic [3*N-1:0] count6(input logic [N-1:0] b0, b1, b2, b3, b4, b5);
    logic [N-1:0] sum_lo, sum_hi, carry_lo, carry_hi;
    sum_lo = b0 ^ b1 ^ b2;
    carry_lo = (b0 & b1) | (b0 & b2) | (b1 & b2);
    sum_hi = b3 ^ b4 ^ b5;
    carry_hi = (b3 & b4) | (b3 & b5) | (b4 & b5);
    count6 = {(carry_lo & carry_hi) | ((carry_lo | carry_hi) & sum_lo & sum_hi),
              carry_lo ^ carry_hi ^ (sum_lo & sum_hi),
              sum_lo ^ sum_hi};
  endfunction

  // Input i of a column's counters, one bit per counter: counters take their inputs in
  // strided rows (counter c's input i is row first_row(i) + c), so input i of all
  // counters is one contiguous slice: every counter has input i below LAST, only the
  // FULL ones above it.
  function automatic int first_row(input int i, input int full, input int last);
    first_row = i * full + (i < last ? i : last);
  endfunction

  function automatic logic [N-1:0] counter_input(input logic [N-1:0] column, input int i,
                                                 input int g, input int full, input int last);
    int k;
    k = full + (i < last ? 1 : 0);
    counter_input = i < g ? (column >> first_row(i, full, last)) & ~({N{1'b1}} << k) : '0;
  endfunction

  wire [N-1:0] lanes_match = x ~^ w;

  // Level t's bits, column j as N rows (row r at bit r; rows at and above the column's
  // height are 0): `level[t].column[j].in_bits`.
  for (genvar t = 0; t < LEVELS; t++) begin : level
    localparam logic [C*HW-1:0] H = level_heights(t);
    localparam int G = group(t);
    wire [TAG_BITS-1:0] in_level_tag, held_tag;

    if (t == 0) begin : lanes
      assign in_level_tag = in_tag;
    end else begin : previous
      assign in_level_tag = level[t-1].held_tag;
    end

    for (genvar j = 0; j < C; j++) begin : column
      localparam int HJ = height(H, j);
      localparam int FULL = HJ / G;
      localparam int LAST = last_size(HJ, G);
      localparam int K = counters(HJ, G);
      localparam int P = passed(HJ, G);
      // rows of the next level's column j: this column's bit 0s, its passed bits, bit 1s
      // of column j-1's counters, bit 2s of column j-2's counters
      localparam int BIT1_ROW = K + P;
      localparam int BIT2_ROW = BIT1_ROW + counters(height(H, j - 1), G);
      wire [N-1:0] in_bits;
      wire [N-1:0] out_bits;
      wire [N-1:0] held_bits;  // out_bits, registered when a register follows this level
      wire [3*N-1:0] sums;     // counter c's count bit k at [k*N + c]; 0 without counters
      wire [N-1:0] passed_bits, bit1_rows, bit2_rows;

      if (t > 0) begin : previous
        assign in_bits = level[t-1].column[j].held_bits;
      end else if (j == 0) begin : lanes
        assign in_bits = lanes_match;
      end else begin : no_lanes
        assign in_bits = '0;
      end

      if (K > 0) begin : counting
        assign sums = count6(counter_input(in_bits, 0, G, FULL, LAST),
                             counter_input(in_bits, 1, G, FULL, LAST),
                             counter_input(in_bits, 2, G, FULL, LAST),
                             counter_input(in_bits, 3, G, FULL, LAST),
                             counter_input(in_bits, 4, G, FULL, LAST),
                             counter_input(in_bits, 5, G, FULL, LAST));
        assign passed_bits = in_bits >> (FULL * G + LAST);
      end else begin : no_counters
        assign sums = '0;
        assign passed_bits = in_bits;
      end
      if (j >= 1) begin : carry_in
        assign bit1_rows = level[t].column[j-1].sums[N +: N] << BIT1_ROW;
      end else begin : no_carry_in
        assign bit1_rows = '0;
      end
      if (j >= 2) begin : top_in
        assign bit2_rows = level[t].column[j-2].sums[2*N +: N] << BIT2_ROW;
      end else begin : no_top_in
        assign bit2_rows = '0;
      end
      assign out_bits = sums[0 +: N] | (passed_bits << K) | bit1_rows | bit2_rows;

      if (LEVELS_PER_REG > 0 && (t + 1) % LEVELS_PER_REG == 0) begin : pipeline
        logic [N-1:0] bits_q;
        always_ff @(posedge ap_clk) if (enable) bits_q <= out_bits;
        assign held_bits = bits_q;
      end else begin : direct
        assign held_bits = out_bits;
      end
    end

    if (LEVELS_PER_REG > 0 && (t + 1) % LEVELS_PER_REG == 0) begin : pipeline
      logic [TAG_BITS-1:0] tag_q;
      always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) tag_q <= '0;
        else if (enable) tag_q <= in_level_tag;
      end
      assign held_tag = tag_q;
    end else begin : direct
      assign held_tag = in_level_tag;
    end
  end

  // the two rows left: row r of column j, or 0 where the column is shorter
  localparam logic [C*HW-1:0] H_FINAL = level_heights(LEVELS);
  logic [C-1:0] row0, row1;
  for (genvar j = 0; j < C; j++) begin : final_rows
    localparam int HJ = height(H_FINAL, j);
    if (HJ >= 1) begin : first
      assign row0[j] = level[LEVELS-1].column[j].held_bits[0];
    end else begin : no_first
      assign row0[j] = 1'b0;
    end
    if (HJ >= 2) begin : second
      assign row1[j] = level[LEVELS-1].column[j].held_bits[1];
    end else begin : no_second
      assign row1[j] = 1'b0;
    end
  end
  assign count = row0 + row1;  // fits C bits: the count is at most N
  assign out_tag = level[LEVELS-1].held_tag;
endmodule
`default_nettype wire
