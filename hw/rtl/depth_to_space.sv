// DepthToSpace (ONNX CRD, torch pixel_shuffle) on NHWC streams, block size BLOCK (S).
//
//   in : LR rows of in_w pixels, CHANNELS*S*S channels, channel k = c*S*S + i*S + j
//   out: HR pixel (h*S + i, w*S + j), channel c = in (h, w, k)
// Words carry SIMD elements of ELEM_BITS bits (element 0 at the LSBs), SIMD | CHANNELS.
//
// Each LR row is stored whole in one half of a ping-pong buffer while the S HR rows
// of the previous LR row are read from the other half, one word per cycle each way.
// Frames need no handling: LR rows are independent.
//
// Banking: an input word holds SIMD consecutive k, an output word SIMD channels c
// of one sub-pixel q = i*S + j, i.e. k with stride S*S. The buffer has one bank per
// lane and element p = k % (SIMD*S*S) of a pixel lives in bank
// (p + p / lcm(S*S, SIMD)) % SIMD, at word address k / SIMD of its pixel. Both
// access patterns then touch every bank exactly once: an input word is rotated by
// (sub*SIMD / LCM) lanes (sub = word index mod S*S), an output word gathers lane m
// from bank bank_of(m, q). (Same scheme as hw/hls/depth_to_space.hpp.)
//
// The row width is set at run time (1 <= in_w <= MAX_W; each half holds a MAX_W
// row): in_w must be stable from before a frame's first word until its last output
// word (the top level changes it only while the accelerator is idle). in_h is not
// needed (frames are just more rows) and is there for the common port contract.
`default_nettype none

module depth_to_space #(
    parameter int MAX_W = 4,  // largest LR row width in pixels: sizes the buffer
    parameter int CHANNELS = 2,  // output (HR) channels C; the input has C*BLOCK*BLOCK
    parameter int BLOCK = 2,  // block size S: each LR pixel becomes S x S HR pixels
    parameter int SIMD = 1,  // elements per stream word; divides CHANNELS
    parameter int ELEM_BITS = 8  // bits per element
) (
    input  wire logic                      ap_clk,
    input  wire logic                      ap_rst_n,
    input  wire logic [15:0]               in_w,  // LR row width in pixels, 1..MAX_W
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [15:0]               in_h,  // LR height: unused (rows are independent)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [SIMD*ELEM_BITS-1:0] in0_V_TDATA,
    input  wire logic                      in0_V_TVALID,
    output logic                           in0_V_TREADY,
    output logic [SIMD*ELEM_BITS-1:0]      out0_V_TDATA,
    output logic                           out0_V_TVALID,
    input  wire logic                      out0_V_TREADY
);
    function automatic int gcd(input int a, input int b);
        int rest;
        while (b != 0) begin
            rest = a % b;
            a = b;
            b = rest;
        end
        gcd = a;
    endfunction

    localparam int SS = BLOCK * BLOCK;  // sub-pixels per LR pixel
    localparam int FOLD = CHANNELS / SIMD;  // words per HR pixel
    localparam int PIXEL_WORDS = FOLD * SS;  // words per LR pixel
    localparam int MAX_ROW_WORDS = MAX_W * PIXEL_WORDS;  // words per LR row, in and out alike
    localparam int BANK_DEPTH = 2 * MAX_ROW_WORDS;  // ping-pong halves, MAX_W rows each
    localparam int LCM = SS * SIMD / gcd(SS, SIMD);
    localparam int ADDR_BITS = $clog2(BANK_DEPTH);
    // registered read + credit check: 3 entries keep one word per cycle
    localparam int QUEUE_DEPTH = 3;

    typedef logic [ADDR_BITS-1:0] addr_t;

    // bank holding output lane `lane` of sub-pixel `sub`
    function automatic int bank_of(input int lane, input int sub);
        int p;
        p = lane * SS + sub;
        bank_of = (p + p / LCM) % SIMD;
    endfunction

    // writer: word wr_pos of the LR row going into half wr_half
    logic wr_half;
    logic [$clog2(MAX_ROW_WORDS+1)-1:0] wr_pos;
    logic [$clog2(SS+1)-1:0] wr_sub;  // wr_pos % SS
    logic [1:0] half_full;

    // reader: HR row i, LR column w, HR column j, channel fold f of half rd_half
    logic rd_half;
    logic [$clog2(BLOCK+1)-1:0] out_i, out_j;
    logic [$clog2(MAX_W+1)-1:0] out_w;
    logic [$clog2(FOLD+1)-1:0] out_f;

    // lane or bank `x` of a vector is [x*ELEM_BITS +: ELEM_BITS] (ADDR_BITS for addresses)
    logic [SIMD*ELEM_BITS-1:0] bank_wdata, bank_rdata, out_lanes;
    logic [SIMD*ADDR_BITS-1:0] bank_raddr;
    // sub-pixel q = i*S + j of the word being issued / leaving the banks
    logic [$clog2(SS+1)-1:0] read_sub, issued_sub;
    logic read_valid;
    logic [$clog2(QUEUE_DEPTH+1)-1:0] queue_count;

    // words of the current LR row (a constant multiple of in_w)
    wire [31:0] row_words = 32'(in_w) * PIXEL_WORDS;

    assign in0_V_TREADY = !half_full[wr_half];
    wire write = in0_V_TVALID && in0_V_TREADY;
    wire last_write = 32'(wr_pos) == row_words - 1;
    wire addr_t wr_addr = ADDR_BITS'(32'(wr_half) * MAX_ROW_WORDS + 32'(wr_pos));

    wire credit = 32'(queue_count) + 32'(read_valid) < QUEUE_DEPTH;
    wire issue = half_full[rd_half] && credit;
    wire last_f = 32'(out_f) == FOLD - 1;
    wire last_j = 32'(out_j) == BLOCK - 1;
    wire last_w = 32'(out_w) == 32'(in_w) - 1;
    wire last_i = 32'(out_i) == BLOCK - 1;
    wire last_read = last_f && last_j && last_w && last_i;

    assign read_sub = $bits(read_sub)'(32'(out_i) * BLOCK + 32'(out_j));

    // input lane l goes to bank (l + rotation) % SIMD
    always_comb begin
        int rotation;
        rotation = (32'(wr_sub) * SIMD / LCM) % SIMD;
        bank_wdata = '0;
        for (int bank = 0; bank < SIMD; bank++)
            for (int lane = 0; lane < SIMD; lane++)
                if ((lane + rotation) % SIMD == bank)
                    bank_wdata[bank*ELEM_BITS +: ELEM_BITS] =
                        in0_V_TDATA[lane*ELEM_BITS +: ELEM_BITS];
    end

    always_comb begin
        int fold_base;
        fold_base = 32'(rd_half) * MAX_ROW_WORDS + 32'(out_w) * PIXEL_WORDS + 32'(out_f) * SS;
        bank_raddr = '0;
        for (int bank = 0; bank < SIMD; bank++)
            for (int lane = 0; lane < SIMD; lane++)
                if (bank_of(lane, 32'(read_sub)) == bank)
                    bank_raddr[bank*ADDR_BITS +: ADDR_BITS] =
                        ADDR_BITS'(fold_base + (lane * SS + 32'(read_sub)) / SIMD);
    end

    always_comb begin
        out_lanes = '0;
        for (int lane = 0; lane < SIMD; lane++)
            for (int bank = 0; bank < SIMD; bank++)
                if (bank_of(lane, 32'(issued_sub)) == bank)
                    out_lanes[lane*ELEM_BITS +: ELEM_BITS] =
                        bank_rdata[bank*ELEM_BITS +: ELEM_BITS];
    end

    for (genvar bank = 0; bank < SIMD; bank++) begin : g_bank
        logic [ELEM_BITS-1:0] storage [0:BANK_DEPTH-1];
        logic [ELEM_BITS-1:0] read_elem;
        always_ff @(posedge ap_clk) begin
            if (write) storage[wr_addr] <= bank_wdata[bank*ELEM_BITS +: ELEM_BITS];
            if (issue) read_elem <= storage[bank_raddr[bank*ADDR_BITS +: ADDR_BITS]];
        end
        assign bank_rdata[bank*ELEM_BITS +: ELEM_BITS] = read_elem;
    end

    always_ff @(posedge ap_clk) begin
        if (issue) issued_sub <= read_sub;
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr_half <= 1'b0;
            wr_pos <= '0;
            wr_sub <= '0;
        end else if (write) begin
            wr_pos <= last_write ? '0 : wr_pos + 1'b1;
            wr_sub <= 32'(wr_sub) == SS - 1 ? '0 : wr_sub + 1'b1;
            if (last_write) wr_half <= !wr_half;
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            rd_half <= 1'b0;
            {out_i, out_w, out_j, out_f} <= '0;
            read_valid <= 1'b0;
        end else begin
            read_valid <= issue;
            if (issue) begin
                out_f <= last_f ? '0 : out_f + 1'b1;
                if (last_f) out_j <= last_j ? '0 : out_j + 1'b1;
                if (last_f && last_j) out_w <= last_w ? '0 : out_w + 1'b1;
                if (last_f && last_j && last_w) out_i <= last_i ? '0 : out_i + 1'b1;
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
        .WIDTH(SIMD * ELEM_BITS)
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
