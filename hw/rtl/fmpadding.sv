// FMPadding: pads an IN_H x IN_W x CHANNELS NHWC image with all-zero elements.
//
// Padding is FINN's [top, left, bottom, right]. Words carry SIMD elements of
// ELEM_BITS bits (element 0 at the LSBs), CHANNELS/SIMD words per pixel. For
// bipolar data the zero bits encode -1, as in FINN. One output word per cycle:
// counters walk the padded image and either forward an input word or emit zeros,
// through one output register.
module fmpadding #(
    parameter int IN_H = 4,
    parameter int IN_W = 4,
    parameter int CHANNELS = 2,
    parameter int SIMD = 1,
    parameter int ELEM_BITS = 1,
    parameter int PAD_TOP = 1,
    parameter int PAD_LEFT = 1,
    parameter int PAD_BOTTOM = 1,
    parameter int PAD_RIGHT = 1
) (
    input  logic                      ap_clk,
    input  logic                      ap_rst_n,
    input  logic [SIMD*ELEM_BITS-1:0] in0_V_TDATA,
    input  logic                      in0_V_TVALID,
    output logic                      in0_V_TREADY,
    output logic [SIMD*ELEM_BITS-1:0] out0_V_TDATA,
    output logic                      out0_V_TVALID,
    input  logic                      out0_V_TREADY
);
    localparam int FOLD = CHANNELS / SIMD;
    localparam int OUT_H = PAD_TOP + IN_H + PAD_BOTTOM;
    localparam int OUT_W = PAD_LEFT + IN_W + PAD_RIGHT;

    // position of the next output word in the padded image
    logic [$clog2(OUT_H+1)-1:0] row;
    logic [$clog2(OUT_W+1)-1:0] col;
    logic [$clog2(FOLD+1)-1:0] fold;

    wire last_fold = 32'(fold) == FOLD - 1;
    wire last_col = 32'(col) == OUT_W - 1;
    wire last_row = 32'(row) == OUT_H - 1;
    // unsigned wrap-around: one compare tests PAD_TOP <= row < PAD_TOP + IN_H
    wire in_image = 32'(row) - PAD_TOP < IN_H && 32'(col) - PAD_LEFT < IN_W;

    wire load = !out0_V_TVALID || out0_V_TREADY;  // output register free next cycle
    wire advance = load && (!in_image || in0_V_TVALID);
    assign in0_V_TREADY = load && in_image;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            row <= '0;
            col <= '0;
            fold <= '0;
            out0_V_TVALID <= 1'b0;
        end else if (advance) begin
            out0_V_TVALID <= 1'b1;
            fold <= last_fold ? '0 : fold + 1'b1;
            if (last_fold) begin
                col <= last_col ? '0 : col + 1'b1;
                if (last_col) row <= last_row ? '0 : row + 1'b1;
            end
        end else if (out0_V_TREADY) begin
            out0_V_TVALID <= 1'b0;
        end
    end

    always_ff @(posedge ap_clk) begin
        if (advance) out0_V_TDATA <= in_image ? in0_V_TDATA : '0;
    end
endmodule
