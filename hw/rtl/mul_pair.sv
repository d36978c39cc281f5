`default_nettype none
// Two products of one input with two weights in one multiplier: p0 = a*w0, p1 = a*w1 as
// a * (w0 + w1 * 2^S) + 2^(S-1), the DSP48 packing of Xilinx WP486/WP487 (FINN's
// finn-rtllib/mvu/mvu.sv packs PE weights the same way, but accumulates in the DSP chain and
// corrects the high lanes afterwards in LUTs). S = IB + WB, the bits of one signed product.
//
// The constant 2^(S-1) is the low product's sign correction, done inside the DSP: the
// low S bits hold p0 + 2^(S-1), in [0, 2^S), so they never borrow from the high product
// (the bits above S are p1 exactly) and p0 is those S bits with the top one inverted.
// Without it the high part is p1 - 1 whenever p0 < 0, an adder per pair after the DSP.
//
// yosys maps all of it to one DSP48E1 and no LUT: w0 + w1 * 2^S to the pre-adder (A, D),
// a to B, the constant to C through the post-adder, the register to P. That needs the
// packed weights in the 25-bit pre-adder, IB + 2*WB + 1 <= 25, and a in the 18-bit B port,
// IB + !IN_SIGNED <= 18 (8-bit inputs with weights up to 8 bits fit); wider operands are
// still exact, in more DSPs (hw/mvau.py packs only where one DSP48E1 fits).
module mul_pair #(
  parameter int IB = 8,          // bits of the shared input a
  parameter bit IN_SIGNED = 0,   // a is signed; unsigned otherwise
  parameter int WB = 8,          // bits of each signed weight
  localparam int PB = IB + WB    // bits of each signed product (and the shift S)
) (
  input  wire            ap_clk,
  input  wire  [IB-1:0]  a,
  input  wire  [WB-1:0]  w0,
  input  wire  [WB-1:0]  w1,
  output logic [PB-1:0]  p0,  // a*w0, signed, one cycle after the inputs
  output logic [PB-1:0]  p1   // a*w1, signed, one cycle after the inputs
);
  // w0 + w1 * 2^S, signed: one bit over S + WB for w1 = -2^(WB-1) with w0 < 0
  localparam int PACKED_BITS = PB + WB + 1;
  localparam int WIDE_BITS = 2 * PB;     // both products side by side
  // 2^(S-1), signed: an unsigned term would make the multiply unsigned and 2*PB bits wide
  localparam logic signed [WIDE_BITS-1:0] LOW_SIGN_OFFSET = WIDE_BITS'(1) << (PB - 1);

  logic signed [IB:0]            a_value;  // a with its sign bit (0 when unsigned)
  logic signed [PACKED_BITS-1:0] packed_weights;
  logic        [WIDE_BITS-1:0]   wide_q;   // p1 * 2^S + p0 + 2^(S-1): the DSP's P register

  assign a_value = {IN_SIGNED && a[IB-1], a};
  assign packed_weights = (PACKED_BITS'($signed(w1)) <<< PB) + PACKED_BITS'($signed(w0));
  always_ff @(posedge ap_clk)
    wide_q <= WIDE_BITS'(a_value) * WIDE_BITS'(packed_weights) + LOW_SIGN_OFFSET;

  assign p0 = {~wide_q[PB-1], wide_q[PB-2:0]};
  assign p1 = wide_q[WIDE_BITS-1:PB];
endmodule
`default_nettype wire
