"""Exit short-lived client processes cleanly.

A process built on temporalio can crash at interpreter exit after it succeeded (SIGABRT or
SIGSEGV in `PyGILState_Release`, sdk-python issue 300). Entry points run their coroutine here:
it flushes the output and leaves with `os._exit`, so callers see the real exit code. A
`ConfigError` (a bad setting) is printed as one line and exits with code 2; a reader that closed
stdout early (`| head`) ends the process quietly with 141.
"""

import asyncio
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

from hitl.errors import ConfigError

SIGPIPE_EXIT = 128 + 13
"""Exit code when the reader of stdout went away, as a shell reports a process killed by SIGPIPE."""

CONFIG_ERROR = 2
"""Exit code of a process stopped by a bad setting (the CLI's usage error)."""


def run_and_exit(main: Coroutine[Any, Any, int]) -> NoReturn:
    """Run `main`, flush output, and exit the process with its return code."""
    code = 1
    try:
        code = asyncio.run(main)
    except KeyboardInterrupt:
        code = 130
    except ConfigError as err:
        # A setting the process cannot run with: the message names the variable; no traceback.
        print(f"configuration error: {err}", file=sys.stderr)
        code = CONFIG_ERROR
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BrokenPipeError:
        code = _reader_went_away()
    finally:
        logging.shutdown()
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            code = _reader_went_away()
        sys.stderr.flush()
    os._exit(code)


def _reader_went_away() -> int:
    """The reader of stdout closed it (`hitl report | head`): no traceback; exit as a process
    stopped by SIGPIPE reports it. Later flushes go nowhere instead of failing again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return SIGPIPE_EXIT
