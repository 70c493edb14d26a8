"""Text messages through the Twilio REST API: the channel glue's name for `core.sms`, which domain
tools use too (a booking code by text)."""

from __future__ import annotations

from core.sms import REST_TIMEOUT, send_sms, sms_enabled

__all__ = ["REST_TIMEOUT", "send_sms", "sms_enabled"]
