// FINN matrix-vector-activation unit (MVAU), folded: every cycle it multiplies SIMD
// input elements with the weights of PE output channels. Output channel
// c = nf*PE + p (neuron fold nf, lane p) sees inputs i = sf*SIMD + s (synapse fold sf).
//
// BINARY = 1 is FINN's XNOR mode: inputs and weights are bits (1 = +1) and the
// accumulator counts matching bits (XnorPopcount). Otherwise inputs are IB-bit
// (IN_SIGNED) integers and weights WB-bit signed integers.
//
// Like FINN's input buffer, the first neuron fold reads the input vector from the
// stream and stores it; the other MH/PE - 1 folds reuse the stored copy, so a
// vector takes (MW/SIMD)*(MH/PE) cycles, back to back with the next one.
// Pipeline: issue -> weight/input read -> dot product [BINARY: the XNOR-popcount
// tree's registers (xnor_popcount); integer: the product stage (RES_TYPE: a DSP48E1's
// product register (with PACK_PAIRS, mul_pair's), or the weight bits' shift-add tree and its register, or nothing for
// constant weights) and the adder tree's registers (adder_tree)] -> accumulate (reading search stage 0) -> the other
// ceil(log2(T + 1)) - 1 threshold-search stages (multithreshold, none when T == 0) ->
// output queue.
//
// The pipeline never stalls, so no enable reaches its registers: a word is issued only
// while the output queue (credit_queue) has a slot for its output, if it finishes one.
// in_ready comes from registers only, so the ready path stops here too.
module mvau #(
  parameter int MW = 8,             // input vector length
  parameter int MH = 8,             // output channels
  parameter int SIMD = 1,           // input elements per input word, divides MW
  parameter int PE = 1,             // output channels per output word, divides MH
  parameter bit BINARY = 0,         // XNOR-popcount of bits instead of multiply-accumulate
  parameter int IB = 1,             // input element bits
  parameter bit IN_SIGNED = 0,
  parameter int WB = 1,             // weight element bits
  parameter int ACC_BITS = 8,       // signed accumulator; thresholds share this width
  parameter int T = 0,              // thresholds per channel; 0 outputs the accumulator
  parameter int OB = 8,             // output element bits
  parameter int ACT_VAL = 0,
  parameter WEIGHT_FILE = "",     // $readmemh: word nf*SF + sf, lane p at [p*SIMD*WB], input s at [s*WB]
  parameter THRESHOLD_PREFIX = "",       // search stage memories, see multithreshold
  parameter int DOT_LEVELS_PER_REG = 2,  // popcount counter / adder levels per pipeline register
  // integer products (FINN's resType): RES_DSP multiplies (yosys maps each product to a
  // DSP48E1), RES_LUT adds the WB partial products of the weight's bits in LUT carry
  // logic, RES_CONSTANT adds the constant weights' canonical signed digits (SF*NF == 1:
  // the weights never change, so there is no weight operand at all)
  parameter int RES_TYPE = 0,
  // RES_CONSTANT: CONST_TERMS terms per lane, term j of lane p at
  // [(p*CONST_TERMS + j)*CONST_TERM_BITS]: {used, negative, shift (6 bits), input (16 bits)},
  // +-(x_input << shift); CONST_OFFSET (lane p at [p*ACC_BITS]) adds 2**shift per negative
  // term, the two's complement of (~x << shift) (hw/mvau.py constant_terms)
  parameter int CONST_TERMS = 1,
  parameter logic [PE*CONST_TERMS*24-1:0] CONST_TERM_TABLE = '0,
  parameter logic [PE*ACC_BITS-1:0] CONST_OFFSET = '0,
  parameter bit PACK_PAIRS = 0,          // RES_DSP, PE even: lanes 2q and 2q+1 share one
                                         // multiplier per input (mul_pair; hw/mvau.py sets
                                         // it where the pair fits one DSP48E1)
  parameter int OUT_QUEUE_DEPTH = 8      // output queue words: >= pipeline latency + 1 keeps the
                                         // full rate (hw/mvau.py sizes it)
) (
  input  logic               ap_clk,
  input  logic               ap_rst_n,
  input  logic [SIMD*IB-1:0] in_data,
  input  logic               in_valid,
  output logic               in_ready,
  output logic [PE*OB-1:0]   out_data,
  output logic               out_valid,
  input  logic               out_ready
);
  localparam int SF = MW / SIMD;  // synapse folds: input words per vector
  localparam int NF = MH / PE;    // neuron folds: output words per vector
  localparam int SF_W = SF > 1 ? $clog2(SF) : 1;
  localparam int NF_W = NF > 1 ? $clog2(NF) : 1;
  localparam int WA_W = SF * NF > 1 ? $clog2(SF * NF) : 1;
  localparam int PROD_BITS = IB + 1 + WB;
  localparam int COUNT_BITS = $clog2(SIMD + 1);
  localparam int LANE_W_BITS = SIMD * WB;
  localparam int RES_DSP = 0, RES_LUT = 1, RES_CONSTANT = 2;
  localparam int CONST_TERM_BITS = 24, CONST_SHIFT_BITS = 6, CONST_INPUT_BITS = 16;
  // product stage registers: the product register, after RES_LUT's partial-product tree
  localparam int PRODUCT_LATENCY = RES_TYPE == RES_CONSTANT ? 0
      : 1 + (RES_TYPE == RES_LUT && DOT_LEVELS_PER_REG > 0 && WB > 1
             ? $clog2(WB) / DOT_LEVELS_PER_REG : 0);

  initial if (MW % SIMD != 0 || MH % PE != 0) $fatal(1, "mvau: SIMD must divide MW and PE must divide MH");
  initial if (RES_TYPE == RES_CONSTANT && SF * NF != 1) $fatal(1, "mvau: RES_CONSTANT needs SF*NF == 1");
  initial if (PACK_PAIRS && (BINARY || RES_TYPE != RES_DSP || PE % 2 != 0))
    $fatal(1, "mvau: PACK_PAIRS needs integer DSP products and an even PE");

  // One integer lane's product, exact in PROD_BITS signed bits.
  function automatic logic signed [PROD_BITS-1:0] lane_product(input logic [IB-1:0] x,
                                                               input logic [WB-1:0] w);
    // function-name assignment, not return: yosys 0.23 lacks return
    lane_product = PROD_BITS'($signed({IN_SIGNED && x[IB-1], x})) * PROD_BITS'($signed(w));
  endfunction

  logic room;  // the output queue has a slot for one more output

  // ---- issue: fold counters; the first neuron fold takes its input from the stream
  logic [SF_W-1:0] sf;
  logic [NF_W-1:0] nf;
  logic [WA_W-1:0] weight_addr;  // nf*SF + sf, counted instead of multiplied
  logic reading_stream, issue, last_sf, last_nf;
  assign reading_stream = nf == '0;
  assign in_ready = room && reading_stream;
  assign issue = room && (in_valid || !reading_stream);
  assign last_sf = sf == SF_W'(SF - 1);
  assign last_nf = nf == NF_W'(NF - 1);

  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      sf <= '0;
      nf <= '0;
      weight_addr <= '0;
    end else if (issue) begin
      sf <= last_sf ? '0 : sf + 1'b1;
      if (last_sf) nf <= last_nf ? '0 : nf + 1'b1;
      weight_addr <= last_sf && last_nf ? '0 : weight_addr + 1'b1;
    end
  end

  // ---- read: weights of this fold, and the input word from the stream or the buffer.
  // A BINARY layer with at most 32 weight words reads its weight ROM after the read
  // register, as logic: each XNOR lane is then a function of its input bit and the
  // ROM_BITS address bits, and the popcount's first-level LUTs take the ROM in
  // (DOT_FIRST_GROUP lanes per LUT6 counter) instead of spending a LUT per weight bit.
  localparam int ROM_BITS = SF * NF > 1 ? $clog2(SF * NF) : 0;
  localparam bit ROM_IN_TREE = BINARY && ROM_BITS <= 5;
  // lanes per first-level counter: 3 lanes of (x, w) fill 6 LUT inputs; a ROM lane takes
  // 1 input besides the shared address (6 - ROM_BITS lanes; 3 counts better than 4)
  localparam int DOT_FIRST_GROUP = !ROM_IN_TREE || ROM_BITS == 2 ? 3 : 6 - ROM_BITS;

  logic                      read_valid, read_first, read_last;
  logic [NF_W-1:0]           read_nf;
  logic [SIMD*IB-1:0]        read_x;
  logic [PE*LANE_W_BITS-1:0] read_w;  // the dot stage's weights
  if (ROM_IN_TREE) begin : rom_in_tree
    (* rom_style = "logic" *) logic [PE*LANE_W_BITS-1:0] weights [2**WA_W];
    initial $readmemh(WEIGHT_FILE, weights);
    logic [WA_W-1:0] read_addr;
    always_ff @(posedge ap_clk) read_addr <= weight_addr;
    assign read_w = weights[read_addr];
  end else begin : rom_registered
    logic [PE*LANE_W_BITS-1:0] weights [2**WA_W];
    initial $readmemh(WEIGHT_FILE, weights);
    always_ff @(posedge ap_clk) read_w <= weights[weight_addr];
  end
  if (SF == 1) begin : one_word_vector
    // read_x holds the vector through its neuron folds: no buffer, no multiplexer
    always_ff @(posedge ap_clk)
      if (issue && reading_stream) read_x <= in_data;
  end else begin : input_buffer
    // power-of-two depths keep every index in range for any fold count
    logic [SIMD*IB-1:0] words [2**SF_W];
    always_ff @(posedge ap_clk)
      if (issue && reading_stream) words[sf] <= in_data;
    always_ff @(posedge ap_clk) read_x <= reading_stream ? in_data : words[sf];
  end
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) read_valid <= 1'b0;
    else read_valid <= issue;
    read_first <= sf == '0;
    read_last <= last_sf;
    read_nf <= nf;
  end

  // ---- dot products: BINARY counts matching bits in xnor_popcount's pipelined tree;
  // integers multiply into a product register (a DSP48E1's M register) and add in
  // adder_tree's pipelined tree. The read stage's valid and fold bits travel alongside.
  logic                      dot_valid, dot_first, dot_last;
  logic [NF_W-1:0]           dot_nf;
  logic [PE*ACC_BITS-1:0]    dot;  // lane p at [p*ACC_BITS]
  if (BINARY) begin : xnor_dot
    localparam int TAG_BITS = 3 + NF_W;
    for (genvar p = 0; p < PE; p++) begin : lane
      logic [COUNT_BITS-1:0] count;
      logic [TAG_BITS-1:0]   in_tag, tag;  // read stage's {valid, first, last, nf}: lane 0's
      if (p == 0) begin : control
        assign in_tag = {read_valid, read_first, read_last, read_nf};
        assign {dot_valid, dot_first, dot_last, dot_nf} = tag;
      end else begin : no_control
        assign in_tag = '0;
      end
      xnor_popcount #(.N(SIMD), .FIRST_GROUP(DOT_FIRST_GROUP), .LEVELS_PER_REG(DOT_LEVELS_PER_REG),
                      .TAG_BITS(TAG_BITS)) tree (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .enable(1'b1),
        .x(read_x), .w(read_w[p*LANE_W_BITS +: LANE_W_BITS]), .in_tag(in_tag),
        .count(count), .out_tag(tag)
      );
      assign dot[p*ACC_BITS +: ACC_BITS] = ACC_BITS'(count);
    end
  end else begin : int_dot
    // the lane's dot product is an adder tree over TERMS values: SIMD registered products
    // (RES_DSP, RES_LUT) or the constant weights' signed digits of the read register's
    // inputs (RES_CONSTANT)
    localparam int TAG_BITS = 3 + NF_W;
    localparam int TERMS = RES_TYPE == RES_CONSTANT ? CONST_TERMS + 1 : SIMD;
    logic [TAG_BITS-1:0] product_tag;  // read stage's {valid, first, last, nf}, at the tree
    for (genvar i = 0; i <= PRODUCT_LATENCY; i++) begin : product_stage
      logic [TAG_BITS-1:0] tag;
      if (i == 0) begin : read
        assign tag = {read_valid, read_first, read_last, read_nf};
      end else begin : delayed
        always_ff @(posedge ap_clk) begin
          if (!ap_rst_n) tag <= '0;
          else tag <= product_stage[i-1].tag;
        end
      end
    end
    assign product_tag = product_stage[PRODUCT_LATENCY].tag;
    // RES_LUT: each input sign-extended and negated once, shared by the PE lanes
    logic [SIMD*PROD_BITS-1:0] x_wide, x_negated;  // input s at [s*PROD_BITS]
    for (genvar s = 0; s < SIMD; s++) begin : input_extend
      assign x_wide[s*PROD_BITS +: PROD_BITS] =
          PROD_BITS'($signed({IN_SIGNED && read_x[s*IB + IB-1], read_x[s*IB +: IB]}));
      assign x_negated[s*PROD_BITS +: PROD_BITS] = -x_wide[s*PROD_BITS +: PROD_BITS];
    end
    // PACK_PAIRS: lanes 2q and 2q+1 multiply input s in one mul_pair (its P register is the
    // product register); products fit ACC_BITS: one product alone is a dot product
    logic [PE*SIMD*ACC_BITS-1:0] paired;  // lane p, input s at [(p*SIMD + s)*ACC_BITS]
    if (PACK_PAIRS) begin : pairs
      for (genvar s = 0; s < SIMD; s++) begin : input_elem
        for (genvar q = 0; q < PE / 2; q++) begin : pair
          logic [IB+WB-1:0] low, high;  // lane 2q's product, lane 2q+1's
          mul_pair #(.IB(IB), .IN_SIGNED(IN_SIGNED), .WB(WB)) mul (
            .ap_clk(ap_clk), .a(read_x[s*IB +: IB]),
            .w0(read_w[2*q*LANE_W_BITS + s*WB +: WB]),
            .w1(read_w[(2*q+1)*LANE_W_BITS + s*WB +: WB]), .p0(low), .p1(high)
          );
          assign paired[(2*q*SIMD + s)*ACC_BITS +: ACC_BITS] = ACC_BITS'($signed(low));
          assign paired[((2*q+1)*SIMD + s)*ACC_BITS +: ACC_BITS] = ACC_BITS'($signed(high));
        end
      end
    end else begin : no_pairs
      assign paired = '0;
    end
    for (genvar p = 0; p < PE; p++) begin : lane
      // every term fits ACC_BITS modulo 2**ACC_BITS, and so does the sum: one product
      // alone is a dot product of the layer
      logic [TERMS*ACC_BITS-1:0] terms;  // term j at [j*ACC_BITS]
      logic [ACC_BITS-1:0]      lane_sum;
      logic [TAG_BITS-1:0]      in_tag, tag;  // the control bits: lane 0's
      if (RES_TYPE == RES_CONSTANT) begin : constant_terms
        for (genvar j = 0; j < CONST_TERMS; j++) begin : digit
          localparam logic [CONST_TERM_BITS-1:0] TERM =
              CONST_TERM_TABLE[(p*CONST_TERMS + j)*CONST_TERM_BITS +: CONST_TERM_BITS];
          localparam int S = 32'(TERM[CONST_INPUT_BITS-1:0]);
          localparam int SHIFT = 32'(TERM[CONST_INPUT_BITS +: CONST_SHIFT_BITS]);
          if (TERM[CONST_TERM_BITS-1] && S < SIMD) begin : used
            logic [ACC_BITS-1:0] x;
            assign x = ACC_BITS'($signed(x_wide[S*PROD_BITS +: PROD_BITS]));
            assign terms[j*ACC_BITS +: ACC_BITS] = (TERM[CONST_TERM_BITS-2] ? ~x : x) << SHIFT;
          end else begin : unused
            assign terms[j*ACC_BITS +: ACC_BITS] = '0;
          end
        end
        assign terms[CONST_TERMS*ACC_BITS +: ACC_BITS] = CONST_OFFSET[p*ACC_BITS +: ACC_BITS];
      end else begin : products
        for (genvar s = 0; s < SIMD; s++) begin : product
          // a register of its own per product (product_q): yosys 0.23 packs one shared wide
          // register into the M registers of several DSP48E1s wrongly (it dropped the
          // multipliers)
          logic [WB-1:0]       w;
          assign w = read_w[p*LANE_W_BITS + s*WB +: WB];
          if (RES_TYPE == RES_LUT) begin : shift_add
            // x*w = sum_k w[k]*(x << k), the sign bit's term -x << (WB-1): no $mul, so
            // yosys builds adders in LUTs and carry chains, never a DSP48E1
            logic [WB*PROD_BITS-1:0] partial;  // bit k's term at [k*PROD_BITS]
            logic [PROD_BITS-1:0]    shift_added;
            logic [ACC_BITS-1:0]     product_q;
            for (genvar k = 0; k < WB; k++) begin : weight_bit
              logic [PROD_BITS-1:0] x;
              assign x = k == WB - 1 ? x_negated[s*PROD_BITS +: PROD_BITS]
                                     : x_wide[s*PROD_BITS +: PROD_BITS];
              assign partial[k*PROD_BITS +: PROD_BITS] = w[k] ? x << k : '0;
            end
            adder_tree #(.N(WB), .W(PROD_BITS), .LEVELS_PER_REG(DOT_LEVELS_PER_REG),
                         .TAG_BITS(1)) partial_sum (
              .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .values(partial), .in_tag(1'b0),
              .sum(shift_added), .out_tag()
            );
            always_ff @(posedge ap_clk) product_q <= ACC_BITS'($signed(shift_added));
            assign terms[s*ACC_BITS +: ACC_BITS] = product_q;
          end else if (PACK_PAIRS) begin : pair_product
            assign terms[s*ACC_BITS +: ACC_BITS] = paired[(p*SIMD + s)*ACC_BITS +: ACC_BITS];
          end else begin : multiply
            logic [ACC_BITS-1:0] product_q;
            always_ff @(posedge ap_clk)
              product_q <= ACC_BITS'(lane_product(read_x[s*IB +: IB], w));
            assign terms[s*ACC_BITS +: ACC_BITS] = product_q;
          end
        end
      end
      adder_tree #(.N(TERMS), .W(ACC_BITS), .LEVELS_PER_REG(DOT_LEVELS_PER_REG),
                   .TAG_BITS(TAG_BITS)) tree (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .values(terms), .in_tag(in_tag),
        .sum(lane_sum), .out_tag(tag)
      );
      assign dot[p*ACC_BITS +: ACC_BITS] = lane_sum;
      if (p == 0) begin : control
        assign in_tag = product_tag;
        assign {dot_valid, dot_first, dot_last, dot_nf} = tag;
      end else begin : no_control
        assign in_tag = '0;
      end
    end
  end

  // ---- accumulate over the synapse folds; acc_valid marks a finished output word
  logic acc_valid;
  logic [PE*ACC_BITS-1:0] acc;  // lane p at [p*ACC_BITS]
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) acc_valid <= 1'b0;
    else acc_valid <= dot_valid && dot_last;
  end

  if (SF == 1) begin : one_fold
    // a single synapse fold: the dot product is the accumulator, no adder
    always_ff @(posedge ap_clk)
      if (dot_valid) acc <= dot;
  end else begin : accumulate
    for (genvar p = 0; p < PE; p++) begin : lane
      always_ff @(posedge ap_clk)
        if (dot_valid)
          acc[p*ACC_BITS +: ACC_BITS] <= (dot_first ? '0 : acc[p*ACC_BITS +: ACC_BITS])
                                         + dot[p*ACC_BITS +: ACC_BITS];
    end
  end

  // ---- search each lane's thresholds (stage 0 read with the last accumulation)
  logic             activated_valid;
  logic [PE*OB-1:0] activated;
  multithreshold #(
    .PE(PE), .FOLDS(NF), .VALUE_BITS(ACC_BITS), .T(T), .OB(OB), .ACT_VAL(ACT_VAL),
    .THRESHOLD_PREFIX(THRESHOLD_PREFIX)
  ) activation (
    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .fold(dot_nf),
    .in_valid(acc_valid), .values(acc), .out_valid(activated_valid), .out(activated)
  );

  // the word issued with a vector fold's last synapse fold makes its output
  credit_queue #(.DEPTH(OUT_QUEUE_DEPTH), .WIDTH(PE * OB)) output_queue (
    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .reserve(issue && last_sf), .room(room),
    .in_data(activated), .in_valid(activated_valid),
    .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready)
  );
endmodule
