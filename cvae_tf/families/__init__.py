"""Model families by name. Each module declares one family's whole recipe and registers it."""

from cvae_tf.families.base import (
    ALIASES,
    FAMILIES,
    Family,
    Prepared,
    family_names,
    get_family,
    register_family,
)
from cvae_tf.families import classify_nums, conv_vae, faces, pix2pix  # noqa: E402,F401  (built-in families register here)

__all__ = ["ALIASES", "FAMILIES", "Family", "Prepared", "family_names", "get_family", "register_family"]
