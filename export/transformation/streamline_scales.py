"""Streamlining of the scalar power-of-two scales that FINN's Streamline leaves behind.

Every activation of a deployable model lives on a power-of-two grid, so its scale is a
scalar Mul. Streamline keeps such Muls when they meet a fork, a join Add or the final
DepthToSpace; these passes move them through and absorb them into the next thresholds.
Dividing float32 thresholds by a power of two is exact, so the graph stays bit-exact.
"""
from qonnx.transformation.base import Transformation
from qonnx.transformation.remove import RemoveIdentityOps

from finn.transformation.streamline.absorb import AbsorbMulIntoMultiThreshold
from finn.transformation.streamline.collapse_repeated import CollapseRepeatedMul
from finn.transformation.streamline.reorder import (MoveMulPastJoinAdd,
                                                    MoveScalarLinearPastFork,
                                                    MoveScalarLinearPastInvariants,
                                                    MoveScalarMulPastConv)


class MoveScalarLinearPastDepthToSpace(MoveScalarLinearPastInvariants):
    """DepthToSpace only moves elements, so a scalar Mul or Add commutes with it."""

    SUPPORTED_INVARIANTS = {"DepthToSpace"}


class ApplyUntilFixpoint(Transformation):
    """Apply ``passes`` in turn, again and again, until none changes the graph.

    For passes that enable each other (moving a Mul past a fork makes it movable past
    the next Add); a single ordered sweep, as FINN's Streamline does, would stop early.
    """

    def __init__(self, passes):
        super().__init__()
        self.passes = passes

    def apply(self, model):
        changed = True
        while changed:
            changed = False
            for step in self.passes:
                model, step_changed = step.apply(model)
                changed |= step_changed
        return model, False


class StreamlineScalarScales(ApplyUntilFixpoint):
    """Move scalar Muls past convs, forks, equal-scale Adds and DepthToSpace; absorb them
    into MultiThresholds; drop the Mul(1) that the input and output scales collapse to."""

    def __init__(self):
        super().__init__([MoveScalarLinearPastFork(), MoveScalarMulPastConv(),
                          MoveMulPastJoinAdd(), MoveScalarLinearPastDepthToSpace(),
                          CollapseRepeatedMul(), AbsorbMulIntoMultiThreshold(),
                          RemoveIdentityOps()])
