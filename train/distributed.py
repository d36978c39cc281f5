"""Data-parallel training across processes (``torchrun``), the way PyTorch users expect.

    torchrun --standalone --nproc_per_node 2 -m train.train --config configs/x.yaml

One process per device (GPU, or CPU core on the gloo backend), one YAML: every process
builds the same model (DDP broadcasts rank 0's weights at wrap time) and walks the same
shuffled batch order, taking its own contiguous share of each batch; DDP averages the
gradients, so a step sees the whole ``data.train.batch_size``. Only the main process
writes logs and checkpoints; a checkpoint holds every process's RNG state, so a run
resumes (with the same number of processes) exactly as it would have gone on.
"""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from train.registry import ConfigError


@dataclass(frozen=True)
class Processes:
    """This process's place among the run's training processes."""

    rank: int = 0
    world_size: int = 1

    @classmethod
    def from_environment(cls, device):
        """One process, or the torchrun group (``WORLD_SIZE`` > 1) joined on ``device``."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size == 1:
            return cls()
        if not dist.is_initialized():
            # gloo runs on CPUs; NCCL is the backend for CUDA devices.
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        return cls(dist.get_rank(), dist.get_world_size())

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def distributed(self):
        return self.world_size > 1

    def check_batch(self, batch_size):
        if batch_size % self.world_size:
            raise ConfigError(f"'data.train.batch_size' {batch_size} is not divisible by the "
                              f"{self.world_size} training processes")

    def shard(self, indices):
        """This process's contiguous share of a batch of indices."""
        share = len(indices) // self.world_size
        return indices[self.rank * share:(self.rank + 1) * share]

    def wrap(self, model):
        """The module to train: ``model`` itself, or DDP around it."""
        return DistributedDataParallel(model) if self.distributed else model

    def gather(self, value):
        """``[value of rank 0, value of rank 1, ...]`` on every process."""
        if not self.distributed:
            return [value]
        values = [None] * self.world_size
        dist.all_gather_object(values, value)
        return values

    def from_main(self, value):
        """The main process's ``value`` on every process."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def own(self, per_process):
        """This process's entry of a per-process list, checking the number of processes."""
        if len(per_process) != self.world_size:
            raise ConfigError(f"the checkpoint was written by {len(per_process)} training "
                              f"processes; resume it with as many, not {self.world_size}")
        return per_process[self.rank]

    def close(self):
        if self.distributed:
            dist.destroy_process_group()
