"""``python -m instant``: stream a bundled model reply through the parser, print the events.

The reply (``instant/examples/reply.txt``) is what a model really sends: a think block, prose, a
fenced JSON answer with a comment and a trailing comma. It is fed in small token-like chunks, as
an API would deliver it, and each event is printed the moment the parser returns it.
"""

from __future__ import annotations

import json
import random
import sys
from importlib import resources

import instant


def chunks(text: str, seed: int = 7) -> list[str]:
    """Cut the text into 1-6 character pieces, roughly the size of model tokens."""
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(text):
        k = rng.randint(1, 6)
        out.append(text[i : i + k])
        i += k
    return out


def main() -> int:
    reply = resources.files("instant").joinpath("examples/reply.txt").read_text(encoding="utf-8")
    parser = instant.Parser()
    pieces = chunks(reply)
    count = 0
    for n, piece in enumerate(pieces):
        for event in parser.feed(piece):
            count += 1
            shown = event["delta"] if event["event"] == "delta" else event["value"]
            text = json.dumps(shown, ensure_ascii=False)
            if len(text) > 60:
                text = text[:57] + "..."
            print(f"chunk {n:3}  {event['event']:5}  {event['key'] or '(root)':18} {text}")
    parser.close()
    print(f"\n{len(pieces)} chunks, {count} events; final value:")
    print(json.dumps(parser.value, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
