"""cvae_tf: conditional generative models of images in Keras 3 / TensorFlow.

The package's front door: importing any part of it registers the built-in families
(``cvae_tf.families``), so that configs, run folders and front ends find them by name. The core
(``cvae_tf.core``) names no family; the families build on it; the CLI, the server and the notebook
widgets sit on top.
"""

__version__ = "0.1.0"

from cvae_tf import families  # noqa: E402,F401  (registers the built-in families)
