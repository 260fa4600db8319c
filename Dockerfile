# The serving image: NVIDIA's Triton 24.10 (tritonserver 2.51, the version the tests run) with the
# project's model repository, voice and Python code baked in. k8s/ runs it; see docs/kubernetes.md.
# Not built by the test suite (no Docker engine there). Build: docker build -t triton-tts:<version> .
FROM nvcr.io/nvidia/tritonserver:24.10-py3

# espeak-ng: the text frontend's G2P (libespeak-ng, loaded in-process).
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/triton-tts
COPY . .
# Into the image's python3 (3.10), which the Python backend stubs run. torch comes from the default
# index: its Linux wheels are the CUDA build, which the gpu-tensorrt variant needs. ./client is the
# SDK that the readiness probe (python3 -m serving.probe) speaks through.
# Triton serves one repository: the ensemble joins the stages as model_repository/tts. Stage configs
# find the voice at ../../voices/default from their model directory, i.e. /opt/triton-tts/voices/default.
# The GPU variants: k8s/components/gpu-torch serves model_repository_cuda (the acoustic and vocoder stages on
# torch + CUDA, derived by the launcher before the ensemble is linked in: it adds the ensembles itself);
# k8s/components/gpu-tensorrt serves model_repository_gpu: ONNX files and trtexec shape profiles in onnx/,
# from which the pod's init container builds the engines (scripts/build_trt_engines.sh).
RUN python3 -m pip install --no-cache-dir . ./client \
 && python3 -m serving.launcher --device cuda --repository-only model_repository_cuda \
 && ln -s ../ensembles/tts model_repository/tts \
 && python3 -m training.export --voice voices/default --out onnx \
 && python3 -m serving.gpu_repository --onnx onnx --out model_repository_gpu

# The root filesystem is read-only in Kubernetes: no bytecode caches, and HOME on the /tmp volume.
ENV PYTHONDONTWRITEBYTECODE=1 HOME=/tmp
# A numeric non-root user, so that Kubernetes' runAsNonRoot can verify it (the StatefulSet runs as 1000 too).
USER 1000:1000
