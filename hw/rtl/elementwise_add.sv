// ElementwiseAdd / AddStreams: out = in0 + in1, element by element, exactly.
//
// Words carry PE elements (element 0 at the LSBs): A_BITS-bit elements on in0,
// B_BITS-bit ones on in1, each signed (two's complement) or not, OUT_BITS-bit sums
// on out0. OUT_BITS must hold every possible sum (hw/elementwise_add.py sizes it),
// so the sum never wraps. A word leaves once both inputs have one; one output
// register, one word per cycle.
module elementwise_add #(
    parameter int PE = 1,
    parameter int A_BITS = 4,
    parameter bit A_SIGNED = 1'b0,
    parameter int B_BITS = 4,
    parameter bit B_SIGNED = 1'b0,
    parameter int OUT_BITS = 5
) (
    input  logic                   ap_clk,
    input  logic                   ap_rst_n,
    input  logic [PE*A_BITS-1:0]   in0_V_TDATA,
    input  logic                   in0_V_TVALID,
    output logic                   in0_V_TREADY,
    input  logic [PE*B_BITS-1:0]   in1_V_TDATA,
    input  logic                   in1_V_TVALID,
    output logic                   in1_V_TREADY,
    output logic [PE*OUT_BITS-1:0] out0_V_TDATA,
    output logic                   out0_V_TVALID,
    input  logic                   out0_V_TREADY
);
    typedef logic [OUT_BITS-1:0] sum_t;

    // the low `bits` bits of `raw`, sign- or zero-extended to OUT_BITS
    function automatic sum_t extend(input sum_t raw, input int bits, input bit is_signed);
        sum_t wide;
        for (int i = 0; i < OUT_BITS; i++) wide[i] = i < bits ? raw[i] : is_signed && raw[bits-1];
        extend = wide;
    endfunction

    logic [PE*OUT_BITS-1:0] sums;

    always_comb begin
        for (int lane = 0; lane < PE; lane++)
            sums[lane*OUT_BITS +: OUT_BITS] =
                extend(OUT_BITS'(in0_V_TDATA[lane*A_BITS +: A_BITS]), A_BITS, A_SIGNED)
                + extend(OUT_BITS'(in1_V_TDATA[lane*B_BITS +: B_BITS]), B_BITS, B_SIGNED);
    end

    wire load = !out0_V_TVALID || out0_V_TREADY;  // output register free next cycle
    assign in0_V_TREADY = load && in1_V_TVALID;
    assign in1_V_TREADY = load && in0_V_TVALID;
    wire advance = load && in0_V_TVALID && in1_V_TVALID;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) out0_V_TVALID <= 1'b0;
        else if (load) out0_V_TVALID <= advance;
    end

    always_ff @(posedge ap_clk) begin
        if (advance) out0_V_TDATA <= sums;
    end
endmodule
