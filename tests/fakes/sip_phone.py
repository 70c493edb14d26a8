"""A SIP phone for the tests: SIP over UDP to a registrar on loopback, WebRTC media through aiortc.

It plays the parts a PBX test needs: Twilio's `<Dial><Sip>` leg calling an agent's extension
(with the `X-Twilio-CallSid` header Twilio adds), and a desk phone registered as a department's
extension that answers. The media is a real WebRTC session (ICE, DTLS-SRTP, Opus/PCMU) with the
browser's JsSIP: the phone sends a 600 Hz tone and measures what it hears. In a call it answers
re-INVITEs (hold), takes DTMF sent as SIP INFO, and follows a REFER (blind transfer) the way a
SIP trunk does: it calls the Refer-To target and reports to the referrer with NOTIFYs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from av import AudioFrame

from tests.fakes.sip_message import Message, tag_of, uri_of

TONE_HZ = 600
RATE = 48000
FRAME = 960  # 20 ms


class ToneTrack(MediaStreamTrack):
    """A steady tone, paced in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._sent = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._sent / RATE
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        t = (np.arange(FRAME) + self._sent) / RATE
        samples = (np.sin(2 * np.pi * TONE_HZ * t) * 8000).astype("<i2")
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, RATE)
        self._sent += FRAME
        return frame


@dataclass
class Call:
    """One dialog: the phone's side of a call and what it saw."""

    phone: SipPhone
    call_id: str
    local_tag: str
    local_uri: str
    remote_uri: str
    outgoing: bool
    pc: RTCPeerConnection
    remote_tag: str = ""
    remote_target: str = ""
    route: list[str] = field(default_factory=list)
    cseq: int = 1
    invite: Message | None = None  # the INVITE that opened it
    branch: str = ""
    status: int = 0  # the final answer to our INVITE (0 while ringing)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ringing: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    directions: list[str] = field(default_factory=list)  # a=sendrecv/sendonly/... of each re-INVITE
    dtmf: list[str] = field(default_factory=list)
    refers: list[str] = field(default_factory=list)
    transferred: Call | None = None
    levels: list[tuple[float, float]] = field(default_factory=list)  # (monotonic time, peak of a 20 ms frame)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def heard(self, since: float, until: float | None = None) -> float:
        """The loudest frame heard between two moments (0..1)."""
        until = until or time.monotonic()
        return max((level for at, level in self.levels if since <= at <= until), default=0.0)

    async def hang_up(self) -> None:
        """BYE when answered, CANCEL while ringing."""
        if self.ended.is_set():
            return
        if self.status == 0 and self.outgoing and self.invite is not None:
            cancel = Message(f"CANCEL {self.invite.first.split()[1]} SIP/2.0", [
                (k, v) for k, v in self.invite.headers if k.lower() in ("via", "from", "to", "call-id", "max-forwards")
            ] + [("CSeq", f"{self.invite.header('CSeq').split()[0]} CANCEL")])
            await self.phone.request(cancel)  # the INVITE then ends with 487, which _follow_invite ACKs
            await asyncio.wait_for(self.ended.wait(), 10)
            return
        await self.phone.request(self.in_dialog("BYE"))
        self.ended.set()
        await self.close_media()

    def in_dialog(self, method: str, headers: list[tuple[str, str]] | None = None, body: str = "",
                  cseq: int | None = None) -> Message:
        if cseq is None:
            self.cseq += 1
        target = self.remote_target or self.remote_uri
        hdrs = [("Via", self.phone.via()), ("Max-Forwards", "70"),
                ("From", f"<{self.local_uri}>;tag={self.local_tag}"),
                ("To", f"<{self.remote_uri}>" + (f";tag={self.remote_tag}" if self.remote_tag else "")),
                ("Call-ID", self.call_id), ("CSeq", f"{cseq or self.cseq} {method}"),
                *[("Route", r) for r in self.route], *(headers or [])]
        return Message(f"{method} {target} SIP/2.0", hdrs, body)

    def watch(self, track: MediaStreamTrack) -> None:
        async def listen() -> None:
            with contextlib.suppress(Exception):
                while True:
                    frame = await track.recv()
                    pcm = frame.to_ndarray().astype(np.int32)
                    self.levels.append((time.monotonic(), float(np.abs(pcm).max()) / 32768.0 if pcm.size else 0.0))

        self._tasks.append(asyncio.create_task(listen()))

    async def close_media(self) -> None:
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if self.pc.connectionState != "closed":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.pc.close(), 5)


class SipPhone(asyncio.DatagramProtocol):
    """A UDP SIP user agent at 127.0.0.1, sending everything through one proxy (Kamailio)."""

    def __init__(self, user: str, proxy: tuple[str, int], domain: str = "127.0.0.1") -> None:
        self.user, self.proxy, self.domain = user, proxy, domain
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self.calls: dict[str, Call] = {}
        self.incoming: asyncio.Queue[Call] = asyncio.Queue()
        self.auto_answer = False
        self._waiting: dict[str, asyncio.Queue[Message]] = {}

    # --- transport ---------------------------------------------------------------------------

    async def start(self) -> SipPhone:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        return self

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint's transport
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():
            return  # keep-alive
        message = Message.parse(data)
        if message.is_request:
            asyncio.get_running_loop().create_task(self._on_request(message))
        else:
            branch = re.search(r"branch=([^;\s]+)", message.header("Via"))
            if branch and (queue := self._waiting.get(f"{branch.group(1)}:{message.method}")):
                queue.put_nowait(message)

    def send(self, message: Message) -> None:
        assert self.transport is not None
        self.transport.sendto(message.render(), self.proxy)

    def via(self, branch: str | None = None) -> str:
        return f"SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch={branch or 'z9hG4bK' + uuid.uuid4().hex[:16]}"

    @property
    def contact(self) -> str:
        return f"<sip:{self.user}@127.0.0.1:{self.port}>"

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    async def request(self, message: Message, final: bool = True, wait: float = 10) -> Message:
        """Send a request; its final response (or, with final=False, every response goes to a queue)."""
        branch = re.search(r"branch=([^;\s]+)", message.header("Via"))
        assert branch
        queue: asyncio.Queue[Message] = asyncio.Queue()
        key = f"{branch.group(1)}:{message.method}"  # a CANCEL shares its INVITE's branch
        self._waiting[key] = queue
        self.send(message)
        if not final:
            return message
        try:
            while True:
                response = await asyncio.wait_for(queue.get(), wait)
                if response.status >= 200:
                    return response
        finally:
            self._waiting.pop(key, None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # --- registering -------------------------------------------------------------------------

    async def register(self, password: str, expires: int = 300) -> int:
        """REGISTER with digest auth; the final status."""
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

        def message(cseq: int, auth: str | None) -> Message:
            headers = [("Via", self.via()), ("Max-Forwards", "70"), ("From", f"<{self.aor}>;tag={tag}"),
                       ("To", f"<{self.aor}>"), ("Call-ID", call_id), ("CSeq", f"{cseq} REGISTER"),
                       ("Contact", self.contact), ("Expires", str(expires))]
            if auth:
                headers.append(("Authorization", auth))
            return Message(f"REGISTER sip:{self.domain} SIP/2.0", headers)

        response = await self.request(message(1, None))
        if response.status == 401:
            challenge = dict(re.findall(r'(\w+)="?([^",]+)"?', response.header("WWW-Authenticate")))
            uri = f"sip:{self.domain}"
            ha1 = hashlib.md5(f"{self.user}:{challenge['realm']}:{password}".encode()).hexdigest()
            ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
            digest = hashlib.md5(f"{ha1}:{challenge['nonce']}:{ha2}".encode()).hexdigest()
            auth = (f'Digest username="{self.user}", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", '
                    f'uri="{uri}", response="{digest}", algorithm=MD5')
            response = await self.request(message(2, auth))
        return response.status

    # --- calling -----------------------------------------------------------------------------

    async def call(self, target: str, *, from_number: str | None = None,
                   headers: list[tuple[str, str]] | None = None) -> Call:
        """INVITE `target` (a SIP URI or an extension); returns at once, the call rings on."""
        uri = target if target.startswith("sip:") else f"sip:{target}@{self.domain}"
        pc = RTCPeerConnection()
        pc.addTrack(ToneTrack())
        call = Call(self, uuid.uuid4().hex, uuid.uuid4().hex[:8],
                    f"sip:{from_number or self.user}@{self.domain}", uri, True, pc)
        pc.on("track", call.watch)
        await pc.setLocalDescription(await pc.createOffer())
        call.branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        call.invite = Message(f"INVITE {uri} SIP/2.0", [
            ("Via", self.via(call.branch)), ("Max-Forwards", "70"),
            ("From", f'"{from_number or self.user}" <{call.local_uri}>;tag={call.local_tag}'),
            ("To", f"<{uri}>"), ("Call-ID", call.call_id), ("CSeq", "1 INVITE"), ("Contact", self.contact),
            ("Allow", "INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, INFO, OPTIONS"),
            *(headers or []), ("Content-Type", "application/sdp"),
        ], pc.localDescription.sdp)
        self.calls[call.call_id] = call
        await self.request(call.invite, final=False)
        call._tasks.append(asyncio.create_task(self._follow_invite(call)))
        return call

    async def _follow_invite(self, call: Call) -> None:
        queue = self._waiting[f"{call.branch}:INVITE"]
        assert call.invite is not None
        try:
            while True:
                response = await queue.get()
                if response.status < 200:
                    if response.status in (180, 183):
                        call.ringing.set()
                    continue
                if response.status >= 300:  # ACK the failure, hop by hop
                    ack = Message(f"ACK {call.invite.first.split()[1]} SIP/2.0", [
                        ("Via", self.via(call.branch)), ("Max-Forwards", "70"), ("From", call.invite.header("From")),
                        ("To", response.header("To")), ("Call-ID", call.call_id), ("CSeq", "1 ACK")])
                    self.send(ack)
                    call.status = response.status
                    call.ended.set()
                    await call.close_media()
                    return
                if call.status:
                    continue  # a retransmitted 200
                call.status = response.status
                call.remote_tag = tag_of(response.header("To"))
                call.remote_target = uri_of(response.header("Contact"))
                call.route = list(reversed([r.strip() for v in response.all("Record-Route") for r in v.split(",")]))
                self.send(call.in_dialog("ACK", cseq=1))  # an ACK shares the INVITE's number
                await call.pc.setRemoteDescription(RTCSessionDescription(response.body, "answer"))
                call.answered.set()
        finally:
            self._waiting.pop(f"{call.branch}:INVITE", None)

    # --- requests to us ----------------------------------------------------------------------

    def reply(self, request: Message, status: int, reason: str, headers: list[tuple[str, str]] | None = None,
              body: str = "", to_tag: str = "") -> None:
        to = request.header("To")
        if to_tag and not tag_of(to):
            to += f";tag={to_tag}"
        copied = [(k, v) for k, v in request.headers if k.lower() in ("via", "v", "record-route")]
        message = Message(f"SIP/2.0 {status} {reason}", [
            *copied, ("From", request.header("From")), ("To", to), ("Call-ID", request.header("Call-ID")),
            ("CSeq", request.header("CSeq")), *(headers or [])], body)
        self.send(message)

    async def _on_request(self, request: Message) -> None:
        method = request.method
        call = self.calls.get(request.header("Call-ID"))
        if method == "INVITE" and call is None:
            await self._incoming(request)
        elif method == "ACK":
            return
        elif call is None:
            self.reply(request, 481, "Call/Transaction Does Not Exist")
        elif method == "INVITE":  # a re-INVITE: hold or unhold
            direction = next((d for d in ("sendonly", "recvonly", "inactive", "sendrecv")
                              if f"a={d}" in request.body), "sendrecv")
            call.directions.append(direction)
            await call.pc.setRemoteDescription(RTCSessionDescription(request.body, "offer"))
            await call.pc.setLocalDescription(await call.pc.createAnswer())
            self.reply(request, 200, "OK", [("Contact", self.contact), ("Content-Type", "application/sdp")],
                       call.pc.localDescription.sdp)
        elif method == "BYE":
            self.reply(request, 200, "OK")
            call.ended.set()
            await call.close_media()
        elif method == "INFO":
            signal = re.search(r"Signal\s*=\s*(\S)", request.body)
            if signal:
                call.dtmf.append(signal.group(1))
            self.reply(request, 200, "OK")
        elif method == "REFER":
            self.reply(request, 202, "Accepted", [("Contact", self.contact)])
            target = uri_of(request.header("Refer-To"))
            call.refers.append(target)
            call._tasks.append(asyncio.create_task(self._follow_refer(call, target)))
        elif method == "CANCEL":
            self.reply(request, 200, "OK")
            if call.invite is not None and not call.answered.is_set():
                self.reply(call.invite, 487, "Request Terminated", to_tag=call.local_tag)
                call.ended.set()
                await call.close_media()
        else:
            self.reply(request, 200, "OK")

    async def _follow_refer(self, call: Call, target: str) -> None:
        """What a trunk does with a blind transfer: call the target, tell the referrer how it went."""
        async def notify(frag: str, state: str) -> None:
            with contextlib.suppress(TimeoutError):
                await self.request(call.in_dialog("NOTIFY", [
                    ("Event", "refer"), ("Subscription-State", state), ("Contact", self.contact),
                    ("Content-Type", "message/sipfrag;version=2.0")], frag), wait=5)

        await notify("SIP/2.0 100 Trying", "active;expires=60")
        new = await self.call(target, from_number=call.local_uri.split(":")[1].split("@")[0])
        call.transferred = new
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.wait([asyncio.create_task(new.answered.wait()),
                                                 asyncio.create_task(new.ended.wait())],
                                                return_when=asyncio.FIRST_COMPLETED), 15)
        final = "SIP/2.0 200 OK" if new.answered.is_set() else f"SIP/2.0 {new.status or 408} Failed"
        await notify(final, "terminated;reason=noresource")

    async def _incoming(self, invite: Message) -> None:
        pc = RTCPeerConnection()
        pc.addTrack(ToneTrack())
        call = Call(self, invite.header("Call-ID"), uuid.uuid4().hex[:8], uri_of(invite.header("To")),
                    uri_of(invite.header("From")), False, pc, remote_tag=tag_of(invite.header("From")),
                    remote_target=uri_of(invite.header("Contact")), invite=invite)
        call.route = [r.strip() for v in invite.all("Record-Route") for r in v.split(",")]
        call.cseq = 100
        pc.on("track", call.watch)
        self.calls[call.call_id] = call
        self.reply(invite, 180, "Ringing", [("Contact", self.contact)], to_tag=call.local_tag)
        call.ringing.set()
        await self.incoming.put(call)
        if self.auto_answer:
            await self.answer(call)

    async def answer(self, call: Call) -> None:
        assert call.invite is not None
        await call.pc.setRemoteDescription(RTCSessionDescription(call.invite.body, "offer"))
        await call.pc.setLocalDescription(await call.pc.createAnswer())
        self.reply(call.invite, 200, "OK", [("Contact", self.contact), ("Content-Type", "application/sdp")],
                   call.pc.localDescription.sdp, to_tag=call.local_tag)
        call.status = 200
        call.answered.set()
