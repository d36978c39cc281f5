// AXI-Stream FIFO: DEPTH words of WIDTH bits, first-word fall-through.
//
// Up to LUTRAM_MAX_DEPTH words, the head word is read combinationally from the
// storage array (LUTRAM/SRL style, like FINN's Q_srl), so a word pushed in one cycle
// can leave in the next. Deeper FIFOs (the skip branches of whole-frame designs) keep
// their words in block RAM, whose read is registered: words are read ahead into a
// small output queue of QUEUE_DEPTH registers, against credits so it never
// overflows, which keeps one word per cycle; a word pushed in one cycle can leave two
// cycles later.
// in0_V_TREADY depends only on the occupancy, never on out0_V_TREADY, so the FIFO
// also cuts the ready path. `count` is the occupancy (words accepted, not yet
// popped), for layers that use the FIFO as a credit-based output queue.
// FIFO sizing (sim/fifo_depths.py): built with `define STREAM_FIFO_PEAK (simulation
// only), every FIFO records its peak occupancy and prints it when the simulation ends
// (Verilator's final(), which the harness calls after the last frame), one line
// "stream_fifo_peak <instance path> <words>".
`default_nettype none

module stream_fifo #(
    parameter int DEPTH = 2,  // words it holds
    parameter int WIDTH = 8  // TDATA bits
) (
    input  wire logic                       ap_clk,
    input  wire logic                       ap_rst_n,
    input  wire logic [WIDTH-1:0]           in0_V_TDATA,
    input  wire logic                       in0_V_TVALID,
    output logic                            in0_V_TREADY,
    output logic [WIDTH-1:0]                out0_V_TDATA,
    output logic                            out0_V_TVALID,
    input  wire logic                       out0_V_TREADY,
    output logic [$clog2(DEPTH+1)-1:0]      count
);
    // deepest FIFO kept in LUTs (a RAM64M holds 64 words); deeper ones use block RAM
    localparam int LUTRAM_MAX_DEPTH = 64;
    localparam int COUNT_BITS = $clog2(DEPTH + 1);
    localparam int PTR_BITS = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam logic [PTR_BITS-1:0] LAST_SLOT = PTR_BITS'(DEPTH - 1);

    typedef logic [PTR_BITS-1:0] ptr_t;

    function automatic ptr_t next_slot(input ptr_t slot);
        next_slot = slot == LAST_SLOT ? '0 : slot + 1'b1;
    endfunction

    wire push = in0_V_TVALID && in0_V_TREADY;
    wire pop = out0_V_TVALID && out0_V_TREADY;

    assign in0_V_TREADY = count != COUNT_BITS'(DEPTH);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            count <= '0;
        end else begin
            // push and pop in the same cycle leave the occupancy unchanged
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
        end
    end

`ifdef STREAM_FIFO_PEAK
    logic [COUNT_BITS-1:0] peak;  // highest occupancy since reset

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) peak <= '0;
        else if (count > peak) peak <= count;
    end

    final $display("stream_fifo_peak %m %0d", peak);
`endif

    ptr_t head, tail;  // next storage slot to read, to write

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) tail <= '0;
        else if (push) tail <= next_slot(tail);
    end

    if (DEPTH <= LUTRAM_MAX_DEPTH) begin : g_lutram
        logic [WIDTH-1:0] storage [0:DEPTH-1];

        assign out0_V_TVALID = count != '0;
        assign out0_V_TDATA = storage[head];

        always_ff @(posedge ap_clk) begin
            if (push) storage[tail] <= in0_V_TDATA;
        end

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) head <= '0;
            else if (pop) head <= next_slot(head);
        end
    end else begin : g_block_ram
        // registered read + credit check: 3 words keep one word per cycle
        localparam int QUEUE_DEPTH = 3;

        (* ram_style = "block" *) logic [WIDTH-1:0] storage [0:DEPTH-1];
        logic [COUNT_BITS-1:0] stored;  // words in storage, not yet read
        logic [WIDTH-1:0] read_word;
        logic read_valid;  // read_word holds the word read last cycle
        logic [WIDTH-1:0] queue [0:QUEUE_DEPTH-1];
        logic [1:0] queue_head, queue_tail, queue_count;

        wire issue = stored != '0 && 32'(queue_count) + 32'(read_valid) < QUEUE_DEPTH;
        // the word read last cycle leaves at once when the queue is empty
        wire bypass = queue_count == '0;
        assign out0_V_TVALID = !bypass || read_valid;
        assign out0_V_TDATA = bypass ? read_word : queue[queue_head];
        wire enqueue = read_valid && !(bypass && pop);
        wire dequeue = pop && !bypass;

        function automatic logic [1:0] next_entry(input logic [1:0] entry);
            next_entry = 32'(entry) == QUEUE_DEPTH - 1 ? '0 : entry + 1'b1;
        endfunction

        always_ff @(posedge ap_clk) begin
            if (push) storage[tail] <= in0_V_TDATA;
            if (issue) read_word <= storage[head];
            if (enqueue) queue[queue_tail] <= read_word;
        end

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                head <= '0;
                stored <= '0;
                read_valid <= 1'b0;
                {queue_head, queue_tail, queue_count} <= '0;
            end else begin
                read_valid <= issue;
                if (issue) head <= next_slot(head);
                if (push && !issue) stored <= stored + 1'b1;
                else if (issue && !push) stored <= stored - 1'b1;
                if (enqueue) queue_tail <= next_entry(queue_tail);
                if (dequeue) queue_head <= next_entry(queue_head);
                if (enqueue && !dequeue) queue_count <= queue_count + 1'b1;
                else if (dequeue && !enqueue) queue_count <= queue_count - 1'b1;
            end
        end
    end
endmodule

`default_nettype wire
