"""Graph transformations that map standard ONNX nodes to this project's HW layers."""
