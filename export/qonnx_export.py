"""Brevitas model -> tidy QONNX model with its pixel input annotated UINT8."""
import os
import tempfile
import warnings

import torch
from brevitas.export import export_qonnx
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.general import GiveUniqueNodeNames
from qonnx.util.cleanup import cleanup_model


def export_qonnx_model(model, height, width):
    """Export an SR model (eval mode) for LR frames of ``height`` x ``width`` pixels."""
    model = model.eval()
    example = torch.zeros(1, model.in_channels, height, width)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = os.path.join(tmp, "model.qonnx.onnx")
        export_qonnx(model, example, export_path=path)
        qonnx_model = cleanup_model(ModelWrapper(path))
    qonnx_model.set_tensor_datatype(qonnx_model.graph.input[0].name, DataType["UINT8"])
    return qonnx_model.transform(GiveUniqueNodeNames())
