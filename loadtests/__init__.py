"""Load tests and benchmarks of the TTS service."""
