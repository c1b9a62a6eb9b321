package monitor

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// Role is what an input is used for in the derived values: Hb, SaO2, pump
// flow… Each role has a priority list of channels (docs/pipeline.md); at every
// publish the pipeline takes the first channel in the list whose latest value
// is OK and within its freshness limit.
type Role uint8

// The roles. Priorities, first choice first:
const (
	RoleNone Role = iota
	// RoleHeight: patient.height (case set-up or manual entry).
	RoleHeight
	// RoleWeight: patient.weight.
	RoleWeight
	// RoleFlow: pump.flow.
	RoleFlow
	// RoleMAP: patient.map.
	RoleMAP
	// RoleCVP: patient.cvp.
	RoleCVP
	// RoleHb: inline.hb, abg.hb, vbg.hb; then, only if Settings.HbFromHct
	// and flagged FlagHbFromHct, inline.hct / 3, abg.hct / 3, vbg.hct / 3.
	// Venous Hb is as good as arterial for the content equations (Hb is the
	// same on both sides of the capillaries); it is last of the measured
	// values because venous samples are drawn less often. An analyser
	// result sampled after the in-line monitor's last recalibration comes
	// first (newest first): see Pipeline.Recalibrated.
	RoleHb
	// RoleSaO2: inline.art_so2, abg.so2, patient.spo2 (flagged
	// FlagSaO2FromSpO2).
	RoleSaO2
	// RolePaO2: inline.art_po2, abg.po2. Optional for CaO2 and the delivery
	// values: without it CaO2 omits its dissolved term, flagged
	// FlagPaO2Omitted (physio.Compute).
	RolePaO2
	// RoleSvO2: inline.ven_so2, vbg.so2.
	RoleSvO2
	// RolePvO2: inline.ven_po2, vbg.po2. Optional: without it CvO2 takes its
	// dissolved term as 0, flagged FlagPvO2AssumedZero (physio.Compute).
	RolePvO2
	// RoleSweep: gas.sweep.
	RoleSweep
	// RoleExhaustCO2: gas.exhaust_co2.
	RoleExhaustCO2
	// RoleArterialOutlet: temp.arterial_outlet.
	RoleArterialOutlet
	// RoleVenousInlet: temp.venous_inlet.
	RoleVenousInlet
	// RoleHct: inline.hct, abg.hct, vbg.hct, with the analyser first after
	// a recalibration as for RoleHb. Used by the case statistics (nadir
	// Hct), not by a derived channel.
	RoleHct
	// RoleCoreTemp: temp.nasopharyngeal, temp.bladder: the patient's core
	// temperature, whose rise is the rewarming rate (the alarm's, the
	// tile's and the report's: one definition).
	RoleCoreTemp
	// RolePreOxy: pump.pre_oxy_pressure.
	RolePreOxy
	// RolePostOxy: pump.post_oxy_pressure.
	RolePostOxy
	// RoleFiO2: gas.fio2, the sweep gas oxygen fraction.
	RoleFiO2

	numRoles
)

var roleNames = [numRoles]string{
	RoleNone: "none", RoleHeight: "height", RoleWeight: "weight", RoleFlow: "flow",
	RoleMAP: "map", RoleCVP: "cvp", RoleHb: "hb", RoleSaO2: "sao2", RolePaO2: "pao2",
	RoleSvO2: "svo2", RolePvO2: "pvo2", RoleSweep: "sweep", RoleExhaustCO2: "exhaust_co2",
	RoleArterialOutlet: "arterial_outlet", RoleVenousInlet: "venous_inlet", RoleHct: "hct",
	RoleCoreTemp: "core_temp", RolePreOxy: "pre_oxy", RolePostOxy: "post_oxy", RoleFiO2: "fio2",
}

// String returns the role's name ("hb", "sao2", …).
func (r Role) String() string {
	if r < numRoles {
		return roleNames[r]
	}
	return "role(" + strconv.Itoa(int(r)) + ")"
}

// candidate is one entry of a role's priority list. hct marks a haematocrit
// channel standing in for Hb (value / 3); lab marks an analyser result,
// which wins over the in-line monitor when it was sampled after the
// monitor's last recalibration (Hb and Hct only).
type candidate struct {
	ch  channel.ID
	hct bool
	lab bool
}

// hbPerHct is the conventional Hb (g/dL) ≈ Hct (%) / 3, which assumes a mean
// corpuscular Hb concentration of about 33 g/dL.
const hbPerHct = 1.0 / 3

var candidates = [numRoles][]candidate{
	RoleHeight:         {{ch: channel.PatientHeight}},
	RoleWeight:         {{ch: channel.PatientWeight}},
	RoleFlow:           {{ch: channel.PumpFlow}},
	RoleMAP:            {{ch: channel.PatientMAP}},
	RoleCVP:            {{ch: channel.PatientCVP}},
	RoleHb:             {{ch: channel.InlineHb}, {ch: channel.ABGHb, lab: true}, {ch: channel.VBGHb, lab: true}, {ch: channel.InlineHct, hct: true}, {ch: channel.ABGHct, hct: true, lab: true}, {ch: channel.VBGHct, hct: true, lab: true}},
	RoleSaO2:           {{ch: channel.InlineArtSO2}, {ch: channel.ABGSO2}, {ch: channel.PatientSpO2}},
	RolePaO2:           {{ch: channel.InlineArtPO2}, {ch: channel.ABGPO2}},
	RoleSvO2:           {{ch: channel.InlineVenSO2}, {ch: channel.VBGSO2}},
	RolePvO2:           {{ch: channel.InlineVenPO2}, {ch: channel.VBGPO2}},
	RoleSweep:          {{ch: channel.GasSweep}},
	RoleExhaustCO2:     {{ch: channel.GasExhaustCO2}},
	RoleArterialOutlet: {{ch: channel.TempArterialOutlet}},
	RoleVenousInlet:    {{ch: channel.TempVenousInlet}},
	RoleHct:            {{ch: channel.InlineHct}, {ch: channel.ABGHct, lab: true}, {ch: channel.VBGHct, lab: true}},
	RoleCoreTemp:       {{ch: channel.TempNasopharyngeal}, {ch: channel.TempBladder}},
	RolePreOxy:         {{ch: channel.PumpPreOxyPressure}},
	RolePostOxy:        {{ch: channel.PumpPostOxyPressure}},
	RoleFiO2:           {{ch: channel.GasFiO2}},
}

// Priority returns the channels of r in order of preference; estimated
// reports, for each, whether it is an estimate standing in for the role's
// own quantity (Hct / 3 for Hb). A new slice each call.
func (r Role) Priority() (chans []channel.ID, estimated []bool) {
	if r >= numRoles {
		return nil, nil
	}
	for _, c := range candidates[r] {
		chans = append(chans, c.ch)
		estimated = append(estimated, c.hct)
	}
	return chans, estimated
}

// NumDerived is the number of derived channels: channel.DerivedBSA through
// channel.DerivedRewarmRate, contiguous in the vocabulary.
const NumDerived = int(channel.DerivedRewarmRate-channel.DerivedBSA) + 1

// MaxInputs is the most inputs any derived value has.
const MaxInputs = 8

// derivedInputs lists the roles each derived value depends on, in the order
// its provenance shows them; they mirror physio.Result's documentation, and a
// test checks them against physio.Compute.
var derivedInputs = [NumDerived][]Role{
	channel.DerivedBSA - channel.DerivedBSA:        {RoleHeight, RoleWeight},
	channel.DerivedFlowIndex - channel.DerivedBSA:  {RoleFlow, RoleHeight, RoleWeight},
	channel.DerivedSVR - channel.DerivedBSA:        {RoleMAP, RoleCVP, RoleFlow},
	channel.DerivedSVRI - channel.DerivedBSA:       {RoleMAP, RoleCVP, RoleFlow, RoleHeight, RoleWeight},
	channel.DerivedCaO2 - channel.DerivedBSA:       {RoleHb, RoleSaO2, RolePaO2},
	channel.DerivedCvO2 - channel.DerivedBSA:       {RoleHb, RoleSvO2, RolePvO2},
	channel.DerivedDO2 - channel.DerivedBSA:        {RoleFlow, RoleHb, RoleSaO2, RolePaO2},
	channel.DerivedDO2i - channel.DerivedBSA:       {RoleFlow, RoleHeight, RoleWeight, RoleHb, RoleSaO2, RolePaO2},
	channel.DerivedVO2 - channel.DerivedBSA:        {RoleFlow, RoleHb, RoleSaO2, RolePaO2, RoleSvO2, RolePvO2},
	channel.DerivedVO2i - channel.DerivedBSA:       {RoleFlow, RoleHeight, RoleWeight, RoleHb, RoleSaO2, RolePaO2, RoleSvO2, RolePvO2},
	channel.DerivedO2ER - channel.DerivedBSA:       {RoleHb, RoleSaO2, RolePaO2, RoleSvO2, RolePvO2},
	channel.DerivedVCO2 - channel.DerivedBSA:       {RoleSweep, RoleExhaustCO2},
	channel.DerivedVCO2i - channel.DerivedBSA:      {RoleSweep, RoleExhaustCO2, RoleHeight, RoleWeight},
	channel.DerivedDO2iVCO2i - channel.DerivedBSA:  {RoleFlow, RoleHeight, RoleWeight, RoleHb, RoleSaO2, RolePaO2, RoleSweep, RoleExhaustCO2},
	channel.DerivedRQ - channel.DerivedBSA:         {RoleSweep, RoleExhaustCO2, RoleFlow, RoleHb, RoleSaO2, RolePaO2, RoleSvO2, RolePvO2},
	channel.DerivedAVGradient - channel.DerivedBSA: {RoleArterialOutlet, RoleVenousInlet},
	// The oxygenator: the post-oxygenator PO2 is the arterial line's
	// (RolePaO2), as the arterial blood on bypass is the oxygenator's outlet.
	channel.DerivedOxyDP - channel.DerivedBSA:         {RolePreOxy, RolePostOxy},
	channel.DerivedOxyResistance - channel.DerivedBSA: {RolePreOxy, RolePostOxy, RoleFlow},
	channel.DerivedOxyPF - channel.DerivedBSA:         {RolePaO2, RoleFiO2},
	channel.DerivedRewarmRate - channel.DerivedBSA:    {RoleCoreTemp},
}

// optionalFor reports whether the derived value i (id − DerivedBSA) is
// computed without role (and flagged): PvO2 everywhere (CvO2 then takes its
// dissolved term as 0), PaO2 for CaO2 and the delivery values (CaO2 then
// omits its dissolved term; the consumption values need it). physio.Compute
// documents both.
func optionalFor(i int, role Role) bool {
	switch role {
	case RolePvO2:
		return true
	case RolePaO2:
		switch channel.DerivedBSA + channel.ID(i) {
		case channel.DerivedCaO2, channel.DerivedDO2, channel.DerivedDO2i, channel.DerivedDO2iVCO2i:
			return true
		}
	}
	return false
}

// Optional reports whether the derived channel id is computed without
// role, flagged (docs/pipeline.md).
func Optional(id channel.ID, role Role) bool {
	if id < channel.DerivedBSA || id > channel.DerivedRewarmRate {
		return false
	}
	return optionalFor(int(id-channel.DerivedBSA), role)
}

// AddDerived adds to s every derived channel each of whose required inputs
// has a candidate channel in s: given the channels the sources of a case
// provide, the derived values they can give. The alarm engine raises
// no_data only for a channel that some source provides (alarms.Context).
func AddDerived(s *channel.Set) {
	for i, roles := range derivedInputs {
		ok := true
		for _, r := range roles {
			if optionalFor(i, r) {
				continue
			}
			found := false
			for _, c := range candidates[r] {
				if s.Has(c.ch) {
					found = true
					break
				}
			}
			if !found {
				ok = false
				break
			}
		}
		if ok {
			s.Add(channel.DerivedBSA + channel.ID(i))
		}
	}
}

// DerivedInputs returns the roles the derived channel id depends on, or nil
// if id is not derived. A new slice each call.
func DerivedInputs(id channel.ID) []Role {
	if id < channel.DerivedBSA || id > channel.DerivedRewarmRate {
		return nil
	}
	return append([]Role(nil), derivedInputs[id-channel.DerivedBSA]...)
}

// Input is one input of a derived value at one publish: which channel and
// source the role's value came from, when it was measured and whether it was
// fit to use.
type Input struct {
	// Value is the value used, in the role's unit (for Hb estimated from Hct,
	// the estimate); NaN when the input was not used.
	Value float64
	// Time is the measurement time of the reading, Unix ns; 0 when no
	// channel of the role has ever had a value.
	Time    int64
	Channel channel.ID
	Source  SourceID
	Role    Role
	// Quality is OK when the input was used. Otherwise it says why the best
	// candidate was not: Stale (older than its channel's freshness limit),
	// OutOfRange, Questionable, or Unavailable (also: no value at all, with
	// Channel 0).
	Quality channel.Quality
}

// Used reports whether the input went into the value.
func (in Input) Used() bool { return in.Quality == channel.OK && in.Time != 0 }

// Age returns how old the input was at now (Unix ns); 0 without a reading.
func (in Input) Age(now int64) time.Duration {
	if in.Time == 0 {
		return 0
	}
	return time.Duration(now - in.Time)
}

// DerivationFlags mark assumptions a derived value was computed under. The
// display must show them next to the value.
type DerivationFlags uint8

const (
	// FlagHbFromHct: Hb was estimated as Hct / 3 (Settings.HbFromHct).
	FlagHbFromHct DerivationFlags = 1 << iota
	// FlagPvO2AssumedZero: no fresh venous PO2, so CvO2's dissolved term was
	// taken as 0 (physio.Result.CvO2DissolvedAssumedZero).
	FlagPvO2AssumedZero
	// FlagPaO2Omitted: no fresh arterial PO2, so CaO2 is the bound oxygen
	// alone: the value reads low, on the safe side of a low limit
	// (physio.Result.CaO2DissolvedOmitted).
	FlagPaO2Omitted
	// FlagSaO2FromSpO2: the arterial saturation is the patient's pulse
	// oximeter (patient.spo2) standing in for a measured SaO2: a fair
	// stand-in with pulsatile flow, a poor one without.
	FlagSaO2FromSpO2
	// FlagHbFromAnalyser: Hb (or Hct) is an analyser result sampled after
	// the in-line monitor's last recalibration, preferred to the in-line
	// reading (Pipeline.Recalibrated).
	FlagHbFromAnalyser
)

// String lists the flags for display: "Hb≈Hct/3", "PvO2 0", "no PaO2",
// "SpO2", "lab Hb", joined by ", ". Allocates: for logs and tests.
func (f DerivationFlags) String() string {
	var parts []string
	for _, x := range [...]struct {
		f DerivationFlags
		s string
	}{{FlagHbFromHct, "Hb≈Hct/3"}, {FlagPvO2AssumedZero, "PvO2 0"}, {FlagPaO2Omitted, "no PaO2"}, {FlagSaO2FromSpO2, "SpO2"}, {FlagHbFromAnalyser, "lab Hb"}} {
		if f&x.f != 0 {
			parts = append(parts, x.s)
		}
	}
	return strings.Join(parts, ", ")
}

// Derivation is the provenance of one derived value in a snapshot: every
// input role it depends on, with the channel, source, time and quality of
// what was found. Pointer-free and fixed-size, part of the snapshot.
type Derivation struct {
	inputs [MaxInputs]Input
	n      uint8
	Flags  DerivationFlags
}

// Inputs returns the inputs in the order of DerivedInputs. The slice aliases
// the snapshot: do not modify it.
func (d *Derivation) Inputs() []Input {
	if d == nil {
		return nil
	}
	return d.inputs[:d.n]
}

// Derivation returns the provenance of the derived channel id, or nil if id
// is not a derived channel.
func (s *Snapshot) Derivation(id channel.ID) *Derivation {
	if s == nil || id < channel.DerivedBSA || id > channel.DerivedRewarmRate {
		return nil
	}
	return &s.Derived[id-channel.DerivedBSA]
}

// qualityRank orders the reasons a derived value is not OK: when several
// inputs fail, the derived value reports the highest. Stale comes first so
// that "the blood gas is too old" is what the perfusionist sees.
var qualityRank = [...]uint8{
	channel.OK:           0,
	channel.Unavailable:  1,
	channel.Questionable: 2,
	channel.OutOfRange:   3,
	channel.Stale:        4,
}

func worse(a, b channel.Quality) channel.Quality {
	if int(b) < len(qualityRank) && (int(a) >= len(qualityRank) || qualityRank[b] > qualityRank[a]) {
		return b
	}
	return a
}

// deriver holds the publish-time scratch of derived values. Pipeline
// goroutine only.
type deriver struct {
	roles   [numRoles]Input
	fromHct [numRoles]bool
	fromLab [numRoles]bool
	temps   []physio.TempPoint
}

// resolve picks the input of every role from the latest table at now.
func (p *Pipeline) resolve(now int64) {
	d := &p.der
	recal := p.recal.Load()
	for role := RoleHeight; role < numRoles; role++ {
		in := Input{Value: math.NaN(), Role: role, Quality: channel.Unavailable}
		found := false
		d.fromHct[role] = false
		d.fromLab[role] = false
		cands := candidates[role]
		// An analyser result sampled after the in-line monitor's last
		// recalibration is the newest trusted value: the newest such
		// measured one wins over the in-line reading.
		best := -1
		for i, c := range cands {
			if !c.lab || c.hct {
				continue
			}
			r := &p.ch[c.ch].latest
			if r.Time > recal && r.Quality == channel.OK && !p.stale(c.ch, r.Time, now) &&
				(best < 0 || r.Time > p.ch[cands[best].ch].latest.Time) {
				best = i
			}
		}
		if best >= 0 {
			c := cands[best]
			r := &p.ch[c.ch].latest
			d.roles[role] = Input{Value: r.Value, Time: r.Time, Channel: c.ch, Source: r.Source, Role: role, Quality: channel.OK}
			d.fromLab[role] = true
			continue
		}
		for _, c := range cands {
			if c.hct && !p.set.HbFromHct {
				continue
			}
			r := &p.ch[c.ch].latest
			if r.Time == 0 {
				continue
			}
			q := r.Quality
			if q == channel.OK && p.stale(c.ch, r.Time, now) {
				q = channel.Stale
			}
			if q == channel.OK {
				in = Input{Value: r.Value, Time: r.Time, Channel: c.ch, Source: r.Source, Role: role, Quality: channel.OK}
				if c.hct {
					in.Value *= hbPerHct
					d.fromHct[role] = true
				}
				break
			}
			if !found {
				in = Input{Value: math.NaN(), Time: r.Time, Channel: c.ch, Source: r.Source, Role: role, Quality: q}
				found = true
			}
		}
		d.roles[role] = in
	}
}

// stale reports whether a reading of id measured at t is past id's
// freshness limit at now.
func (p *Pipeline) stale(id channel.ID, t, now int64) bool {
	f := p.fresh[id]
	return f > 0 && now-t > f
}

// derive computes every derived channel into readings and prov at now.
func (p *Pipeline) derive(now int64, readings []Reading, prov *[NumDerived]Derivation) {
	p.resolve(now)
	d := &p.der
	v := func(r Role) float64 { return d.roles[r].Value }
	in := physio.Inputs{
		HeightCm: v(RoleHeight), WeightKg: v(RoleWeight), FlowLpm: v(RoleFlow),
		MAP: v(RoleMAP), CVP: v(RoleCVP), Hb: v(RoleHb),
		SaO2: v(RoleSaO2), PaO2: v(RolePaO2), SvO2: v(RoleSvO2), PvO2: v(RolePvO2),
		SweepLpm: v(RoleSweep), ExhaustCO2: v(RoleExhaustCO2),
		HctPre: math.NaN(), PrimeML: math.NaN(), FluidsML: math.NaN(), CardioplegiaML: math.NaN(), RapML: math.NaN(),
	}
	res := physio.Compute(in, p.set.Constants)
	dp := physio.OxyPressureDrop(v(RolePreOxy), v(RolePostOxy))
	values := [NumDerived]float64{
		channel.DerivedBSA - channel.DerivedBSA:           res.BSA,
		channel.DerivedFlowIndex - channel.DerivedBSA:     res.FlowIndex,
		channel.DerivedSVR - channel.DerivedBSA:           res.SVR,
		channel.DerivedSVRI - channel.DerivedBSA:          res.SVRI,
		channel.DerivedCaO2 - channel.DerivedBSA:          res.CaO2,
		channel.DerivedCvO2 - channel.DerivedBSA:          res.CvO2,
		channel.DerivedDO2 - channel.DerivedBSA:           res.DO2,
		channel.DerivedDO2i - channel.DerivedBSA:          res.DO2i,
		channel.DerivedVO2 - channel.DerivedBSA:           res.VO2,
		channel.DerivedVO2i - channel.DerivedBSA:          res.VO2i,
		channel.DerivedO2ER - channel.DerivedBSA:          res.O2ERPct,
		channel.DerivedVCO2 - channel.DerivedBSA:          res.VCO2,
		channel.DerivedVCO2i - channel.DerivedBSA:         res.VCO2i,
		channel.DerivedDO2iVCO2i - channel.DerivedBSA:     res.DO2iVCO2i,
		channel.DerivedRQ - channel.DerivedBSA:            res.RQ,
		channel.DerivedAVGradient - channel.DerivedBSA:    physio.AVGradient(v(RoleArterialOutlet), v(RoleVenousInlet)),
		channel.DerivedOxyDP - channel.DerivedBSA:         dp,
		channel.DerivedOxyResistance - channel.DerivedBSA: physio.OxyResistance(dp, v(RoleFlow)),
		channel.DerivedOxyPF - channel.DerivedBSA:         physio.PFRatio(v(RolePaO2), v(RoleFiO2)),
		channel.DerivedRewarmRate - channel.DerivedBSA:    p.rewarmRate(now),
	}

	for i := range NumDerived {
		id := channel.DerivedBSA + channel.ID(i)
		dv := &prov[i]
		dv.n = 0
		dv.Flags = 0
		allUsed := true
		reason := channel.OK
		// The derived value is as old as its oldest input that can go
		// stale. Inputs without a freshness limit (patient height and
		// weight, typed in once) would otherwise make every value that
		// uses BSA look as old as the case set-up; they count only when
		// nothing else does (BSA itself).
		var oldest, failOldest, untimed int64 = math.MaxInt64, math.MaxInt64, math.MaxInt64
		pvo2Missing, pao2Missing := false, false
		for _, role := range derivedInputs[i] {
			ri := &d.roles[role]
			dv.inputs[dv.n] = *ri
			dv.n++
			switch {
			case ri.Quality == channel.OK:
				if p.fresh[ri.Channel] > 0 {
					oldest = min(oldest, ri.Time)
				} else {
					untimed = min(untimed, ri.Time)
				}
				if d.fromHct[role] {
					dv.Flags |= FlagHbFromHct
				}
				if d.fromLab[role] {
					dv.Flags |= FlagHbFromAnalyser
				}
				if role == RoleSaO2 && ri.Channel == channel.PatientSpO2 {
					dv.Flags |= FlagSaO2FromSpO2
				}
			case optionalFor(i, role):
				// Optional: its absence is a flag, not a failure.
				if role == RolePvO2 {
					pvo2Missing = true
				} else {
					pao2Missing = true
				}
			default:
				allUsed = false
				reason = worse(reason, ri.Quality)
				if ri.Time != 0 {
					failOldest = min(failOldest, ri.Time)
				}
			}
		}
		if oldest == math.MaxInt64 {
			oldest = untimed
		}
		val := values[i]
		var r Reading
		switch {
		case allUsed && !math.IsNaN(val):
			r = Reading{Value: val, Time: oldest, Quality: p.chans[id].Classify(val, channel.OK)}
			if r.Quality == channel.OK && pvo2Missing {
				dv.Flags |= FlagPvO2AssumedZero
			}
			if r.Quality == channel.OK && pao2Missing {
				dv.Flags |= FlagPaO2Omitted
			}
		case allUsed: // every input there, but the value is not computable (zero flow for SVR…)
			r = Reading{Time: oldest, Quality: channel.Unavailable}
		default:
			r = Reading{Time: min(oldest, failOldest), Quality: reason}
		}
		if r.Time == math.MaxInt64 {
			r.Time = 0
		}
		if r.Quality != channel.OK {
			r.Value = math.NaN()
			dv.Flags = 0
		}
		readings[id] = r
	}
	// The rewarming rate is as fresh as the newest core temperature, not
	// the oldest point of its window (that one is RewarmWindow old by design).
	if r := &readings[channel.DerivedRewarmRate]; r.Time != 0 {
		r.Time = d.roles[RoleCoreTemp].Time
	}
}

// rewarmRate fits the patient's core temperature history (the channel the
// core temperature role chose: nasopharyngeal, else bladder) over the last
// RewarmWindow (physio.RewarmRate). It needs a fresh core temperature now
// and history spanning at least half the window, so that two points a
// second apart do not make a rate; else NaN.
func (p *Pipeline) rewarmRate(now int64) float64 {
	d := &p.der
	core := &d.roles[RoleCoreTemp]
	if !core.Used() {
		return math.NaN()
	}
	to := floorSec(now)
	from := to - int64(p.set.RewarmWindow/time.Second) + 1
	d.temps = p.hist.appendTemps(core.Channel, from, to, d.temps[:0])
	if len(d.temps) < 2 || d.temps[len(d.temps)-1].Time-d.temps[0].Time < int64(p.set.RewarmWindow/2) {
		return math.NaN()
	}
	rate, ok := physio.RewarmRate(d.temps)
	if !ok {
		return math.NaN()
	}
	return rate
}
