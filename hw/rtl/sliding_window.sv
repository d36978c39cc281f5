// ConvolutionInputGenerator: KERNEL x KERNEL windows, stride 1, dilation 1, of an
// (already padded) IN_H x IN_W x CHANNELS NHWC image.
//
// For every output pixel (oy, ox) it emits the window in FINN order (ky, kx,
// channel fold): KERNEL*KERNEL*CHANNELS/SIMD words of SIMD elements.
//
// Input words go, in arrival order, into a circular buffer of BUF_WORDS words:
// (KERNEL-1) image rows plus 2*KERNEL pixels. That holds the current window
// (first to last word: (KERNEL-1) rows + KERNEL pixels) plus the KERNEL pixels
// the next row of windows starts with, so the writer keeps ahead of the reader
// and, once the first window is in, the reader emits one word per cycle.
//
// Positions are counted in words from the start of the reader's frame. The
// writer may run one frame ahead (`ahead`); it only overwrites a word that lies
// before the current window's first word, and the reader only reads a word the
// writer has already stored. Buffer reads are registered (block RAM), so read
// words enter a small output queue, issued against credits so it never
// overflows.
module sliding_window #(
    parameter int IN_H = 6,
    parameter int IN_W = 6,
    parameter int CHANNELS = 2,
    parameter int SIMD = 1,
    parameter int ELEM_BITS = 1,
    parameter int KERNEL = 3
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
    localparam int WORD_BITS = SIMD * ELEM_BITS;
    localparam int FOLD = CHANNELS / SIMD;
    localparam int OUT_H = IN_H - KERNEL + 1;
    localparam int OUT_W = IN_W - KERNEL + 1;
    localparam int ROW_WORDS = IN_W * FOLD;
    localparam int FRAME_WORDS = IN_H * ROW_WORDS;
    localparam int WINDOW_ROW_WORDS = KERNEL * FOLD;
    localparam int SPAN_WORDS = ((KERNEL - 1) * IN_W + 2 * KERNEL) * FOLD;
    localparam int BUF_WORDS = SPAN_WORDS < FRAME_WORDS ? SPAN_WORDS : FRAME_WORDS;
    // buffer slot of a frame's first word, relative to the previous frame's
    localparam int FRAME_SHIFT = FRAME_WORDS % BUF_WORDS;
    localparam int SLOT_BITS = BUF_WORDS > 1 ? $clog2(BUF_WORDS) : 1;
    // a writer one frame ahead sits at positions up to 2 * FRAME_WORDS
    localparam int POS_BITS = $clog2(2 * FRAME_WORDS + 1);
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
    pos_t wr_pos;  // position of the next input word in the writer's frame
    slot_t wr_slot;
    logic wr_frame_parity;

    // reader: window (oy, ox), kernel row ky, word col_word of that kernel row
    logic [$clog2(OUT_H+1)-1:0] oy;
    logic [$clog2(OUT_W+1)-1:0] ox;
    logic [$clog2(KERNEL+1)-1:0] ky;
    logic [$clog2(WINDOW_ROW_WORDS+1)-1:0] col_word;
    pos_t window_first, row_first;  // positions of the window's and kernel row's first words
    slot_t window_slot, row_slot, frame_slot;  // their slots, and that of the frame's first word
    logic rd_frame_parity;

    logic [WORD_BITS-1:0] read_word;
    logic read_valid;
    logic [$clog2(QUEUE_DEPTH+1)-1:0] queue_count;

    wire ahead = wr_frame_parity != rd_frame_parity;
    wire pos_t wr_pos_from_reader = ahead ? wr_pos + POS_BITS'(FRAME_WORDS) : wr_pos;
    wire pos_t read_pos = row_first + POS_BITS'(col_word);
    wire slot_t read_slot = slot_add(row_slot, 32'(col_word));

    assign in0_V_TREADY = wr_pos_from_reader < window_first + POS_BITS'(BUF_WORDS);
    wire write = in0_V_TVALID && in0_V_TREADY;

    wire stored = ahead || wr_pos > read_pos;
    wire credit = 32'(queue_count) + 32'(read_valid) < QUEUE_DEPTH;
    wire issue = stored && credit;

    wire last_col_word = 32'(col_word) == WINDOW_ROW_WORDS - 1;
    wire last_ky = 32'(ky) == KERNEL - 1;
    wire last_ox = 32'(ox) == OUT_W - 1;
    wire last_oy = 32'(oy) == OUT_H - 1;
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
            wr_frame_parity <= 1'b0;
        end else if (write) begin
            wr_slot <= slot_add(wr_slot, 1);
            if (32'(wr_pos) == FRAME_WORDS - 1) begin
                wr_pos <= '0;
                wr_frame_parity <= !wr_frame_parity;
            end else begin
                wr_pos <= wr_pos + 1'b1;
            end
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
            {window_slot, row_slot, frame_slot} <= '0;
            rd_frame_parity <= 1'b0;
        end else if (issue) begin
            col_word <= last_col_word ? '0 : col_word + 1'b1;
            if (last_col_word && !last_ky) begin
                ky <= ky + 1'b1;
                row_first <= row_first + POS_BITS'(ROW_WORDS);
                row_slot <= slot_add(row_slot, ROW_WORDS);
            end
            if (last_col_word && last_ky) begin
                ky <= '0;
                ox <= last_ox ? '0 : ox + 1'b1;
                if (last_ox) oy <= last_oy ? '0 : oy + 1'b1;
            end
            if (last_of_frame) begin
                window_first <= '0;
                row_first <= '0;
                window_slot <= slot_add(frame_slot, FRAME_SHIFT);
                row_slot <= slot_add(frame_slot, FRAME_SHIFT);
                frame_slot <= slot_add(frame_slot, FRAME_SHIFT);
                rd_frame_parity <= !rd_frame_parity;
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
