# The two commands a new machine needs: `make serve` and `make test`. Both install what is missing first.
PY := .venv/bin/python
SERVE_ARGS ?=

.PHONY: setup serve test voice evaluate export clean

setup:
	@bash scripts/setup.sh

serve: setup  ## start Triton with the default voice on the CPU (gRPC 8001, HTTP 8000, metrics 8002)
	$(PY) -m serving.launcher $(SERVE_ARGS)

test: setup  ## unit tests, quick training, and the real Triton server tests
	$(PY) -m pytest -q

voice: setup  ## retrain the default voice from the Piper teacher (see training/README.md for the wall times)
	$(PY) -m training.teacher_data --out data/joe
	$(PY) -m training.train --data data/joe --run runs/default --out voices/default --threads 1 & \
	$(PY) -m training.train_vocoder --data data/joe --run runs/vocoder --init voices/espeak-distilled-v1 --out voices/default --threads 1; \
	wait
	$(PY) -m training.postfilter --voice voices/default --write

evaluate: setup  ## the model card's table (WER, Distill-MOS, speed) for the shipped voice
	$(PY) -m training.evaluate --voice voices/default --previous voices/espeak-distilled-v1 --json docs/voice_eval.json

export: setup  ## ONNX files (+ engine shape profiles) and the GPU (TensorRT) repository variant, in build/
	$(PY) -m training.export --voice voices/default --out build/onnx/default
	$(PY) -m serving.gpu_repository --onnx build/onnx/default --out build/model_repository_gpu

clean:
	rm -rf build .pytest_cache
