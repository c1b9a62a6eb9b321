package sim

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// WriteCaseFile runs c from its current time to until as fast as it can and
// writes the case to w in the case-file format (docs/format/case.md,
// InfluxDB line protocol), tagged case=caseID:
//
//	case,case=sim-routine-cabg-1 height_cm=175,weight_kg=80,… 1767600000000000000
//	pump,case=sim-routine-cabg-1,source=sim.pump flow=4.52 1767600900000000000
//	patient,case=sim-routine-cabg-1,source=sim.oximeter spo2_q="unavailable" 1767601500000000000
//	event,case=sim-routine-cabg-1,kind=clamp_on text="aortic cross-clamp on",who="scenario" 1767601500000000000
//
// One sample per line: measurement the channel group, field the channel
// name, tags case and source, Unix-ns timestamps. A sample that is not OK
// carries NAME_q with its quality (and its number too when finite). Event
// lines get strictly increasing timestamps (a collision moves 1 ns later),
// as the format asks. Numbers carry the channel's display precision plus
// one digit. The output is a pure function of the scenario, seed, start and
// caseID: same inputs, same bytes. It replaces c's OnEvent for the run and
// clears it at the end.
//
// It writes the lines itself rather than through monitor/record's Writer,
// which is built for live recording (never blocks, drops when its queue is
// full, orders samples and events across goroutines) and so can be neither
// as fast nor byte-reproducible here; the tests read the output back with
// monitor/record's Reader.
func WriteCaseFile(w io.Writer, c *Case, caseID string, until time.Time) error {
	if caseID == "" || strings.ContainsAny(caseID, "\n\r\\\"") {
		return fmt.Errorf("sim: case id %q: want printable text without quotes or backslashes", caseID)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	tag := escapeTag(caseID)
	var line []byte
	write := func() {
		line = append(line, '\n')
		bw.Write(line)
		line = line[:0]
	}
	// Case metadata: the patient and the constants the model used.
	p, k := c.sc.Patient, physio.DefaultConstants()
	sex := "male"
	if p.Sex == physio.Female {
		sex = "female"
	}
	// An ECMO scenario's case is a long run (docs/ecmo.md): replay, report
	// and audit take the ECMO alarm profile from its mode.
	mode := ""
	if c.sc.ECMO != nil {
		mode = `,mode="ecmo"`
	}
	line = append(line, "case,case="...)
	line = append(line, tag...)
	line = fmt.Appendf(line, " height_cm=%g,weight_kg=%g,age_years=%g,sex=%q,bsa_formula=%q,hufner=%g,o2_solubility=%g,vco2_factor=%g,svr_factor=%g,bv_ml_per_kg=%g,protamine_mg_per_100iu=%g,heparin_iu_per_kg=%g,do2i_threshold=%g,sim_seed_scenario=%q%s %d",
		p.HeightCm, p.WeightKg, p.AgeYears, sex, k.BSAFormula.String(), k.Hufner, k.O2Solubility, k.VCO2Factor, k.SVRFactor,
		k.BloodVolumeMLPerKg, k.ProtamineMgPer100IU, k.HeparinIUPerKg, k.DO2iThreshold, c.sc.Name, mode, c.start.UnixNano())
	write()
	var lastEvent int64
	c.OnEvent(func(e Event) {
		t := e.Time
		if t <= lastEvent {
			t = lastEvent + 1
		}
		lastEvent = t
		line = append(line, "event,case="...)
		line = append(line, tag...)
		line = append(line, ",kind="...)
		line = append(line, escapeTag(e.Kind)...)
		line = append(line, " text="...)
		line = appendString(line, e.Text)
		for _, f := range e.Fields {
			line = append(line, ',')
			line = append(line, f.Key...)
			line = append(line, '=')
			if f.IsStr {
				line = appendString(line, f.Str)
			} else {
				line = strconv.AppendFloat(line, f.Num, 'f', -1, 64)
			}
		}
		line = append(line, ' ')
		line = strconv.AppendInt(line, t, 10)
		write()
	})
	defer c.OnEvent(nil)
	var srcTags [numSources]string
	for i := range srcTags {
		srcTags[i] = escapeTag(Source(i).String())
	}
	c.AdvanceTo(until, func(src Source, s monitor.Sample) {
		ch := channel.Get(s.Channel)
		if ch == nil {
			return
		}
		line = append(line, ch.Group()...)
		line = append(line, ",case="...)
		line = append(line, tag...)
		line = append(line, ",source="...)
		line = append(line, srcTags[src]...)
		line = append(line, ' ')
		finite := !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0)
		if finite {
			line = append(line, ch.Field()...)
			line = append(line, '=')
			line = strconv.AppendFloat(line, s.Value, 'f', min(int(ch.Precision)+1, 6), 64)
		}
		if q := s.Quality; q != channel.OK || !finite {
			if q == channel.OK {
				q = channel.Unavailable
			}
			if finite {
				line = append(line, ',')
			}
			line = append(line, ch.Field()...)
			line = append(line, `_q="`...)
			line = append(line, q.String()...)
			line = append(line, '"')
		}
		line = append(line, ' ')
		line = strconv.AppendInt(line, s.Time, 10)
		write()
	})
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sim: writing the case file: %w", err)
	}
	return nil
}

var tagEscaper = strings.NewReplacer(",", `\,`, "=", `\=`, " ", `\ `)

func escapeTag(s string) string { return tagEscaper.Replace(s) }

// appendString appends a line-protocol string field value: quoted, with
// backslash and double quote escaped (newlines become spaces).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\n', '\r':
			dst = append(dst, ' ')
		default:
			dst = append(dst, b)
		}
	}
	return append(dst, '"')
}
