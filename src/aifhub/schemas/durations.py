"""One parser for durations as users write them: 90, 30m, 2h, 1d or 02:00:00."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int) -> int:
    """Seconds from `90`, `30m`, `2h`, `1d` or Slurm's `[D-]HH:MM[:SS]`; ValueError otherwise."""
    if isinstance(value, int):
        seconds = value
    else:
        text = value.strip()
        if m := _DURATION.match(text):
            seconds = int(m.group(1)) * _UNIT_S[m.group(2)]
        elif m := re.match(r"^(?:(\d+)-)?(\d+):(\d{2})(?::(\d{2}))?$", text):
            days, hours, minutes, secs = (int(g or 0) for g in m.groups())
            seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
        else:
            raise ValueError(
                f"'{value}' is not a duration; write e.g. 90s, 30m, 2h, 1d or 02:00:00"
            )
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds
