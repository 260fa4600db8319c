"""triton-tts stage code: text frontend, acoustic model and vocoders, importable without Triton."""
