"""wrk, Debian's HTTP load generator, driven from Python: a POST script and its report.

Used by `make bench` (throughput) and by the end-to-end test (load while a sync runs).
No Django imports: plain subprocess and text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def post_script(bodies: Sequence[str], headers: dict[str, str]) -> str:
    """A wrk Lua script that POSTs the bodies in turn.

    Runs are bounded by time (-d), hence by count: a thread stopped from Lua
    (wrk.thread:stop) still waits out -d and reports a cut connection as a socket error.
    """
    items = ",\n".join(f"  [==[{b}]==]" for b in bodies)
    head = "\n".join(f'wrk.headers["{k}"] = [==[{v}]==]' for k, v in headers.items())
    return (
        f'wrk.method = "POST"\n{head}\nbodies = {{\n{items}\n}}\ncounter = 0\n'
        "request = function()\n  counter = counter + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])\nend\n"
    )


def _ms(out: str, label: str) -> float | None:
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    return round(float(match.group(1)) * _UNIT_MS[match.group(2)], 1) if match else None


def parse(out: str) -> dict[str, Any]:
    """The figures of one `wrk --latency` report; raises ValueError when it is not one."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not rps or not total:
        raise ValueError(f"not a wrk report: {out[-500:]!r}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = int(non2xx.group(1)) if non2xx else 0
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    return {
        "requests_per_second": float(rps.group(1)),
        "requests": int(total.group(1)),
        "non_2xx": non_2xx,
        "socket_errors": socket_errors,
        "errors": non_2xx + socket_errors,
        "p50_ms": _ms(out, "50%"),
        "p90_ms": _ms(out, "90%"),
        "p99_ms": _ms(out, "99%"),
    }


def run(
    url: str, script: Path | None, *, seconds: int, threads: int = 2, connections: int = 8
) -> dict[str, Any]:
    """Run wrk for `seconds` (GETs of `url` without a script) and parse its report."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run(
        [*cmd, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,  # wrk's own -d bounds it; this only catches a hung wrk
        check=True,
    ).stdout
    return parse(out)
