"""Families by name: what configs, run folders and front ends look a family up in.

The registry holds objects that follow the ``Family`` contract (``cvae_tf.core.family``); it
imports nothing, so the config sections can look a family's settings up by its name.
"""

from __future__ import annotations

import warnings

FAMILIES: dict = {}
ALIASES: dict[str, str] = {}  # short names: "mnist" for mnist_cvae
RENAMED: dict[str, str] = {}  # old names that still load, with a message naming the new one


def register_family(family):
    """Makes ``family`` known to configs, ``cvae-tf train NAME``, manifests and the server."""
    FAMILIES[family.name] = family
    ALIASES.update({alias: family.name for alias in family.aliases})
    RENAMED.update({old: family.name for old in family.renamed_from})
    return family


def get_family(name: str, where: str = "model.family"):
    """The family called ``name`` (or by one of its short or former names)."""
    if name in RENAMED:
        warnings.warn(f"{where}: {name!r} is now called {RENAMED[name]!r}; loading it as that", stacklevel=2)
        name = RENAMED[name]
    name = ALIASES.get(name, name)
    if name not in FAMILIES:
        raise ValueError(f"{where} = {name!r}; expected one of {family_names()}")
    return FAMILIES[name]


def family_names(with_aliases: bool = False) -> list[str]:
    return sorted([*FAMILIES, *ALIASES] if with_aliases else FAMILIES)
