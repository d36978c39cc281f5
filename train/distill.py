"""DBT, FRB's distillation-guided binarization training.

A trained full-precision twin of the same architecture teaches the binary network through
the output of every body block k (``model.body[k]``, captured by forward hooks):

    R_k   = F_k^2 / ||F_k^2||_2          (element-wise square, L2-normalized per sample)
    L_DBT = sum_k ||R_fp,k - R_bin,k||_2  (per sample, then averaged over the batch)
    loss  = L1 + beta * L_DBT            (beta = 1e-4 in the paper)

Config: ``train.distill: {teacher: <checkpoint of the float twin>, beta: 1e-4}``; distillation
is off while ``teacher`` is null.
"""
import contextlib

import torch

from train import checkpoint
from train.registry import ConfigError

TEACHER_KEY = "train.distill.teacher"


def attention_map(features):
    """R = F^2 / ||F^2||_2, the norm taken over all of one sample's elements."""
    squared = features.pow(2).flatten(1)
    return squared / squared.norm(dim=1, keepdim=True).clamp(min=1e-12)


def dbt_loss(teacher_features, student_features):
    """sum_k ||R_fp,k - R_bin,k||_2, averaged over the batch."""
    return sum((attention_map(t) - attention_map(s)).norm(dim=1).mean()
               for t, s in zip(teacher_features, student_features))


@contextlib.contextmanager
def block_outputs(model):
    """Yields a list that collects the output of every ``model.body`` block during a forward."""
    outputs = []
    handles = [block.register_forward_hook(lambda module, inputs, out: outputs.append(out))
               for block in model.body]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def body_blocks(model, what):
    blocks = getattr(model, "body", None)
    if not isinstance(blocks, torch.nn.ModuleList):
        raise ConfigError(f"{what}: {type(model).__name__} has no 'body' list of blocks to "
                          f"distill")
    return len(blocks)


class Distiller:
    """The frozen teacher and ``beta``; computes the student's output and its DBT term."""

    def __init__(self, teacher, beta):
        self.teacher, self.beta = teacher.eval().requires_grad_(False), beta

    @classmethod
    def from_config(cls, config, student, device):
        """The Distiller of ``config['train']['distill']``, or None when it has no teacher."""
        opt = config["train"]["distill"]
        if opt["teacher"] is None:
            return None
        try:
            arch = checkpoint.load_checkpoint(opt["teacher"])["arch"]
        except ConfigError as err:
            raise ConfigError(f"{TEACHER_KEY}: {err}") from None
        if (arch["scale"], arch["color"]) != (config["scale"], config["color"]):
            raise ConfigError(f"{TEACHER_KEY}: {opt['teacher']} is x{arch['scale']} "
                              f"{arch['color']}, the run x{config['scale']} {config['color']}")
        teacher = checkpoint.load_model(opt["teacher"], device)
        blocks = body_blocks(teacher, TEACHER_KEY), body_blocks(student, "model")
        if blocks[0] != blocks[1]:
            raise ConfigError(f"{TEACHER_KEY}: the teacher has {blocks[0]} body blocks, the "
                              f"model {blocks[1]}")
        return cls(teacher, opt["beta"])

    def __call__(self, student, lr_batch, forward=None):
        """(student output, beta * L_DBT) for one batch; ``forward`` runs the student (e.g.
        its DDP wrapper; default the student itself)."""
        with torch.no_grad(), block_outputs(self.teacher) as teacher_features:
            self.teacher(lr_batch)
        with block_outputs(student) as student_features:
            sr = (forward or student)(lr_batch)
        return sr, self.beta * dbt_loss(teacher_features, student_features)
