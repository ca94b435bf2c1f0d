"""The Dask worker plugin that loads the compiled engine once per worker (imports ``distributed``)."""

from __future__ import annotations

import logging

from distributed.diagnostics.plugin import WorkerPlugin

log = logging.getLogger("retention_lab.executor")


class EngineOnWorkers(WorkerPlugin):
    """Load the compiled engine once, when a worker starts (or when the plugin is registered).

    Later units on that worker find the machine code in memory; without this the first unit
    on every worker would pay the load (or, in a fresh installation, the compilation).
    ``seconds`` is how long it took on this worker.
    """

    name = "retention-lab-engine"
    idempotent = True

    def __init__(self):
        self.seconds: float | None = None

    def setup(self, worker):
        from ..engines.vectorized import compile_kernels

        self.seconds = compile_kernels()
        log.info("engine ready on %s in %.1f s", getattr(worker, "address", "worker"), self.seconds)
