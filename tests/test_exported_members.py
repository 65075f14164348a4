"""jobwise's public names, as httpx's tests/test_exported_members.py checks its own: every
public name the package defines is exported, and every exported name resolves."""

from __future__ import annotations

import inspect
import types

import jobwise

INCLUDED_PRIVATE = {"__version__"}


def test_every_public_name_is_exported_and_every_exported_name_resolves() -> None:
    public = {
        name
        for name, value in vars(jobwise).items()
        if (not name.startswith("_") or name in INCLUDED_PRIVATE)
        and not isinstance(value, types.ModuleType)
    }
    assert sorted(public) == sorted(jobwise.__all__)
    assert len(set(jobwise.__all__)) == len(jobwise.__all__)


def test_the_exported_names_are_the_packages_own() -> None:
    for name in jobwise.__all__:
        value = getattr(jobwise, name)
        if inspect.isclass(value) or inspect.isfunction(value):  # not aliases nor constants
            assert value.__module__.split(".")[0] in ("jobwise", "jobwise_api"), name
