"""Demo reviewer keys for the local stack (`make run`).

The shipped policies require signed decisions for high-risk and irreversible actions and pin no
keys. The local stack makes a key for every reviewer in their directories (once, in
`<state>/reviewer-keys/<name>.key`, mode 0600) and runs on a copy of the policies in
`<state>/policies/` with those public keys pinned, so the `hitl` CLI and `hitl sign` can decide
as any demo reviewer. Production keeps its keys with the reviewers (docs/identity.md).
"""

import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hitl.review.signing import directory_line, key_file_name, read_key, write_key
from policies.parse import parse_policy

KEYS_HEADER = "\n[identity.keys]\n"


def prepare_demo_policies(source: Path, state: Path) -> Path:
    """Copy the policies in `source` to `<state>/policies` with demo keys pinned; return that folder."""
    keys = state / "reviewer-keys"
    target = state / "policies"
    # Read first: the source may be that very folder (a test's copy of the policies).
    sources = {path.name: path.read_text() for path in sorted(source.glob("*.toml"))}
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, text in sources.items():
        if KEYS_HEADER in text:
            policy = parse_policy(text, name)
            members = sorted({m for group in policy.reviewers.values() for m in group.members})
            lines = "".join(f"{directory_line(member, _key_of(keys, member))}\n" for member in members)
            text = text.replace(KEYS_HEADER, KEYS_HEADER + lines, 1)
        (target / name).write_text(text)
    return target


def _key_of(folder: Path, name: str) -> Ed25519PrivateKey:
    path = folder / key_file_name(name)
    if not path.exists():
        write_key(path, Ed25519PrivateKey.generate())
    return read_key(path)
