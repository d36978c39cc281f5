"""Host driver of the accelerator: tiling of whole images, stream packing, and devices
(the PYNQ DMA on a board, the RTL simulation here)."""
