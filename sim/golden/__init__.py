"""Pure-numpy integer golden model of FINN dataflow graphs.

Conventions (see ``encoding``):

* every tensor is an ``int64`` array, NHWC, channels last;
* at graph level (``graph.run_graph`` inputs, outputs and traces) a tensor holds the
  values of its FINN DataType exactly as FINN's own execution does: BIPOLAR as
  {-1, +1}, BINARY as {0, 1};
* binary kernels (``xnor_mvau``) take *bits* {0, 1}, bit 1 meaning +1 and bit 0
  meaning -1, which is how BIPOLAR travels on the hardware streams;
  ``encoding.values_to_bits`` / ``encoding.bits_to_values`` convert at the boundary.

The kernels never call FINN or QONNX execution code, so they are an independent
reference for FINN's Python execution, the RTL testbenches and the board driver.
"""
