// An HL7 v2 interface engine for Pumpside's tests, built on node-hl7-server
// (npm; it parses with its sister package node-hl7-client): its MLLP
// listener receives each message, its parser reads it, its SendResponse
// builds and sends the ACK. Nothing here is Pumpside's code. It speaks the
// protocol of hl7receiver.py beside it, so that the tests run against
// either engine.
//
// Usage: node hl7receiver.js (--port N | --listen-fd FD) [--answers AE,AA,...]
//          [--ae-text TEXT] [--pause-after BYTES] [--tls-cert PEM --tls-key PEM]
//
// --port: the port to listen on (0: any). The package listens on every
//   interface, whatever its bindAddress option says (it passes it to
//   Node as "hostname", which Node ignores).
// --listen-fd: listen on this inherited listening socket instead, which
//   the harness made on 127.0.0.1 (with the receive buffer a test asks
//   for: Node cannot set SO_RCVBUF).
// --answers: the answer to each message received, in order, then AA: AA,
//   AE, AR (MSA-1, with --ae-text as MSA-3 and an ERR segment for AE and
//   AR), none (no answer: the connection is held open), close (the
//   connection is closed without an answer).
// --pause-after: stop reading the first connection that brings this many
//   bytes, until a line "resume" arrives on stdin; a message that arrives
//   whole on it is not answered.
// --tls-cert, --tls-key: serve MLLP over TLS with this certificate.
//
// Stdout, one JSON object a line: {"event": "listening", "port": N};
// {"event": "message", "control_id", "answer", "bytes", "segments": the
// parse as nested lists (segment > field > repetition > component, each
// component its first subcomponent, unescaped by the parser; field 0 the
// segment name, MSH-1 and MSH-2 the separators), "ed": [{"subtype",
// "encoding", "bytes", "sha256", "pdf"}]}; {"event": "paused", "bytes"};
// {"event": "incomplete", "bytes"} for a connection that ended inside a
// message; {"event": "error", "text"}.
//
// What node-hl7-server 2.5.0 (the newest release) gets wrong is worked
// around here, not changed:
//   - its listener never empties its buffer after a message, so each new
//     message on a connection hands every earlier one of that connection
//     to the handler again (upstream issue 102, fixed after 2.5.0 but not
//     released): of the messages one data event hands over, the handler
//     answers and reports only those it has not had from that connection;
//   - its ACK carries no text: for AE and AR, MSA-3 and an ERR segment are
//     set, with node-hl7-client's builder, on the ACK message it builds,
//     before it sends it;
//   - a segment's get() with a path finds nothing (a node's path is
//     always empty), so segments are read by walking the parse with
//     toArray(), and only the message's get() is used with a path.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const net = require("net");
const readline = require("readline");
const { Server } = require("node-hl7-server");

const FOOTER = "\x1c\r";

function parseArgs(argv) {
  const opt = { port: -1, listenFd: -1, answers: [], aeText: "Patient not found", pauseAfter: 0, tlsCert: "", tlsKey: "" };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--port": opt.port = Number(v); break;
      case "--listen-fd": opt.listenFd = Number(v); break;
      case "--answers": opt.answers = v.split(",").map((a) => a.trim()).filter((a) => a); break;
      case "--ae-text": opt.aeText = v; break;
      case "--pause-after": opt.pauseAfter = Number(v); break;
      case "--tls-cert": opt.tlsCert = v; break;
      case "--tls-key": opt.tlsKey = v; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!(opt.port >= 0) && !(opt.listenFd >= 0)) throw new Error("--port or --listen-fd is required");
  return opt;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// field is field n of a parsed segment (for MSH, n is MSH-(n+1)).
function field(seg, n) {
  return seg.toArray()[n];
}

// The message as node-hl7-client parsed it, in the layout of
// hl7receiver.py: segment[field][repetition][component].
function regular(msg) {
  return msg.toArray().map((seg) => {
    const fields = seg.toArray().map((f, i) =>
      i === 0 ? [[seg.name]] : f.toArray().map((rep) => rep.toArray().map((c) => c.toString())));
    if (seg.name === "MSH") {
      // The parser does not read MSH-2 (it splits the encoding characters
      // as if they were data): it is given as it stands, after MSH-1.
      fields.splice(1, 1, [[msg.get("MSH.1").toString()]], [[field(seg, 1).toRaw()]]);
    }
    return fields;
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function edValues(msg) {
  const out = [];
  for (const seg of msg.toArray()) {
    if (seg.name !== "OBX" || !field(seg, 2) || field(seg, 2).toString() !== "ED") continue;
    // ED = source application ^ type of data ^ data subtype ^ encoding ^ data
    const value = field(seg, 5);
    const comps = value ? value.toArray()[0].toArray().map((c) => c.toString()) : [];
    const [subtype, encoding, data] = [comps[2] || "", comps[3] || "", comps[4] || ""];
    let raw;
    if (encoding === "Base64") {
      if (!BASE64.test(data)) throw new Error(`OBX-5 of an ED OBX is not base64 (${data.length} characters)`);
      raw = Buffer.from(data, "base64");
    } else {
      raw = Buffer.from(data, "utf8");
    }
    out.push({
      subtype, encoding, bytes: raw.length,
      sha256: crypto.createHash("sha256").update(raw).digest("hex"),
      pdf: raw.subarray(0, 5).toString("latin1") === "%PDF-",
    });
  }
  return out;
}

// withText makes res's ACK carry the engine's text, as hl7receiver.py's
// does: MSA-3, and ERR with 207 (application internal error), severity E
// and the text as ERR-8.
function withText(res, text) {
  const build = res._createAckMessage.bind(res);
  res._createAckMessage = (type, message) => {
    const ack = build(type, message);
    ack.set("MSA.3", text);
    const err = ack.addSegment("ERR");
    err.set("3.1", "207");
    err.set("3.2", "Application internal error");
    err.set("3.3", "HL70357");
    err.set("4", "E");
    err.set("8", text);
    return ack;
  };
}

// createInbound makes the package's listener and returns it with the
// net.Server it listens with, where the port is read (the package keeps it
// in a private field). The package cannot be given a socket to listen on:
// when fd >= 0, the one listen() call its constructor makes is turned into
// a listen on that inherited socket.
function createInbound(server, port, fd, handler) {
  const listen = net.Server.prototype.listen;
  let listener = null;
  net.Server.prototype.listen = function (options, cb) {
    net.Server.prototype.listen = listen;
    listener = this;
    return listen.call(this, fd >= 0 ? { fd } : options, cb);
  };
  try {
    const inbound = server.createInbound({ port }, handler);
    return { inbound, listener };
  } finally {
    net.Server.prototype.listen = listen;
  }
}

function main() {
  const opt = parseArgs(process.argv.slice(2));
  const answers = opt.answers.slice();
  let pauseAfter = opt.pauseAfter;
  let paused = null; // the paused connection's socket
  let current = null; // the connection whose data the listener is handling

  const props = { bindAddress: "127.0.0.1" };
  if (opt.tlsCert) props.tls = { cert: fs.readFileSync(opt.tlsCert), key: fs.readFileSync(opt.tlsKey) };
  const { inbound, listener } = createInbound(new Server(props), Math.max(opt.port, 0), opt.listenFd, async (req, res) => {
    // Called from within the listener's data handler: current is the
    // connection the message came on.
    const conn = current;
    if (conn.calls++ < conn.handled) return; // had already (see above)
    conn.handled++;
    try {
      const msg = req.getMessage();
      const answer = conn.hold ? "none" : (answers.shift() || "AA");
      emit({
        event: "message", control_id: msg.get("MSH.10").toString(), answer,
        bytes: Buffer.byteLength(msg.toString()), segments: regular(msg), ed: edValues(msg),
      });
      if (answer === "none") return;
      if (answer === "close") {
        conn.socket.end();
        return;
      }
      if (answer === "AE" || answer === "AR") withText(res, opt.aeText);
      await res.sendResponse(answer);
    } catch (err) {
      emit({ event: "error", text: `reading the message: ${err.stack || err}` });
    }
  });

  inbound.on("client.connect", (socket) => {
    const conn = { socket, calls: 0, handled: 0, received: 0, partial: 0, last: "", hold: false };
    // Ahead of the listener's own data handler: which connection, how
    // many bytes of an unfinished message, the pause.
    socket.prependListener("data", (chunk) => {
      current = conn;
      conn.calls = 0;
      const s = conn.last + chunk;
      const end = s.lastIndexOf(FOOTER);
      conn.partial = end < 0 ? conn.partial + Buffer.byteLength(chunk) : Buffer.byteLength(s.slice(end + FOOTER.length));
      conn.last = chunk.slice(-1);
      conn.received += Buffer.byteLength(chunk);
      if (pauseAfter > 0 && conn.received >= pauseAfter) {
        pauseAfter = 0;
        conn.hold = true;
        paused = socket;
        socket.pause();
        emit({ event: "paused", bytes: conn.received });
      }
    });
    socket.on("close", () => {
      if (conn.partial > 0) emit({ event: "incomplete", bytes: conn.partial });
    });
  });
  inbound.on("data.error", (err) => emit({ event: "error", text: `node-hl7-server: ${err && err.message}` }));
  inbound.on("error", (err) => {
    process.stderr.write(`hl7receiver.js: ${err.stack || err}\n`);
    process.exit(1);
  });
  inbound.on("listen", () => emit({ event: "listening", port: listener.address().port }));

  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    if (line.trim() === "resume" && paused) paused.resume();
  });
}

main();
