"""The faces: CelebA and folder readers, landmarks, the four condition models and the face C-VAE."""
