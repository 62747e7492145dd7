"""Local processes: the Temporal dev server, embedded PostgreSQL, worker subprocesses.

Shared by the local stack (`make run`), the integration tests and the benchmarks, so that all
three run the same real binaries the same way.
"""
