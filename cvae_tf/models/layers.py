"""Custom layers, registered so that saved models reload with ``safe_mode=True``."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cvae_tf")
class Sampling(keras.layers.Layer):
    """Draws z = z_mean + exp(z_log_var / 2) · ε with ε ~ N(0, I).

    The reparameterisation trick: the randomness sits in ε, so gradients flow to z_mean and
    z_log_var. The seed generator's state is a variable, saved with the model.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
