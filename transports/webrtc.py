"""The browser channel: SmallWebRTC peer connections, the caller's email + PIN, and the call each carries.

A browser sends an SDP offer with the account email and voice PIN in its `requestData`. The
offer is checked first (a readable SDP whose first media section is audio), then the PIN, with
the phone path's rules (`processors.pin_auth`: five wrong PINs lock the account's email out
for fifteen minutes in every process). Only then does pipecat's `SmallWebRTCRequestHandler`
answer and a call start: `run_call` with a `SmallWebRTCTransport`, RTVI on (transcripts and bot
text go to the page over the data channel), the caller already signed in, greeted by name.

Audio: 16 kHz in (Silero and smart-turn want 16 kHz; Opus is resampled by the transport) and
24 kHz out, which is hibari's own rate (no resampling in the TTS) and keeps the voice wideband
where the phone path is narrowed to 8 kHz.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from aiortc.exceptions import InvalidAccessError, InvalidStateError
from aiortc.sdp import SessionDescription
from pipecat.frames.frames import Frame, StartFrame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.processors.frameworks.rtvi.frames import RTVIConfigureObserverFrame
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import IceServer, SmallWebRTCConnection
from pipecat.transports.smallwebrtc.request_handler import (
    ConnectionMode,
    SmallWebRTCPatchRequest,
    SmallWebRTCRequest,
    SmallWebRTCRequestHandler,
)
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from redis.exceptions import RedisError
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.agent.agent import Agent
from bots.pipeline import RECORDING_NOTICE, run_call
from bots.session import CallInfo, CallSession
from bots.speech import make_tts
from core.accounts import get_user_by_email, normalize_email
from core.config import Settings
from core.db import SessionFactory
from core.lines import greeting_of
from core.models import Contact, Line
from core.runtime import Runtime
from core.security import is_valid_pin
from core.store import Store
from processors.pin_auth import Caller, PinOutcome, PinVerifier, Target
from processors.pin_gate import GREETING

log = logging.getLogger(__name__)

BROWSER_IN_RATE = 16000
BROWSER_OUT_RATE = 24000
MAX_SDP_CHARS = 64 * 1024  # a browser's audio + data offer is 3-6 kB
MAX_EMAIL_CHARS = 255
MAX_NUMBER_CHARS = 32
MAX_NAME_CHARS = 120
SHUTDOWN_GRACE = 5.0
WRITE_TIMEOUT = 3.0
CLAIM = "webrtc"  # a browser peer's `pc_id`, as claimed in the cluster


class OfferError(ValueError):
    """The offer cannot start a call (answered 400); the message says why."""


@dataclass(frozen=True)
class BrowserOffer:
    """A checked `POST /api/offer` body: the WebRTC request and who says they are calling."""

    request: SmallWebRTCRequest
    email: str
    pin: str
    line: str | None = None
    """A public line's number (`/voice_assistant?line=…`): no email or PIN, the caller is a contact."""
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class PublicCaller:
    """A web-page caller of a public line: the line and the contact they are for this call."""

    line: Line
    contact: Contact


def check_sdp(sdp: Any, sdp_type: Any) -> None:
    """Refuse an offer pipecat could not serve: unreadable, no ICE/DTLS, or audio not first."""
    if sdp_type != "offer":
        raise OfferError("'type' must be \"offer\".")
    if not isinstance(sdp, str) or not sdp.strip():
        raise OfferError("The offer has no SDP.")
    if len(sdp) > MAX_SDP_CHARS:
        raise OfferError("The SDP offer is too large.")
    try:
        description = SessionDescription.parse(sdp)
    except (ValueError, AssertionError, IndexError, KeyError, TypeError) as exc:
        raise OfferError(f"The SDP offer could not be read ({type(exc).__name__}).") from exc
    if not description.media:
        raise OfferError("The SDP offer has no media sections.")
    first = description.media[0]
    if first.kind != "audio":
        raise OfferError("The first media section of the offer must be audio (the microphone).")
    if not first.rtp.codecs:
        raise OfferError("The offer's audio section lists no codec.")
    for media in description.media:
        if media.ice is None or not (media.ice.usernameFragment and media.ice.password):
            raise OfferError("The SDP offer has no ICE credentials (a=ice-ufrag / a=ice-pwd).")
        if media.dtls is None or not media.dtls.fingerprints:
            raise OfferError("The SDP offer has no DTLS fingerprint.")


def parse_offer(body: dict[str, Any]) -> BrowserOffer:
    """Check a `POST /api/offer` body: the SDP, then `requestData: {email, pin}`."""
    check_sdp(body.get("sdp"), body.get("type"))
    pc_id = body.get("pc_id")
    if pc_id is not None and not isinstance(pc_id, str):
        raise OfferError("'pc_id' must be a string.")
    data = body.get("requestData", body.get("request_data"))
    if isinstance(data, dict) and data.get("line") is not None:
        return _public_offer(body, pc_id, data)
    email = data.get("email") if isinstance(data, dict) else None
    pin = data.get("pin") if isinstance(data, dict) else None
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_EMAIL_CHARS or "@" not in email:
        raise OfferError("requestData.email must be the account's email address.")
    if not isinstance(pin, str) or not is_valid_pin(pin):
        raise OfferError("requestData.pin must be the 4 to 6 digit voice PIN.")
    request = SmallWebRTCRequest(
        sdp=body["sdp"], type="offer", pc_id=pc_id, restart_pc=bool(body.get("restart_pc")) or None
    )
    return BrowserOffer(request, normalize_email(email), pin)


def _public_offer(body: dict[str, Any], pc_id: str | None, data: dict[str, Any]) -> BrowserOffer:
    line, name, phone = data.get("line"), data.get("name"), data.get("phone")
    if not isinstance(line, str) or not line.strip() or len(line) > MAX_NUMBER_CHARS:
        raise OfferError("requestData.line must be a public line's number.")
    for value, what, limit in ((name, "name", MAX_NAME_CHARS), (phone, "phone", MAX_NUMBER_CHARS)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise OfferError(f"requestData.{what} must be text of at most {limit} characters.")
    request = SmallWebRTCRequest(
        sdp=body["sdp"], type="offer", pc_id=pc_id, restart_pc=bool(body.get("restart_pc")) or None
    )
    return BrowserOffer(request, "", "", line=line.strip(), name=name, phone=phone)


class BrowserPinVerifier(PinVerifier):
    """The phone path's PIN rules for a browser: the typed email is the source (its own count and
    lockout), the account's count is the one its phone calls share, and `VOICE_PIN` opens an account
    without a PIN of its own under the same global limit.

    The email must belong to an active account. Unlike a phone number, an email is typed, so an
    unknown one never falls back to `VOICE_PIN_USER`.
    """

    refuse_when_busy = True  # a sign-in page can be told to try again (503) during a flood

    def __init__(self, sessions: SessionFactory, store: Store, settings: Settings, email: str) -> None:
        super().__init__(sessions, store, settings, None)
        self.email = normalize_email(email)
        self.fail_key = f"pin:fail:email:{self.email}"
        self.lock_key = f"pin:lock:email:{self.email}"

    async def _target(self, session: AsyncSession) -> Target:
        user = await get_user_by_email(session, self.email)
        if user is None or not user.is_active:
            return Target(None, False)
        if user.voice_pin_hash:
            return Target(user, False)
        return Target(user, True) if self._settings.voice_pin else Target(None, False)


class Greeter(FrameProcessor):
    """Says one greeting once both the pipeline has started and the browser is connected.

    Audio written before the peer connection is up is dropped by the transport, so the
    greeting waits for `greet()` (called on `on_client_connected`) as well as the StartFrame.
    """

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text = text
        self._started = False
        self._wanted = False
        self._done = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            self._started = True
            await self._maybe_greet()

    async def greet(self) -> None:
        self._wanted = True
        await self._maybe_greet()

    async def _maybe_greet(self) -> None:
        if self._started and self._wanted and not self._done:
            self._done = True
            await self.push_frame(TTSSpeakFrame(self._text))


class VadMessages(FrameProcessor):
    """Asks the RTVI observer for raw VAD messages, so the page can time the agent from the moment
    the caller stopped talking (`user-stopped-speaking` only comes once the turn is handed over)."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(RTVIConfigureObserverFrame(vad_user_speaking_enabled=True))


def ice_servers(settings: Settings) -> list[IceServer]:
    """The STUN/TURN servers of `WEBRTC_ICE_URLS`, for the server's side of every browser peer."""
    if not settings.webrtc_ice_urls:
        return []
    return [IceServer(urls=list(settings.webrtc_ice_urls), username=settings.webrtc_turn_username,
                      credential=settings.webrtc_turn_credential)]


def browser_ice_servers(settings: Settings) -> list[dict[str, object]]:
    """The same servers as a browser's `RTCPeerConnection({iceServers})` takes them."""
    out: list[dict[str, object]] = []
    for server in ice_servers(settings):
        entry: dict[str, object] = {"urls": server.urls}
        if server.username and server.credential:
            entry |= {"username": server.username, "credential": server.credential}
        out.append(entry)
    return out


class BrowserCalls:
    """Every browser call of this process: the peer connections (pipecat's handler) and their tasks."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.handler = SmallWebRTCRequestHandler(ice_servers=ice_servers(runtime.settings),
                                                 connection_mode=ConnectionMode.MULTIPLE)
        self._owners: dict[str, uuid.UUID] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> int:
        """Calls whose pipeline is still running."""
        return len(self._tasks)

    async def check_pin(self, email: str, pin: str) -> tuple[PinOutcome, Caller | None]:
        rt = self._runtime
        return await BrowserPinVerifier(rt.sessions, rt.store, rt.settings, email).check(pin)

    async def answer(
        self, request: SmallWebRTCRequest, caller: Caller, agent: Agent, public: PublicCaller | None = None,
        *, outbound: str | None = None,
    ) -> dict[str, str]:
        """Answer an authenticated offer (or `public`, a contact on a public line; or `outbound`, a user
        answering an agent's call, who talks to that agent); a new peer connection starts its call in the
        background.

        A `pc_id` renegotiates one of the caller's own connections (anyone else's is unknown).
        """
        if request.pc_id is not None and self._owners.get(request.pc_id) != caller.user_id:
            raise LookupError("no such connection")

        async def start(connection: SmallWebRTCConnection) -> None:
            self._start(connection, caller, agent, public, outbound)

        try:
            answer = await self.handler.handle_web_request(request, start)
        except (ValueError, AssertionError, KeyError, IndexError, TypeError, InvalidStateError, InvalidAccessError) as exc:
            raise OfferError(f"The SDP offer was refused: {exc or type(exc).__name__}.") from exc
        if answer is None:
            raise OfferError("The SDP offer produced no answer.")
        self._owners[answer["pc_id"]] = caller.user_id
        if self._runtime.cluster is not None:  # so that its ICE and renegotiations find this process
            await self._runtime.cluster.claim(CLAIM, answer["pc_id"])
        return answer

    def holds(self, pc_id: str) -> bool:
        """Whether the peer connection `pc_id` is one of this process's."""
        return pc_id in self._owners

    async def add_candidates(self, patch: SmallWebRTCPatchRequest) -> None:
        """Trickled ICE for a connection this process answered; its random `pc_id` (from the answer,
        which only the caller who gave the right PIN got) is the proof of ownership."""
        if patch.pc_id not in self._owners:
            raise LookupError("no such connection")
        await self.handler.handle_patch_request(patch)

    def _start(
        self, connection: SmallWebRTCConnection, caller: Caller, agent: Agent, public: PublicCaller | None,
        outbound: str | None = None,
    ) -> None:
        task = asyncio.get_running_loop().create_task(self._call(connection, caller, agent, public, outbound),
                                                      name="browser-call")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(
        self, connection: SmallWebRTCConnection, caller: Caller, agent: Agent, public: PublicCaller | None,
        outbound: str | None = None,
    ) -> None:
        info = CallInfo(call_sid=f"web-{connection.pc_id.rsplit('-', 1)[-1]}", channel="browser",
                        to_number=public.line.number if public else None)
        params = TransportParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            # A write returns once the peer has taken the audio (~40 ms); a closed peer takes nothing.
            audio_out_write_timeout_secs=WRITE_TIMEOUT,
        )
        transport = SmallWebRTCTransport(connection, params)
        greeting = "" if outbound else greeting_of(public.line) if public else GREETING.format(name=caller.first_name)
        settings = self._runtime.settings
        if settings.record_calls and settings.announce_recording:  # said once the browser hears it
            greeting = f"{RECORDING_NOTICE} {greeting}".strip()
        greeter = Greeter(greeting)

        @transport.event_handler("on_client_connected")
        async def _connected(_transport: Any, _client: Any) -> None:
            await greeter.greet()

        try:
            try:
                session = CallSession(self._runtime, agent, info, public.line if public else None)
                if public:
                    await session.admit_contact(public.contact)
                else:
                    await session.authenticate(caller)
                session.outbound_call_id = outbound  # the agent who called speaks first, not the assistant
                tts = make_tts(self._runtime.settings, BROWSER_OUT_RATE, agent.speech)
            except Exception:
                log.exception("browser call %s could not start", info.call_sid)
                return
            await run_call(
                transport,
                session,
                sample_rate=BROWSER_IN_RATE,
                out_sample_rate=BROWSER_OUT_RATE,
                enable_rtvi=True,
                require_pin=False,
                tts=Pipeline([VadMessages(), greeter, tts] if greeting else [VadMessages(), tts]),
                announce=False,
            )
        except Exception:  # run_call has logged it and marked the record; the other calls carry on
            log.warning("browser call %s ended with an error", info.call_sid)
        finally:
            self._owners.pop(connection.pc_id, None)
            await connection.disconnect()
            if self._runtime.cluster is not None:
                with contextlib.suppress(RedisError, OSError):  # the claim expires on its own
                    await self._runtime.cluster.release(CLAIM, connection.pc_id)
            log.info("browser call %s ended", info.call_sid)

    async def close(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Hang up every peer, give the calls `grace` seconds to write their records, then cancel."""
        await self.handler.close()
        if not self._tasks:
            return
        _, still = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in still:
            task.cancel()
        if still:
            await asyncio.gather(*still, return_exceptions=True)
