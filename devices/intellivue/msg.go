package intellivue

import (
	"bytes"
	"encoding/binary"
	"math"
)

// rd reads big-endian fields (the protocol's network byte order) with a
// sticky error: a message shorter than its fields leaves ok false and
// yields zeros, so parsing code stays flat.
type rd struct {
	b  []byte
	ok bool
}

func newRd(b []byte) rd { return rd{b: b, ok: true} }

func (r *rd) u8() uint8 {
	if len(r.b) < 1 {
		r.ok = false
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *rd) u16() uint16 {
	if len(r.b) < 2 {
		r.ok, r.b = false, nil
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *rd) u32() uint32 {
	if len(r.b) < 4 {
		r.ok, r.b = false, nil
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// take returns the next n bytes as a reader of their own.
func (r *rd) take(n int) rd {
	if n < 0 || len(r.b) < n {
		r.ok, r.b = false, nil
		return rd{}
	}
	s := rd{b: r.b[:n], ok: true}
	r.b = r.b[n:]
	return s
}

// Parse errors: the field that did not fit, for FrameError.Field.
type parseError struct{ field string }

func (e *parseError) Error() string { return "malformed " + e.field }

var (
	errSPpdu      = &parseError{"SPpdu"}
	errROSE       = &parseError{"remote operation header"}
	errEvent      = &parseError{"event report"}
	errAction     = &parseError{"action result"}
	errPollReply  = &parseError{"poll reply"}
	errPollList   = &parseError{"poll info list"}
	errAttrList   = &parseError{"attribute list"}
	errObsValue   = &parseError{"observed value"}
	errUserData   = &parseError{"association user data"}
	errTooManyVal = &parseError{"poll result (more values than the driver keeps)"}
	errRequest    = &parseError{"poll request"}
)

// dataMsg is a data export message's outer layers.
type dataMsg struct {
	ctx    uint16 // p_context_id
	ro     uint16 // ro_type
	linked uint8  // ROLRS state
	invoke uint16
	cmd    uint16
	errVal uint16 // ROER error_value
	body   rd     // what follows the ROIV/RORS/ROLRS/ROER header
}

func parseData(m []byte) (dataMsg, error) {
	r := newRd(m)
	var d dataMsg
	if r.u16() != 0xE100 {
		return d, errSPpdu
	}
	d.ctx = r.u16()
	d.ro = r.u16()
	body := r.take(int(r.u16()))
	if !r.ok || len(r.b) != 0 {
		return d, errROSE
	}
	switch d.ro {
	case roLRS:
		d.linked = body.u8()
		body.u8() // count
		fallthrough
	case roIV, roRS:
		d.invoke = body.u16()
		d.cmd = body.u16()
	case roER:
		d.invoke = body.u16()
		d.errVal = body.u16()
	}
	d.body = body.take(int(body.u16()))
	if !body.ok || len(body.b) != 0 {
		return d, errROSE
	}
	return d, nil
}

// managedObject is a ManagedObjectId.
type managedObject struct{ class, ctx, handle uint16 }

func (r *rd) object() managedObject {
	return managedObject{r.u16(), r.u16(), r.u16()}
}

// eventReport is an EventReportArgument and its data.
type eventReport struct {
	obj   managedObject
	time  uint32
	event uint16
	data  rd
}

func parseEvent(d dataMsg) (eventReport, error) {
	r := d.body
	e := eventReport{obj: r.object(), time: r.u32(), event: r.u16()}
	e.data = r.take(int(r.u16()))
	if !r.ok || len(r.b) != 0 {
		return e, errEvent
	}
	return e, nil
}

// pollReply is a (single or extended) poll data reply, the data of an
// action result.
type pollReply struct {
	action  uint16
	pollNo  uint16
	seq     uint16
	relTime uint32
	objType uint16 // polled_obj_type code (partition NOM_PART_OBJ)
	attrGrp uint16
	list    rd // PollInfoList, checked by walkPoll
}

func parsePollReply(d dataMsg) (pollReply, error) {
	r := d.body
	r.object()
	p := pollReply{action: r.u16()}
	data := r.take(int(r.u16()))
	if !r.ok || len(r.b) != 0 {
		return p, errAction
	}
	if p.action != actPoll && p.action != actPollExt {
		return p, nil
	}
	p.pollNo = data.u16()
	if p.action == actPollExt {
		p.seq = data.u16()
	}
	p.relTime = data.u32()
	data.take(8) // abs_time_stamp: not supported by the monitor (all 0xFF)
	if data.u16() != partObj {
		return p, errPollReply
	}
	p.objType = data.u16()
	p.attrGrp = data.u16()
	p.list = data
	if !data.ok {
		return p, errPollReply
	}
	return p, nil
}

// obsValue is one NuObsValue.
type obsValue struct {
	physio uint16
	state  uint16
	unit   uint16
	value  float64 // NaN for the special values
	raw    uint32
}

// observation is what the driver keeps of one numeric object in a poll
// result.
type observation struct {
	ctx, handle uint16
	label       uint32
	hasLabel    bool
	labelStr    [16]byte
	labelStrN   uint8
	first, n    int // its values in the walker's vals
}

// walker walks a PollInfoList into fixed-size buffers: a poll result is
// checked whole before anything in it is used.
type walker struct {
	obs  []observation
	vals []obsValue
}

const (
	maxObs  = 128
	maxVals = 256
)

func newWalker() *walker {
	return &walker{obs: make([]observation, 0, maxObs), vals: make([]obsValue, 0, maxVals)}
}

// walkPoll reads a PollInfoList. Attributes it does not know are skipped
// (guide, "Parsing AttributeLists").
func (w *walker) walkPoll(list rd) error {
	w.obs, w.vals = w.obs[:0], w.vals[:0]
	r := list
	count := int(r.u16())
	body := r.take(int(r.u16()))
	if !r.ok || len(r.b) != 0 {
		return errPollList
	}
	for range count {
		ctx := body.u16()
		n := int(body.u16())
		ctxBody := body.take(int(body.u16()))
		if !body.ok {
			return errPollList
		}
		for range n {
			o := observation{ctx: ctx, handle: ctxBody.u16(), first: len(w.vals)}
			attrs := ctxBody
			if err := w.walkAttrs(&attrs, &o); err != nil {
				return err
			}
			ctxBody = attrs
			if !ctxBody.ok {
				return errPollList
			}
			if len(w.obs) == maxObs {
				return errTooManyVal
			}
			w.obs = append(w.obs, o)
		}
		if len(ctxBody.b) != 0 {
			return errPollList
		}
	}
	if len(body.b) != 0 {
		return errPollList
	}
	return nil
}

func (w *walker) walkAttrs(r *rd, o *observation) error {
	count := int(r.u16())
	list := r.take(int(r.u16()))
	if !r.ok {
		return errAttrList
	}
	for range count {
		id := list.u16()
		v := list.take(int(list.u16()))
		if !list.ok {
			return errAttrList
		}
		switch id {
		case attrLabel:
			o.label, o.hasLabel = v.u32(), true
			if !v.ok || len(v.b) != 0 {
				return errAttrList
			}
		case attrLabelStr:
			o.labelStrN = uint8(readLabelString(v, o.labelStr[:]))
		case attrNuObs:
			if err := w.value(&v, o); err != nil {
				return err
			}
			if len(v.b) != 0 {
				return errObsValue
			}
		case attrNuCmpdObs:
			n := int(v.u16())
			vs := v.take(int(v.u16()))
			if !v.ok || len(v.b) != 0 || len(vs.b) != 10*n {
				return errObsValue
			}
			for range n {
				if err := w.value(&vs, o); err != nil {
					return err
				}
			}
		}
	}
	if len(list.b) != 0 {
		return errAttrList
	}
	return nil
}

func (w *walker) value(r *rd, o *observation) error {
	v := obsValue{physio: r.u16(), state: r.u16(), unit: r.u16(), raw: r.u32()}
	if !r.ok {
		return errObsValue
	}
	if len(w.vals) == maxVals {
		return errTooManyVal
	}
	v.value = decodeFloat(v.raw)
	w.vals = append(w.vals, v)
	o.n++
	return nil
}

// readLabelString keeps the ASCII of a label String (UNICODE code units),
// '?' for anything else, at most len(dst) characters.
func readLabelString(r rd, dst []byte) int {
	n := int(r.u16())
	k := 0
	for i := 0; i < n/2 && k < len(dst); i++ {
		c := r.u16()
		if !r.ok || c == 0 {
			break
		}
		if c < 0x20 || c > 0x7E {
			c = '?'
		}
		dst[k] = byte(c)
		k++
	}
	return k
}

// The FLOAT-Type: 8-bit signed exponent, 24-bit signed mantissa, value
// mantissa·10^exponent; four mantissas are special.
const (
	floatNaN     = 0x7FFFFF
	floatNRes    = 0x800000
	floatPosInf  = 0x7FFFFE
	floatNegInf  = 0x800002
	maxMantissa  = 1<<23 - 3
	floatNaNWord = 0x007FFFFF
)

// pos10[k] is 10^k, exact up to 10^22.
var pos10 = func() (t [129]float64) {
	for k := range t {
		t[k] = math.Pow10(k)
	}
	return t
}()

func decodeFloat(v uint32) float64 {
	m := v & 0xFFFFFF
	switch m {
	case floatNaN, floatNRes:
		return math.NaN()
	case floatPosInf:
		return math.Inf(1)
	case floatNegInf:
		return math.Inf(-1)
	}
	mant := int32(m<<8) >> 8
	e := int(int8(v >> 24))
	if e < 0 {
		// Divide by the exact power of ten: 3651 / 100 is the float64
		// nearest 36.51, 3651 * 0.01 may not be.
		return float64(mant) / pos10[-e]
	}
	return float64(mant) * pos10[e]
}

// encodeFloat finds the shortest exact encoding of v with an exponent from
// 0 down to -6, or the closest with the finest exponent that fits.
func encodeFloat(v float64) uint32 {
	if math.IsNaN(v) {
		return floatNaNWord
	}
	if math.IsInf(v, 1) {
		return floatPosInf
	}
	if math.IsInf(v, -1) {
		return floatNegInf
	}
	best := uint32(floatNaNWord)
	for e := 0; e >= -6; e-- {
		m := math.Round(v * math.Pow10(-e))
		if math.Abs(m) > maxMantissa {
			break
		}
		w := uint32(uint8(int8(e)))<<24 | uint32(int32(m))&0xFFFFFF
		best = w
		if decodeFloat(w) == v {
			return w
		}
	}
	if best == floatNaNWord && math.Abs(v) > maxMantissa {
		// Large values: positive exponents.
		for e := 1; e < 10; e++ {
			m := math.Round(v / math.Pow10(e))
			if math.Abs(m) <= maxMantissa {
				return uint32(uint8(e))<<24 | uint32(int32(m))&0xFFFFFF
			}
		}
	}
	return best
}

// Association control.

// userInfo is the part of MDSEUserInfoStd the driver uses.
type userInfo struct {
	protocol, nomenclature, systemType uint32
	minPollPeriod                      uint32 // RelativeTime ticks
	mtuRx, mtuTx                       uint32
	extOptions                         uint32 // PollProfileExt options; 0 without the package
	hasProfile, hasExt                 bool
}

var userDataMark = []byte{0xBE, 0x80, 0x28, 0x80}

// parseUserInfo finds and reads the MDSEUserInfoStd of an association
// request or response: after the presentation header's 0xBE 0x80 0x28 0x80
// … 0x81 (guide, "Association Response Message").
func parseUserInfo(m []byte) (userInfo, error) {
	var u userInfo
	i := bytes.Index(m, userDataMark)
	if i < 0 {
		return u, errUserData
	}
	j := bytes.IndexByte(m[i+len(userDataMark):], 0x81)
	if j < 0 {
		return u, errUserData
	}
	r := newRd(m[i+len(userDataMark)+j+1:])
	n := int(r.u8())
	if n&0x80 != 0 {
		k := n & 0x7F
		n = 0
		for range k {
			n = n<<8 | int(r.u8())
		}
	}
	info := r.take(n)
	if !r.ok {
		return u, errUserData
	}
	u.protocol = info.u32()
	u.nomenclature = info.u32()
	info.u32() // functional units
	u.systemType = info.u32()
	info.u32() // startup mode
	info.u16() // option_list: no options are defined
	info.take(int(info.u16()))
	pcount := int(info.u16())
	profiles := info.take(int(info.u16()))
	if !info.ok {
		return u, errUserData
	}
	for range pcount {
		id := profiles.u16()
		v := profiles.take(int(profiles.u16()))
		if !profiles.ok {
			return u, errUserData
		}
		if id != attrPollProfileSupport {
			continue
		}
		u.hasProfile = true
		v.u32() // revision
		u.minPollPeriod = v.u32()
		u.mtuRx = v.u32()
		u.mtuTx = v.u32()
		v.u32() // bandwidth
		v.u32() // options
		pk := int(v.u16())
		pkgs := v.take(int(v.u16()))
		for range pk {
			pid := pkgs.u16()
			pv := pkgs.take(int(pkgs.u16()))
			if pid == attrPollProfileExt {
				u.hasExt = true
				u.extOptions = pv.u32()
			}
		}
		if !v.ok || !pkgs.ok {
			return u, errUserData
		}
	}
	return u, nil
}
