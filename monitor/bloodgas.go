package monitor

import (
	"math"
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// UnstatedResult returns the newest analyser result on the bg.* channels
// (specimen not stated) in snap: its sample time and source; ok is false
// when there is none. A result is the bg.* readings of one sample time and
// source.
func UnstatedResult(snap *Snapshot) (sample int64, src SourceID, ok bool) {
	first, _ := channel.InPanel(channel.ABGPH, channel.PanelUnstated)
	for a := range channel.BloodGasAnalytes {
		r := snap.Reading(first + channel.ID(a))
		if r.Time > sample {
			sample, src, ok = r.Time, r.Source, true
		}
	}
	return sample, src, ok
}

// AppendAssigned appends to dst the readings of the bg.* result sampled at
// sample from src, moved to panel (channel.PanelArterial, PanelVenous or
// PanelCentralVenous) with their times, values and qualities: what the
// perfusionist's assignment of the specimen puts into the pipeline. Results
// that are no longer the newest on their channels are not in the snapshot
// and give nothing.
func AppendAssigned(dst []Sample, snap *Snapshot, sample int64, src SourceID, panel string) []Sample {
	first, _ := channel.InPanel(channel.ABGPH, channel.PanelUnstated)
	for a := range channel.BloodGasAnalytes {
		id := first + channel.ID(a)
		r := snap.Reading(id)
		if r.Time != sample || r.Source != src {
			continue
		}
		to, ok := channel.InPanel(id, panel)
		if !ok {
			continue
		}
		dst = append(dst, Sample{Time: r.Time, Channel: to, Value: r.Value, Quality: r.Quality})
	}
	return dst
}

// AppendResultSummary appends the main values of the bg.* result sampled
// at sample from src, each with its channel's decimals ("pH 7.38  pCO2
// 41  pO2 212  sO2 99  Hb 9.8  K+ 4.1"); a value that is not ok is "---".
func AppendResultSummary(dst []byte, snap *Snapshot, sample int64, src SourceID) []byte {
	for _, id := range [...]channel.ID{channel.BGPH, channel.BGPCO2, channel.BGPO2, channel.BGSO2, channel.BGHb, channel.BGK, channel.BGLactate} {
		r := snap.Reading(id)
		if r.Time != sample || r.Source != src {
			continue
		}
		c := channel.Get(id)
		if len(dst) > 0 {
			dst = append(dst, "  "...)
		}
		dst = append(dst, strings.TrimPrefix(c.Label, "BG? ")...) // "pH", "pCO2", ...
		dst = append(dst, ' ')
		if r.OK() && c.InRange(r.Value) {
			dst = strconv.AppendFloat(dst, r.Value, 'f', c.Precision, 64)
		} else {
			dst = append(dst, "---"...)
		}
	}
	return dst
}

// ArterialGas returns the arterial blood gas to display, as the analyser or
// the in-line monitor measured it (at 37 °C): the in-line arterial pH,
// PCO2, PO2 and SaO2 when its pH and PCO2 are OK in snap, else the newest
// arterial analyser result (abg.*) whose pH and PCO2 are OK; t is its
// time (the pH's). A PO2 or saturation not OK is NaN. ok is false when
// there is no usable pH and PCO2.
func ArterialGas(snap *Snapshot) (gas physio.Gas, t int64, ok bool) {
	for _, set := range [...][4]channel.ID{
		{channel.InlineArtPH, channel.InlineArtPCO2, channel.InlineArtPO2, channel.InlineArtSO2},
		{channel.ABGPH, channel.ABGPCO2, channel.ABGPO2, channel.ABGSO2},
	} {
		ph, pco2 := snap.Reading(set[0]), snap.Reading(set[1])
		if !ph.OK() || !pco2.OK() {
			continue
		}
		v := func(id channel.ID) float64 {
			if r := snap.Reading(id); r.OK() {
				return r.Value
			}
			return math.NaN()
		}
		return physio.Gas{PH: ph.Value, PCO2: pco2.Value, PO2: v(set[2]), SO2: v(set[3])}, ph.Time, true
	}
	return physio.Gas{PH: math.NaN(), PCO2: math.NaN(), PO2: math.NaN(), SO2: math.NaN()}, 0, false
}

// PatientTemp returns the patient's core temperature, the one a pH-stat
// blood gas is read at: nasopharyngeal, else bladder, else oesophageal,
// else blood (pulmonary artery), the first OK in snap.
func PatientTemp(snap *Snapshot) (tempC float64, id channel.ID, ok bool) {
	for _, id := range [...]channel.ID{channel.TempNasopharyngeal, channel.TempBladder, channel.TempOesophageal, channel.TempBlood} {
		if r := snap.Reading(id); r.OK() {
			return r.Value, id, true
		}
	}
	return math.NaN(), 0, false
}
