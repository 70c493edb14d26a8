"""Text messages through the Twilio REST API, when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
TWILIO_FROM_NUMBER are set (TWILIO_API_BASE_URL points tests at a fake on loopback). With no
Twilio account nothing is texted: `sms_enabled` says so, and features that need a text say so too."""

from __future__ import annotations

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from core.config import Settings

REST_TIMEOUT = 10.0


def sms_enabled(settings: Settings) -> bool:
    """Twilio credentials and a number to send from are all set."""
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number)


async def send_sms(settings: Settings, to: str, body: str) -> str:
    """Send `body` to `to` from TWILIO_FROM_NUMBER; the message's SID. Raises Twilio's or the HTTP client's errors."""
    http = AsyncTwilioHttpClient(timeout=REST_TIMEOUT)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    try:
        message = await client.messages.create_async(to=to, from_=settings.twilio_from_number, body=body)
    finally:
        await http.close()
    return str(message.sid)
