// DepthToSpace (ONNX CRD, torch pixel_shuffle) on NHWC streams, block size BLOCK (S).
//
//   in : LR rows of in_w pixels, CHANNELS*S*S channels, channel k = c*S*S + i*S + j
//   out: HR pixel (h*S + i, w*S + j), channel c = in (h, w, k)
// Words carry elements of ELEM_BITS bits, element 0 at the LSBs, in NHWC order:
//   input word : SIMD consecutive channels k of one LR pixel (SIMD divides C*S*S);
//   output word: OUT_SIMD consecutive elements of one HR row's (w*S + j, c) flattening
//                within one LR pixel (OUT_SIMD divides C*S): OUT_SIMD = P*C is P whole
//                HR pixels (sub-pixels j..j+P-1 of row i), OUT_SIMD < C part of one.
// An LR pixel takes C*S*S/SIMD cycles in and C*S*S/OUT_SIMD out (S HR rows of C*S/OUT_SIMD
// words each): at OUT_SIMD = C*S the output runs at S cycles per LR pixel, the least a
// row-by-row HR stream allows with one word per cycle.
//
// Storage: a ping-pong buffer of two MAX_W-pixel halves, one memory entry per LR pixel
// holding all its C*S*S elements, already in output order (entry element
// i*C*S + j*C + c = input channel c*S*S + i*S + j). The writer collects the
// C*S*S/SIMD words of a pixel in a shift register and writes the whole entry with the
// pixel's last word; the reader reads an entry once per output word and picks the
// word's OUT_SIMD elements. Each port so does one access per cycle at any SIMD and
// OUT_SIMD, with no banking: the entry is as wide as the pixel. LR row r is written
// into one half while the S HR rows of row r-1 are read from the other. Frames need
// no handling: LR rows are independent.
//
// The row width is set at run time (1 <= in_w <= MAX_W): in_w must be stable from
// before a frame's first word until its last output word (the top level changes it
// only while the accelerator is idle). in_h is not needed (frames are just more rows)
// and is there for the common port contract.
`default_nettype none

module depth_to_space #(
    parameter int MAX_W = 4,  // largest LR row width in pixels: sizes the buffer
    parameter int CHANNELS = 2,  // output (HR) channels C; the input has C*BLOCK*BLOCK
    parameter int BLOCK = 2,  // block size S: each LR pixel becomes S x S HR pixels
    parameter int SIMD = 1,  // elements per input word; divides CHANNELS*BLOCK*BLOCK
    parameter int OUT_SIMD = 1,  // elements per output word; divides CHANNELS*BLOCK
    parameter int ELEM_BITS = 8  // bits per element
) (
    input  wire logic                          ap_clk,
    input  wire logic                          ap_rst_n,
    input  wire logic [15:0]                   in_w,  // LR row width in pixels, 1..MAX_W
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [15:0]                   in_h,  // LR height: unused (rows are independent)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [SIMD*ELEM_BITS-1:0]     in0_V_TDATA,
    input  wire logic                          in0_V_TVALID,
    output logic                               in0_V_TREADY,
    output logic [OUT_SIMD*ELEM_BITS-1:0]      out0_V_TDATA,
    output logic                               out0_V_TVALID,
    input  wire logic                          out0_V_TREADY
);
    localparam int SS = BLOCK * BLOCK;  // sub-pixels per LR pixel
    localparam int PIXEL_ELEMS = CHANNELS * SS;  // elements per LR pixel
    localparam int PIXEL_BITS = PIXEL_ELEMS * ELEM_BITS;
    localparam int IN_WORDS = PIXEL_ELEMS / SIMD;  // input words per LR pixel
    localparam int ROW_CHUNKS = CHANNELS * BLOCK / OUT_SIMD;  // output words per pixel and HR row
    localparam int CHUNKS = PIXEL_ELEMS / OUT_SIMD;  // output words per LR pixel
    localparam int DEPTH = 2 * MAX_W;  // entries: ping-pong halves of MAX_W pixels
    localparam int ADDR_BITS = $clog2(DEPTH);
    // registered read + credit check: 3 entries keep one word per cycle
    localparam int QUEUE_DEPTH = 3;

    // writer: word wr_word of pixel wr_col of the LR row going into half wr_half
    logic wr_half;
    logic [$clog2(MAX_W+1)-1:0] wr_col;
    logic [$clog2(IN_WORDS+1)-1:0] wr_word;
    logic [1:0] half_full;

    // reader: HR row i, LR column w, word u within the pixel's part of row i, of half rd_half
    logic rd_half;
    logic [$clog2(BLOCK+1)-1:0] out_i;
    logic [$clog2(MAX_W+1)-1:0] out_w;
    logic [$clog2(ROW_CHUNKS+1)-1:0] out_u;
    logic [$clog2(CHUNKS+1)-1:0] issued_chunk;  // word of the entry leaving the memory
    logic read_valid;
    logic [$clog2(QUEUE_DEPTH+1)-1:0] queue_count;

    logic [PIXEL_BITS-1:0] pixel, entry_in, entry_out;
    logic [OUT_SIMD*ELEM_BITS-1:0] out_lanes;

    assign in0_V_TREADY = !half_full[wr_half];
    wire write = in0_V_TVALID && in0_V_TREADY;
    wire last_word = 32'(wr_word) == IN_WORDS - 1;
    wire last_col = 32'(wr_col) == 32'(in_w) - 1;
    wire last_write = last_word && last_col;
    wire [ADDR_BITS-1:0] wr_addr = ADDR_BITS'(32'(wr_half) * MAX_W + 32'(wr_col));

    wire credit = 32'(queue_count) + 32'(read_valid) < QUEUE_DEPTH;
    wire issue = half_full[rd_half] && credit;
    wire last_u = 32'(out_u) == ROW_CHUNKS - 1;
    wire last_w = 32'(out_w) == 32'(in_w) - 1;
    wire last_i = 32'(out_i) == BLOCK - 1;
    wire last_read = last_u && last_w && last_i;
    wire [ADDR_BITS-1:0] rd_addr = ADDR_BITS'(32'(rd_half) * MAX_W + 32'(out_w));

    // the pixel's earlier words, oldest at the LSBs, shifted down by one word per write
    if (IN_WORDS > 1) begin : g_collect
        logic [PIXEL_BITS-SIMD*ELEM_BITS-1:0] earlier;
        assign pixel = {in0_V_TDATA, earlier};
        always_ff @(posedge ap_clk) begin
            if (write) earlier <= pixel[PIXEL_BITS-1:SIMD*ELEM_BITS];
        end
    end else begin : g_whole
        assign pixel = in0_V_TDATA;
    end

    // input channel k = c*S*S + i*S + j -> entry element i*C*S + j*C + c (wiring only)
    always_comb begin
        for (int c = 0; c < CHANNELS; c++)
            for (int i = 0; i < BLOCK; i++)
                for (int j = 0; j < BLOCK; j++)
                    entry_in[((i * BLOCK + j) * CHANNELS + c) * ELEM_BITS +: ELEM_BITS] =
                        pixel[(c * SS + i * BLOCK + j) * ELEM_BITS +: ELEM_BITS];
    end

    logic [PIXEL_BITS-1:0] storage [0:DEPTH-1];
    always_ff @(posedge ap_clk) begin
        if (write && last_word) storage[wr_addr] <= entry_in;
        if (issue) entry_out <= storage[rd_addr];
    end

    always_comb begin
        out_lanes = '0;
        for (int chunk = 0; chunk < CHUNKS; chunk++)
            if (32'(issued_chunk) == chunk)
                out_lanes = entry_out[chunk*OUT_SIMD*ELEM_BITS +: OUT_SIMD*ELEM_BITS];
    end

    always_ff @(posedge ap_clk) begin
        if (issue) issued_chunk <= $bits(issued_chunk)'(32'(out_i) * ROW_CHUNKS + 32'(out_u));
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr_half <= 1'b0;
            wr_col <= '0;
            wr_word <= '0;
        end else if (write) begin
            wr_word <= last_word ? '0 : wr_word + 1'b1;
            if (last_word) wr_col <= last_col ? '0 : wr_col + 1'b1;
            if (last_write) wr_half <= !wr_half;
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            rd_half <= 1'b0;
            {out_i, out_w, out_u} <= '0;
            read_valid <= 1'b0;
        end else begin
            read_valid <= issue;
            if (issue) begin
                out_u <= last_u ? '0 : out_u + 1'b1;
                if (last_u) out_w <= last_w ? '0 : out_w + 1'b1;
                if (last_u && last_w) out_i <= last_i ? '0 : out_i + 1'b1;
                if (last_read) rd_half <= !rd_half;
            end
        end
    end

    // the writer fills an empty half, the reader drains a full one: never the same half
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            half_full <= '0;
        end else begin
            if (write && last_write) half_full[wr_half] <= 1'b1;
            if (issue && last_read) half_full[rd_half] <= 1'b0;
        end
    end

    stream_fifo #(
        .DEPTH(QUEUE_DEPTH),
        .WIDTH(OUT_SIMD * ELEM_BITS)
    ) output_queue (
        .ap_clk(ap_clk),
        .ap_rst_n(ap_rst_n),
        .in0_V_TDATA(out_lanes),
        .in0_V_TVALID(read_valid),
        .in0_V_TREADY(),
        .out0_V_TDATA(out0_V_TDATA),
        .out0_V_TVALID(out0_V_TVALID),
        .out0_V_TREADY(out0_V_TREADY),
        .count(queue_count)
    );
endmodule

`default_nettype wire
