"""The digits: MNIST readers, the white-ratio condition, the digit C-VAE, its judge and its tools."""
