"""Request limits and tensor-shape constants, each defined once. The stages, the GPU variant's generator and
the tests import them from here; tests/test_limits.py fails when a config.pbtxt, the engine script or the
README says otherwise. No imports: any process can read them (the GPU variant's trim step, the image build).
"""

MAX_TEXT_CHARS = 2000  # characters of TEXT per request
# Phoneme tokens per request on CPU (text_frontend's max_phonemes parameter): Piper's symbols with the blank
# between them, so 2000 characters of prose are ~4,500, and numbers expand ("1234567." is 157); the cap keeps a
# request's audio within what the vocoder takes (MAX_REQUEST_FRAMES) even at the slowest RATE.
MAX_PHONEMES = 6000
GPU_MAX_PHONEMES = 512  # per request on the GPU variant: the acoustic TensorRT engine's token range
# A row (sentence) of the acoustic model holds at most this many Piper tokens: its attention memory grows with
# the square of a row's length (one 2,000-character sentence took gigabytes; 8,000 ids sent to the acoustic
# stage directly, 1.9 GB). The frontend cuts longer sentences; the stage refuses them. Training's longest: ~320.
MAX_SEGMENT_TOKENS = 400
TRACE_SIZE = 8  # int64 values of the TRACE tensor each stage passes on (observability.RequestTrace)
N_MELS = 80  # mel bins between the acoustic model and the vocoder (a voice's MelConfig and AcousticConfig)

# The neural vocoder is convolutional at the frame rate: an output frame depends on 21 mel frames either side
# (the embedding and six depthwise convolutions of kernel 7) plus the inverse STFT's overlap (n_fft / hop = 4).
# A long mel is vocoded in windows with more context than that on both sides and the centres are joined: the
# same audio (to float rounding), with memory bounded by the window instead of the request. 21 + 4 + 1 frame
# of margin: measured on the shipped vocoder, chunks joined with 26 (or even 20) frames of context differ from
# the whole mel's audio by 3e-7, with 16 by 3e-4. (Streaming pays no context: its vocoder keeps state, vocoder_stream.)
VOCODER_CONTEXT_FRAMES = 26
VOCODER_WINDOW_FRAMES = 2048
