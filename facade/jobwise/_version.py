"""The one definition of jobwise's version (pyproject.toml reads it too)."""

__version__ = "0.1.0"
