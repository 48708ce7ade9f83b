# approxgen — everyday tasks. `make install` once, then `make demo` / `make test`.
# Use a virtualenv (system Pythons refuse `pip install`, PEP 668); it need not be activated:
#   python3 -m venv venv && make PYTHON=venv/bin/python test
PYTHON ?= python3
# A relative PYTHON (venv/bin/python) stays valid in sub-makes run from other directories.
override PYTHON := $(if $(findstring /,$(PYTHON)),$(abspath $(PYTHON)),$(PYTHON))
export PYTHON
APPROXGEN ?= $(PYTHON) -m approxgen
OUT    ?= out
# One stamp per interpreter: switching PYTHON installs into the new one.
STAMP  := .install.$(shell $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha1(sys.prefix.encode()).hexdigest()[:12])' 2>/dev/null || echo none).stamp

.PHONY: install demo test bench bench-search bench-c bench-hw bench-pipeline bench-calibration bench-compact bench-properties bench-torch bench-kernels bench-executors bench-norms bench-norm-hw bench-softmax bench-encoder bench-range-reduction readme-bench clean

# Installs the package (editable) and its dependencies once; again when pyproject.toml changes.
install: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# The main job on an example: fit GELU int8, emit the C header and the Verilog.
demo: install
	mkdir -p $(OUT)
	$(APPROXGEN) fit configs/gelu_int8.yaml -o $(OUT)/gelu_int8.json
	$(APPROXGEN) emit c $(OUT)/gelu_int8.json -o $(OUT)/gelu_int8.h
	$(APPROXGEN) emit verilog $(OUT)/gelu_int8.json -o $(OUT)/gelu_int8.v

# The suite in TEST_JOBS processes (pytest-xdist; worksteal: each takes a contiguous run of the
# tests, so a file's module fixtures are built once, and an idle one takes tests over).
TEST_JOBS ?= 2
test: install
	$(PYTHON) -m pytest -q -n $(TEST_JOBS) --dist worksteal

bench: bench-search bench-c bench-hw bench-calibration readme-bench

bench-range-reduction:
	$(PYTHON) benchmarks/range_reduction.py

bench-search:
	$(PYTHON) benchmarks/bench_search.py

bench-c:
	$(PYTHON) benchmarks/bench_c.py

bench-hw:
	$(PYTHON) benchmarks/bench_hw.py

# Yosys longest path, cells and flip-flops against the register count; programmable vs fixed.
bench-pipeline:
	$(PYTHON) benchmarks/bench_pipeline.py

bench-calibration:
	$(PYTHON) benchmarks/bench_calibration.py

bench-compact:
	$(PYTHON) benchmarks/bench_compact.py

bench-properties:
	$(PYTHON) benchmarks/bench_properties.py

bench-torch:
	$(PYTHON) benchmarks/bench_torch.py

bench-kernels:
	$(PYTHON) benchmarks/bench_kernels.py

bench-norms:
	$(PYTHON) benchmarks/norm_errors.py

# Yosys cells, flip-flops and longest path of the streaming LayerNorm / RMSNorm Verilog units.
bench-norm-hw:
	$(PYTHON) benchmarks/norm_hw.py

bench-softmax:
	$(PYTHON) benchmarks/softmax_errors.py

# A small Transformer encoder with integer GELU, softmax and LayerNorm (C) beside I-BERT's blocks.
bench-encoder:
	$(PYTHON) benchmarks/bench_encoder.py

bench-executors:
	$(PYTHON) benchmarks/bench_executors.py

# Copy benchmarks/results/*.md into the README between their markers.
readme-bench:
	$(PYTHON) benchmarks/update_readme.py

clean:
	rm -rf $(OUT) build dist *.egg-info .pytest_cache .install.*stamp
