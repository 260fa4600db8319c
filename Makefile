# The two commands a new machine needs: `make serve` and `make test`. Both install what is missing first.
PY := .venv/bin/python
SERVE_ARGS ?=

.PHONY: setup serve test voice evaluate clean

setup:
	@bash scripts/setup.sh

serve: setup  ## start Triton with the default voice on the CPU (gRPC 8001, HTTP 8000, metrics 8002)
	$(PY) -m serving.launcher $(SERVE_ARGS)

test: setup  ## unit tests, quick training, and the real Triton server tests
	$(PY) -m pytest -q

voice: setup  ## retrain the default voice from scratch (about 40 minutes on 2 cores)
	$(PY) -m training.dataset --out data
	$(PY) -m training.train --data data --run runs/default --out voices/default

evaluate: setup  ## the model card's WER table for the shipped voice
	$(PY) -m training.evaluate --voice voices/default --json docs/voice_eval.json

clean:
	rm -rf build .pytest_cache
