"""Distillation from a trained teacher: FRB's DBT on body features, and an output loss.

Feature term (DBT, FRB's distillation-guided binarization training): the output of every
body block (``model.body[k]``, captured by forward hooks) is compared through

    R_k    = F_k^2 / ||F_k^2||_2             (element-wise square, L2-normalized per sample)
    L_feat = sum_k ||R_t,k - R_s,k||_2        (per sample, then averaged over the batch)

``features: dbt`` takes R over all C*H*W elements of a block, as FRB does with the float twin
of the same architecture (teacher and student blocks of the same shape); ``features:
spatial`` takes it over the H*W map sum_c F_c^2 (attention transfer), so a wider teacher
can teach. A deeper teacher's blocks are matched at the same fraction of depth: with Nt
teacher blocks, a multiple of the student's Ns, student block k is compared with teacher
block (k+1)*Nt/Ns - 1 (the last of the Nt/Ns teacher blocks it stands for).

Output term: L_out = ||SR_s - SR_t||_1 on pixels / 255 (the scale of the training loss).

    loss = L_train + beta * L_feat + output_weight * L_out

Config ``train.distill: {teacher: <checkpoint>, beta: 1e-4, features: dbt, output_weight:
0.0}`` (beta = 1e-4 is the paper's); distillation is off while ``teacher`` is null, and the
feature term (with its block and shape checks) while ``beta`` is 0.
"""
import contextlib

import torch
from torch.nn import functional as F

from train import checkpoint
from train.registry import ConfigError

KEY = "train.distill"
TEACHER_KEY = f"{KEY}.teacher"
PROBE_SIZE = 16  # LR pixels of the blank frame that checks the matched feature shapes


def attention_map(features, spatial=False):
    """R = F^2 / ||F^2||_2, the norm over all of one sample's elements; ``spatial``: R of the
    H*W map sum_c F_c^2 instead."""
    squared = features.pow(2)
    squared = (squared.sum(dim=1) if spatial else squared).flatten(1)
    return squared / squared.norm(dim=1, keepdim=True).clamp(min=1e-12)


def dbt_loss(teacher_features, student_features, spatial=False):
    """sum_k ||R_t,k - R_s,k||_2, averaged over the batch."""
    return sum((attention_map(t, spatial) - attention_map(s, spatial)).norm(dim=1).mean()
               for t, s in zip(teacher_features, student_features))


def matched(teacher_features, student_blocks):
    """The teacher's block outputs at the ends of the student's blocks: every
    (len(teacher_features) / student_blocks)-th one."""
    stride = len(teacher_features) // student_blocks
    return teacher_features[stride - 1::stride]


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
    """The frozen teacher and the weights of the feature and output terms."""

    def __init__(self, teacher, beta, features="dbt", output_weight=0.0):
        self.teacher, self.beta = teacher.eval().requires_grad_(False), beta
        self.spatial, self.output_weight = features == "spatial", output_weight

    @classmethod
    def from_config(cls, config, student, device):
        """The Distiller of ``config['train']['distill']``, or None when it has no teacher."""
        opt = config["train"]["distill"]
        if opt["teacher"] is None:
            return None
        if opt["beta"] == 0 and opt["output_weight"] == 0:
            raise ConfigError(f"{KEY}.beta: the teacher teaches nothing with beta 0 and "
                              f"output_weight 0; set either, or teacher: null")
        try:
            arch = checkpoint.load_checkpoint(opt["teacher"])["arch"]
        except ConfigError as err:
            raise ConfigError(f"{TEACHER_KEY}: {err}") from None
        if (arch["scale"], arch["color"]) != (config["scale"], config["color"]):
            raise ConfigError(f"{TEACHER_KEY}: {opt['teacher']} is x{arch['scale']} "
                              f"{arch['color']}, the run x{config['scale']} {config['color']}")
        # Building the teacher draws its initial weights: outside the run's RNG stream, so a
        # distilled run crops the same patches as the same run without a teacher.
        with torch.random.fork_rng(devices=[]):
            teacher = checkpoint.load_model(opt["teacher"], device)
        distiller = cls(teacher, opt["beta"], opt["features"], opt["output_weight"])
        if opt["beta"] > 0:
            in_channels = checkpoint.in_channels_of(config["color"])
            distiller.check_features(student, in_channels, device)
        return distiller

    def check_features(self, student, in_channels, device):
        """ConfigError unless every student block has a teacher block to match whose
        feature map (``features``) has the student's shape."""
        teacher_blocks = body_blocks(self.teacher, TEACHER_KEY)
        student_blocks = body_blocks(student, "model")
        if student_blocks == 0 or teacher_blocks % student_blocks:
            raise ConfigError(f"{TEACHER_KEY}: the teacher has {teacher_blocks} body blocks, "
                              f"not a multiple of the model's {student_blocks}")
        was_training = student.training
        probe = torch.zeros(1, in_channels, PROBE_SIZE, PROBE_SIZE, device=device)
        with torch.no_grad(), block_outputs(self.teacher) as teacher_features, \
                block_outputs(student.eval()) as student_features:
            self.teacher(probe)
            student(probe)
        student.train(was_training)
        stride = teacher_blocks // student_blocks
        for k, (t, s) in enumerate(zip(matched(teacher_features, student_blocks),
                                       student_features)):
            sizes = [attention_map(f, self.spatial).shape[1] for f in (t, s)]
            if sizes[0] != sizes[1]:
                hint = "" if self.spatial else "; 'spatial' sums the channels"
                raise ConfigError(
                    f"{KEY}.features: the maps of teacher block {(k + 1) * stride - 1} "
                    f"{tuple(t.shape[1:])} and model block {k} {tuple(s.shape[1:])} differ "
                    f"({sizes[0]} vs {sizes[1]} elements){hint}")

    def __call__(self, student, lr_batch, forward=None):
        """(student output, beta * L_feat + output_weight * L_out) for one batch; ``forward``
        runs the student (e.g. its DDP wrapper; default the student itself)."""
        features = self.beta > 0
        with torch.no_grad(), self._outputs(self.teacher, features) as teacher_features:
            teacher_sr = self.teacher(lr_batch)
        with self._outputs(student, features) as student_features:
            sr = (forward or student)(lr_batch)
        loss = 0.0
        if features:
            loss = self.beta * dbt_loss(matched(teacher_features, len(student_features)),
                                        student_features, self.spatial)
        if self.output_weight > 0:
            loss = loss + self.output_weight * F.l1_loss(sr / 255.0, teacher_sr / 255.0)
        return sr, loss

    @staticmethod
    def _outputs(model, features):
        return block_outputs(model) if features else contextlib.nullcontext([])
