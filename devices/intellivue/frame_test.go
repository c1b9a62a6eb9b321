package intellivue

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
)

// The guide's two framing examples ("Frame Abort", page 31): the FCS of
// 0x3A 0x71 and of 0x3A 0x91, complemented and sent LSB first, the second
// with its 0xC1 escaped. (The examples leave out the header: the FCS and
// the escaping are checked here on the bare data.)
func TestFCSGuideExamples(t *testing.T) {
	for _, tc := range []struct{ data, frame []byte }{
		{[]byte{0x3a, 0x71}, []byte{0xc0, 0x3a, 0x71, 0x9b, 0x26, 0xc1}},
		{[]byte{0x3a, 0x91}, []byte{0xc0, 0x3a, 0x91, 0x95, 0x7d, 0xe1, 0xc1}},
	} {
		fcs := ^fcs16(tc.data)
		got := append([]byte{bof}, appendEscaped(nil, append(bytes.Clone(tc.data), byte(fcs), byte(fcs>>8)))...)
		got = append(got, eof)
		assert.Equal(t, tc.frame, got)
		// The receiver's check: the FCS over data and FCS is the good value.
		assert.Equal(t, uint16(fcsGood), fcs16(append(bytes.Clone(tc.data), byte(fcs), byte(fcs>>8))))
	}
}

// The guide's worked lengths for its association request: presentation
// header length 220, session header length 236 (page 304), with the user
// data of its example (72 bytes).
func TestAssociationRequestLengths(t *testing.T) {
	m := appendAssoc(nil, userInfo{minPollPeriod: 2500, mtuRx: 2500, mtuTx: 1000, extOptions: pollExtPeriodNu60s}, true)
	require.Greater(t, len(m), 20)
	assert.Equal(t, byte(spduCN), m[0])
	assert.Equal(t, byte(236), m[1])
	assert.Equal(t, byte(0xC1), m[16])
	assert.Equal(t, byte(220), m[17])
	assert.Len(t, m, 2+236)
	u, err := parseUserInfo(m)
	require.NoError(t, err)
	assert.Equal(t, uint32(2500), u.minPollPeriod)
	assert.True(t, u.hasExt)
	assert.Equal(t, uint32(pollExtPeriodNu60s), u.extOptions)
}

// The guide's FLOAT-Type examples ("FLOAT-Type", page 41).
func TestFloatGuideExamples(t *testing.T) {
	assert.Equal(t, 32.0, decodeFloat(0xfd007d00))
	assert.Equal(t, 32.0, decodeFloat(0xff000140))
	assert.Equal(t, 3200.0, decodeFloat(0x01000140))
	assert.Equal(t, 3200.0, decodeFloat(0x02000020))
	assert.True(t, decodeFloat(0x007fffff) != decodeFloat(0x007fffff), "NaN")
	assert.True(t, decodeFloat(0x00800000) != decodeFloat(0x00800000), "NRes")
	for _, v := range []float64{36.51, -3.2, 0, 120, 98.6, 7.5, 0.01} {
		assert.Equal(t, v, decodeFloat(encodeFloat(v)), "%v", v)
	}
}

type collect struct {
	msgs [][]byte
	offs []int64
	bad  []devices.FrameError
}

func (c *collect) message(m []byte, off int64, _ int) {
	c.msgs = append(c.msgs, bytes.Clone(m))
	c.offs = append(c.offs, off)
}
func (c *collect) badFrame(e *devices.FrameError) { c.bad = append(c.bad, *e.Clone()) }

func TestFramerFindsEitherFraming(t *testing.T) {
	a := appendPoll(nil, 1, 1, mocVMOMetricNu, grpMetricObs, true, 160000)
	b := appendMDSCreateResult(nil, 2, managedObject{class: mocVMSMDS}, 7)
	lan := append(bytes.Clone(a), b...)
	ser := appendSerial(appendSerial(nil, a), b)
	for _, tc := range []struct {
		name string
		in   []byte
		mode link
	}{{"lan", lan, linkLAN}, {"serial", ser, linkSerial}, {"serial after garbage", append([]byte("\r\n\x0d\x20junk"), ser...), linkSerial}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{1, 3, len(tc.in)} {
				f := newFramer()
				f.reset(linkUnknown, false)
				var c collect
				for i := 0; i < len(tc.in); i += step {
					f.feed(tc.in[i:min(i+step, len(tc.in))], &c)
				}
				f.flush(&c)
				assert.Equal(t, tc.mode, f.mode)
				require.Len(t, c.msgs, 2, "step %d", step)
				assert.Equal(t, a, c.msgs[0])
				assert.Equal(t, b, c.msgs[1])
			}
		})
	}
}
