"""Print jobs waiting for the printer: never dropped, printed in order, at most once each.

`PrintQueue(spool_dir)` keeps the jobs in memory and, when given a directory, also one
file per job (written atomically, removed once printed), so jobs survive a till restart
or a power cut. Choose a directory on the till's data partition, e.g.
/var/lib/fleetpos/print-spool. Without a directory the queue lives in memory only.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PENDING, PRINTED, SKIPPED = "pending", "printed", "skipped"


@dataclass
class PrintJob:
    """One document for the printer. `title` is what the till shows in its pending list."""

    kind: str  # "receipt", "reprint", "report"
    title: str
    data: bytes
    text: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: float = field(default_factory=time.time)
    attempts: int = 0
    last_error: str = ""
    state: str = PENDING


@dataclass(frozen=True)
class JobEvent:
    """`state` is "pending" (with the reason), "printed" or "skipped" (no printer configured)."""

    job: PrintJob
    state: str
    message: str = ""


_META = ("kind", "title", "text", "id", "created_at", "attempts", "last_error")


class PrintQueue:
    def __init__(self, spool_dir: str | Path | None = None) -> None:
        self._lock = threading.Lock()
        self._jobs: list[PrintJob] = []
        self._files: dict[str, Path] = {}
        self._seq = 0
        self.spool_dir = Path(spool_dir) if spool_dir else None
        if self.spool_dir is not None:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            self._load()

    def _load(self) -> None:
        for path in sorted(self.spool_dir.glob("*.job")):
            try:
                header, _, data = path.read_bytes().partition(b"\n")
                meta = json.loads(header)
                job = PrintJob(data=data, **{k: meta[k] for k in _META})
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("unreadable print job %s (%s): moved aside", path, exc)
                path.rename(path.with_suffix(".bad"))
                continue
            self._jobs.append(job)
            self._files[job.id] = path
            self._seq = max(self._seq, int(path.name.split("-", 1)[0]))
        if self._jobs:
            log.warning("%d print jobs from before the restart are waiting", len(self._jobs))

    def _write(self, job: PrintJob, path: Path) -> None:
        header = json.dumps({k: getattr(job, k) for k in _META}, ensure_ascii=False)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(header.encode() + b"\n" + job.data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def add(self, job: PrintJob) -> None:
        with self._lock:
            if self.spool_dir is not None:
                self._seq += 1
                path = self.spool_dir / f"{self._seq:012d}-{job.id}.job"
                self._write(job, path)
                self._files[job.id] = path
            self._jobs.append(job)

    def first(self) -> PrintJob | None:
        with self._lock:
            return self._jobs[0] if self._jobs else None

    def pending(self) -> list[PrintJob]:
        with self._lock:
            return list(self._jobs)

    def done(self, job: PrintJob) -> None:
        """The job is on paper: forget it (and its file)."""
        with self._lock:
            self._jobs = [j for j in self._jobs if j.id != job.id]
            path = self._files.pop(job.id, None)
        if path is not None:
            path.unlink(missing_ok=True)

    def failed(self, job: PrintJob, message: str) -> None:
        with self._lock:
            job.attempts += 1
            changed, job.last_error = job.last_error != message, message
            path = self._files.get(job.id)
            if path is not None and changed:  # not on every retry: spare the SD card
                self._write(job, path)

    def __len__(self) -> int:
        return len(self._jobs)
