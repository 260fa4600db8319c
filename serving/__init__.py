"""Running the model repository on a local Triton server (the one bundled in the nvidia-pytriton wheel)."""
