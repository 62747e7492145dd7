"""Exit codes of the `hitl` command line.

| code | meaning |
|---|---|
| 0 | success |
| 1 | failure (a check failed, the operation did not complete) |
| 2 | usage error (bad arguments or input file) |
| 3 | refused (the gate refused the decision, or the task has already ended; the reason is printed) |
| 4 | not found (no such workflow, request or policy) |
| 5 | unavailable (Temporal or PostgreSQL cannot be reached, or the task's worker did not answer in time) |
"""

OK = 0
FAILURE = 1
USAGE = 2
REFUSED = 3
NOT_FOUND = 4
UNAVAILABLE = 5
