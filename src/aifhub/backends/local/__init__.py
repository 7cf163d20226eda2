"""The local backend: jobs as sandboxed processes on this machine (the embedded default).

backend.py    LocalBackend: the queue, launching runners, adopting them after a restart
runner.py     the detached per-job wrapper (``python -m aifhub.backends.local.runner DIR``)
files.py      the on-disk record of a job, shared by the backend and its runner
scheduler.py  the queue policy (FIFO with EASY backfill), pure
status.py     a job's state and accounting read back from its files
sandbox.py    the bubblewrap command line and the site's bind-path allow-list
"""

from aifhub.backends.local.backend import LocalBackend

__all__ = ["LocalBackend"]
