"""Errors for a model that cannot be used. Their messages are shown to users as they are."""


class ModelError(ValueError):
    """A cfg, weights or names file that cannot be used; the message names the file and the reason."""
