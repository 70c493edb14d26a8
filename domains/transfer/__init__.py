"""Transfer to a human: departments, and the request the voice layer acts on."""
