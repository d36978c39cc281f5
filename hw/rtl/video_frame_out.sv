// Output edge of the accelerator: the pipeline's HR frames out as an AXI4-Stream
// video output, TUSER on the first word of a frame, TLAST on the last word of every
// line. The pipeline emits exactly frame_h*SCALE HR lines of frame_w*LINE_WORDS words
// per frame: LINE_WORDS words carry the SCALE HR pixels an LR pixel spans on a line
// (SCALE * words per pixel, or SCALE / pixels per word when a word holds several HR
// pixels, as DepthToSpace's output can). Words pass through, counted. frame_w and
// frame_h are the LR size, stable while frames are in flight (see video_frame_in.sv).
`default_nettype none

module video_frame_out #(
    parameter int SCALE = 2,  // upscaling factor: HR lines per LR line, pixels per LR pixel
    parameter int LINE_WORDS = 2,  // stream words per HR line per LR pixel of width
    parameter int WIDTH = 8  // TDATA bits
) (
    input  wire logic             ap_clk,
    input  wire logic             ap_rst_n,
    input  wire logic [15:0]      frame_w,  // LR frame width in pixels
    input  wire logic [15:0]      frame_h,  // LR frame height in pixels
    input  wire logic [WIDTH-1:0] in0_V_TDATA,
    input  wire logic             in0_V_TVALID,
    output logic                  in0_V_TREADY,
    output logic [WIDTH-1:0]      out0_V_TDATA,
    output logic                  out0_V_TVALID,
    input  wire logic             out0_V_TREADY,
    output logic                  out0_V_TUSER,
    output logic                  out0_V_TLAST
);
    localparam int HR_BITS = 16 + $clog2(SCALE + 1);

    typedef logic [HR_BITS-1:0] hr_t;

    localparam int COL_BITS = 16 + $clog2(LINE_WORDS + 1);

    // position of the next word in the HR frame: line, word within the line
    hr_t row;
    logic [COL_BITS-1:0] col;

    wire [COL_BITS-1:0] line_words = COL_BITS'(32'(frame_w) * LINE_WORDS);
    wire hr_t hr_h = HR_BITS'(32'(frame_h) * SCALE);
    wire line_end = col == line_words - 1'b1;
    wire frame_end = line_end && row == hr_h - 1'b1;

    assign out0_V_TDATA = in0_V_TDATA;
    assign out0_V_TVALID = in0_V_TVALID;
    assign in0_V_TREADY = out0_V_TREADY;
    assign out0_V_TUSER = row == '0 && col == '0;
    assign out0_V_TLAST = line_end;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            {row, col} <= '0;
        end else if (out0_V_TVALID && out0_V_TREADY) begin
            col <= line_end ? '0 : col + 1'b1;
            if (line_end) row <= frame_end ? '0 : row + 1'b1;
        end
    end
endmodule

`default_nettype wire
