"""pix2pix: A|B pairs, edge maps, the ResNet generator and PatchGAN, their trainer and evaluation."""
