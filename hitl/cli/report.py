"""`hitl report`: KPIs per task kind and action type, calibration, threshold recommendations."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hitl.cli import exit_codes
from hitl.cli.database import DatabaseUnavailable, add_dsn_option, connection, fail
from hitl.cli.feedback import add_filter_options, feedback_filter
from hitl.reporting.html import render_html
from hitl.reporting.kpi import build_report
from hitl.reporting.text import render_text
from store.report_data import load_report_data


def register(commands: Any) -> None:
    """Add the `report` command."""
    report = commands.add_parser("report", help="KPIs, calibration and threshold recommendations")
    add_filter_options(report)
    report.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    report.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page")
    add_dsn_option(report)
    report.set_defaults(handler=report_command)


async def report_command(args: argparse.Namespace) -> int:
    """Compute the report and print it (text or JSON); write the HTML page when asked."""
    try:
        where = feedback_filter(args)
    except ValueError as err:
        print(f"hitl report: bad --since: {err}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        async with connection(args) as conn:
            data = await load_report_data(conn, where, datetime.now(UTC))
    except DatabaseUnavailable as err:
        return fail("hitl report", err)
    report = build_report(data)
    if args.html is not None:
        try:
            args.html.write_text(render_html(report), encoding="utf-8")
        except OSError as err:
            print(f"hitl report: cannot write {args.html}: {err}", file=sys.stderr)
            return exit_codes.USAGE
        print(f"wrote {args.html}", file=sys.stderr)
        if not args.json:
            return exit_codes.OK  # the page is the report: the text one is not printed as well
    print(report.model_dump_json(indent=2) if args.json else render_text(report))
    return exit_codes.OK
