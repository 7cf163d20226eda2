"""aifhub: the one-stop platform of an AI Factory."""

__version__ = "0.1.0"
