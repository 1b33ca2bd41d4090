"""Chunks of a Celery fleet: how many databases one task checks, and the task that checks them on a worker.

Each Celery task costs a few milliseconds besides its checks (the message, the result, the acknowledgement), a
fifth of a SQLite check; a task of several databases spreads that cost, and enough tasks keep the workers even.
"""

from __future__ import annotations

from typing import Any

from .connect import mask_text
from .errors import SchemaToolsError
from .fleet_types import Job, run_job

__all__ = ["CHUNKS_PER_PROCESS", "MAX_CHUNK", "JobFailed", "check_many", "chunk_size"]

CHUNKS_PER_PROCESS = 8  # tasks per worker process: the last few even out the load
MAX_CHUNK = 25  # jobs per task at most: a task stays short next to the visibility timeout


def chunk_size(databases: int, processes: int) -> int:
    """Jobs per task: few enough that the workers' load stays even, many enough to spread a task's overhead."""
    # about 8 tasks per worker process, never more than 25 jobs per task, 1 job when the fleet is small
    return max(1, min(MAX_CHUNK, databases // (CHUNKS_PER_PROCESS * max(1, processes))))


class JobFailed(SchemaToolsError):
    """A job of a chunk raised (a caller's mistake): its place in the chunk travels with the text, as JSON."""

    def __init__(self, position: int, text: str) -> None:
        super().__init__(position, text)
        self.position, self.text = position, text

    def __str__(self) -> str:
        return self.text


def check_many(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chunk task: each job's entry as JSON (FleetEntry.to_dict), in order. A job that raises fails the whole
    task, naming the job, and the caller stops the fleet: every database would repeat a caller's mistake."""
    entries = []
    for position, values in enumerate(jobs):
        job = Job(**values)
        try:
            entries.append(run_job(job).to_dict())
        except Exception as error:
            raise JobFailed(
                position, mask_text(" ".join(str(error).split()) or type(error).__name__, job.url)
            ) from None
    return entries
