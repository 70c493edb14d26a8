"""SIP messages as the test phone (`tests.fakes.sip_phone`) sends and reads them over UDP: parsed,
rendered with their Content-Length, and the tag and URI read out of a From/To/Contact value."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Message:
    """One SIP request or response: its first line, its headers in order (compact names read as full
    ones) and its body."""

    first: str
    headers: list[tuple[str, str]]
    body: str = ""

    @property
    def is_request(self) -> bool:
        return not self.first.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        return self.first.split(" ", 1)[0] if self.is_request else self.header("CSeq").split()[-1]

    @property
    def status(self) -> int:
        return int(self.first.split()[1])

    def header(self, name: str) -> str:
        values = self.all(name)
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        names = {name.lower(), COMPACT.get(name.lower(), name.lower())}
        return [v for k, v in self.headers if k.lower() in names]

    def render(self) -> bytes:
        body = self.body.encode()
        lines = [self.first, *(f"{k}: {v}" for k, v in self.headers if k.lower() != "content-length"),
                 f"Content-Length: {len(body)}", "", ""]
        return "\r\n".join(lines).encode() + body

    @classmethod
    def parse(cls, data: bytes) -> Message:
        head, _, body = data.partition(b"\r\n\r\n")
        first, *rest = head.decode(errors="replace").split("\r\n")
        headers: list[tuple[str, str]] = []
        for line in rest:
            if line[:1] in (" ", "\t") and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            elif ":" in line:
                k, _, v = line.partition(":")
                headers.append((k.strip(), v.strip()))
        return cls(first, headers, body.decode(errors="replace"))


COMPACT = {"via": "v", "from": "f", "to": "t", "call-id": "i", "contact": "m", "content-type": "c",
           "content-length": "l", "refer-to": "r", "referred-by": "b"}


def tag_of(value: str) -> str:
    m = re.search(r";\s*tag=([^;>\s]+)", value)
    return m.group(1) if m else ""


def uri_of(value: str) -> str:
    m = re.search(r"<([^>]+)>", value)
    return m.group(1) if m else value.split(";")[0].strip()
