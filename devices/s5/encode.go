package s5

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// AppendRequest appends the frame of a physiological data transmission
// request (M1017617, "Transmission request" and Appendix A): a record of
// main type DRI_MT_PHDB with one subrecord of type 0, struct dri_phdb_req
// {phdb_rcrd_type, tx_ival, phdb_class_bf, reserved}. rcrdType is the
// subrecord wanted (1: displayed values); txIval the interval in seconds,
// 0 to stop, -1 for one transmission; classes the phdb_class_bf bits.
func AppendRequest(dst []byte, rcrdType byte, txIval int16, classes uint32) []byte {
	var rec [headerSize + requestSize]byte
	binary.LittleEndian.PutUint16(rec[hdrLen:], uint16(len(rec)))
	binary.LittleEndian.PutUint16(rec[hdrMainType:], mainPHDB)
	rec[hdrDesc+2] = phRequest // sr_desc[0]: offset 0
	rec[hdrDesc+descSize+2] = eolSubrecords
	req := rec[headerSize:]
	req[0] = rcrdType
	binary.LittleEndian.PutUint16(req[1:], uint16(txIval))
	binary.LittleEndian.PutUint32(req[3:], classes)
	return appendEscaped(dst, rec[:])
}

// driLevel is the interface level the encoder writes: DRI_LEVEL_04 (10),
// the level of the monitors in public recordings.
const driLevel = 10

// ambientEncoded is the ambient pressure the encoder writes, in 1/10 mmHg.
const ambientEncoded = 7600

// AppendFrame appends the frame of a displayed-values record carrying
// samples (all of one time), as the monitor answers the driver's request:
// one subrecord each of the basic, ext1 and ext2 classes. Each site gets
// the first label mapped to it (P1 ART, P2 CVP, P3 PA with the defaults;
// temperatures T1 to T6 in label order); channels the driver carries but
// samples lack are sent as DATA_INVALID, qualities other than ok as the
// matching special value.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	var rec [headerSize + 3*phdbSize]byte
	if err := d.fillRecord(rec[:], samples, 0, RequestClasses, false); err != nil {
		return dst, err
	}
	return appendEscaped(dst, rec[:]), nil
}

// recordSize is the length of a displayed-values record of the classes
// asked for with phdb_class_bf bits.
func recordSize(classes uint32) int {
	n := 0
	for c := range 4 {
		if wantClass(classes, c) {
			n++
		}
	}
	return headerSize + n*phdbSize
}

func wantClass(classes uint32, c int) bool {
	if c == classBasic {
		return classes&reqDenyBasic == 0
	}
	return classes&(1<<c) != 0
}

// fillRecord writes a displayed-values record of the classes asked for
// into rec (recordSize(classes) bytes, zeroed). lenient skips samples the
// record has no place for, instead of failing.
func (d *Driver) fillRecord(rec []byte, samples []monitor.Sample, nbr byte, classes uint32, lenient bool) error {
	var secs uint32
	if len(samples) > 0 {
		secs = uint32(samples[0].Time / 1e9)
	}
	le := binary.LittleEndian
	le.PutUint16(rec[hdrLen:], uint16(len(rec)))
	rec[hdrNbr] = nbr
	rec[hdrLevel] = driLevel
	le.PutUint32(rec[hdrTime:], secs)
	le.PutUint16(rec[hdrMainType:], mainPHDB)
	var subs [4][]byte
	n := 0
	for c := range subs {
		if !wantClass(classes, c) {
			continue
		}
		off := n * phdbSize
		le.PutUint16(rec[hdrDesc+descSize*n:], uint16(off))
		rec[hdrDesc+descSize*n+2] = phDispl
		sr := rec[headerSize+off : headerSize+off+phdbSize]
		le.PutUint32(sr[phdbTime:], secs)
		le.PutUint16(sr[phdbClass:], uint16(c)<<8)
		subs[c] = sr[phdbData : phdbData+dataSize]
		n++
	}
	if n < numDesc {
		rec[hdrDesc+descSize*n+2] = eolSubrecords
	}
	lay := d.lay
	// Every group the driver reads exists and is active, its values
	// DATA_INVALID until a sample fills them.
	for _, g := range lay.groups {
		if b := subs[g.class]; b != nil {
			le.PutUint32(b[g.off+grpStatus:], statusExists|statusActive)
			le.PutUint16(b[g.off+grpLabel:], g.label)
			for k := range g.values {
				le.PutUint16(b[g.off+grpValues+2*k:], invalidWord)
			}
		}
	}
	if b := subs[classBasic]; b != nil {
		le.PutUint16(b[basicCO2+co2Amb:], ambientEncoded)
	}
	for _, s := range samples {
		pl, ok := lay.place(s.Channel)
		if !ok || subs[pl.class] == nil {
			if lenient {
				continue
			}
			return fmt.Errorf("s5: cannot encode %v (the record carries no place for it)", s.Channel)
		}
		raw, err := encodeValue(s, pl.div)
		if err != nil {
			if lenient {
				continue
			}
			return err
		}
		le.PutUint16(subs[pl.class][pl.off:], uint16(raw))
	}
	return nil
}

// encodeValue writes a sample as the monitor's 16-bit value.
func encodeValue(s monitor.Sample, div float64) (int16, error) {
	switch s.Quality {
	case channel.OK:
	case channel.Stale:
		return dataNotUpdated, nil
	case channel.OutOfRange:
		if !math.IsNaN(s.Value) && s.Value < channel.Get(s.Channel).Min {
			return dataUnderRange, nil
		}
		return dataOverRange, nil
	case channel.Questionable:
		return dataNotCalibrated, nil
	default:
		return dataInvalid, nil
	}
	v := math.Round(s.Value * div)
	if s.Channel == channel.PatientEtCO2 {
		// mmHg = et × amb_press / 100000 (see etco2).
		v = math.Round(s.Value * 100000 / ambientEncoded)
	}
	if math.IsNaN(v) || v < lowestValid || v > math.MaxInt16 {
		return 0, fmt.Errorf("s5: cannot encode %v = %v", s.Channel, s.Value)
	}
	return int16(v), nil
}

// place is where a channel's value goes in a record: class, offset in the
// class data, scale.
type place struct {
	class, off int
	div        float64
}

// group is a group the encoder fills: class, offset, label, value count.
type group struct {
	class, off int
	label      uint16
	values     int
}

type layout struct {
	groups []group
	places map[channel.ID]place
}

func (l *layout) place(id channel.ID) (place, bool) {
	p, ok := l.places[id]
	return p, ok
}

// layout lays out the groups the driver reads: ECG, SpO2, CO2, the CO
// module, BIS, a pressure channel per site and a temperature channel per
// mapped channel, with the first label mapped to each.
func (d *Driver) layout() *layout {
	l := &layout{places: map[channel.ID]place{}}
	add := func(class, off, valueOff int, label uint16, values int, div float64, ids ...channel.ID) {
		l.groups = append(l.groups, group{class: class, off: off, label: label, values: values})
		for k, id := range ids {
			if id != channel.Invalid {
				l.places[id] = place{class: class, off: off + valueOff + 2*k, div: div}
			}
		}
	}
	add(classBasic, basicECG, ecgHR, 0, 5, 1, channel.PatientHR)
	slot := 0
	for s := siteArterial; s < numSites; s++ {
		label := slices.Index(d.press[:], s)
		if label < 0 || slot == len(pressureSlots) {
			continue
		}
		ps := pressureSlots[slot]
		add(ps.class, ps.off, pSys, uint16(label), 4, 100, siteChannels[s][:]...)
		slot++
	}
	slot = 0
	for label, id := range d.temp {
		if id == channel.Invalid || slot == len(temperatureSlots) || slices.Index(d.temp[:], id) != label {
			continue
		}
		ts := temperatureSlots[slot]
		add(ts.class, ts.off, tTemp, uint16(label), 1, 100, id)
		slot++
	}
	add(classBasic, basicSpO2, spo2SpO2, 0, 4, 100, channel.PatientSpO2)
	l.places[channel.PatientPulse] = place{class: classBasic, off: basicSpO2 + spo2PR, div: 1}
	add(classBasic, basicCO2, co2Et, 0, 3, 1, channel.PatientEtCO2)
	l.places[channel.PatientRR] = place{class: classBasic, off: basicCO2 + co2RR, div: 1}
	if d.blood != channel.Invalid {
		add(classBasic, basicCOWedge, coBloodTemp, 0, 4, 100, d.blood)
	}
	add(classExt2, ext2BIS, bisBIS, 0, 4, 1, channel.PatientBIS)
	return l
}

// invalidWord is DATA_INVALID as it lies in a record.
const invalidWord uint16 = 1<<16 + dataInvalid
