"""Condition kinds: the white ratio of digits first; each kind registers itself by its tag."""

from cvae_tf.conditions.base import (
    CONDITIONS,
    Condition,
    ConditionField,
    load_condition,
    register_condition,
)
from cvae_tf.conditions.face_attributes import FaceAttributes
from cvae_tf.conditions.white_ratio import (
    CONDITION_SIZE,
    NUM_CLASSES,
    WhiteRatioCondition,
    condition_vectors,
    white_ratio,
)

__all__ = [
    "CONDITIONS",
    "CONDITION_SIZE",
    "Condition",
    "ConditionField",
    "FaceAttributes",
    "NUM_CLASSES",
    "WhiteRatioCondition",
    "condition_vectors",
    "load_condition",
    "register_condition",
    "white_ratio",
]
