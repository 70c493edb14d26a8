"""Typed intent accuracy on a hand-written set: what the agent makes of each sentence as written, the
way `convonet say` gives it the text (no speech at all). About two seconds::

    .venv/bin/python -m tests.accuracy.typed [--set dev|dev2|dev3|test|PATH] [--show-errors]

Run ``--set test`` only to report a figure; improve the product on ``dev``.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Sequence

from bots.llm.understanding import understand
from core.grammar.registry import REFERENCE_NOW

from .scoring import Scored, report, score
from .sets import Utterance, load, set_path


def measure(utterances: Sequence[Utterance]) -> list[Scored]:
    """Each utterance's text, as written, through the route and the local intent model."""
    return score(utterances, [u.said for u in utterances], lambda text: understand(text, REFERENCE_NOW))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="dev", help="dev (default), dev2, dev3, test, or the path of a .jsonl set")
    ap.add_argument("--show-errors", action="store_true", help="list every miss with what the agent did")
    args = ap.parse_args(argv)
    path = set_path(args.set)
    utterances = load(path)
    t0 = time.perf_counter()
    results = measure(utterances)
    took = time.perf_counter() - t0
    print(f"Typed intent accuracy, {path.name} ({len(utterances)} utterances), reference time {REFERENCE_NOW:%a %Y-%m-%d %H:%M}; "
          f"{took:.1f} s, {1000 * took / max(len(utterances), 1):.1f} ms per turn, Python {platform.python_version()}")
    print(report(results, args.show_errors))
    return 0


if __name__ == "__main__":
    from core.grammar import registry as grammar_registry
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    raise SystemExit(main())
