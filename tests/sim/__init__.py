"""The simulator: the real batch engine against the real emulator app, in virtual time.

One seed decides a whole world (:mod:`tests.sim.world`): job latencies, faults at the
transport, the server's clock against the client's, steps of the client's wall clock, keys
honoured or ignored, other clients in the application, a server that restarts and hands out
ids again, a state file whose writes fail, and kills. :mod:`tests.sim.schedule` runs it and
:mod:`tests.sim.invariants` checks the promise; ``python -m tests.sim`` (``make sim``) runs
many. After FoundationDB's and TigerBeetle's simulation testing: a failure replays from its
seed alone.
"""
