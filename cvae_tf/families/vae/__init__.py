"""The generic convolutional VAE: its models, its trainers and the conv_vae family."""
