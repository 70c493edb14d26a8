"""Each domain agent's instructions: the voice rules every agent shares, then the domain's own prompt.
Replies are spoken: short, plain, no markdown."""

from __future__ import annotations

from datetime import datetime

from domains import registry

VOICE_RULES = (
    "You are Convonet, a voice assistant on a phone call or in a browser. Answer in one or two short "
    "spoken sentences: no markdown, no lists with symbols, no emojis. Say dates and times the way a person "
    "would. Use the tools to act; never invent results. Before deleting anything, ask the caller to confirm. "
    "If a tool returns an error, tell the caller in plain words what to do next. If the caller asks for a "
    "person, call transfer_to_agent."
)


PUBLIC_CALLER = (
    " The caller has no account and is known only by their phone number. Creating a booking needs nothing; "
    "to change or cancel one, ask for its confirmation code, and never read out the code of an existing booking."
)


def system_prompt(
    domain: str, now_local: datetime, caller_name: str | None, line_name: str | None = None, public: bool = False
) -> str:
    """The instructions for one turn; `line_name` and `public` describe the line the caller reached."""
    who = f" The caller is {caller_name}." if caller_name else ""
    who = (f" You answer the phone for {line_name}." if line_name else "") + who + (PUBLIC_CALLER if public else "")
    when = now_local.strftime("%A %Y-%m-%d %H:%M")
    names = registry.names()
    own = registry.get(domain if domain in names else registry.DEFAULT).prompt
    return f"{VOICE_RULES} {own}{who} Local time now: {when}."
