"""The reviewer inbox as a process of the local stack (`python -m hitl.inbox`).

Its files live in `<state>/inbox/`: the Ed25519 key it signs decisions with (made on first
start; `pin_inbox` makes it a trusted issuer in the stack's copy of the policies), the local
accounts (argon2 hashes) and, for the demo, `demo-logins.txt` with a random password for every
reviewer in the policies (mode 0600; the inbox makes them at its start).
"""

import asyncio
import sys
from pathlib import Path

import httpx

from hitl.review.issuer import Issuer
from store.signing import generate_key_file
from workers.local.processes import Child

DEMO_LOGINS = "demo-logins.txt"
ISSUER = "hitl-inbox"
"""The `iss` of the local inbox's decision tokens, as the stack's policies pin it."""
AUDIENCE = "temporal-hitl"
TOKEN_SECONDS = 300
ENTRY = "[identity.issuers.inbox]"


def inbox_key(state: Path) -> Path:
    """The inbox's signing key in `<state>/inbox` (made on first use)."""
    key = state / "inbox" / "issuer-key.pem"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        generate_key_file(key)
    return key


def pin_inbox(policy_dir: Path, state: Path) -> None:
    """Trust the inbox's decision tokens in every policy of `policy_dir` (the stack's own copy):
    a token from an issuer a policy does not pin is refused, even where proofs are optional."""
    entry = Issuer.from_file(inbox_key(state), ISSUER, AUDIENCE, TOKEN_SECONDS).policy_entry()
    for path in sorted(policy_dir.glob("*.toml")):
        text = path.read_text()
        if ENTRY not in text:
            path.write_text(f"{text.rstrip()}\n\n{entry}")


def inbox_url(port: int) -> str:
    """The inbox's address on this machine."""
    return f"http://127.0.0.1:{port}"


def inbox_env(state: Path, port: int) -> dict[str, str]:
    """The inbox's settings in the stack: its key, accounts and demo logins in `<state>/inbox`."""
    folder = state / "inbox"
    return {
        "HITL_INBOX_HOST": "127.0.0.1",
        "HITL_INBOX_PORT": str(port),
        "HITL_INBOX_URL": inbox_url(port),
        "HITL_INBOX_KEY_FILE": str(inbox_key(state)),
        "HITL_INBOX_ISSUER": ISSUER,
        "HITL_INBOX_AUDIENCE": AUDIENCE,
        "HITL_INBOX_TOKEN_SECONDS": str(TOKEN_SECONDS),
        "HITL_INBOX_ACCOUNTS_FILE": str(folder / "accounts.jsonl"),
        "HITL_INBOX_DEMO_LOGINS": str(folder / DEMO_LOGINS),
    }


async def start_inbox(state: Path, port: int, env: dict[str, str], within: float = 60.0) -> Child:
    """Start the inbox with the workers' `env` and its own settings; return once it answers.

    Raises:
        RuntimeError: It exited or did not answer within `within` seconds.
    """
    child = Child(
        "inbox",
        [sys.executable, "-m", "hitl.inbox"],
        state / "logs" / "inbox.log",
        {**env, **inbox_env(state, port)},
    ).start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient() as http:
        while child.running:
            try:
                if (await http.get(f"{inbox_url(port)}/readyz", timeout=2.0)).status_code == 200:
                    return child
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
    child.stop()
    raise RuntimeError(f"the reviewer inbox did not start:\n{child.tail()}")


def demo_password(state: Path, reviewer: str) -> str | None:
    """A demo reviewer's password, as the inbox wrote it (None: no such demo login)."""
    path = state / "inbox" / DEMO_LOGINS
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split(" ", 1) for line in lines if " " in line).get(reviewer)


def demo_login(state: Path, reviewer: str) -> str:
    """`name / password` of a demo reviewer, for the stack's printout."""
    password = demo_password(state, reviewer)
    return f"{reviewer} / {password}" if password else f"see {state / 'inbox' / DEMO_LOGINS}"
