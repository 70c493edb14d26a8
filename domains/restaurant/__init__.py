"""Hanok Table, the restaurant: table reservations within opening hours and seating capacity."""
