"""Model architectures (functional Keras models) and their registered layers; the families
in ``cvae_tf.families`` say which architecture each trains."""

from cvae_tf.models.layers import Sampling

__all__ = ["Sampling"]
