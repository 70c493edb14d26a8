"""Where a request may end and what the caller goes on to say begins: "what have i got going on tomorrow [i need
to know if i can babysit for my son]"."""

from __future__ import annotations

_CLAUSE_OPENERS = frozenset({"i", "we", "my", "our", "because", "since", "she", "he", "they", "it", "so", "but"})
"""Words that start a new clause after a request ("... tomorrow [i need to know if i can babysit]")."""
_BEFORE_A_CLAUSE = frozenset({"that", "which", "who", "if", "when", "and", "or", "to", "for", "can", "could", "would",
                              "will", "should", "do", "did", "have", "has", "am", "is", "are", "was", "let", "help",
                              "tell", "remind", "call", "text", "give", "show"})
"""Words after which "i", "it", "my" ... go on the same clause ("remind [me]", "that [i] booked", "tell [my] wife")."""
_MIN_CLAUSE = 3
_MAX_CLAUSE_WORDS = 40  # a monologue is not searched clause by clause


def leading_clauses(text: str) -> list[str]:
    """The words of normalised `text` before each place a new clause may start, longest first; none for a
    monologue."""
    words = text.split()
    if len(words) > _MAX_CLAUSE_WORDS:
        return []
    return [" ".join(words[:cut]) for cut in range(len(words) - 2, _MIN_CLAUSE - 1, -1)
            if words[cut] in _CLAUSE_OPENERS and words[cut - 1] not in _BEFORE_A_CLAUSE]
