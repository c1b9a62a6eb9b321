package s5

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/capture"
)

// The test inputs under testdata/ are written by this file, byte for byte,
// from the layouts of the Datex-Ohmeda Record Specification (8005313, 12th
// edition) and the framing of the S/5 Computer Interface Specification
// (M1017617, 12th edition). It does not use the driver's encoder or its
// layout constants: the offsets below are summed from the document's
// structs, field by field, and TestLayoutFollowsTheDocument holds the
// driver's constants to them. TestCasesAreGenerated checks that the
// committed inputs are what this file writes; S5_WRITE_CASES=1 rewrites
// them.

// field is a struct member: its name and size in bytes.
type field struct {
	name string
	size int
}

const hdr = 6 // struct group_hdr: dword status, word label

// The physiological classes (8005313, 3.5 to 3.8), member by member.
var (
	docBasic = []field{
		{"ecg", hdr + 5*2}, {"p1", hdr + 4*2}, {"p2", hdr + 4*2}, {"p3", hdr + 4*2}, {"p4", hdr + 4*2},
		{"nibp", hdr + 4*2}, {"t1", hdr + 2}, {"t2", hdr + 2}, {"t3", hdr + 2}, {"t4", hdr + 2},
		{"spo2", hdr + 4*2}, {"co2", hdr + 4*2}, {"o2", hdr + 2*2}, {"n2o", hdr + 2*2}, {"aa", hdr + 3*2},
		{"flow_vol", hdr + 8*2}, {"co_wedge", hdr + 4*2}, {"nmt", hdr + 3*2}, {"ecg_extra", 3 * 2},
		{"svo2", hdr + 2}, {"p5", hdr + 4*2}, {"p6", hdr + 4*2}, {"reserved", 2},
	}
	docExt1 = []field{
		{"arrh_ecg", hdr + 3*2 + 4 + 16*2}, {"ecg12", hdr + 12*2}, {"p7", hdr + 4*2}, {"p8", hdr + 4*2},
		{"spo2_ch2", hdr + 4*2}, {"t5", hdr + 2}, {"t6", hdr + 2}, {"reserved", 134},
	}
	docExt2 = []field{
		{"nmt2", hdr + 9*2}, {"eeg", hdr + 2 + 4*8*2}, {"eeg_bis", hdr + 5*2}, {"entropy", hdr + 3*2 + 8*2},
		{"reserved", 58}, {"eeg2", hdr + 10 + 8*2}, {"spi", hdr + 2 + 4*2}, {"reserved2", 24},
	}
	docClasses = [][]field{docBasic, docExt1, docExt2}
)

// docOffset returns the offset of member name in the class.
func docOffset(class []field, name string) int {
	off := 0
	for _, f := range class {
		if f.name == name {
			return off
		}
		off += f.size
	}
	panic("no member " + name)
}

func docSize(class []field) int { return docOffset(append(class, field{name: "end"}), "end") }

func TestLayoutFollowsTheDocument(t *testing.T) {
	for i, c := range docClasses {
		assert.Equal(t, 270, docSize(c), "class %d: 278 bytes less time, marker, reserved, cl_drilvl_subt", i)
	}
	assert.Equal(t, dataSize, docSize(docBasic))
	for _, tc := range []struct {
		class []field
		name  string
		got   int
	}{
		{docBasic, "ecg", basicECG}, {docBasic, "p1", basicP1}, {docBasic, "p2", pressureSlots[1].off},
		{docBasic, "p3", pressureSlots[2].off}, {docBasic, "p4", pressureSlots[3].off},
		{docBasic, "nibp", basicNIBP}, {docBasic, "t1", basicT1}, {docBasic, "t2", temperatureSlots[1].off},
		{docBasic, "t3", temperatureSlots[2].off}, {docBasic, "t4", temperatureSlots[3].off},
		{docBasic, "spo2", basicSpO2}, {docBasic, "co2", basicCO2}, {docBasic, "o2", basicO2},
		{docBasic, "n2o", basicN2O}, {docBasic, "aa", basicAA}, {docBasic, "flow_vol", basicFlowVol},
		{docBasic, "co_wedge", basicCOWedge}, {docBasic, "nmt", basicNMT}, {docBasic, "ecg_extra", basicECGX},
		{docBasic, "svo2", basicSvO2}, {docBasic, "p5", basicP5}, {docBasic, "p6", pressureSlots[5].off},
		{docExt1, "arrh_ecg", ext1ArrhECG}, {docExt1, "ecg12", ext1ECG12}, {docExt1, "p7", ext1P7},
		{docExt1, "p8", pressureSlots[7].off}, {docExt1, "spo2_ch2", ext1SpO2}, {docExt1, "t5", ext1T5},
		{docExt1, "t6", temperatureSlots[5].off},
		{docExt2, "nmt2", ext2NMT2}, {docExt2, "eeg", ext2EEG}, {docExt2, "eeg_bis", ext2BIS},
		{docExt2, "entropy", ext2Entropy}, {docExt2, "eeg2", ext2EEG2}, {docExt2, "spi", ext2SPI},
	} {
		assert.Equal(t, docOffset(tc.class, tc.name), tc.got, tc.name)
	}
	assert.Equal(t, 2+1+1+2+4+1+1+2+2+8*(2+1), headerSize, "struct datex_hdr")
	assert.Equal(t, 4+270+1+1+2, phdbSize, "struct dri_phdb")
	assert.Equal(t, 4+2+4+4+2+98, auxSize, "struct aux_phdb_info")
	assert.Equal(t, 1+2+4+2, requestSize, "struct dri_phdb_req")
}

// record builds one Datex-Ohmeda record.
type record struct {
	main    int16
	nbr     byte
	time    uint32
	subs    [][]byte // subrecords, in order
	types   []byte
	classes [][]byte // the class data of each displayed-values subrecord
}

// displayed returns a record of displayed values with one subrecord per
// class given, every group absent (status 0) and its values DATA_INVALID.
func displayed(nbr byte, secs uint32, classes ...int) *record {
	r := &record{nbr: nbr, time: secs}
	for _, c := range classes {
		sr := make([]byte, 278)
		binary.LittleEndian.PutUint32(sr, secs)
		binary.LittleEndian.PutUint16(sr[276:], uint16(c)<<8)
		data := sr[4:274]
		if c < len(docClasses) {
			off := 0
			for _, f := range docClasses[c] {
				if f.size > hdr && f.name != "reserved" && f.name != "reserved2" && f.name != "ecg_extra" {
					for k := off + hdr; k+2 <= off+f.size; k += 2 {
						binary.LittleEndian.PutUint16(data[k:], 0x8001) // -32767
					}
				}
				off += f.size
			}
		}
		r.subs = append(r.subs, sr)
		r.types = append(r.types, 1)
		r.classes = append(r.classes, data)
	}
	return r
}

// group writes a group of class number ci (its position in the record):
// status, label, values from the first.
func (r *record) group(ci int, class []field, name string, status uint32, label uint16, vals ...int16) *record {
	off := docOffset(class, name)
	b := r.classes[ci][off:]
	binary.LittleEndian.PutUint32(b, status)
	binary.LittleEndian.PutUint16(b[4:], label)
	for k, v := range vals {
		binary.LittleEndian.PutUint16(b[hdr+2*k:], uint16(v))
	}
	return r
}

// bytes returns the record: header, then the subrecords in order.
func (r *record) bytes() []byte {
	n := 40
	for _, s := range r.subs {
		n += len(s)
	}
	rec := make([]byte, 40, n)
	le := binary.LittleEndian
	le.PutUint16(rec[0:], uint16(n)) // r_len
	rec[2] = r.nbr                   // r_nbr
	rec[3] = 10                      // dri_level: DRI_LEVEL_04
	le.PutUint32(rec[6:], r.time)    // r_time
	le.PutUint16(rec[14:], uint16(r.main))
	off := 0
	for i, s := range r.subs {
		le.PutUint16(rec[16+3*i:], uint16(off))
		rec[16+3*i+2] = r.types[i]
		off += len(s)
	}
	if len(r.subs) < 8 {
		rec[16+3*len(r.subs)+2] = 0xFF // DRI_EOL_SUBR_LIST
	}
	for _, s := range r.subs {
		rec = append(rec, s...)
	}
	return rec
}

// frame returns the record framed for the serial line: flag, the record
// and its checksum with 0x7E and 0x7D escaped, flag.
func frame(rec []byte) []byte {
	var sum byte
	for _, b := range rec {
		sum += b
	}
	out := []byte{0x7E}
	for _, b := range append(bytes.Clone(rec), sum) {
		if b == 0x7E || b == 0x7D {
			out = append(out, 0x7D, b&^0x20)
			continue
		}
		out = append(out, b)
	}
	return append(out, 0x7E)
}

// Status words: exists and active; the ECG word of a public recording
// (exists, active, heart rate source 9); CO2 with apnea deactivated.
const (
	on      = 0x3
	present = 0x1 // exists, not active
	ecgOn   = 0x4B
	co2On   = 0x107
)

// Labels (8005313, Tables 3-16 and 3-20).
const (
	lART, lCVP, lPA, lRAP, lABP, lP1, lP5, lP6, lFEM = 1, 2, 3, 4, 8, 9, 13, 14, 16
	tESO, tNASO, tAXIL, tBLAD, tT1, tT2, tT3, tT4    = 1, 2, 6, 5, 11, 12, 13, 14
)

const t0 = 1772438400 // 2026-03-02T08:00:00Z

// typical is a displayed-values record as a CARESCAPE monitor sends it in
// answer to the driver's request (basic, ext1, ext2), before bypass:
// ECG, SpO2 and CO2 with the values of a public recording (HR 80, SpO2
// 96.65 % pulse 83, EtCO2 4.87 % at 759.8 mmHg, RR 15), an arterial line
// on P1, CVP on P2, a PA catheter on P4, nasopharyngeal and bladder
// probes, an oesophageal probe on T5, the PA catheter's blood temperature
// and BIS.
func typical(nbr byte, secs uint32, hr, sys, dia, mean, cvp int16, naso, blad int16, bis int16) *record {
	r := displayed(nbr, secs, 0, 1, 2)
	r.group(0, docBasic, "ecg", ecgOn, 0x1200, hr, 20, -32767, -32767, 17)
	r.group(0, docBasic, "p1", on, lART, sys, dia, mean, hr)
	r.group(0, docBasic, "p2", on, lCVP, -32767, -32767, cvp, -32767)
	r.group(0, docBasic, "p3", 0, lFEM)
	r.group(0, docBasic, "p4", on, lPA, 2800, 1200, 1900, -32767)
	r.group(0, docBasic, "p5", 0, lP5)
	r.group(0, docBasic, "p6", 0, lP6)
	r.group(0, docBasic, "nibp", on, 0x0B, 9300, 4800, 6900, -32767)
	r.group(0, docBasic, "t1", on, tNASO, naso)
	r.group(0, docBasic, "t2", on, tBLAD, blad)
	r.group(0, docBasic, "t3", 0, tT3)
	r.group(0, docBasic, "t4", 0, tT4)
	r.group(0, docBasic, "spo2", on, 0, 9665, 83, 377, -32767)
	r.group(0, docBasic, "co2", co2On, 9, 487, 26, 15, 7598)
	r.group(0, docBasic, "co_wedge", on, 0, -32767, 3690, -32767, -32767)
	r.group(1, docExt1, "t5", on, tESO, 3660)
	r.group(2, docExt2, "eeg_bis", on, 0, bis, 92, 30, 0, 0)
	return r
}

// cases returns the input of every generated case by folder name.
func cases(t testing.TB) map[string][]byte {
	join := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	in := map[string][]byte{}

	basic := [][]byte{
		frame(typical(2, t0, 80, 12000, 6500, 8500, 900, 3650, 3710, 45).bytes()),
		frame(typical(3, t0+1, 81, 11850, 6420, 8380, 850, 3648, 3710, 47).bytes()),
		// On bypass: non-pulsatile arterial pressure, cooling, no BIS.
		frame(typical(4, t0+2, 0, 6000, 5000, 5500, 300, 3200, 3350, -32767).bytes()),
	}
	in["basic"] = join(basic...)

	// Special values and status bits to quality.
	sp := typical(5, t0, 80, 12000, 6500, 8500, 900, 3650, 3710, 45)
	sp.group(0, docBasic, "ecg", ecgOn|1<<8, 0x1200, 80)            // artifact: questionable
	sp.group(0, docBasic, "p1", on|1<<2, lART, 12000, 6500, 8500)   // zeroing: questionable
	sp.group(0, docBasic, "p2", present, lCVP, -32767, -32767, 900) // not active: unavailable
	sp.group(0, docBasic, "p4", on, lPA, -32764, -32763, -32762)    // under, over range; not calibrated
	sp.group(0, docBasic, "t1", on, tNASO, -32766)                  // not updated: stale
	sp.group(0, docBasic, "t2", on, tBLAD, 0)                       // 0.00 °C: out of range
	sp.group(0, docBasic, "spo2", on, 0, -32001, -32000)            // an unknown special value; pulse -320 out of range
	sp.group(0, docBasic, "co2", co2On, 9, 487, 26, 15, -32767)     // no ambient pressure: EtCO2 unavailable
	sp.group(0, docBasic, "co_wedge", 0, 0, -32767, 3690)           // CO module absent
	sp.group(2, docExt2, "eeg_bis", present, 0, 45)                 // BIS not active
	sp2 := typical(6, t0+1, 80, 12000, 6500, 8500, 900, 3650, 3710, 45)
	sp2.group(0, docBasic, "co2", co2On|1<<5, 9, 487, 26, 15, 7598) // occlusion: questionable
	sp2.group(0, docBasic, "t1", on, tNASO, 4600)                   // 46 °C: out of range
	in["special"] = join(frame(sp.bytes()), frame(sp2.bytes()))

	// Labels the default map does not know, and sites given twice.
	lb := typical(7, t0, 80, 12000, 6500, 8500, 900, 3650, 3710, 45)
	lb.group(0, docBasic, "p1", on, lFEM, 11000, 6000, 7800, 80)
	lb.group(0, docBasic, "p2", on, lART, 12000, 6500, 8500, 80)
	lb.group(0, docBasic, "p3", on, lART, 9000, 5000, 7000, 80) // a second ART: not emitted
	lb.group(0, docBasic, "p4", on, lRAP, -32767, -32767, 800, -32767)
	lb.group(0, docBasic, "p5", on, 99, 1000, 500, 700, -32767) // a label outside the table
	lb.group(0, docBasic, "p6", on, lP6, 2000, 1000, 1500, -32767)
	lb.group(0, docBasic, "t1", on, tT1, 3640)
	lb.group(0, docBasic, "t2", on, tAXIL, 3500)
	lb.group(0, docBasic, "t3", on, tNASO, 3650)
	lb.group(0, docBasic, "t4", on, tNASO, 3600) // a second NASO: not emitted
	lb.group(1, docExt1, "t5", on, 200, 3700)    // a label outside the table
	lb.group(1, docExt1, "p7", on, lABP, 13000, 7000, 9000, 80)
	in["labels"] = frame(lb.bytes())
	in["sitemap"] = in["labels"]

	// Damage: a stream starting mid-frame, a bad checksum, a wrong r_len
	// (with a right checksum), a frame shorter than a header, a bad escape,
	// a subrecord beyond the record, a frame whose bytes were lost (three
	// flags), and a stream cut inside a frame.
	good := frame(typical(8, t0, 80, 12000, 6500, 8500, 900, 3650, 3710, 45).bytes())
	good2 := frame(typical(9, t0+1, 82, 12100, 6600, 8600, 950, 3650, 3710, 46).bytes())
	badSum := bytes.Clone(good)
	badSum[len(badSum)-2] ^= 0x01
	longRec := typical(10, t0, 80, 12000, 6500, 8500, 900, 3650, 3710, 45).bytes()
	binary.LittleEndian.PutUint16(longRec, uint16(len(longRec)+2))
	shortRec := make([]byte, 20)
	badEsc := append(bytes.Clone(good[:100]), 0x7D, 0x41)
	badEsc = append(badEsc, good[100:]...)
	beyond := typical(11, t0, 80, 12000, 6500, 8500, 900, 3650, 3710, 45).bytes()
	binary.LittleEndian.PutUint16(beyond[16+3*2:], 700) // sr_desc[2]: 700 + 278 > 834
	in["damaged"] = join(good[len(good)/2:], good, badSum, frame(longRec), frame(shortRec), badEsc,
		frame(beyond), []byte{0x7E, 0x7E}, good2, good[:len(good)-200])

	// Records and subrecords that are not displayed values: a waveform
	// record, an alarm record, 60 s trend and auxiliary subrecords, a
	// subrecord type and a class outside the tables; then displayed values
	// of the basic class only.
	wave := (&record{main: 1, subs: [][]byte{make([]byte, 56)}, types: []byte{8}}).bytes()
	alarm := (&record{main: 4, subs: [][]byte{make([]byte, 40)}, types: []byte{1}}).bytes()
	trend := displayed(12, t0, 0)
	trend.types[0] = 3
	trend.subs = append(trend.subs, make([]byte, 114))
	trend.types = append(trend.types, 4)
	odd := displayed(13, t0, 0, 7)
	odd.types[0] = 9
	basicOnly := displayed(14, t0+1, 0)
	basicOnly.group(0, docBasic, "ecg", ecgOn, 0x1200, 75)
	basicOnly.group(0, docBasic, "spo2", on, 0, 9800, 75)
	in["other"] = join(frame(wave), frame(alarm), frame(trend.bytes()), frame(odd.bytes()), frame(basicOnly.bytes()))

	// A capture: the basic frames as a USB serial adapter hands them over
	// (reads of up to 256 bytes), with receive times.
	var cap bytes.Buffer
	w, err := capture.NewWriter(&cap, capture.Header{
		{Key: capture.KeyPort, Value: "/dev/ttyUSB0"},
		{Key: capture.KeySettings, Value: "19200 8E1 rts/cts"},
		{Key: capture.KeyStarted, Value: "2026-03-02T08:00:00Z"},
		{Key: capture.KeyNote, Value: "synthesised from the layouts of 8005313 and M1017617, 256-byte reads"},
		{Key: capture.KeyProgram, Value: "pumpside capture"},
	})
	require.NoError(t, err)
	for i, f := range basic {
		at := time.Unix(t0+int64(i), 0).Add(300 * time.Millisecond)
		for k := 0; k < len(f); k += 256 {
			require.NoError(t, w.Write(at.UnixNano(), f[k:min(k+256, len(f))]))
			at = at.Add(147 * time.Millisecond) // 256 bytes at 19200 8E1
		}
	}
	in["capture"] = cap.Bytes()
	return in
}

func TestCasesAreGenerated(t *testing.T) {
	for name, data := range cases(t) {
		file := "input"
		if name == "capture" {
			file = "input.cap"
		}
		path := filepath.Join("testdata", name, file)
		if os.Getenv("S5_WRITE_CASES") != "" {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, data, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "S5_WRITE_CASES=1 writes it")
		assert.True(t, bytes.Equal(data, got), "%s differs from what gen_test.go writes", path)
	}
}
