// FMPadding: pads an in_h x in_w x CHANNELS NHWC image with all-zero elements.
//
// Padding is FINN's [top, left, bottom, right]. Words carry SIMD elements of
// ELEM_BITS bits (element 0 at the LSBs), CHANNELS/SIMD words per pixel. For
// bipolar data the zero bits encode -1, as in FINN. One output word per cycle:
// counters walk the padded image and either forward an input word or emit zeros,
// through one output register. A frame starts only once its first input word is
// offered, so the next frame's top padding never runs ahead on the previous size.
//
// The image size is set at run time (in_w <= MAX_W, any in_h >= 1): in_w and in_h
// must be stable from before a frame's first word until its last output word
// (the top level changes them only while the accelerator is idle).
`default_nettype none

module fmpadding #(
    parameter int MAX_W = 4,  // largest input width in pixels (sizes the column counter)
    parameter int CHANNELS = 2,  // channels per pixel
    parameter int SIMD = 1,  // elements per stream word; divides CHANNELS
    parameter int ELEM_BITS = 1,  // bits per element
    parameter int PAD_TOP = 1,  // zero rows above the image
    parameter int PAD_LEFT = 1,  // zero columns left of the image
    parameter int PAD_BOTTOM = 1,  // zero rows below the image
    parameter int PAD_RIGHT = 1  // zero columns right of the image
) (
    input  wire logic                      ap_clk,
    input  wire logic                      ap_rst_n,
    input  wire logic [15:0]               in_w,  // input width in pixels, 1..MAX_W
    input  wire logic [15:0]               in_h,  // input height in pixels, >= 1
    input  wire logic [SIMD*ELEM_BITS-1:0] in0_V_TDATA,
    input  wire logic                      in0_V_TVALID,
    output logic                           in0_V_TREADY,
    output logic [SIMD*ELEM_BITS-1:0]      out0_V_TDATA,
    output logic                           out0_V_TVALID,
    input  wire logic                      out0_V_TREADY
);
    localparam int FOLD = CHANNELS / SIMD;
    // padded height needs one bit more than in_h when there is vertical padding
    localparam int ROW_BITS = $clog2(65535 + PAD_TOP + PAD_BOTTOM + 1);
    localparam int COL_BITS = $clog2(MAX_W + PAD_LEFT + PAD_RIGHT + 1);

    typedef logic [ROW_BITS-1:0] row_t;
    typedef logic [COL_BITS-1:0] col_t;

    // position of the next output word in the padded image
    row_t row;
    col_t col;
    logic [$clog2(FOLD+1)-1:0] fold;

    wire row_t rows_in = ROW_BITS'(in_h);
    wire col_t cols_in = COL_BITS'(in_w);
    wire last_fold = 32'(fold) == FOLD - 1;
    wire last_col = col == cols_in + COL_BITS'(PAD_LEFT + PAD_RIGHT - 1);
    wire last_row = row == rows_in + ROW_BITS'(PAD_TOP + PAD_BOTTOM - 1);
    // unsigned wrap-around: one compare tests PAD_TOP <= row < PAD_TOP + in_h
    wire row_t image_row = row - ROW_BITS'(PAD_TOP);
    wire col_t image_col = col - COL_BITS'(PAD_LEFT);
    wire in_image = image_row < rows_in && image_col < cols_in;

    wire load = !out0_V_TVALID || out0_V_TREADY;  // output register free next cycle
    // a frame's padding starts once its first input word is offered (not taken when it
    // is padding): in_w/in_h are then that frame's, even if they were changed while the
    // accelerator was idle, and nothing runs ahead on the size before reset release
    wire frame_start = row == '0 && col == '0 && fold == '0;
    wire advance = load && (in0_V_TVALID || !(in_image || frame_start));
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

`default_nettype wire
