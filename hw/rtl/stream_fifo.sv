// AXI-Stream FIFO: DEPTH words of WIDTH bits, first-word fall-through.
//
// The head word is read combinationally from the storage array (LUTRAM/SRL
// style, like FINN's Q_srl), so a word pushed in one cycle can leave in the next.
// in0_V_TREADY depends only on the occupancy, never on out0_V_TREADY, so the FIFO
// also cuts the ready path. `count` is the occupancy, for FIFO sizing and for
// layers that use the FIFO as a credit-based output queue.
module stream_fifo #(
    parameter int DEPTH = 2,
    parameter int WIDTH = 8
) (
    input  logic                       ap_clk,
    input  logic                       ap_rst_n,
    input  logic [WIDTH-1:0]           in0_V_TDATA,
    input  logic                       in0_V_TVALID,
    output logic                       in0_V_TREADY,
    output logic [WIDTH-1:0]           out0_V_TDATA,
    output logic                       out0_V_TVALID,
    input  logic                       out0_V_TREADY,
    output logic [$clog2(DEPTH+1)-1:0] count
);
    localparam int COUNT_BITS = $clog2(DEPTH + 1);
    localparam int PTR_BITS = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam logic [PTR_BITS-1:0] LAST_SLOT = PTR_BITS'(DEPTH - 1);

    logic [WIDTH-1:0] storage [0:DEPTH-1];
    logic [PTR_BITS-1:0] head, tail;

    wire push = in0_V_TVALID && in0_V_TREADY;
    wire pop = out0_V_TVALID && out0_V_TREADY;

    assign in0_V_TREADY = count != COUNT_BITS'(DEPTH);
    assign out0_V_TVALID = count != '0;
    assign out0_V_TDATA = storage[head];

    function automatic logic [PTR_BITS-1:0] next_slot(input logic [PTR_BITS-1:0] slot);
        next_slot = slot == LAST_SLOT ? '0 : slot + 1'b1;
    endfunction

    always_ff @(posedge ap_clk) begin
        if (push) storage[tail] <= in0_V_TDATA;
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            head <= '0;
            tail <= '0;
            count <= '0;
        end else begin
            if (push) tail <= next_slot(tail);
            if (pop) head <= next_slot(head);
            // push and pop in the same cycle leave the occupancy unchanged
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
        end
    end
endmodule
