"""Transfer to a human: departments, and the request the voice layer acts on."""

import re

from domains.domain import Domain
from domains.transfer import callbacks, grammar, models, softphone, tools

DOMAIN = Domain(
    name="transfer",
    tools=tuple(tools.TOOLS),
    grammar=grammar.GRAMMAR,
    prompt="You connect the caller with a human agent in the right department.",
    keywords=re.compile(r"\b(human|person|agent|operator|representative|someone real|transfer me)\b"),
    tables=(models.CallCenterOutcome, callbacks.CallbackRequest, softphone.SipAccount),
)
