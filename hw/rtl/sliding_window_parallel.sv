`default_nettype none
// ConvolutionInputGenerator with a parallel window (FINN's parallel_window=1): KH x KW
// windows, stride 1, dilation 1, of an already padded in_h x in_w x CHANNELS NHWC image.
//
// One input word is one pixel (all CHANNELS elements, channel 0 at the LSBs); one output
// word is one whole window, KH*KW*CHANNELS elements in FINN order (ky, kx, channel),
// element 0 at the LSBs. Stall-free, one pixel enters and (once the window is inside
// the image) one window leaves per cycle, so a KHxKW layer can take one pixel per cycle.
//
// Pipeline of two stages:
// - accept: an input pixel at column x is registered, and the line buffer's column x is
//   read (registered read: block RAM). That column holds the KH-1 pixels above it, oldest
//   row first;
// - shift: those KH-1 pixels and the new one form the window's new right column; the
//   window shifts one column left, and the column minus its oldest pixel is written back
//   to column x for the next row. The window register is the output register: its word
//   is valid when the pixel just shifted in is the bottom-right corner of a window
//   (row >= KH-1, column >= KW-1).
// The line buffer is one memory of MAX_W words of (KH-1) pixels, none when KH = 1. At the
// start of a frame it still holds the previous frame's rows; they are never part of an
// emitted window (rows < KH-1 emit nothing, and by row KH-1 they have been overwritten),
// so frames follow back to back and a reset needs no clearing pass.
//
// Handshake: the window shifts when it is empty or its word is taken, the accept stage
// takes a pixel when the shift stage is empty or shifts; so in0_V_TREADY depends
// combinationally on out0_V_TREADY (the stitcher's FIFOs cut that path between layers).
//
// Run-time size: in_w, in_h are this layer's input (padded) image size in pixels,
// KW <= in_w <= MAX_W and KH <= in_h. They must be stable from before a frame's first
// input word until its last output word has left.
module sliding_window_parallel #(
    parameter int MAX_W = 8,      // largest in_w this instance supports: line buffer depth
    parameter int CHANNELS = 2,   // elements of one pixel, all in one input word
    parameter int ELEM_BITS = 1,  // bits of one element
    parameter int KH = 3,         // window height (rows)
    parameter int KW = 3          // window width (columns)
) (
    input  wire                                  ap_clk,
    input  wire                                  ap_rst_n,
    input  wire  [15:0]                          in_w,  // input width in pixels, run time
    input  wire  [15:0]                          in_h,  // input height in pixels, run time
    input  wire  [CHANNELS*ELEM_BITS-1:0]        in0_V_TDATA,
    input  wire                                  in0_V_TVALID,
    output logic                                 in0_V_TREADY,
    output logic [KH*KW*CHANNELS*ELEM_BITS-1:0]  out0_V_TDATA,
    output logic                                 out0_V_TVALID,
    input  wire                                  out0_V_TREADY
);
    localparam int PIXEL_BITS = CHANNELS * ELEM_BITS;
    localparam int ADDR_BITS = MAX_W > 1 ? $clog2(MAX_W) : 1;
    localparam int LINE_ROWS = KH > 1 ? KH - 1 : 1;  // rows of a line buffer word (none if KH = 1)
    localparam int ROWS_BITS = LINE_ROWS * PIXEL_BITS;  // a line buffer word, oldest row at the LSBs

    // accept stage: position of the next input pixel
    logic [15:0] in_x, in_y;
    // shift stage: the accepted pixel, and whether it is a window's bottom-right corner
    // (row >= KH-1, column >= KW-1)
    logic shift_full;
    logic [PIXEL_BITS-1:0] shift_pixel;
    logic shift_corner;

    // the window is the output word: pixel (ky, kx) at [(ky*KW + kx)*PIXEL_BITS +: PIXEL_BITS],
    // so element (ky*KW + kx)*CHANNELS + c at [((ky*KW + kx)*CHANNELS + c)*ELEM_BITS +: ELEM_BITS]
    logic [KH*KW*PIXEL_BITS-1:0] window;
    // the window's new right column: pixel of row ky at [ky*PIXEL_BITS +: PIXEL_BITS], the
    // newest (the input pixel) at the top
    logic [KH*PIXEL_BITS-1:0] column;

    wire shift = shift_full && (!out0_V_TVALID || out0_V_TREADY);
    assign in0_V_TREADY = !shift_full || shift;
    wire accept = in0_V_TVALID && in0_V_TREADY;
    wire last_x = in_x == in_w - 16'd1;
    wire last_y = in_y == in_h - 16'd1;
    wire corner = 32'(in_y) + 1 >= KH && 32'(in_x) + 1 >= KW;

    assign out0_V_TDATA = window;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            in_x <= '0;
            in_y <= '0;
        end else if (accept) begin
            in_x <= last_x ? '0 : in_x + 16'd1;
            if (last_x) in_y <= last_y ? '0 : in_y + 16'd1;
        end
    end

    always_ff @(posedge ap_clk) begin
        if (accept) begin
            shift_pixel <= in0_V_TDATA;
            shift_corner <= corner;
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            shift_full <= 1'b0;
            out0_V_TVALID <= 1'b0;
        end else begin
            if (accept) shift_full <= 1'b1;
            else if (shift) shift_full <= 1'b0;
            if (shift) out0_V_TVALID <= shift_corner;
            else if (out0_V_TREADY) out0_V_TVALID <= 1'b0;
        end
    end

    for (genvar ky = 0; ky < KH; ky++) begin : g_window_row
        for (genvar kx = 0; kx < KW; kx++) begin : g_window_col
            // the right column takes the new column, the others their right neighbour
            localparam int AT = (ky * KW + kx) * PIXEL_BITS;
            if (kx == KW - 1) begin : g_right
                always_ff @(posedge ap_clk)
                    if (shift) window[AT +: PIXEL_BITS] <= column[ky * PIXEL_BITS +: PIXEL_BITS];
            end else begin : g_inner
                always_ff @(posedge ap_clk)
                    if (shift) window[AT +: PIXEL_BITS] <= window[AT + PIXEL_BITS +: PIXEL_BITS];
            end
        end
    end

    if (KH > 1) begin : g_line_buffer
        logic [ROWS_BITS-1:0] line_buffer [0:MAX_W-1];
        logic [ROWS_BITS-1:0] read_rows;
        // a write to the column being read in the same cycle (in_w = 1 only): its data
        logic [ROWS_BITS-1:0] bypass_rows;
        logic bypass;
        wire [ADDR_BITS-1:0] in_col = in_x[ADDR_BITS-1:0];
        logic [ADDR_BITS-1:0] shift_col;  // the shift stage pixel's column
        // the column without its oldest pixel: the rows above the next row's pixel
        wire [ROWS_BITS-1:0] write_rows = column[KH*PIXEL_BITS-1:PIXEL_BITS];

        always_ff @(posedge ap_clk) begin
            if (shift) line_buffer[shift_col] <= write_rows;
            if (accept) read_rows <= line_buffer[in_col];
        end

        always_ff @(posedge ap_clk) begin
            if (accept) begin
                shift_col <= in_col;
                bypass <= shift && shift_col == in_col;
                bypass_rows <= write_rows;
            end
        end

        assign column = {shift_pixel, bypass ? bypass_rows : read_rows};
    end else begin : g_no_line_buffer
        assign column = shift_pixel;
    end
endmodule
`default_nettype wire
