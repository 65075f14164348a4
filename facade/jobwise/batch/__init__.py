"""Batch runs: many inputs in, every result back exactly once, resumable after a crash.

One concept a module: :mod:`.engine` runs a batch, :mod:`.state` keeps it in its state file,
:mod:`.items` holds what a caller gets back, :mod:`.options` what it asks for,
:mod:`.schedule` when jobs are looked at again, :mod:`.create_slots` how many creates may be
in flight, :mod:`.run` and :mod:`.threaded` how the sync and async clients hold a run.
"""
