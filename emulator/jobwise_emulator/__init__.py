"""A local emulator of Writer's async jobs API and osapi's job API, for demos, tests, benchmarks.

>>> from jobwise_emulator import run_emulator
>>> with run_emulator(latency=(0.1, 0.2), seed=1) as server:
...     print(server.base_url)
"""

from jobwise_emulator.app import create_app
from jobwise_emulator.config import EmulatorConfig, parse_latency
from jobwise_emulator.latency import Latency
from jobwise_emulator.server import EmulatorServer, arun_emulator, run_emulator

__all__ = [
    "EmulatorConfig",
    "EmulatorServer",
    "Latency",
    "arun_emulator",
    "create_app",
    "parse_latency",
    "run_emulator",
]
