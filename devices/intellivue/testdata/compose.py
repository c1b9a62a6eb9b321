#!/usr/bin/env python3
"""Writes the hex sources (messages.txt) of the intellivue test cases.

An independent writer of the monitor's messages: every structure below is
laid out from the Data Export Interface Programming Guide (4535 642 59271),
chapters 4 to 7 and 10, field by field, without the Go driver's code. The
serial frames' FCS is computed bit by bit as RFC 1662 describes it. The Go
test TestCaseSources turns each messages.txt into the case's input (raw
bytes) or input.cap (one record per message, as a LAN capture holds one
UDP datagram per record) and checks the committed files match.

Run from this folder: python3 compose.py
"""
import struct

def u8(v): return struct.pack('>B', v)
def u16(v): return struct.pack('>H', v)
def u32(v): return struct.pack('>I', v)

def flt(mant, exp):
    """FLOAT-Type: 8-bit signed exponent, 24-bit signed mantissa."""
    return u32(((exp & 0xFF) << 24) | (mant & 0xFFFFFF))

NAN = u32(0x007FFFFF)

def obs(physio, state, unit, value):
    return u16(physio) + u16(state) + u16(unit) + value

def ava(attr, val): return u16(attr) + u16(len(val)) + val
def attrlist(avas): return u16(len(avas)) + u16(sum(len(a) for a in avas)) + b''.join(avas)
def label(textid): return ava(0x0924, u32(textid))
def labelstr(s): return ava(0x0927, u16(2 * len(s)) + b''.join(u16(ord(c)) for c in s))
def nu(o): return ava(0x0950, o)
def cmpd(os): return ava(0x094B, u16(len(os)) + u16(sum(len(o) for o in os)) + b''.join(os))
def observation(handle, avas): return u16(handle) + attrlist(avas)
def context(ctx, observations):
    body = b''.join(observations)
    return u16(ctx) + u16(len(observations)) + u16(len(body)) + body
def pollinfo(contexts):
    body = b''.join(contexts)
    return u16(len(contexts)) + u16(len(body)) + body

MDS = u16(33) + u16(0) + u16(0)   # ManagedObjectId {NOM_MOC_VMS_MDS, 0, 0}
ABS_NONE = b'\xff' * 8

def data_msg(ro_type, rose_head, command):
    """SPpdu + ROapdus + the remote operation header + command."""
    body = rose_head + u16(len(command)) + command
    return b'\xe1\x00\x00\x02' + u16(ro_type) + u16(len(body)) + body

def poll_result_ext(invoke, poll_no, seq, rel, obj_code, grp, contexts, linked=None):
    reply = u16(poll_no) + u16(seq) + u32(rel) + ABS_NONE + u16(1) + u16(obj_code) + u16(grp) + pollinfo(contexts)
    action = MDS + u16(0xF13B) + u16(len(reply)) + reply
    if linked:
        state, count = linked
        return data_msg(5, u8(state) + u8(count) + u16(invoke) + u16(7), action)
    return data_msg(2, u16(invoke) + u16(7), action)

def poll_result_single(invoke, poll_no, rel, obj_code, grp, contexts):
    reply = u16(poll_no) + u32(rel) + ABS_NONE + u16(1) + u16(obj_code) + u16(grp) + pollinfo(contexts)
    action = MDS + u16(0x0C16) + u16(len(reply)) + reply
    return data_msg(2, u16(invoke) + u16(7), action)

def mds_create(invoke, rel):
    attrs = attrlist([ava(0x098F, u32(rel))])        # NOM_ATTR_TIME_REL
    info = MDS + attrs
    arg = MDS + u32(rel) + u16(0x0D06) + u16(len(info)) + info
    return b'\xe1\x00\x00\x02' + u16(1) + u16(6 + len(arg)) + u16(invoke) + u16(1) + u16(len(arg)) + arg

def ro_error(invoke, err):
    return b'\xe1\x00\x00\x02' + u16(3) + u16(6) + u16(invoke) + u16(err) + u16(0)

# Association response, from the guide's building blocks (page 299) and
# its MDSEUserInfoStd (page 68-72).
RESP_PRES = bytes([
    0x31, 0x80, 0xA0, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00, 0xA2, 0x80, 0xA0, 0x03, 0x00,
    0x00, 0x01, 0xA5, 0x80, 0x30, 0x80, 0x80, 0x01, 0x00, 0x81, 0x02, 0x51, 0x01, 0x00, 0x00, 0x30,
    0x80, 0x80, 0x01, 0x00, 0x81, 0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00,
    0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x61,
    0x80, 0xA1, 0x80, 0x06, 0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x03,
    0x01, 0x00, 0x00, 0xA2, 0x03, 0x02, 0x01, 0x00, 0xA3, 0x05, 0xA1, 0x03, 0x02, 0x01, 0x00, 0xBE,
    0x80, 0x28, 0x80, 0x02, 0x01, 0x02, 0x81])
SESSION_DATA = bytes([0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02])

def assoc_response(ext_options):
    pkg = attrlist([ava(0xF001, u32(ext_options) + attrlist([]))])
    profile = u32(0x80000000) + u32(8000) + u32(1364) + u32(1000) + u32(0xFFFFFFFF) + u32(0x60000000) + pkg
    info = (u32(0x80000000) + u32(0x40000000) + u32(0) + u32(0x00800000) + u32(0x20000000)
            + attrlist([]) + attrlist([ava(0x0001, profile)]))
    user = u8(len(info)) + info
    pres = RESP_PRES + user + b'\x00' * 16
    pres_hdr = b'\xc1' + u8(len(pres))
    session = SESSION_DATA + pres_hdr + pres
    return b'\x0e' + u8(len(session)) + session

ABORT = bytes([0x19, 0x2E, 0x11, 0x01, 0x03,
    0xC1, 0x29, 0xA0, 0x80, 0xA0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x06, 0x02, 0x51, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x64, 0x80, 0x80, 0x01,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
REFUSE = bytes([0x0C, 0x03, 0x32, 0x01, 0x00])

# RFC 1662 FCS-16, bit by bit.
def fcs16(data):
    fcs = 0xFFFF
    for b in data:
        fcs ^= b
        for _ in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if fcs & 1 else fcs >> 1
    return fcs

def serial_frame(msg):
    hdr = u8(0x11) + u8(0x01) + u16(len(msg))
    fcs = fcs16(hdr + msg) ^ 0xFFFF
    body = hdr + msg + bytes([fcs & 0xFF, fcs >> 8])
    out = bytearray([0xC0])
    for b in body:
        if b in (0xC0, 0xC1, 0x7D):
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    out.append(0xC1)
    return bytes(out)

MMHG, KPA, DEGC, FAHR, BPM, RPM, PCT, DIMLESS = 0x0F20, 0x0F03, 0x17A0, 0x1140, 0x0AA0, 0x0AE0, 0x0220, 0x0200

def write(path, blocks):
    """blocks: (comment, bytes, record) with record a time offset in s or None."""
    with open(path, 'w') as f:
        f.write('# Written by compose.py from the guide\'s layouts (see its header);\n')
        f.write('# "@ +S" starts a capture record S seconds after 08:00:00 UTC.\n')
        for comment, b, rec in blocks:
            f.write('\n')
            for line in comment.split('\n'):
                f.write('# ' + line + '\n')
            if rec is not None:
                f.write('@ +%d\n' % rec)
            for i in range(0, len(b), 16):
                f.write(' '.join('%02x' % x for x in b[i:i + 16]) + '\n')

# Case lan-session: what a monitor sends on the LAN from the association on.
abp = lambda s, d, m, st=0, unit=MMHG: cmpd([obs(0x4A15, st, unit, flt(s, 0)), obs(0x4A16, st, unit, flt(d, 0)), obs(0x4A17, st, unit, flt(m, 0))])
values0 = context(0, [
    observation(0x0101, [abp(118, 62, 80)]),
    observation(0x0104, [nu(obs(0x4182, 0, BPM, flt(72, 0)))]),
    observation(0x0105, [nu(obs(0x4BB8, 0, PCT, flt(98, 0)))]),
    observation(0x0110, [nu(obs(0x4B6C, 0, DEGC, flt(3651, -2)))]),
    observation(0x0111, [nu(obs(0xF0C7, 0, DEGC, flt(3622, -2)))]),  # T1: generic code, site unknown
])
labels = context(0, [
    observation(0x0101, [label(0x00024A14), labelstr('ABP')]),
    observation(0x0102, [label(0x00024A1C), labelstr('PAP')]),
    observation(0x0104, [label(0x00024182), labelstr('HR')]),
    observation(0x0105, [label(0x00024BB8), labelstr('SpO2')]),
    observation(0x0110, [label(0x00024B6C), labelstr('Tnaso')]),
    observation(0x0111, [label(0x0002F0C7), labelstr('T1')]),
    observation(0x0120, [label(0x00024A04), labelstr('NBP')]),
])
values1 = context(0, [
    observation(0x0101, [abp(120, 64, 82)]),
    observation(0x0102, [cmpd([obs(0x4A1D, 0, MMHG, flt(32, 0)), obs(0x4A1E, 0, MMHG, flt(14, 0)), obs(0x4A1F, 0, MMHG, flt(21, 0))])]),
    observation(0x0104, [nu(obs(0x4182, 0, BPM, flt(73, 0)))]),
    observation(0x0105, [nu(obs(0x4BB8, 0, PCT, flt(97, 0)))]),
    observation(0x0110, [nu(obs(0x4B6C, 0, DEGC, flt(3650, -2)))]),
    observation(0x0111, [nu(obs(0xF0C7, 0, DEGC, flt(3621, -2)))]),
    observation(0x0120, [cmpd([obs(0x4A05, 0, MMHG, flt(125, 0)), obs(0x4A06, 0, MMHG, flt(70, 0)), obs(0x4A07, 0, MMHG, flt(88, 0))])]),
])
alerts = context(0, [observation(0x0001, [ava(0x0916, u16(0) + u16(0) + u16(0) + u16(0) + u16(0))])])
write('lan-session/messages.txt', [
    ('Association response (AC): session 0x0E, the building blocks of page 299,\n'
     'user data granting real-time numerics (POLL_EXT_PERIOD_NU_1SEC).', assoc_response(0x80000000), 0),
    ('MDS create event (page 54), invoke 1.', mds_create(1, 0x00100000), 0),
    ('Extended poll result, numerics, observed values, sequence 0 (page 62):\n'
     'ABP 118/62 (80), HR 72, SpO2 98, Tnaso 36.51, T1 36.22 (generic code).\n'
     'No label is known yet: values map by their own codes; T1 waits.', poll_result_ext(3, 1, 0, 0x00101000, 6, 0x0803, [values0]), 1),
    ('Extended poll result, alert monitor, sequence 0.', poll_result_ext(4, 2, 0, 0x00101000, 54, 0x0801, [alerts]), 1),
    ('Single poll result, numerics, dynamic context (page 56): the labels.\n'
     'T1 (0x0002F0C7) and NBP are not mapped by default.', poll_result_single(5, 3, 0x00101800, 6, 0x0810, [labels]), 1),
    ('Extended poll result, numerics, sequence 1: ABP 120/64 (82), PAP 32/14 (21),\n'
     'HR 73, SpO2 97, Tnaso 36.50, T1 36.21, NBP 125/70 (88).', poll_result_ext(3, 1, 1, 0x00109000, 6, 0x0803, [values1]), 2),
    ('Remote operation error for invoke 9 (NO_SUCH_OBJECT_CLASS).', ro_error(9, 0), 2),
    ('Abort (page 303): the monitor ends the association.', ABORT, 3),
])

# Case serial-stream: a raw MIB/RS232 byte stream, caught mid-frame.
frame_a = poll_result_ext(3, 1, 5, 0x00200000, 6, 0x0000, [context(0, [
    observation(0x0101, [label(0x00024A14), labelstr('ABP'), abp(110, 60, 77)]),
    # A temperature whose value bytes hold 0xC0 and 0x7D: escaped on the wire.
    observation(0x0110, [label(0x00024B6C), labelstr('Tnaso'), nu(obs(0x4B6C, 0, DEGC, u32(0xFE0037C0)))]),
    observation(0x0113, [label(0x0002F0C4), labelstr('Tvesic'), nu(obs(0xF0C4, 0, DEGC, u32(0xFE00377D)))]),
])])
linked_1 = poll_result_ext(3, 1, 6, 0x00208000, 6, 0x0000, [context(0, [
    observation(0x0101, [label(0x00024A14), abp(111, 61, 78)]),
])], linked=(1, 1))
linked_2 = poll_result_ext(3, 1, 6, 0x00208000, 6, 0x0000, [context(0, [
    observation(0x0104, [label(0x00024182), nu(obs(0x4182, 0, BPM, flt(80, 0)))]),
])], linked=(3, 2))
linked_end = poll_result_ext(3, 1, 6, 0x00208000, 6, 0x0000, [])
bad_fcs = bytearray(serial_frame(frame_a))
bad_fcs[-2] ^= 0x01   # the FCS's last byte changed
aborted = serial_frame(frame_a)[:40] + bytes([0x7D, 0xC1])
full_a = serial_frame(frame_a)
write('serial-stream/messages.txt', [
    ('The end of a frame the capture started inside: bytes outside any frame.', full_a[-23:], None),
    ('Frame: extended poll result, all attribute groups, labels with values:\n'
     'ABP 110/60 (77); Tnaso 0xFE0037C0 = 142.40 (out of range), Tvesic\n'
     '0xFE00377D = 141.73: the 0xC0 and 0x7D bytes are escaped.', full_a, None),
    ('The same frame with its FCS changed: discarded.', bytes(bad_fcs), None),
    ('A frame the sender aborted (0x7D 0xC1) after 40 bytes.', aborted, None),
    ('A linked result in three messages (page 293): ROLRS first (ABP 111/61 (78)),\n'
     'ROLRS last (HR 80), then the RORS with an empty poll info list.',
     serial_frame(linked_1) + serial_frame(linked_2) + serial_frame(linked_end), None),
    ('A frame cut short by the end of the stream.', serial_frame(frame_a)[:30], None),
])

# Case states: measurement states and units, on the LAN.
states = context(0, [
    observation(0x0101, [label(0x00024A14), abp(120, 64, 82, st=0x4000)]),                   # questionable
    observation(0x0103, [label(0x00024A44), cmpd([obs(0x4A47, 0, KPA, flt(12, -1))])]),       # CVP 1.2 kPa = 9.0 mmHg
    observation(0x0104, [label(0x00024182), nu(obs(0x4182, 0x8000, BPM, flt(72, 0)))]),      # invalid
    observation(0x0105, [label(0x00024BB8), nu(obs(0x4BB8, 0x2000, PCT, NAN))]),              # unavailable
    observation(0x0106, [label(0x00024822), nu(obs(0x4822, 0x1000, BPM, flt(70, 0)))]),      # calibration
    observation(0x0107, [label(0x000250AC), cmpd([obs(0x50B0, 0, PCT, flt(50, -1)), obs(0x50BA, 0, PCT, flt(0, 0))])]),  # EtCO2 in %: no value
    observation(0x0108, [label(0x00025012), nu(obs(0x5012, 0x0080, RPM, flt(12, 0)))]),      # validated: ok
    observation(0x0109, [label(0x0002F04E), nu(obs(0xF04E, 0, DIMLESS, flt(45, 0)))]),
    observation(0x0110, [label(0x00024B6C), nu(obs(0x4B6C, 0, FAHR, flt(986, -1)))]),        # 98.6 F = 37 C
    observation(0x0112, [label(0x0002E004), nu(obs(0xE004, 0x0400, DEGC, flt(3700, -2)))]),  # demo data
    observation(0x0113, [label(0x00024B64), nu(obs(0x4B64, 0, DEGC, flt(3412, -2)))]),
    observation(0x0114, [label(0x0002E014), nu(obs(0xE014, 0, DEGC, u32(0x007FFFFE)))]),     # +INF
    observation(0x0115, [label(0x00024B78), nu(obs(0x4B78, 0, DEGC, flt(3590, -2)))]),
])
write('states/messages.txt', [
    ('Single poll result, all groups: labels and values in every state the guide\n'
     'defines, and in every unit the driver converts.', poll_result_single(7, 1, 0x00300000, 6, 0x0000, [states]), 0),
])

# Case sitemap: a site's label map, and the safety rules.
site = context(0, [
    # P1 (generic code) mapped by config to the arterial channels.
    observation(0x0130, [label(0x0002F0A4), labelstr('P1'), cmpd([obs(0xF0A5, 0, MMHG, flt(105, 0)), obs(0xF0A6, 0, MMHG, flt(55, 0)), obs(0xF0A7, 0, MMHG, flt(71, 0))])]),
    # Ao at the same time: a site's label ranks after ABP, ART and Ao, so Ao
    # feeds the arterial channels and P1 is noted.
    observation(0x0131, [label(0x00024A0C), labelstr('Ao'), cmpd([obs(0x4A0D, 0, MMHG, flt(100, 0)), obs(0x4A0E, 0, MMHG, flt(50, 0)), obs(0x4A0F, 0, MMHG, flt(70, 0))])]),
    # A label just changed to ABP while its values still carry PAP codes
    # (guide, "Dynamic Context Changes"): never on the arterial channels.
    observation(0x0132, [label(0x00024A14), labelstr('ABP'), cmpd([obs(0x4A1D, 0, MMHG, flt(30, 0)), obs(0x4A1E, 0, MMHG, flt(12, 0)), obs(0x4A1F, 0, MMHG, flt(19, 0))])]),
    # T1 mapped by config to the bladder.
    observation(0x0111, [label(0x0002F0C7), labelstr('T1'), nu(obs(0xF0C7, 0, DEGC, flt(3580, -2)))]),
    # T2 mapped by config to the nasopharynx, but its code says rectal: dropped.
    observation(0x0112, [label(0x0002F0C8), labelstr('T2'), nu(obs(0xE004, 0, DEGC, flt(3590, -2)))]),
    # An unknown label.
    observation(0x0140, [label(0x0002F0E3), labelstr('PPV'), nu(obs(0xF0E3, 0, PCT, flt(12, 0)))]),
])
write('sitemap/messages.txt', [
    ('Single poll result, all groups, on the LAN.', poll_result_single(8, 1, 0x00400000, 6, 0x0000, [site]), 0),
    ('The same a second later.', poll_result_single(9, 2, 0x00408000, 6, 0x0000, [site]), 1),
])
