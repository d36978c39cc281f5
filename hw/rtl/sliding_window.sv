// ConvolutionInputGenerator: KERNEL x KERNEL windows, stride 1, dilation 1, of an
// (already padded) in_h x in_w x CHANNELS NHWC image.
//
// For every output pixel (oy, ox) it emits the window in FINN order (ky, kx,
// channel fold): KERNEL*KERNEL*CHANNELS/SIMD words of SIMD elements.
//
// Input words go, in arrival order, into a circular buffer of BUF_WORDS words:
// (KERNEL-1) rows of MAX_W pixels plus 2*KERNEL pixels. That holds the current
// window (first to last word: (KERNEL-1) rows + KERNEL pixels) plus the KERNEL
// pixels the next row of windows starts with, so the writer keeps ahead of the
// reader and, once the first window is in, the reader emits one word per cycle.
//
// Positions count input words since reset, modulo 2**POS_BITS (twice the buffer,
// so differences of live positions keep their sign). The writer only overwrites a
// word that lies before the current window's first word, and the reader only reads
// a word the writer has already stored; the writer knows nothing of frames and runs
// on into the next frame as far as the buffer allows. A frame's first word is the
// word after the previous frame's last window's last word. Buffer reads are
// registered (block RAM), so read words enter a small output queue, issued against
// credits so it never overflows.
//
// The image size is set at run time (KERNEL <= in_w <= MAX_W, KERNEL <= in_h): in_w
// and in_h must be stable from before a frame's first word until its last output
// word (the top level changes them only while the accelerator is idle).
`default_nettype none

module sliding_window #(
    parameter int MAX_W = 6,  // largest (padded) input width in pixels: sizes the buffer
    parameter int CHANNELS = 2,  // channels per pixel
    parameter int SIMD = 1,  // elements per stream word; divides CHANNELS
    parameter int ELEM_BITS = 1,  // bits per element
    parameter int KERNEL = 3  // window height and width
) (
    input  wire logic                      ap_clk,
    input  wire logic                      ap_rst_n,
    input  wire logic [15:0]               in_w,  // padded input width, KERNEL..MAX_W
    input  wire logic [15:0]               in_h,  // padded input height, >= KERNEL
    input  wire logic [SIMD*ELEM_BITS-1:0] in0_V_TDATA,
    input  wire logic                      in0_V_TVALID,
    output logic                           in0_V_TREADY,
    output logic [SIMD*ELEM_BITS-1:0]      out0_V_TDATA,
    output logic                           out0_V_TVALID,
    input  wire logic                      out0_V_TREADY
);
    localparam int WORD_BITS = SIMD * ELEM_BITS;
    localparam int FOLD = CHANNELS / SIMD;
    localparam int WINDOW_ROW_WORDS = KERNEL * FOLD;
    localparam int BUF_WORDS = ((KERNEL - 1) * MAX_W + 2 * KERNEL) * FOLD;
    localparam int SLOT_BITS = BUF_WORDS > 1 ? $clog2(BUF_WORDS) : 1;
    localparam int POS_BITS = $clog2(BUF_WORDS + 1) + 1;
    localparam int ROW_WORD_BITS = $clog2(MAX_W * FOLD + 1);
    localparam int COL_BITS = $clog2(MAX_W + 1);
    // registered read + credit check: 3 entries keep one word per cycle
    localparam int QUEUE_DEPTH = 3;

    typedef logic [SLOT_BITS-1:0] slot_t;
    typedef logic [POS_BITS-1:0] pos_t;

    // slot + step modulo BUF_WORDS, for slot < BUF_WORDS and step <= BUF_WORDS
    function automatic slot_t slot_add(input slot_t slot, input int step);
        int sum;
        sum = 32'(slot) + step;
        slot_add = SLOT_BITS'(sum >= BUF_WORDS ? sum - BUF_WORDS : sum);
    endfunction

    logic [WORD_BITS-1:0] buffer [0:BUF_WORDS-1];

    // writer
    pos_t wr_pos;  // position of the next input word
    slot_t wr_slot;

    // reader: window (oy, ox), kernel row ky, word col_word of that kernel row
    logic [15:0] oy;
    logic [COL_BITS-1:0] ox;
    logic [$clog2(KERNEL+1)-1:0] ky;
    logic [$clog2(WINDOW_ROW_WORDS+1)-1:0] col_word;
    pos_t window_first, row_first;  // positions of the window's and kernel row's first words
    slot_t window_slot, row_slot;  // and their slots

    logic [WORD_BITS-1:0] read_word;
    logic read_valid;
    logic [$clog2(QUEUE_DEPTH+1)-1:0] queue_count;

    // words of one input row (at most MAX_W * FOLD, a constant multiple of in_w)
    wire [ROW_WORD_BITS-1:0] row_words = ROW_WORD_BITS'(32'(in_w) * FOLD);
    wire pos_t read_pos = row_first + POS_BITS'(col_word);
    wire slot_t read_slot = slot_add(row_slot, 32'(col_word));

    // the writer stays within BUF_WORDS of the window's first word (never behind it)
    wire pos_t wr_lead = wr_pos - window_first;
    assign in0_V_TREADY = wr_lead < POS_BITS'(BUF_WORDS);
    wire write = in0_V_TVALID && in0_V_TREADY;

    // wr_pos - read_pos lies in (-BUF_WORDS, BUF_WORDS]: positive means stored
    wire pos_t wr_ahead_of_read = wr_pos - read_pos;
    wire stored = wr_ahead_of_read != '0 && !wr_ahead_of_read[POS_BITS-1];
    wire credit = 32'(queue_count) + 32'(read_valid) < QUEUE_DEPTH;
    wire issue = stored && credit;

    wire last_col_word = 32'(col_word) == WINDOW_ROW_WORDS - 1;
    wire last_ky = 32'(ky) == KERNEL - 1;
    wire last_ox = 32'(ox) == 32'(in_w) - KERNEL;
    wire last_oy = 32'(oy) == 32'(in_h) - KERNEL;
    wire last_of_frame = last_col_word && last_ky && last_ox && last_oy;
    // the next window starts one pixel on, or KERNEL pixels on at the end of a row
    int window_step;
    assign window_step = last_ox ? WINDOW_ROW_WORDS : FOLD;

    always_ff @(posedge ap_clk) begin
        if (write) buffer[wr_slot] <= in0_V_TDATA;
        if (issue) read_word <= buffer[read_slot];
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr_pos <= '0;
            wr_slot <= '0;
        end else if (write) begin
            wr_pos <= wr_pos + 1'b1;
            wr_slot <= slot_add(wr_slot, 1);
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            read_valid <= 1'b0;
        end else begin
            read_valid <= issue;
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            {oy, ox, ky, col_word} <= '0;
            {window_first, row_first} <= '0;
            {window_slot, row_slot} <= '0;
        end else if (issue) begin
            col_word <= last_col_word ? '0 : col_word + 1'b1;
            if (last_col_word && !last_ky) begin
                ky <= ky + 1'b1;
                row_first <= row_first + POS_BITS'(row_words);
                row_slot <= slot_add(row_slot, 32'(row_words));
            end
            if (last_col_word && last_ky) begin
                ky <= '0;
                ox <= last_ox ? '0 : ox + 1'b1;
                if (last_ox) oy <= last_oy ? '0 : oy + 1'b1;
            end
            if (last_of_frame) begin
                // the next frame starts with the word after this one
                window_first <= read_pos + 1'b1;
                row_first <= read_pos + 1'b1;
                window_slot <= slot_add(read_slot, 1);
                row_slot <= slot_add(read_slot, 1);
            end else if (last_col_word && last_ky) begin
                window_first <= window_first + POS_BITS'(window_step);
                row_first <= window_first + POS_BITS'(window_step);
                window_slot <= slot_add(window_slot, window_step);
                row_slot <= slot_add(window_slot, window_step);
            end
        end
    end

    stream_fifo #(
        .DEPTH(QUEUE_DEPTH),
        .WIDTH(WORD_BITS)
    ) output_queue (
        .ap_clk(ap_clk),
        .ap_rst_n(ap_rst_n),
        .in0_V_TDATA(read_word),
        .in0_V_TVALID(read_valid),
        .in0_V_TREADY(),
        .out0_V_TDATA(out0_V_TDATA),
        .out0_V_TVALID(out0_V_TVALID),
        .out0_V_TREADY(out0_V_TREADY),
        .count(queue_count)
    );
endmodule

`default_nettype wire
