"""The default voice's recipe: corpus, espeak-ng teacher data, training, evaluation."""
