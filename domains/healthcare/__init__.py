"""Healthcare intake: the caller's patient record, the symptoms they report, clinic appointments."""

import re

from domains.domain import Domain
from domains.healthcare import grammar, models, service, staff, tools

DOMAIN = Domain(
    name="healthcare",
    tools=tuple(tools.TOOLS),
    grammar=grammar.GRAMMAR,
    prompt=(
        "You do patient intake for a clinic: registering the patient, recording symptoms and how long they "
        "have lasted, and booking, listing or cancelling appointments. You never give medical advice or a "
        "diagnosis; say so when asked, and offer to connect the caller with a person. For an emergency, tell "
        "the caller to call emergency services now."
    ),
    keywords=re.compile(
        r"\b(doctor|appointment|symptom\w*|clinic|patient|sick|pain|fever|cough|medical|insurance)\b"
    ),
    tables=(models.Patient, models.SymptomRecord, models.Appointment, models.Provider, models.ClinicSettings),
    staff=staff.router,
    bookings=service.caller_bookings,
    sensitive=True,
)
