package intellivue

import (
	"fmt"
	"math"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// The numeric objects the encoder and the emulated monitor present, each
// with its label and the identifiers of its values (guide, "Numerics").
type encPart struct {
	ch     channel.ID
	physio uint16
}

type encObj struct {
	handle   uint16
	label    uint32
	name     string
	unit     uint16
	compound bool
	parts    []encPart
}

var encObjs = []encObj{
	{0x0101, 0x00024A14, "ABP", dimMMHg, true, []encPart{{channel.PatientSys, 0x4A15}, {channel.PatientDia, 0x4A16}, {channel.PatientMAP, 0x4A17}}},
	{0x0102, 0x00024A1C, "PAP", dimMMHg, true, []encPart{{channel.PatientPAPSys, 0x4A1D}, {channel.PatientPAPDia, 0x4A1E}, {channel.PatientPAPMean, 0x4A1F}}},
	{0x0103, 0x00024A44, "CVP", dimMMHg, true, []encPart{{channel.PatientCVP, 0x4A47}}},
	{0x0104, 0x00024182, "HR", dimBPM, false, []encPart{{channel.PatientHR, 0x4182}}},
	{0x0105, 0x00024BB8, "SpO2", dimPercent, false, []encPart{{channel.PatientSpO2, 0x4BB8}}},
	{0x0106, 0x00024822, "Pulse", dimBPM, false, []encPart{{channel.PatientPulse, 0x4822}}},
	{0x0107, 0x000250AC, "CO2", dimMMHg, true, []encPart{{channel.PatientEtCO2, 0x50B0}}},
	{0x0108, 0x00025012, "awRR", dimRPM, false, []encPart{{channel.PatientRR, 0x5012}}},
	{0x0109, 0x0002F04E, "BIS", dimDimless, false, []encPart{{channel.PatientBIS, 0xF04E}}},
	{0x0110, 0x00024B6C, "Tnaso", dimDegC, false, []encPart{{channel.TempNasopharyngeal, 0x4B6C}}},
	{0x0111, 0x0002F0C4, "Tvesic", dimDegC, false, []encPart{{channel.TempBladder, 0xF0C4}}},
	{0x0112, 0x0002E004, "Trect", dimDegC, false, []encPart{{channel.TempRectal, 0xE004}}},
	{0x0113, 0x00024B64, "Tesoph", dimDegC, false, []encPart{{channel.TempOesophageal, 0x4B64}}},
	{0x0114, 0x0002E014, "Tblood", dimDegC, false, []encPart{{channel.TempBlood, 0xE014}}},
	{0x0115, 0x00024B78, "Ttymp", dimDegC, false, []encPart{{channel.TempTympanic, 0x4B78}}},
}

// encValue encodes a sample as a NuObsValue: an OK value with state 0, a
// questionable one flagged, anything else unavailable with a NaN.
func encValue(physio, unit uint16, s monitor.Sample, have bool) obsValue {
	v := obsValue{physio: physio, unit: unit, state: msUnavailable, raw: floatNaNWord}
	if !have {
		return v
	}
	switch s.Quality {
	case channel.OK:
		v.state = 0
	case channel.Questionable:
		v.state = msQuestionable
	default:
		return v
	}
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		v.state, v.raw = msUnavailable, floatNaNWord
		return v
	}
	v.raw = encodeFloat(s.Value)
	return v
}

// appendObjects adds to p the objects that samples touch: with their label
// (dynamic context) and/or their values (observed value group). A carried
// channel that samples lack in a touched object is sent as no value.
func appendObjects(p *pollResult, samples []monitor.Sample, labels, values bool) error {
	for _, s := range samples {
		found := false
		for _, o := range encObjs {
			for _, part := range o.parts {
				found = found || part.ch == s.Channel
			}
		}
		if !found {
			return fmt.Errorf("intellivue: cannot encode %v", s.Channel)
		}
	}
	var vals [3]obsValue
	for _, o := range encObjs {
		touched := false
		for i, part := range o.parts {
			var s monitor.Sample
			have := false
			for _, x := range samples {
				if x.Channel == part.ch {
					s, have = x, true
				}
			}
			touched = touched || have
			vals[i] = encValue(part.physio, o.unit, s, have)
		}
		if !touched {
			continue
		}
		at := p.obj(o.handle)
		n := uint16(0)
		if labels {
			p.label(o.label)
			p.labelString(o.name)
			n += 2
		}
		if values {
			if o.compound {
				p.compound(vals[:len(o.parts)])
			} else {
				p.value(vals[0])
			}
			n++
		}
		p.attrEnd(at, n)
	}
	return nil
}

// AppendFrame appends one MIB/RS232 frame carrying an extended poll result
// of numerics with their labels and values (all attribute groups), as the
// monitor answers a poll for them. Samples of channels the protocol does not
// carry are an error.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	var p pollResult
	p.begin(make([]byte, 0, 256), 1, actPollExt, 1, 1, 0, mocVMOMetricNu, grpAll)
	if err := appendObjects(&p, samples, true, true); err != nil {
		return dst, err
	}
	msg := p.end()
	if len(msg) > MaxMessage {
		return dst, fmt.Errorf("intellivue: %d samples make a %d-byte message, over %d", len(samples), len(msg), MaxMessage)
	}
	return appendSerial(dst, msg), nil
}
