"""Problems with the names in a policy's reviewer directory, for `hitl policy check`.

Names are compared normalized (`policies.identity.normalize_name`), so two spellings of one
name (`Alice`, `alice `) are one person: listing both is a mistake that would let one person
count twice wherever raw strings are compared. A name that mixes scripts with look-alike
characters (a Cyrillic a, U+0430, in "alice") is confusable with another reviewer: refused too.
"""

from confusable_homoglyphs import confusables

from policies.identity import normalize_name
from policies.model import Policy


def directory_problems(policy: Policy) -> list[str]:
    """Duplicate or confusable names among the directory's members and pinned keys."""
    problems: list[str] = []
    spellings: dict[str, set[str]] = {}
    for group_name, group in policy.reviewers.items():
        seen: set[str] = set()
        for member in group.members:
            key = normalize_name(member)
            if key in seen:
                problems.append(f"reviewers.{group_name}: {member!r} is listed twice")
            seen.add(key)
            spellings.setdefault(key, set()).add(member)
    for name in policy.identity.keys:
        spellings.setdefault(normalize_name(name), set()).add(name)
    for key, names in sorted(spellings.items()):
        if len(names) > 1:
            problems.append(f"one reviewer under several spellings: {', '.join(sorted(names))}")
        if confusables.is_dangerous(key):
            problems.append(f"{key!r} mixes scripts with look-alike characters: use one script")
    return problems
