// Input edge of the accelerator: an AXI4-Stream video input (TUSER = start of frame,
// TLAST = last word of a line) in, exactly frame_h x frame_w pixels of PIXEL_WORDS
// words per frame out to the dataflow pipeline, which counts frames by itself.
//
// The pipeline must always receive whole frames or it stops (a window generator
// waits for the rest of a frame forever), so bad input is repaired here, never
// forwarded:
// - a word without TUSER outside a frame is dropped (status MISSING_SOF);
// - TLAST missing at a line's last word or set inside a line is flagged
//   (status BAD_TLAST); lines are counted, TLAST only checked;
// - TUSER inside a frame ends that frame early: the rest of it is sent as zero
//   words, then the TUSER word starts the next frame (status EARLY_SOF);
// - a frame whose size is out of range (frame_w = 0 or > MAX_W, frame_h = 0) when
//   its TUSER arrives is dropped whole: its words are consumed up to the next TUSER,
//   nothing is sent (status BAD_SIZE).
// Status bits are sticky until reset. frame_w and frame_h must be stable from before
// a frame's first word until the accelerator has emitted its last output word
// (the layers read them too); software writes them only while the accelerator is idle.
`default_nettype none

module video_frame_in #(
    parameter int MAX_W = 32,  // widest frame in pixels the pipeline's line buffers hold
    parameter int PIXEL_WORDS = 1,  // stream words per pixel
    parameter int WIDTH = 8  // TDATA bits
) (
    input  wire logic             ap_clk,
    input  wire logic             ap_rst_n,
    input  wire logic [15:0]      frame_w,  // frame width in pixels, 1..MAX_W
    input  wire logic [15:0]      frame_h,  // frame height in pixels, >= 1
    // video input
    input  wire logic [WIDTH-1:0] in0_V_TDATA,
    input  wire logic             in0_V_TVALID,
    output logic                  in0_V_TREADY,
    input  wire logic             in0_V_TUSER,
    input  wire logic             in0_V_TLAST,
    // whole frames to the pipeline
    output logic [WIDTH-1:0]      out0_V_TDATA,
    output logic                  out0_V_TVALID,
    input  wire logic             out0_V_TREADY,
    // sticky flags: {BAD_SIZE, EARLY_SOF, BAD_TLAST, MISSING_SOF}
    output logic [3:0]            status
);
    localparam int MISSING_SOF = 0, BAD_TLAST = 1, EARLY_SOF = 2, BAD_SIZE = 3;

    typedef enum logic [1:0] {
        SEEK,  // between frames: waiting for a TUSER word
        DROP,  // in a frame of bad size: consuming words up to the next TUSER
        PASS,  // in a frame: forwarding words
        FILL   // in a frame that ended early: sending zero words
    } state_t;

    state_t state;
    // position of the next word in the frame
    logic [15:0] row, col;
    logic [$clog2(PIXEL_WORDS+1)-1:0] word;

    wire size_ok = frame_w != '0 && 32'(frame_w) <= MAX_W && frame_h != '0;
    wire last_word = 32'(word) == PIXEL_WORDS - 1;
    wire line_end = last_word && col == frame_w - 1'b1;
    wire frame_end = line_end && row == frame_h - 1'b1;

    // a TUSER word in SEEK opens a frame; in PASS it ends the current one early
    wire start = state == SEEK && in0_V_TVALID && in0_V_TUSER && size_ok;
    wire forward = start || (state == PASS && !in0_V_TUSER);

    always_comb begin
        case (state)
            // a TUSER word of a bad-size frame is consumed with the rest of the frame
            SEEK: in0_V_TREADY = !in0_V_TUSER || !size_ok || out0_V_TREADY;
            DROP: in0_V_TREADY = !in0_V_TUSER;
            PASS: in0_V_TREADY = !in0_V_TUSER && out0_V_TREADY;
            default: in0_V_TREADY = 1'b0;
        endcase
    end
    assign out0_V_TVALID = state == FILL || (forward && in0_V_TVALID);
    assign out0_V_TDATA = state == FILL ? '0 : in0_V_TDATA;
    wire sent = out0_V_TVALID && out0_V_TREADY;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            state <= SEEK;
            {row, col, word} <= '0;
            status <= '0;
        end else begin
            if (sent) begin
                word <= last_word ? '0 : word + 1'b1;
                if (last_word) col <= line_end ? '0 : col + 1'b1;
                if (line_end) row <= frame_end ? '0 : row + 1'b1;
                if (state != FILL && in0_V_TLAST != line_end) status[BAD_TLAST] <= 1'b1;
            end
            case (state)
                SEEK: if (in0_V_TVALID) begin
                    if (!in0_V_TUSER) status[MISSING_SOF] <= 1'b1;
                    else if (!size_ok) begin
                        status[BAD_SIZE] <= 1'b1;
                        state <= DROP;
                    end else if (sent) state <= frame_end ? SEEK : PASS;
                end
                DROP: if (in0_V_TVALID && in0_V_TUSER) state <= SEEK;
                PASS: if (in0_V_TVALID && in0_V_TUSER) begin
                    status[EARLY_SOF] <= 1'b1;
                    state <= FILL;
                end else if (sent && frame_end) state <= SEEK;
                FILL: if (sent && frame_end) state <= SEEK;
            endcase
        end
    end
endmodule

`default_nettype wire
