"""FusedAdam: the same updates as Keras' Adam, from one kernel."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from core.optimizers import FusedAdam


def _steps(optimizer: keras.optimizers.Optimizer) -> list[np.ndarray]:
    variable = keras.Variable(np.linspace(-1, 1, 64, dtype="float32").reshape(8, 8))
    gradients = np.random.default_rng(0).normal(size=(5, 8, 8)).astype("float32")
    seen = []
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient), variable)])
        seen.append(variable.numpy().copy())
    return seen


def test_fused_adam_takes_the_same_steps_as_keras_adam():
    schedule = keras.optimizers.schedules.PolynomialDecay(0.1, 5, end_learning_rate=0.0)
    for rate in (0.1, schedule):
        ours = _steps(FusedAdam(rate))
        theirs = _steps(keras.optimizers.Adam(rate))
        start = np.linspace(-1, 1, 64, dtype="float32").reshape(8, 8)
        for a, b in zip(ours, theirs, strict=True):
            assert np.abs(a - start).max() > 0.05  # the steps are real, not no-ops
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)  # steps are ~0.1


def test_fused_adam_round_trips_through_its_config():
    optimizer = FusedAdam(learning_rate=2e-3, beta_1=0.8)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is FusedAdam and restored.beta_1 == 0.8
