"""Brevitas model -> tidy QONNX model with its pixel input annotated UINT8."""
import os
import tempfile
import warnings

import torch
from brevitas.export.onnx.qonnx.handler import BrevitasWeightQuantProxyHandler
from brevitas.export.onnx.qonnx.manager import QONNXDynamoManager
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.general import GiveUniqueNodeNames
from qonnx.util.cleanup import cleanup_model

from train.quant import SRBWeightQuantProxy


class SRBWeightQuantProxyHandler(BrevitasWeightQuantProxyHandler):
    """SRB's integer weight plane is a function of the latent weight (two signs and a
    quantized ratio) that no QONNX op states; it exports as a Quant (scale 1) of the
    plane itself, the constant the Brevitas forward computes, so the two agree exactly."""
    handled_layer = SRBWeightQuantProxy

    def prepare_for_export(self, module):
        super().prepare_for_export(module)
        (layer,) = module.tracked_module_list
        self.integer_weight = layer.quant_weight().value.detach()

    def symbolic_execution(self, x):
        return super().symbolic_execution(self.integer_weight)


class SRQONNXManager(QONNXDynamoManager):
    """Brevitas' QONNX export (torch.export) with the SRB weight handler."""
    handlers = [SRBWeightQuantProxyHandler, *QONNXDynamoManager.handlers]


def export_qonnx_model(model, height, width):
    """Export an SR model (eval mode) for LR frames of ``height`` x ``width`` pixels."""
    model = model.eval()
    example = torch.zeros(1, model.in_channels, height, width)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = os.path.join(tmp, "model.qonnx.onnx")
        SRQONNXManager.export(model, example, export_path=path, dynamo=True)
        qonnx_model = cleanup_model(ModelWrapper(path))
    qonnx_model.set_tensor_datatype(qonnx_model.graph.input[0].name, DataType["UINT8"])
    return qonnx_model.transform(GiveUniqueNodeNames())
