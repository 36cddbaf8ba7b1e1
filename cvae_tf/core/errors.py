"""Errors that tell the user what was wrong and where."""


class DataError(ValueError):
    """Input data that does not have the expected shape, range or format.

    The message names the file (and row / column where it applies) and what was expected.
    """


class RunError(RuntimeError):
    """A training or output folder in a state that needs the user's decision."""
