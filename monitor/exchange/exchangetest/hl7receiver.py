#!/usr/bin/env python3
"""An HL7 v2 interface engine for Pumpside's tests, built on python-hl7
(Debian python3-hl7): its MLLP server receives each message, its parser
reads it, its create_ack answers it. Nothing here is Pumpside's code. The
tests' engine is hl7receiver.js (node-hl7-server), which speaks the same
protocol; the tests that read the message's values read it with this one
too.

Usage: hl7receiver.py --port N [--answers AE,AA,...] [--ae-text TEXT]
                      [--pause-after BYTES] [--rcvbuf BYTES]

--answers: the answer to each message received, in order, then AA:
  AA, AE, AR (MSA-1, with --ae-text as MSA-3 and an ERR segment for AE and
  AR), none (no answer: the connection is held open), close (the
  connection is closed without an answer).
--pause-after: on the first connection, stop reading after this many
  bytes until a line "resume" arrives on stdin (the sender blocks).
--rcvbuf: SO_RCVBUF of the listening socket (and so of its connections).
--tls-cert, --tls-key: serve MLLP over TLS with this certificate (PEM).

Stdout, one JSON object a line: {"event": "listening", "port": N};
{"event": "message", "control_id", "answer", "bytes", "segments": the parse
as nested lists (segment > field > repetition > component > subcomponent),
"ed": [{"subtype", "encoding", "bytes", "sha256", "pdf"}]};
{"event": "paused", "bytes"}; {"event": "incomplete", "bytes"} for a
connection that ended inside a message; {"event": "error", "text"}.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import socket
import ssl
import sys

import hl7
from hl7.mllp import start_hl7_server
from hl7.mllp.exceptions import InvalidBlockError


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def regular(msg):
    """The message as python-hl7 parsed it, as a regular structure:
    segment[field][repetition][component], each an unescaped string read
    with python-hl7's extract_field (its first subcomponent); field 0 is
    the segment name; MSH-1 and MSH-2 are the separators."""
    out = []
    for seg in msg:
        fields = [[[str(seg[0])]]]
        for f in range(1, len(seg)):
            field = seg(f)
            reps = []
            for r, rep in enumerate(field, start=1):
                n = len(rep) if isinstance(rep, hl7.Repetition) else 1
                reps.append([seg.extract_field(1, f, r, c, 1) for c in range(1, n + 1)])
            fields.append(reps)
        out.append(fields)
    return out


def ed_values(msg):
    out = []
    for seg in msg.segments("OBX"):
        if str(seg(2)) != "ED":
            continue
        # ED = source application ^ type of data ^ data subtype ^ encoding ^ data
        subtype, encoding, data = (seg.extract_field(1, 5, 1, c, 1) for c in (3, 4, 5))
        raw = base64.b64decode(data, validate=True) if encoding == "Base64" else data.encode()
        out.append({"subtype": subtype, "encoding": encoding, "bytes": len(raw),
                    "sha256": hashlib.sha256(raw).hexdigest(), "pdf": raw.startswith(b"%PDF-")})
    return out


class Engine:
    def __init__(self, args):
        self.answers = [a.strip() for a in args.answers.split(",") if a.strip()]
        self.ae_text = args.ae_text
        self.pause_after = args.pause_after
        self.resume = asyncio.Event()

    def next_answer(self):
        return self.answers.pop(0) if self.answers else "AA"

    async def handle(self, reader, writer):
        try:
            if self.pause_after > 0:
                # The sender is killed while this connection is paused: what
                # arrived is read to its end and judged whole or not.
                self.pause_after, n = 0, self.pause_after
                head = await reader.readexactly(n)
                writer.transport.pause_reading()
                emit(event="paused", bytes=len(head))
                await self.resume.wait()
                writer.transport.resume_reading()
                data = head + await reader.read()
                if data.startswith(b"\x0b") and data.endswith(b"\x1c\r"):
                    msg = hl7.parse(data[1:-2].decode("utf-8"))
                    emit(event="message", control_id=str(msg.segment("MSH")(10)), answer="none",
                         bytes=len(data), segments=regular(msg), ed=ed_values(msg))
                else:
                    emit(event="incomplete", bytes=len(data))
                return
            while True:
                try:
                    msg = await reader.readmessage()
                except asyncio.IncompleteReadError as e:
                    if e.partial:
                        emit(event="incomplete", bytes=len(e.partial))
                    return
                answer = self.next_answer()
                ctrl = str(msg.segment("MSH")(10))
                emit(event="message", control_id=ctrl, answer=answer, bytes=len(str(msg)),
                     segments=regular(msg), ed=ed_values(msg))
                if answer == "none":
                    await asyncio.sleep(3600)
                    return
                if answer == "close":
                    return
                ack = msg.create_ack(ack_code=answer, message_id="ACK" + ctrl)
                if answer in ("AE", "AR"):
                    ack.segment("MSA").assign_field(self.ae_text, 3)
                    err = ack.create_segment([ack.create_field(["ERR"])])
                    err.assign_field("207", 3, 1, 1)
                    err.assign_field("Application internal error", 3, 1, 2)
                    err.assign_field("HL70357", 3, 1, 3)
                    err.assign_field("E", 4)
                    err.assign_field(self.ae_text, 8)
                    ack.append(err)
                writer.writemessage(ack)
                await writer.drain()
        except (InvalidBlockError, ValueError) as e:
            emit(event="error", text=str(e))
        except (ConnectionResetError, BrokenPipeError):
            emit(event="incomplete", bytes=-1)
        finally:
            writer.close()

    async def stdin_commands(self):
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            if line.strip() == "resume":
                self.resume.set()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--answers", default="")
    p.add_argument("--ae-text", default="Patient not found")
    p.add_argument("--pause-after", type=int, default=0)
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--tls-cert", default="")
    p.add_argument("--tls-key", default="")
    args = p.parse_args()
    engine = Engine(args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    sock.bind(("127.0.0.1", args.port))
    ssl_ctx = None
    if args.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(args.tls_cert, args.tls_key)
    server = await start_hl7_server(engine.handle, sock=sock, limit=64 << 20, encoding="utf-8", ssl=ssl_ctx)
    emit(event="listening", port=sock.getsockname()[1])
    asyncio.ensure_future(engine.stdin_commands())
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
