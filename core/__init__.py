"""cifar-lab core: data, models, training, runs, evaluation and inference. No UI imports."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notices) hides our own messages.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
