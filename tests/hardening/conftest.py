"""Hypothesis profiles of the hardening suite: ``fast`` in every run, ``long`` on demand.

``RETENTION_LAB_FUZZ=long`` runs thousands of cases per property (a few minutes to an hour on
two cores); the default ``fast`` profile a few dozen, so the suite stays quick.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True)
settings.register_profile("fast", max_examples=30, **_COMMON)
settings.register_profile("long", max_examples=3000, **_COMMON)
settings.load_profile(os.environ.get("RETENTION_LAB_FUZZ", "fast"))
