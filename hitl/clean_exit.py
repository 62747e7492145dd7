"""Exit short-lived client processes cleanly.

A process built on temporalio can crash at interpreter exit after it succeeded (SIGABRT or
SIGSEGV in `PyGILState_Release`, sdk-python issue 300). Entry points run their coroutine here:
it flushes the output and leaves with `os._exit`, so callers see the real exit code.
"""

import asyncio
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn


def run_and_exit(main: Coroutine[Any, Any, int]) -> NoReturn:
    """Run `main`, flush output, and exit the process with its return code."""
    code = 1
    try:
        code = asyncio.run(main)
    except KeyboardInterrupt:
        code = 130
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
