"""Errors whose message is written for the learner, shown as-is by pages and the CLI."""


class CnnvizError(ValueError):
    """Base class: the message is one clear sentence a user can act on."""


class GridError(CnnvizError):
    """A grid, kernel or hyper-parameter that cannot be computed."""


class ImageError(CnnvizError):
    """A file that cannot be read as an image."""


class ModelUnavailable(CnnvizError):
    """Weights that are not on this machine; the message says how to get them."""
