"""Named points in an index run where a test can make the process die as ``kill -9`` would.

Each point is a step boundary the publish protocol must survive (documents added but not committed,
texts committed but not the posts, committed but not published, published but old generations not yet
removed). Off unless
``MIKKE_FAILPOINT`` names a point, so production runs only pay one dictionary lookup per point.
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "MIKKE_FAILPOINT"

# Every point the code passes, in the order an index run meets them.
POINTS = (
    "first-document-added",  # analysis is running (worker processes alive), nothing committed
    "documents-added",  # every document added, nothing committed
    "texts-committed",  # the posts' texts are committed, the posts themselves not yet
    "committed",  # the commit is on disk, the new generation not yet published (full builds)
    "published",  # CURRENT names the new generation, older ones not yet removed
)


def failpoint(name: str) -> None:
    """Die at once with SIGKILL if ``MIKKE_FAILPOINT`` is ``name``; otherwise do nothing."""
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}")
    if os.environ.get(ENV_VAR) == name:
        os.kill(os.getpid(), signal.SIGKILL)
