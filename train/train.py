"""Train a binary SR network from a YAML config.

    python -m train.train --config configs/default_x2.yaml [--resume] [--out DIR] [--iters N]

    torchrun --standalone --nproc_per_node 2 -m train.train --config ...   (data-parallel)

A run lives in ``out_root/name``: ``config.yaml`` (resolved), ``train_log.csv``,
``val_log.csv``, ``last.pth`` and ``best.pth``. ``--resume`` continues from ``last.pth``
and ends with exactly the weights an uninterrupted run would have reached: the
checkpoint holds every RNG state and the position in the shuffled data order.
Under ``torchrun`` the processes share each batch (``train/distributed.py``).
"""
import contextlib
import csv
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from train.archs import build_model
from train.cli import ArgumentParser, command, positive_int, removed_on_failure
from train.checkpoint import (capture_rng_state, in_channels_of, load_weights,
                              restore_rng_state, save_checkpoint)
from train.config import build_scheduler, dump_config, load_config, run_dir
from train.data.datasets import (SRPatchDataset, hr_sources, load_held_out_set, load_test_set,
                                 pixel_digest, split_held_out)
from train.distill import Distiller
from train.distributed import Processes
from train.metrics import calculate_psnr
from train.registry import ConfigError

LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss}
TRAIN_LOG_COLUMNS = ("iter", "loss", "lr", "seconds")
VAL_LOG_COLUMNS = ("iter", "seconds", "psnr")


class EpochBatchSampler(torch.utils.data.Sampler):
    """Endless shuffled epochs of index batches (last partial batch dropped).

    The state is the generator state at the start of the current epoch plus the number
    of batches already handed out, so a resumed sampler rebuilds the same permutation
    and continues mid-epoch. Exact only while batches are not prefetched.
    """

    def __init__(self, num_items, batch_size, generator):
        super().__init__()
        if num_items < batch_size:
            raise ConfigError(f"the training set yields {num_items} patches per epoch, fewer "
                              f"than 'data.train.batch_size' {batch_size}; raise "
                              f"'data.train.repeat'")
        self.num_items, self.batch_size, self.generator = num_items, batch_size, generator
        self._epoch_start = generator.get_state()
        self._batches_done = 0

    def __iter__(self):
        while True:
            self.generator.set_state(self._epoch_start)
            permutation = torch.randperm(self.num_items, generator=self.generator)
            batches = permutation[:self.num_items // self.batch_size * self.batch_size]
            batches = batches.view(-1, self.batch_size)
            while self._batches_done < len(batches):
                self._batches_done += 1
                yield batches[self._batches_done - 1].tolist()
            self._epoch_start = self.generator.get_state()
            self._batches_done = 0

    def state_dict(self):
        return {"epoch_start": self._epoch_start.clone(), "batches_done": self._batches_done}

    def load_state_dict(self, state):
        self._epoch_start = state["epoch_start"].clone()
        self._batches_done = state["batches_done"]


class CsvLog:
    """A CSV log; on resume, rows past the resumed iteration are dropped (not trained)."""

    def __init__(self, path, columns, resume_iteration=None):
        self.path, self.columns = Path(path), columns
        rows = []
        if resume_iteration is not None and self.path.is_file():
            with open(self.path, newline="", encoding="utf-8") as file:
                rows = [row for row in csv.DictReader(file)
                        if int(row["iter"]) <= resume_iteration]
        with open(self.path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, columns)
            writer.writeheader()
            writer.writerows(rows)

    def append(self, **row):
        with open(self.path, "a", newline="", encoding="utf-8") as file:
            csv.DictWriter(file, self.columns).writerow(row)


@dataclass
class Run:
    """A run's live training state."""

    config: dict
    dir: Path
    device: torch.device
    processes: Processes
    model: torch.nn.Module
    trained: torch.nn.Module  # what the optimizer steps: the model, or DDP around it
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    dataset: torch.utils.data.Dataset
    sampler: EpochBatchSampler
    val_set: list
    iteration: int = 0
    best_psnr: float = None
    elapsed_seconds: float = 0.0
    distiller: Distiller = None  # DBT teacher when train.distill.teacher is set

    def save(self, name):
        """Write a checkpoint (main process); every process must call it."""
        rng_states = self.processes.gather(capture_rng_state())
        if self.processes.is_main:
            save_checkpoint(self.dir / name, config=self.config, model=self.model,
                            optimizer=self.optimizer, scheduler=self.scheduler,
                            iteration=self.iteration, rng_state=rng_states,
                            data_state=self.sampler.state_dict(), best_psnr=self.best_psnr,
                            elapsed_seconds=self.elapsed_seconds)


def seed_everything(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def select_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("'device' is cuda but no CUDA device is available")
    return torch.device(name)


def split_sources(config):
    """``(training HRSources, held-out HRSources or None)`` per ``data.val.split``."""
    train_opt, val_opt = config["data"]["train"], config["data"]["val"]
    sources = hr_sources(train_opt["folders"])
    if val_opt["split"] is None:
        return sources, None
    candidates = sources if val_opt["split_from"] is None else hr_sources([val_opt["split_from"]])
    _, held_out = split_held_out(candidates, val_opt["split"])
    return [source for source in sources if source not in held_out], held_out


def build_train_data(config, sources):
    """(dataset, sampler) of training patches in a seeded, resumable order."""
    data_opt = config["data"]["train"]
    dataset = SRPatchDataset(sources, config["scale"], data_opt["patch_size"],
                             color=config["color"], augment=True, repeat=data_opt["repeat"],
                             cache_dir=data_opt["cache_dir"])
    generator = torch.Generator().manual_seed(config["seed"])
    return dataset, EpochBatchSampler(len(dataset), data_opt["batch_size"], generator)


def iterate_batches(dataset, sampler, processes):
    """Endless ``(lr, hr)`` batches (this process's share), loaded as the loop asks.

    This is what a DataLoader with ``num_workers=0`` does, minus its hidden draw from
    torch's global RNG when an iterator starts: patches are cropped with that RNG,
    whose state the checkpoint holds, so resuming must not shift it.
    """
    for indices in sampler:
        yield torch.utils.data.default_collate([dataset[i] for i in processes.shard(indices)])


def load_val_set(config, held_out, dataset):
    """``[(name, lr, hr)]`` uint8: the ``held_out`` sources, else ``data.val.folder``,
    refused when one of its images is also a training image of ``dataset``."""
    val_opt, scale, color = config["data"]["val"], config["scale"], config["color"]
    if held_out is not None:
        val_set = load_held_out_set(held_out, scale, color)
    else:
        val_set = load_test_set(val_opt["folder"], scale, color)
        for name, _, hr in val_set:
            also_trained = dataset.hr_digests.get(pixel_digest(hr))
            if also_trained:
                raise ConfigError(f"'data.val.folder' {val_opt['folder']}: image {name} is "
                                  f"also a training image ({also_trained})")
    return val_set[:val_opt["max_images"]]


def image_to_tensor(img, device):
    """uint8 HxW or HxWxC -> float32 1xCxHxW of pixel values."""
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(chw)).float()[None].to(device)


def tensor_to_image(tensor):
    """float 1xCxHxW of pixel values -> rounded, clamped uint8 HxW (C=1) or HxWxC."""
    img = tensor[0].round().clamp(0, 255).to(torch.uint8).cpu().numpy()
    return img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)


@torch.no_grad()
def validate(model, val_set, scale, color, device):
    """Mean PSNR (dB, Y channel, ``scale`` border pixels cropped) over whole images."""
    was_training = model.training
    model.eval()
    psnrs = []
    for _, lr, hr in val_set:
        sr = tensor_to_image(model(image_to_tensor(lr, device)))
        psnrs.append(calculate_psnr(sr, hr, crop_border=scale, test_y_channel=color == "rgb"))
    model.train(was_training)
    return float(np.mean(psnrs))


def setup_run(config, resume, processes):
    """Build data, model, optimizer and scheduler; restore them from last.pth on resume."""
    processes.check_batch(config["data"]["train"]["batch_size"])
    # Each process crops and flips its own patches; DDP gives all rank 0's initial weights.
    seed_everything(config["seed"] + processes.rank)
    device = select_device(config["device"])
    train_sources, held_out = split_sources(config)
    dataset, sampler = build_train_data(config, train_sources)
    val_set = load_val_set(config, held_out, dataset) if processes.is_main else []
    model = build_model(config["model"], config["scale"], in_channels_of(config["color"]))
    model.to(device).train()
    trained = processes.wrap(model)
    train_opt = config["train"]
    optimizer = torch.optim.Adam(trained.parameters(), lr=train_opt["lr"],
                                 betas=tuple(train_opt["betas"]),
                                 weight_decay=train_opt["weight_decay"])
    scheduler = build_scheduler(config, optimizer)
    run = Run(config, run_dir(config), device, processes, model, trained, optimizer, scheduler,
              dataset, sampler, val_set, distiller=Distiller.from_config(config, model, device))
    last = run.dir / "last.pth"
    if resume:
        _restore(run, last)
    elif last.exists():
        raise ConfigError(f"{run.dir} already holds a run (last.pth); pass --resume to "
                          f"continue it, or change 'name' or --out")
    return run


def _restore(run, path):
    checkpoint = load_weights(run.model, path)
    if checkpoint["iteration"] > run.config["train"]["iters"]:
        raise ConfigError(f"checkpoint {path} is at iteration {checkpoint['iteration']}, "
                          f"past 'train.iters' {run.config['train']['iters']}")
    run.optimizer.load_state_dict(checkpoint["optimizer"])
    run.scheduler.load_state_dict(checkpoint["scheduler"])
    run.sampler.load_state_dict(checkpoint["data_state"])
    # Last: building the model and data above consumed random numbers.
    restore_rng_state(run.processes.own(checkpoint["rng_state"]))
    run.iteration = checkpoint["iteration"]
    run.best_psnr = checkpoint["best_psnr"]
    run.elapsed_seconds = checkpoint["elapsed_seconds"]


def train_step(run, lr_batch, hr_batch):
    """One optimizer step; returns the loss (on pixels / 255)."""
    train_opt = run.config["train"]
    lr_batch = lr_batch.to(run.device)
    if run.distiller is None:
        sr, distill_loss = run.trained(lr_batch), 0.0
    else:
        sr, distill_loss = run.distiller(run.model, lr_batch, forward=run.trained)
    loss = LOSSES[train_opt["loss"]](sr / 255.0, hr_batch.to(run.device) / 255.0) + distill_loss
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if train_opt["grad_clip"] is not None:
        torch.nn.utils.clip_grad_norm_(run.trained.parameters(), train_opt["grad_clip"])
    run.optimizer.step()
    run.scheduler.step()
    return loss.item()


def due(iteration, every, last_iteration):
    return iteration % every == 0 or iteration == last_iteration


@contextlib.contextmanager
def deterministic_algorithms(warn_only):
    """Deterministic kernels inside the block; the caller's setting is restored after."""
    previous = (torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(True, warn_only=warn_only)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])


def train(config, resume=False):
    """Run (or resume) training; returns a summary dict."""
    # Off the CPU some kernels have no deterministic variant: warn rather than fail there.
    device = select_device(config["device"])
    processes = Processes.from_environment(device)
    try:
        with deterministic_algorithms(warn_only=device.type != "cpu"):
            return _train(config, resume, processes)
    finally:
        processes.close()


def _train(config, resume, processes):
    run = setup_run(config, resume, processes)
    if not processes.is_main:
        return _train_loop(run, config, resume, processes)
    # Written only now, so a config or data error leaves no run folder behind; a new
    # one that fails before its first checkpoint is removed (later: kept for --resume).
    with removed_on_failure(run.dir, keep_if=lambda folder: (folder / "last.pth").exists()):
        run.dir.mkdir(parents=True, exist_ok=True)
        dump_config(config, run.dir / "config.yaml")
        return _train_loop(run, config, resume, processes)


def _train_loop(run, config, resume, processes):
    logs = _open_logs(run, resume)
    train_opt = config["train"]
    iters = train_opt["iters"]
    batches = iterate_batches(run.dataset, run.sampler, processes)
    window_losses = []
    started, elapsed_before = time.perf_counter(), run.elapsed_seconds
    bar = tqdm(total=iters, initial=run.iteration, desc=config["name"], unit="it",
               dynamic_ncols=True, disable=not processes.is_main)
    with bar:
        while run.iteration < iters:
            lr = run.optimizer.param_groups[0]["lr"]
            loss = train_step(run, *next(batches))
            window_losses.append(loss)
            run.iteration += 1
            run.elapsed_seconds = elapsed_before + time.perf_counter() - started
            if due(run.iteration, train_opt["log_every"], iters) and processes.is_main:
                logs.train.append(iter=run.iteration, loss=f"{np.mean(window_losses):.6f}",
                                 lr=f"{lr:.6g}", seconds=f"{run.elapsed_seconds:.1f}")
                window_losses.clear()
            if due(run.iteration, train_opt["val_every"], iters):
                _validate_and_log(run, logs, bar)
            if due(run.iteration, train_opt["ckpt_every"], iters):
                run.save("last.pth")
            bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}",
                            best_psnr=_format_psnr(run.best_psnr), refresh=False)
            bar.update()
    return {"iters": run.iteration, "seconds": run.elapsed_seconds,
            "best_psnr": run.best_psnr, "checkpoint": run.dir / "last.pth",
            "main_process": processes.is_main}


@dataclass
class Logs:
    train: CsvLog
    val: CsvLog


def _open_logs(run, resume):
    """The run's CSV logs on the main process, else None (other processes log nothing)."""
    if not run.processes.is_main:
        return None
    resumed_at = run.iteration if resume else None
    return Logs(CsvLog(run.dir / "train_log.csv", TRAIN_LOG_COLUMNS, resumed_at),
                CsvLog(run.dir / "val_log.csv", VAL_LOG_COLUMNS, resumed_at))


def _validate_and_log(run, logs, bar):
    """Validate on the main process; every process learns the PSNR (to agree on best.pth)."""
    psnr = None
    if run.processes.is_main:
        psnr = validate(run.model, run.val_set, run.config["scale"], run.config["color"],
                        run.device)
        logs.val.append(iter=run.iteration, seconds=f"{run.elapsed_seconds:.1f}",
                       psnr=f"{psnr:.4f}")
        bar.write(f"iter {run.iteration}: val PSNR {psnr:.2f} dB")
    psnr = run.processes.from_main(psnr)
    if run.best_psnr is None or psnr > run.best_psnr:
        run.best_psnr = psnr
        run.save("best.pth")


def _format_psnr(psnr):
    return "-" if psnr is None else f"{psnr:.2f}"


def parse_args(argv):
    parser = ArgumentParser(prog="python -m train.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML config (see configs/)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from out_root/name/last.pth")
    parser.add_argument("--out", help="override out_root (relative to the current directory)")
    parser.add_argument("--iters", type=positive_int,
                        help="override train.iters (e.g. for smoke runs)")
    return parser.parse_args(argv)


@command
def main(argv=None):
    """CLI entry point; returns the exit code (2 for config and data errors)."""
    args = parse_args(argv)
    overrides = {}
    if args.iters is not None:
        overrides["train.iters"] = args.iters
    if args.out is not None:
        overrides["out_root"] = str(Path(args.out).resolve())
    config = load_config(args.config, overrides)
    summary = train(config, resume=args.resume)
    if not summary["main_process"]:
        return 0
    rate = summary["iters"] / summary["seconds"] if summary["seconds"] else float("nan")
    print(f"{config['name']}: {summary['iters']} iters in {summary['seconds']:.1f} s "
          f"({rate:.2f} it/s), best val PSNR {_format_psnr(summary['best_psnr'])} dB, "
          f"checkpoint {summary['checkpoint']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
