"""The core: names no family. Config, the family contract and registry, the runner, run folders,
inference objects, the condition base, layers, training callbacks, losses, metrics, plots and data."""
