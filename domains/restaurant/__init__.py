"""Hanok Table, the restaurant: table reservations within opening hours and seating capacity."""

import re

from domains.domain import Domain
from domains.restaurant import grammar, models, service, staff, tools

DOMAIN = Domain(
    name="restaurant",
    tools=tuple(tools.TOOLS),
    grammar=grammar.GRAMMAR,
    prompt=(
        "You take reservations for Hanok Table, a Korean restaurant: availability for a date, time and "
        "party size (check_availability knows the opening hours and closures), and creating, listing, "
        "changing or cancelling reservations."
    ),
    keywords=re.compile(r"\b(table|reservation|reserve|restaurant|dinner|hanok|party of|seating)\b"),
    tables=(models.Reservation, models.RestaurantSettings),
    staff=staff.router,
    bookings=service.caller_bookings,
)
