"""The rules of a job's environment, the same on every backend.

A job's variables reach the local sandbox, ``sbatch --export`` and the site's prolog/epilog
scripts alike, so which names a job may set, and how an input's location is named, are decided
once here rather than by each backend; the job body (aifhub.schemas.compute) refuses the same
names before a job is even recorded.
"""

from __future__ import annotations

import re

_ENV_NAME = re.compile(r"[^A-Za-z0-9_]")

# Variables a job may not set. Inside the sandbox they would only affect the job itself, but
# the same names reach host-side processes elsewhere (the unsandboxed mode, sbatch --export,
# prolog/epilog scripts): the loader (LD_*, GCONV_PATH, GLIBC_TUNABLES, LOCPATH, NLSPATH,
# HOSTALIASES, RESOLV_*) loads code or files named by them; bash runs files (BASH_ENV, ENV),
# functions (BASH_FUNC_*) or commands (PROMPT_COMMAND, PS4, SHELLOPTS, BASHOPTS, IFS) named
# by them. AIFHUB_* and CUDA_VISIBLE_DEVICES are set by the platform and reserved.
REFUSED_ENV_PREFIXES = ("LD_", "BASH_FUNC_", "AIFHUB_", "RESOLV_")
REFUSED_ENV_NAMES = frozenset(
    {
        "BASH_ENV",
        "ENV",
        "BASHOPTS",
        "SHELLOPTS",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "GCONV_PATH",
        "GLIBC_TUNABLES",
        "LOCPATH",
        "NLSPATH",
        "HOSTALIASES",
        "CUDA_VISIBLE_DEVICES",
    }
)


def refused_env_name(name: str) -> bool:
    """True when a job may not set this environment variable (see REFUSED_ENV_*)."""
    upper = name.upper()
    return upper in REFUSED_ENV_NAMES or upper.startswith(REFUSED_ENV_PREFIXES)


def input_env_name(name: str) -> str:
    """Name of the variable that tells the job where an input is (AIFHUB_INPUT_<NAME>)."""
    return "AIFHUB_INPUT_" + _ENV_NAME.sub("_", name).upper()
