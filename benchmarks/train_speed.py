"""Training speed of the default model: Brevitas layers vs the plain-PyTorch twin.

    python -m benchmarks.train_speed [--config configs/default_x2.yaml] [--steps 40]

Both backends compute the same forward values (tests/test_archs.py checks it); this
measures what Brevitas' quantizer proxies cost per optimizer step. Steps alternate
between the two models in rounds, so a change in machine load hits both alike.
Target: Brevitas at most 1.5x slower.
"""
import argparse
import statistics
import time

import torch
from torch.nn import functional as F

from benchmarks.common import machine_info, machine_line, write_result
from train.archs import build_model
from train.checkpoint import in_channels_of
from train.config import load_config

TARGET_RATIO = 1.5


def make_step(model, batch):
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    lr_batch, hr_batch = batch

    def step():
        loss = F.l1_loss(model(lr_batch) / 255, hr_batch / 255)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def random_batch(config):
    data = config["data"]["train"]
    scale, channels = config["scale"], in_channels_of(config["color"])
    lr_size = data["patch_size"] // scale
    g = torch.Generator().manual_seed(0)
    lr = torch.randint(0, 256, (data["batch_size"], channels, lr_size, lr_size), generator=g)
    hr = torch.randint(0, 256, (data["batch_size"], channels, lr_size * scale, lr_size * scale),
                       generator=g)
    return lr.float(), hr.float()


def time_steps(steps, rounds, per_round):
    """Seconds per step of each named step function, median over interleaved rounds."""
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(per_round):
                step()
            times[name].append((time.perf_counter() - start) / per_round)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/default_x2.yaml")
    parser.add_argument("--steps", type=int, default=40, help="measured steps per backend")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    batch = random_batch(config)
    steps = {}
    for backend in ("brevitas", "torch"):
        torch.manual_seed(0)
        model = build_model({**config["model"], "backend": backend}, config["scale"],
                            in_channels_of(config["color"])).train()
        steps[backend] = make_step(model, batch)
    time_steps(steps, rounds=1, per_round=3)  # warm-up
    per_round = 5
    seconds = time_steps(steps, rounds=max(1, args.steps // per_round), per_round=per_round)
    ratio = seconds["brevitas"] / seconds["torch"]
    info = machine_info()
    data = config["data"]["train"]
    markdown = "\n".join([
        "# Training speed: Brevitas vs plain PyTorch",
        "",
        f"Measured {machine_line(info)}.",
        f"Model: `{config['model']}` x{config['scale']} ({config['color']}), batch "
        f"{data['batch_size']} of {data['patch_size']} px HR patches; median of "
        f"{args.steps // per_round} interleaved rounds of {per_round} steps.",
        "",
        "| backend | s/step | it/s |",
        "|---|---|---|",
        *(f"| {b} | {s:.3f} | {1 / s:.2f} |" for b, s in seconds.items()),
        "",
        f"Brevitas / PyTorch: **{ratio:.2f}x** (target <= {TARGET_RATIO}x: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}).",
        "",
    ])
    path = write_result("train_speed", markdown, {
        "machine": info, "config": args.config, "seconds_per_step": seconds, "ratio": ratio})
    print(markdown)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
