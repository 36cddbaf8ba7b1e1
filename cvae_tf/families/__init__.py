"""The built-in model families, one package each; importing this module registers them.

- ``vae``: the generic convolutional VAE (``conv_vae``);
- ``mnist``: the digit C-VAE (``mnist_cvae``) and its judge, the digit classifier (``classify_nums``);
- ``faces``: the four face condition models (``face_conditions``) and the face C-VAE (``face_cvae``);
- ``pix2pix``: sketch → picture (``pix2pix``).

A new family is one more package that subclasses ``cvae_tf.core.family.Family`` and registers it.
"""

from cvae_tf.core.family import Family, Prepared, register_family
from cvae_tf.core.registry import ALIASES, FAMILIES, family_names, get_family
from cvae_tf.families.faces import family as _faces  # noqa: F401
from cvae_tf.families.mnist import classify_nums as _classify_nums  # noqa: F401
from cvae_tf.families.mnist import family as _mnist  # noqa: F401
from cvae_tf.families.pix2pix import family as _pix2pix  # noqa: F401
from cvae_tf.families.vae import family as _vae  # noqa: F401

__all__ = ["ALIASES", "FAMILIES", "Family", "Prepared", "family_names", "get_family", "register_family"]
