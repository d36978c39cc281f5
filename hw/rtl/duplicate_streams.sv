// DuplicateStreams: every input word goes to all N_OUT outputs.
//
// One data register shared by the outputs and a pending bit per output: each
// output takes the word in its own time, and a new word is accepted once every
// output has taken the previous one (or takes it in this cycle), so the input
// sees the slowest output. One word per cycle when all outputs are ready.
// The outputs are vectors here; hw/templates/duplicate_streams.sv.j2 renders a
// wrapper with FINN's out0_V, out1_V, ... port names.
module duplicate_streams #(
    parameter int N_OUT = 2,
    parameter int WIDTH = 8
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic [WIDTH-1:0] in0_V_TDATA,
    input  logic             in0_V_TVALID,
    output logic             in0_V_TREADY,
    output logic [WIDTH-1:0] out_V_TDATA,   // the same word on every output
    output logic [N_OUT-1:0] out_V_TVALID,
    input  logic [N_OUT-1:0] out_V_TREADY
);
    assign in0_V_TREADY = &(~out_V_TVALID | out_V_TREADY);
    wire accept = in0_V_TVALID && in0_V_TREADY;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) out_V_TVALID <= '0;
        else if (accept) out_V_TVALID <= '1;
        else out_V_TVALID <= out_V_TVALID & ~out_V_TREADY;
    end

    always_ff @(posedge ap_clk) begin
        if (accept) out_V_TDATA <= in0_V_TDATA;
    end
endmodule
