"""cvae_tf: conditional generative models of images in Keras 3 / TensorFlow."""

__version__ = "0.1.0"
