package intellivue

import (
	"encoding/binary"
)

// Message builders, from the layouts of the guide's chapters 5, 6 and 10.
// Each appends one message (the user data of a serial frame, or a UDP
// datagram) to dst.

func put16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func put32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// Association control building blocks (guide, "Association Control
// Protocol Examples").
var (
	assocSessionData = []byte{0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02}
	assocReqPresHead = []byte{
		0x31, 0x80, 0xA0, 0x80, 0x80, 0x01,
		0x01, 0x00, 0x00, 0xA2, 0x80, 0xA0, 0x03, 0x00,
		0x00, 0x01, 0xA4, 0x80, 0x30, 0x80, 0x02, 0x01,
		0x01, 0x06, 0x04, 0x52, 0x01, 0x00, 0x01, 0x30,
		0x80, 0x06, 0x02, 0x51, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x30, 0x80, 0x02, 0x01, 0x02, 0x06, 0x0C,
		0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00,
		0x00, 0x00, 0x01, 0x01, 0x30, 0x80, 0x06, 0x0C,
		0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00,
		0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01,
		0x01, 0xA0, 0x80, 0x60, 0x80, 0xA1, 0x80, 0x06,
		0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01,
		0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0xBE,
		0x80, 0x28, 0x80, 0x06, 0x0C, 0x2A, 0x86, 0x48,
		0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01,
		0x01, 0x02, 0x01, 0x02, 0x81,
	}
	assocRespPresHead = []byte{
		0x31, 0x80, 0xA0, 0x80, 0x80, 0x01,
		0x01, 0x00, 0x00, 0xA2, 0x80, 0xA0, 0x03, 0x00,
		0x00, 0x01, 0xA5, 0x80, 0x30, 0x80, 0x80, 0x01,
		0x00, 0x81, 0x02, 0x51, 0x01, 0x00, 0x00, 0x30,
		0x80, 0x80, 0x01, 0x00, 0x81, 0x0C, 0x2A, 0x86,
		0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00,
		0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61, 0x80,
		0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x61,
		0x80, 0xA1, 0x80, 0x06, 0x0C, 0x2A, 0x86, 0x48,
		0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x03,
		0x01, 0x00, 0x00, 0xA2, 0x03, 0x02, 0x01, 0x00,
		0xA3, 0x05, 0xA1, 0x03, 0x02, 0x01, 0x00, 0xBE,
		0x80, 0x28, 0x80, 0x02, 0x01, 0x02, 0x81,
	}
	releaseRequestMsg = []byte{
		0x09, 0x18,
		0xC1, 0x16, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x62, 0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
	}
	releaseResponseMsg = []byte{
		0x0A, 0x18,
		0xC1, 0x16, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x63, 0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
	}
	abortMsg = []byte{
		0x19, 0x2E,
		0x11, 0x01, 0x03,
		0xC1, 0x29, 0xA0, 0x80, 0xA0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x06, 0x02, 0x51, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x64, 0x80, 0x80, 0x01,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
	}
	refuseMsg = []byte{0x0C, 0x03, 0x32, 0x01, 0x00}
)

// appendLI appends a session or presentation length indicator.
func appendLI(dst []byte, n int) []byte {
	if n <= 254 {
		return append(dst, byte(n))
	}
	return put16(append(dst, 0xFF), uint16(n))
}

// appendUserInfo appends the ASN length and MDSEUserInfoStd.
func appendUserInfo(dst []byte, u userInfo, client bool) []byte {
	var info []byte
	info = put32(info, mddlVersion1)
	info = put32(info, nomenVersion)
	info = put32(info, 0) // functional units
	if client {
		info = put32(info, systClient)
	} else {
		info = put32(info, systServer)
	}
	info = put32(info, coldStart)
	info = put32(info, 0) // option_list: count 0, length 0
	// supported_aprofiles: the poll profile with the extensions package.
	info = put16(info, 1)
	info = put16(info, 44)
	info = put16(info, attrPollProfileSupport)
	info = put16(info, 40)
	info = put32(info, pollProfileRev0)
	info = put32(info, u.minPollPeriod)
	info = put32(info, u.mtuRx)
	info = put32(info, u.mtuTx)
	info = put32(info, 0xFFFFFFFF) // bandwidth: no estimate
	info = put32(info, pOptDynCreate|pOptDynDelete)
	info = put16(info, 1)
	info = put16(info, 12)
	info = put16(info, attrPollProfileExt)
	info = put16(info, 8)
	info = put32(info, u.extOptions)
	info = put32(info, 0) // ext_attr: empty list
	if len(info) <= 127 {
		dst = append(dst, byte(len(info)))
	} else {
		dst = put16(append(dst, 0x82), uint16(len(info)))
	}
	return append(dst, info...)
}

// appendAssoc appends an association request (client) or response.
func appendAssoc(dst []byte, u userInfo, client bool) []byte {
	head := assocRespPresHead
	typ := byte(spduAC)
	if client {
		head, typ = assocReqPresHead, spduCN
	}
	user := appendUserInfo(nil, u, client)
	pres := len(head) + len(user) + 16 // after the presentation LI
	presLI := 1
	if pres > 254 {
		presLI = 3
	}
	session := len(assocSessionData) + 1 + presLI + pres
	dst = appendLI(append(dst, typ), session)
	dst = append(dst, assocSessionData...)
	dst = appendLI(append(dst, 0xC1), pres)
	dst = append(dst, head...)
	dst = append(dst, user...)
	return append(dst, make([]byte, 16)...)
}

// Data export messages.

// beginData appends the SPpdu, ROapdus and ROIV/RORS headers with their
// lengths left to endData.
func beginData(dst []byte, ro, invoke, cmd uint16) []byte {
	dst = put16(dst, 0xE100)
	dst = put16(dst, 2) // presentation context of the data export protocol
	dst = put16(dst, ro)
	dst = put16(dst, 0)
	dst = put16(dst, invoke)
	dst = put16(dst, cmd)
	return put16(dst, 0)
}

// endData fills the two lengths of a message begun at start.
func endData(dst []byte, start int) []byte {
	n := len(dst) - start
	binary.BigEndian.PutUint16(dst[start+6:], uint16(n-8))
	binary.BigEndian.PutUint16(dst[start+12:], uint16(n-14))
	return dst
}

func appendMDS(dst []byte) []byte { return put16(put16(put16(dst, mocVMSMDS), 0), 0) }

// appendMDSCreateResult answers the MDS create event report (guide, "MDS
// CREATE EVENT RESULT").
func appendMDSCreateResult(dst []byte, invoke uint16, obj managedObject, now uint32) []byte {
	start := len(dst)
	dst = beginData(dst, roRS, invoke, cmdConfirmedEventReport)
	dst = put16(put16(put16(dst, obj.class), obj.ctx), obj.handle)
	dst = put32(dst, now)
	dst = put16(dst, notiMDSCreate)
	dst = put16(dst, 0)
	return endData(dst, start)
}

// appendPoll appends a single poll data request (period 0) or an extended
// one asking for periodic results for period ticks.
func appendPoll(dst []byte, invoke, pollNo, objType, grp uint16, ext bool, period uint32) []byte {
	start := len(dst)
	dst = beginData(dst, roIV, invoke, cmdConfirmedAction)
	dst = appendMDS(dst)
	dst = put32(dst, 0) // scope
	if ext {
		dst = put16(dst, actPollExt)
		if period > 0 {
			dst = put16(dst, 20)
		} else {
			dst = put16(dst, 12)
		}
	} else {
		dst = put16(dst, actPoll)
		dst = put16(dst, 8)
	}
	dst = put16(dst, pollNo)
	dst = put16(dst, partObj)
	dst = put16(dst, objType)
	dst = put16(dst, grp)
	if ext {
		if period > 0 {
			dst = put16(dst, 1)
			dst = put16(dst, 8)
			dst = put16(dst, attrTimePdPoll)
			dst = put16(dst, 4)
			dst = put32(dst, period)
		} else {
			dst = put32(dst, 0)
		}
	}
	return endData(dst, start)
}

// appendMDSCreateEvent is the monitor's MDS create event report, with the
// relative time attribute.
func appendMDSCreateEvent(dst []byte, invoke uint16, now uint32) []byte {
	start := len(dst)
	dst = beginData(dst, roIV, invoke, cmdConfirmedEventReport)
	dst = appendMDS(dst)
	dst = put32(dst, now)
	dst = put16(dst, notiMDSCreate)
	dst = put16(dst, 6+4+8)
	dst = appendMDS(dst)
	dst = put16(dst, 1) // attribute list: relative time
	dst = put16(dst, 8)
	dst = put16(dst, attrTimeRel)
	dst = put16(dst, 4)
	dst = put32(dst, now)
	return endData(dst, start)
}

// appendROError is a remote operation error without appended data.
func appendROError(dst []byte, invoke, errVal uint16) []byte {
	dst = put16(dst, 0xE100)
	dst = put16(dst, 2)
	dst = put16(dst, roER)
	dst = put16(dst, 6)
	dst = put16(dst, invoke)
	dst = put16(dst, errVal)
	return put16(dst, 0)
}

// pollResult builds a poll data result.
type pollResult struct {
	buf     []byte
	start   int
	list    int // offset of the PollInfoList
	ctxHead int // offset of the SingleContextPoll
	nObs    uint16
}

// begin starts a (single or extended) poll result with one naming context.
func (p *pollResult) begin(dst []byte, invoke, action, pollNo, seq uint16, rel uint32, objType, grp uint16) {
	p.buf, p.start, p.nObs = dst, len(dst), 0
	p.buf = beginData(p.buf, roRS, invoke, cmdConfirmedAction)
	p.buf = appendMDS(p.buf)
	p.buf = put16(p.buf, action)
	p.buf = put16(p.buf, 0) // length, set by end
	p.buf = put16(p.buf, pollNo)
	if action == actPollExt {
		p.buf = put16(p.buf, seq)
	}
	p.buf = put32(p.buf, rel)
	p.buf = append(p.buf, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	p.buf = put16(p.buf, partObj)
	p.buf = put16(p.buf, objType)
	p.buf = put16(p.buf, grp)
	p.list = len(p.buf)
	p.buf = put16(p.buf, 1) // one context
	p.buf = put16(p.buf, 0)
	p.ctxHead = len(p.buf)
	p.buf = put16(p.buf, 0) // context_id
	p.buf = put16(p.buf, 0) // observation count
	p.buf = put16(p.buf, 0)
}

// obj starts an observation: handle, then the attribute list whose count
// and length attrEnd fills. It returns the list's offset.
func (p *pollResult) obj(handle uint16) int {
	p.nObs++
	p.buf = put16(p.buf, handle)
	at := len(p.buf)
	p.buf = put32(p.buf, 0)
	return at
}

func (p *pollResult) attrEnd(at int, count uint16) {
	binary.BigEndian.PutUint16(p.buf[at:], count)
	binary.BigEndian.PutUint16(p.buf[at+2:], uint16(len(p.buf)-at-4))
}

func (p *pollResult) label(label uint32) {
	p.buf = put16(p.buf, attrLabel)
	p.buf = put16(p.buf, 4)
	p.buf = put32(p.buf, label)
}

func (p *pollResult) labelString(s string) {
	p.buf = put16(p.buf, attrLabelStr)
	p.buf = put16(p.buf, uint16(2+2*len(s)))
	p.buf = put16(p.buf, uint16(2*len(s)))
	for i := range len(s) {
		p.buf = put16(p.buf, uint16(s[i]))
	}
}

func appendValue(dst []byte, v obsValue) []byte {
	dst = put16(dst, v.physio)
	dst = put16(dst, v.state)
	dst = put16(dst, v.unit)
	return put32(dst, v.raw)
}

// value appends a Numeric Observed Value attribute.
func (p *pollResult) value(v obsValue) {
	p.buf = put16(p.buf, attrNuObs)
	p.buf = put16(p.buf, 10)
	p.buf = appendValue(p.buf, v)
}

// compound appends a Compound Numeric Observed Value attribute.
func (p *pollResult) compound(vs []obsValue) {
	p.buf = put16(p.buf, attrNuCmpdObs)
	p.buf = put16(p.buf, uint16(4+10*len(vs)))
	p.buf = put16(p.buf, uint16(len(vs)))
	p.buf = put16(p.buf, uint16(10*len(vs)))
	for _, v := range vs {
		p.buf = appendValue(p.buf, v)
	}
}

// end fills the lengths and returns the message.
func (p *pollResult) end() []byte {
	b := p.buf
	binary.BigEndian.PutUint16(b[p.ctxHead+2:], p.nObs)
	binary.BigEndian.PutUint16(b[p.ctxHead+4:], uint16(len(b)-p.ctxHead-6))
	binary.BigEndian.PutUint16(b[p.list+2:], uint16(len(b)-p.list-4))
	// ActionResult length: from after its length field to the end.
	actionLen := p.start + 14 + 6 + 2 + 2
	binary.BigEndian.PutUint16(b[actionLen-2:], uint16(len(b)-actionLen))
	return endData(b, p.start)
}
