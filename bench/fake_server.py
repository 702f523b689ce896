"""The test suite's FakeRegistry, in its own process, serving a benchmark data set.

Run by bench/run.py: `python bench/fake_server.py --data DIR [--size N] [--small] [--lazy]`
prints `URL <base url>` once it listens, then serves until killed. A separate process so
that serialising pages does not share a core (or the GIL) with the sync being measured.

Two departures from the test server, both for the benchmark only:
- `query.intr` is not applied: the real records are mostly not cytokine trials, and the
  benchmark is about moving every record through the sync, not about the search terms.
- `--lazy` builds each page's records when asked (for the 100,000-trial memory run), so
  the server does not hold gigabytes of JSON; the other runs serialise every record once
  up front, as FakeRegistry does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, overload

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.dataset import body, dataset, load_real, synthetic_study  # noqa: E402
from tests.fake_registry import FakeRegistry, _Entry  # noqa: E402


class _LazyEntries(Sequence[_Entry]):
    """Synthetic records i in [0, count), each built and serialised when sliced out."""

    def __init__(self, real: Sequence[dict[str, Any]], count: int, *, small: bool) -> None:
        self._real, self._count, self._small = real, count, small

    def __len__(self) -> int:
        return self._count

    def _entry(self, i: int) -> _Entry:
        study = synthetic_study(self._real, i, small=self._small)
        nct_id = study["protocolSection"]["identificationModule"]["nctId"]
        return _Entry(nct_id, {}, body(study), (), None)

    @overload
    def __getitem__(self, index: int) -> _Entry: ...
    @overload
    def __getitem__(self, index: slice) -> list[_Entry]: ...
    def __getitem__(self, index: int | slice) -> _Entry | list[_Entry]:
        if isinstance(index, slice):
            return [self._entry(i) for i in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return self._entry(index % self._count)


class BenchRegistry(FakeRegistry):
    """FakeRegistry that serves every record whatever `query.intr` asks (see above)."""

    lazy: _LazyEntries | None = None

    def _matching(self, params: dict[str, str]) -> list[_Entry]:
        if self.lazy is not None:
            return self.lazy  # type: ignore[return-value]
        return super()._matching({k: v for k, v in params.items() if k != "query.intr"})


def serve(studies: Iterable[dict[str, Any]] | _LazyEntries, port: int = 0) -> BenchRegistry:
    if isinstance(studies, _LazyEntries):
        server = BenchRegistry((), port=port)
        server.lazy = studies
    else:
        server = BenchRegistry(studies, port=port)
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--size", type=int, default=None, help="synthetic records; none: real")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--lazy", action="store_true")
    args = parser.parse_args()
    real = load_real(args.data)
    if args.lazy and args.size:
        server = serve(_LazyEntries(real, args.size, small=args.small))
    else:
        server = serve(dataset(real, args.size, small=args.small))
    print(f"URL {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
