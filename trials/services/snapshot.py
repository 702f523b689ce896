"""Import registry JSON saved on disk through the same ingest path as the sync."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.utils import timezone

from trials.models import SyncOutcome, SyncRun, SyncSource
from trials.registry.snapshot import SnapshotProblem, SnapshotStudy, iter_snapshot
from trials.services.ingest import IngestCounts, IngestFailure, trials_ingest_batch

# Records are ingested in batches so unchanged ones share one lookup and one update; 200
# keeps a batch of full records (up to ~1.5 MB each) well under 500 MB in memory.
SNAPSHOT_BATCH_SIZE = 200

Progress = Callable[[IngestCounts, str], None]


def snapshot_import(*, path: Path, progress: Progress | None = None) -> SyncRun:
    """Load every study under `path`; report unreadable files and records by name, go on."""
    run = SyncRun.objects.create(
        started_at=timezone.now(),
        source=SyncSource.SNAPSHOT,
        parameters={"path": str(path)},
    )
    counts = IngestCounts()
    batch: list[SnapshotStudy] = []

    def flush() -> None:
        results = trials_ingest_batch(
            raws=[item.raw for item in batch],
            seen_at=run.started_at,
            sources=[item.source for item in batch],
        )
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, IngestFailure):
                result = IngestFailure(f"{item.source} ({result.source})", result.reason)
            counts.add(result)
            if progress:
                progress(counts, item.source)
        batch.clear()

    try:
        for item in iter_snapshot(path):
            if isinstance(item, SnapshotProblem):
                counts.add(IngestFailure(item.source, item.reason))
                if progress:
                    progress(counts, item.source)
                continue
            batch.append(item)
            if len(batch) >= SNAPSHOT_BATCH_SIZE:
                flush()
        if batch:
            flush()
    except Exception as exc:
        _finish(run, counts, SyncOutcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run, counts, SyncOutcome.FAILED if counts.failed else SyncOutcome.SUCCEEDED)
    return run


def _finish(run: SyncRun, counts: IngestCounts, outcome: str, *, error: str = "") -> None:
    for name, value in counts.as_dict().items():
        setattr(run, name, value)
    run.failures = [{"id": f.source, "reason": f.reason} for f in counts.failures]
    run.outcome = outcome
    run.error = error or (f"{counts.failed} record(s) could not be loaded" if counts.failed else "")
    run.finished_at = timezone.now()
    run.save()
