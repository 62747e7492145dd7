"""Make a payload key: `python -m hitl.codec new-key ID` prints `ID=BASE64` for the key settings.

With `--file PATH` it creates that key file instead (readable by its owner only; an existing
file is never overwritten: add a rotated key to it by hand, first line first).
"""

import argparse
import sys
from pathlib import Path

from hitl.codec.keys import KEY_ID, new_key, write_key_file
from hitl.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hitl.codec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("new-key", help="print (or write) a new 256-bit key under ID")
    make.add_argument("key_id", metavar="ID")
    make.add_argument("--file", type=Path, help="create this key file instead of printing")
    args = parser.parse_args(argv)
    try:
        if args.file is not None:
            write_key_file(args.file, args.key_id)
            print(f"wrote {args.file}")
            return 0
        if not KEY_ID.match(args.key_id):
            raise ConfigError(f"key id {args.key_id!r}: use letters, digits, '.', '_', '-'")
    except (ConfigError, FileExistsError) as err:
        print(f"python -m hitl.codec: {err}", file=sys.stderr)
        return 2
    print(f"{args.key_id}={new_key()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
