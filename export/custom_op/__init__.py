"""Custom ONNX ops of this project, grouped by domain as in FINN."""
