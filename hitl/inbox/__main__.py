"""`python -m hitl.inbox`: run the reviewer inbox, or manage its accounts and issuer key.

- `python -m hitl.inbox` (or `serve`): serve the inbox (settings: `InboxProcessSettings`).
- `python -m hitl.inbox add-account NAME`: add or replace a local account (asks for the password).
- `python -m hitl.inbox issuer-entry`: print the `[identity.issuers.inbox]` table that makes a
  policy trust the decisions this inbox signs (from `HITL_INBOX_KEY_FILE`).
"""

import argparse
import getpass
import logging
import sys

import uvicorn

from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.errors import ConfigError
from hitl.inbox.accounts import Accounts, hash_password, make_demo_accounts, save
from hitl.inbox.app import build_app
from hitl.inbox.context import Inbox, Limiter
from hitl.inbox.directory import Directory
from hitl.review.issuer import Issuer
from hitl.settings import InboxProcessSettings
from hitl.telemetry import configure_telemetry

log = logging.getLogger("hitl.inbox")


def issuer_of(settings: InboxProcessSettings) -> Issuer | None:
    """The inbox's issuer key, when one is configured."""
    if settings.inbox_key_file is None:
        return None
    return Issuer.from_file(
        settings.inbox_key_file, settings.inbox_issuer, settings.inbox_audience, settings.inbox_token_seconds
    )


async def serve(settings: InboxProcessSettings) -> int:
    """Serve the inbox until SIGINT or SIGTERM."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    directory = Directory.load(settings.policy_dir)
    if settings.inbox_demo_logins is not None and settings.inbox_accounts_file is not None:
        made = make_demo_accounts(
            settings.inbox_accounts_file, settings.inbox_demo_logins, directory.reviewers()
        )
        log.info("demo accounts for %s (passwords in %s)", ", ".join(made), settings.inbox_demo_logins)
    issuer = issuer_of(settings)
    if issuer is None:
        log.warning("HITL_INBOX_KEY_FILE is not set: decisions are sent unsigned and count only as asserted")
    telemetry = configure_telemetry(settings, "hitl-inbox")
    inbox = Inbox(
        settings=settings,
        client=await connect(),
        directory=directory,
        accounts=Accounts.load(settings.inbox_accounts_file),
        issuer=issuer,
        limiter=Limiter.of(settings),
    )
    config = uvicorn.Config(
        build_app(inbox),
        host=settings.inbox_host,
        port=settings.inbox_port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
    )
    log.info("reviewer inbox on %s", settings.base_url())
    try:
        await uvicorn.Server(config).serve()
    finally:
        telemetry.shutdown()
    return 0


async def add_account(settings: InboxProcessSettings, name: str) -> int:
    """Add or replace a local account; the password is read from the terminal (or stdin)."""
    if settings.inbox_accounts_file is None:
        raise ConfigError("HITL_INBOX_ACCOUNTS_FILE is not set: name the accounts file to write")
    password = (
        getpass.getpass(f"password for {name}: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    if len(password) < 8:
        print("a password needs at least 8 characters", file=sys.stderr)
        return 2
    path = settings.inbox_accounts_file
    hashes = Accounts.load(path).hashes if path.exists() else {}
    save(path, {**hashes, name: hash_password(password)})
    print(f"account {name} saved in {path}")
    return 0


async def issuer_entry(settings: InboxProcessSettings) -> int:
    """Print the policy table that trusts this inbox's decision tokens."""
    issuer = issuer_of(settings)
    if issuer is None:
        raise ConfigError("HITL_INBOX_KEY_FILE is not set: name the inbox's Ed25519 key (PEM)")
    print(issuer.policy_entry(), end="")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hitl.inbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the inbox (the default)")
    account = commands.add_parser("add-account", help="add or replace a local account")
    account.add_argument("name", help="the reviewer's name in the policies' directory")
    commands.add_parser("issuer-entry", help="print the policy table that trusts this inbox")
    args = parser.parse_args()
    try:
        settings = InboxProcessSettings.from_env()
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        sys.exit(2)
    if args.command == "add-account":
        run_and_exit(add_account(settings, args.name))
    if args.command == "issuer-entry":
        run_and_exit(issuer_entry(settings))
    run_and_exit(serve(settings))


if __name__ == "__main__":
    main()
