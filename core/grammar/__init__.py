"""One sentence grammar, three uses: the local intent parser, the offline STT language model, test utterances.

Start at `core.grammar.registry` (templates, slot types, `parse`, `expand`, `corpus`) and
`core.grammar.digits.parse_pin` (the voice PIN gate).
"""
