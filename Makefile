# Two commands on a fresh machine: `make run` (set up, fetch the default model, start the app) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := weights/yolov3-tiny/yolov3-tiny.weights

.PHONY: run test setup model bench screenshot package package-test clean

run: $(STAMP) $(MODEL)
	$(BIN)/yolo-desktop

test: $(STAMP) $(MODEL)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

setup: $(STAMP)

model: $(MODEL)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

$(MODEL): | $(STAMP)
	$(BIN)/yolo-desktop models fetch yolov3-tiny --dest weights

bench: $(STAMP) $(MODEL)
	$(BIN)/python bench/bench_engine.py

# The real window after a batch of sample photos (offscreen unless DISPLAY is set, e.g. under xvfb-run).
screenshot: $(STAMP) $(MODEL)
	$(BIN)/python docs/make_screenshot.py

clean:
	rm -rf build dist .pytest_cache
