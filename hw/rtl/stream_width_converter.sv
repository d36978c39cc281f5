// StreamingDataWidthConverter: words of IN_ELEMS elements in, words of OUT_ELEMS
// elements out, ELEM_BITS bits each, element order kept (element 0 of the stream
// first, element 0 of a word at the LSBs). One of IN_ELEMS / OUT_ELEMS must divide
// the other.
//
// Up-conversion (OUT = RATIO * IN): the first RATIO-1 input words of an output word
// shift into a gather register; the last one loads {last, gathered} into the output
// register. One input word per cycle: the gather register is never full while the
// output register waits, only the last input word needs a free output register.
//
// Down-conversion (IN = RATIO * OUT) and pass-through (IN = OUT, RATIO = 1): the
// input word is held in the output register, which shifts right by one output word
// per transfer; the next input word loads in the cycle its last slice leaves, so one
// output word per cycle.
module stream_width_converter #(
    parameter int IN_ELEMS = 1,
    parameter int OUT_ELEMS = 4,
    parameter int ELEM_BITS = 1
) (
    input  logic                           ap_clk,
    input  logic                           ap_rst_n,
    input  logic [IN_ELEMS*ELEM_BITS-1:0]  in0_V_TDATA,
    input  logic                           in0_V_TVALID,
    output logic                           in0_V_TREADY,
    output logic [OUT_ELEMS*ELEM_BITS-1:0] out0_V_TDATA,
    output logic                           out0_V_TVALID,
    input  logic                           out0_V_TREADY
);
    localparam int IN_BITS = IN_ELEMS * ELEM_BITS;
    localparam int OUT_BITS = OUT_ELEMS * ELEM_BITS;
    localparam bit UP = OUT_ELEMS > IN_ELEMS;
    localparam int RATIO = UP ? OUT_ELEMS / IN_ELEMS : IN_ELEMS / OUT_ELEMS;

    initial if (IN_ELEMS < 1 || OUT_ELEMS < 1 || ELEM_BITS < 1
                || (UP ? OUT_ELEMS % IN_ELEMS : IN_ELEMS % OUT_ELEMS) != 0)
        $fatal(1, "stream_width_converter: one of IN_ELEMS, OUT_ELEMS must divide the other");

    // input words gathered (up) or output words already sent (down) of the current word
    logic [$clog2(RATIO+1)-1:0] count;
    wire last = 32'(count) == RATIO - 1;
    wire in_fire = in0_V_TVALID && in0_V_TREADY;

    generate
        if (UP) begin : g_up
            // input word i of an output word at [i*IN_BITS +: IN_BITS] once all are in
            logic [(RATIO-1)*IN_BITS-1:0] gathered;
            wire [RATIO*IN_BITS-1:0] shifted = {in0_V_TDATA, gathered};
            // only the last input word of an output word needs the output register
            assign in0_V_TREADY = !last || !out0_V_TVALID || out0_V_TREADY;

            always_ff @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    count <= '0;
                    out0_V_TVALID <= 1'b0;
                end else begin
                    if (in_fire) count <= last ? '0 : count + 1'b1;
                    if (in_fire && last) out0_V_TVALID <= 1'b1;
                    else if (out0_V_TREADY) out0_V_TVALID <= 1'b0;
                end
            end

            always_ff @(posedge ap_clk) begin
                if (in_fire && !last) gathered <= shifted[RATIO*IN_BITS-1:IN_BITS];
                if (in_fire && last) out0_V_TDATA <= shifted;
            end
        end else begin : g_down
            // the output word in flight sits at the LSBs, the ones still to send above it
            logic [IN_BITS-1:0] word;
            wire out_fire = out0_V_TVALID && out0_V_TREADY;
            assign out0_V_TDATA = word[OUT_BITS-1:0];
            // the next input word may load in the cycle the last slice leaves
            assign in0_V_TREADY = !out0_V_TVALID || (last && out0_V_TREADY);

            always_ff @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    count <= '0;
                    out0_V_TVALID <= 1'b0;
                end else if (in_fire) begin
                    count <= '0;
                    out0_V_TVALID <= 1'b1;
                end else if (out_fire) begin
                    count <= last ? '0 : count + 1'b1;
                    if (last) out0_V_TVALID <= 1'b0;
                end
            end

            always_ff @(posedge ap_clk) begin
                if (in_fire) word <= in0_V_TDATA;
                else if (out_fire) word <= word >> OUT_BITS;
            end
        end
    endgenerate
endmodule
