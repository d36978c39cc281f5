// FINN Thresholding layer: every input word carries PE channels of C; each channel
// c = cf*PE + p (channel fold cf, lane p) is compared with its T thresholds
// (count of value >= t, plus ACT_VAL, in OB bits). One word per cycle.
// Pipeline: input register (reading search stage 0) -> the other ceil(log2(T + 1)) - 1
// binary-search stages (multithreshold) -> output queue. The pipeline never stalls, so
// no enable reaches its registers: a word is accepted only while the output queue
// (credit_queue) has a slot for it; in_ready comes from registers only.
module thresholding #(
  parameter int C = 8,               // channels
  parameter int PE = 1,              // channels per word, divides C
  parameter int IB = 8,              // input element bits
  parameter bit IN_SIGNED = 0,
  parameter int VALUE_BITS = 9,      // signed width of the compared values and thresholds
  parameter int T = 1,               // thresholds per channel, >= 1
  parameter int OB = 1,              // output element bits
  parameter int ACT_VAL = 0,
  parameter THRESHOLD_PREFIX = "",   // search stage memories, see multithreshold
  parameter int OUT_QUEUE_DEPTH = 4  // output queue words: >= pipeline latency + 1 keeps the
                                     // full rate (hw/thresholding.py sizes it)
) (
  input  logic             ap_clk,
  input  logic             ap_rst_n,
  input  logic [PE*IB-1:0] in_data,
  input  logic             in_valid,
  output logic             in_ready,
  output logic [PE*OB-1:0] out_data,
  output logic             out_valid,
  input  logic             out_ready
);
  localparam int CF = C / PE;  // channel folds: words per pixel
  localparam int CF_W = CF > 1 ? $clog2(CF) : 1;

  initial if (C % PE != 0 || T < 1) $fatal(1, "thresholding: PE must divide C and T must be >= 1");

  logic room;  // the output queue has a slot for one more word
  assign in_ready = room;

  logic [CF_W-1:0] cf;
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) cf <= '0;
    else if (in_valid && in_ready) cf <= cf == CF_W'(CF - 1) ? '0 : cf + 1'b1;
  end

  // ---- input register; the same edge reads the first search stage at cf
  logic             read_valid;
  logic [PE*IB-1:0] read_x;
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) read_valid <= 1'b0;
    else read_valid <= in_valid && in_ready;
    read_x <= in_data;
  end

  // ---- search each lane's thresholds into the output register
  logic [PE*VALUE_BITS-1:0] values;
  for (genvar p = 0; p < PE; p++) begin : lane
    logic [IB-1:0] x;
    assign x = read_x[p*IB +: IB];
    assign values[p*VALUE_BITS +: VALUE_BITS] = VALUE_BITS'($signed({IN_SIGNED && x[IB-1], x}));
  end

  logic             activated_valid;
  logic [PE*OB-1:0] activated;
  multithreshold #(
    .PE(PE), .FOLDS(CF), .VALUE_BITS(VALUE_BITS), .T(T), .OB(OB), .ACT_VAL(ACT_VAL),
    .THRESHOLD_PREFIX(THRESHOLD_PREFIX)
  ) activation (
    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .fold(cf),
    .in_valid(read_valid), .values(values), .out_valid(activated_valid), .out(activated)
  );

  credit_queue #(.DEPTH(OUT_QUEUE_DEPTH), .WIDTH(PE * OB)) output_queue (
    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .reserve(in_valid && in_ready), .room(room),
    .in_data(activated), .in_valid(activated_valid),
    .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready)
  );
endmodule
