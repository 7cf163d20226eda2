"""The Slurm backends: through the command-line tools, or through slurmrestd.

commands.py   SlurmBackend: sbatch, squeue, sacct, scancel, scontrol (one runner helper)
rest.py       SlurmRestBackend: the same through slurmrestd's REST API (JWT)
sbatch.py     pure helpers both share: the batch script, the state map, sacct parsing
sacctmgr.py   pushing allocations to Slurm's accounting (accounts, users, limits)
"""

from aifhub.backends.slurm.commands import SlurmBackend
from aifhub.backends.slurm.rest import SlurmRestBackend

__all__ = ["SlurmBackend", "SlurmRestBackend"]
