"""Runs in a MongoDB collection, listed by indexed queries rather than a read of every event.

The ``mongodb://`` sink creates indexes on ``(run, timestamp)`` and ``(run, event)``. Per run:
``distinct("run")`` finds the runs (from the index alone), a sorted ``find_one`` each way gives
the first and last event time (``(run, timestamp)``), ``count_documents`` the events, and one
``find`` reads only the run's ``start``, ``end``, ``error`` and ``run`` events (``(run,
event)``): a handful per stream, however many progress events there are.
"""

from __future__ import annotations

from collector.history.read import MongoSource
from collector.history.summary import Counts, RunSummary, canonical_time, summarise_runs

LIFECYCLE_KINDS = ["start", "end", "error", "run"]


def summarise_runs_in(uri: str, collection: str | None = None) -> list[RunSummary]:
    """Every run in the collection the ``uri`` names. Raises ``SourceError``."""
    found = []
    with MongoSource(uri, collection) as source:
        for run_id in source.call("distinct", "run"):
            if run_id is None:
                continue
            query = {"run": run_id, "event": {"$in": LIFECYCLE_KINDS}}
            runs = summarise_runs([list(source.find(query))], Counts())
            run = runs.get(run_id) or RunSummary(str(run_id))
            first = source.call("find_one", {"run": run_id}, sort=[("timestamp", 1)])
            last = source.call("find_one", {"run": run_id}, sort=[("timestamp", -1)])
            run.first = canonical_time((first or {}).get("timestamp")) or run.first
            run.last = canonical_time((last or {}).get("timestamp")) or run.last
            run.events = source.call("count_documents", {"run": run_id})
            found.append(run)
    return found
