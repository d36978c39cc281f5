"""cocotb testbenches of the RTL layers and their shared AXI-Stream helpers (``axis``)."""
