package monitor

import (
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/monitor/channel"
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
