package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// writeSyntheticCase writes a case of the given length in line protocol
// following docs/format/case.md: metadata, events, alarms, the pump and
// monitor at 1 Hz, the in-line monitor every 6 s, temperatures every 10 s,
// derived values at 1 Hz and a blood gas every 20 min. caseID is the case
// tag; identifiers go in ident_* fields.
func writeSyntheticCase(w io.Writer, caseID string, hours float64, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rnd := rand.New(rand.NewPCG(seed, 1))
	const t0 = int64(1772352000) * 1e9
	n := int(hours * 3600)
	on, off := 600, n-600
	ts := func(sec int) int64 { return t0 + int64(sec)*1e9 }
	fmt.Fprintf(bw, "case,case=%s height_cm=172,weight_kg=78,age_years=61,sex=\"female\",bsa_formula=\"dubois\",do2i_threshold=280,ident_name=\"Ann Example\",ident_hospital_number=\"H7654321\" %d\n", caseID, ts(0))
	fmt.Fprintf(bw, "event,case=%s,kind=drug text=\"Heparin 24000 IU\",name=\"heparin\",dose=24000,unit=\"IU\",route=\"iv\" %d\n", caseID, ts(120))
	fmt.Fprintf(bw, "event,case=%s,kind=on_bypass text=\"On bypass\" %d\n", caseID, ts(on))
	fmt.Fprintf(bw, "event,case=%s,kind=clamp_on text=\"Cross-clamp on\" %d\n", caseID, ts(on+600))
	fmt.Fprintf(bw, "event,case=%s,kind=clamp_off text=\"Cross-clamp off\" %d\n", caseID, ts(off-1200))
	fmt.Fprintf(bw, "event,case=%s,kind=off_bypass text=\"Off bypass\" %d\n", caseID, ts(off))
	for sec := 0; sec < n; sec++ {
		t := ts(sec)
		onBP := sec >= on && sec < off
		ph := float64(sec) / float64(n)
		flow := 0.0
		if onBP {
			flow = 4.4 + 0.3*math.Sin(float64(sec)/900) + rnd.NormFloat64()*0.05
		}
		temp := 36.5 - 8*math.Sin(math.Pi*ph)
		fmt.Fprintf(bw, "pump,case=%s,source=sim.pump flow=%.2f %d\n", caseID, flow, t)
		fmt.Fprintf(bw, "patient,case=%s,source=sim.monitor map=%.1f %d\n", caseID, 62+12*math.Sin(float64(sec)/700)+rnd.NormFloat64(), t)
		fmt.Fprintf(bw, "temp,case=%s,source=sim.pump arterial_outlet=%.2f %d\n", caseID, temp+0.3, t)
		fmt.Fprintf(bw, "temp,case=%s,source=sim.pump venous_inlet=%.2f %d\n", caseID, temp-0.4, t)
		if sec%10 == 0 {
			fmt.Fprintf(bw, "temp,case=%s,source=sim.monitor nasopharyngeal=%.2f %d\n", caseID, temp, t)
		}
		if sec%6 == 0 {
			fmt.Fprintf(bw, "inline,case=%s,source=sim.inline ven_so2=%.1f,hct=%.1f,hb=%.2f %d\n", caseID, 72+8*math.Sin(float64(sec)/1300), 26+3*math.Cos(float64(sec)/2000), 8.7, t)
		}
		if onBP {
			fmt.Fprintf(bw, "derived,case=%s,source=pumpside do2i=%.1f %d\n", caseID, 300+40*math.Sin(float64(sec)/800)+rnd.NormFloat64()*3, t)
			fmt.Fprintf(bw, "derived,case=%s,source=pumpside av_gradient=%.2f %d\n", caseID, 0.7, t)
		}
		if onBP && (sec-on)%1200 == 600 {
			fmt.Fprintf(bw, "abg,case=%s,source=manual ph=7.39,pco2=41,po2=240,hct=25,k=4.4,lactate=%.1f %d\n", caseID, 1+ph*2, t)
			fmt.Fprintf(bw, "act,case=%s,source=manual seconds=520 %d\n", caseID, t)
		}
		if onBP && sec%3600 == 1800 {
			fmt.Fprintf(bw, "alarm,alarm=map_low,case=%s priority=\"medium\",state=\"active\",value=48,limit=50,reason=\"delay_elapsed\" %d\n", caseID, t)
			fmt.Fprintf(bw, "alarm,alarm=map_low,case=%s priority=\"medium\",state=\"cleared\",reason=\"recovered\" %d\n", caseID, t+30e9)
			fmt.Fprintf(bw, "event,case=%s,kind=drug text=\"Phenylephrine 100 mcg\",name=\"phenylephrine\",dose=100,unit=\"mcg\",route=\"iv\" %d\n", caseID, t+1)
		}
	}
	return bw.Flush()
}

// syntheticCaseFile writes a synthetic case into dir and returns its path.
func syntheticCaseFile(tb testing.TB, dir, caseID string, hours float64, seed uint64) string {
	tb.Helper()
	p := filepath.Join(dir, caseID+".case")
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if err := writeSyntheticCase(f, caseID, hours, seed); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return p
}
