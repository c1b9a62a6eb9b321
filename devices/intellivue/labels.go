package intellivue

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/monitor/channel"
)

// A numeric is named twice by the monitor: by its label (a TextId from the
// dynamic context, unique among the monitor's numerics: "ABP", "Tnaso", "T1")
// and by the physiological identifier of each value (a SCADA code in the
// observed value: "ABP systolic", "nasopharyngeal temperature", or a generic
// "temperature" for T1 and T2). The guide ("Parsing the Poll Result") says
// the physiological identifier is not always unique (pulse from any
// pressure, T1/T2) while the label is; and that after the user changes a
// label the identifier follows a moment later ("Dynamic Context Changes").
//
// So a value is mapped by its label when the label is known, and only if
// the identifier agrees with it (the same family, and for pressures and
// temperatures a generic identifier or the same site): a pulmonary artery
// pressure never reaches a systemic arterial channel, even while a label
// and its values disagree. Before the label is known (a capture that starts
// mid-session, before the driver's poll of the labels is answered) a value
// is mapped by its identifier alone, and only when that identifier names
// one site unambiguously.

// family is what a numeric measures.
type family uint8

const (
	famNone family = iota
	famPress
	famTemp
	famHR
	famSpO2
	famPulse
	famCO2
	famRR
	famBIS
)

var familyNames = [...]string{"none", "pressure", "temperature", "heart rate", "SpO2", "pulse", "CO2", "respiration rate", "BIS"}

// site tells pressures and temperatures apart.
type site uint8

const (
	siteNone  site = iota // carries no site (HR, SpO2...)
	siteAny               // a generic identifier: P, P1-P4, Temp, T1-T4
	siteOther             // a site the driver does not carry: LAP, ICP, Tskin...
	siteArterial
	sitePulmonary
	siteCVP
	siteNaso
	siteBladder
	siteRectal
	siteOesoph
	siteBlood
	siteTymp
)

// comp is which value of a numeric an identifier names.
type comp uint8

const (
	compOne    comp = iota // the value of a simple numeric
	compSys                // systolic
	compDia                // diastolic
	compMean               // mean
	compUnspec             // a pressure or CO2 value whose part is not said
	compET                 // end-tidal
	compOther              // a part the driver does not carry (inspired CO2)
)

// meaning is what a label or an identifier says.
type meaning struct {
	fam  family
	site site
	comp comp // identifiers only
	rank uint16
	name string
}

// The labels the driver maps without configuration (guide, "Physiological
// Identifier", "Numerics"). rank orders labels that feed the same channel:
// the lower wins (ABP before ART before Ao, as the guide lists them by the
// monitor's priority).
var defaultLabels = map[uint32]meaning{
	0x00024A14: {fam: famPress, site: siteArterial, rank: 0, name: "ABP"},
	0x00024A10: {fam: famPress, site: siteArterial, rank: 1, name: "ART"},
	0x00024A0C: {fam: famPress, site: siteArterial, rank: 2, name: "Ao"},
	0x00024A1C: {fam: famPress, site: sitePulmonary, rank: 3, name: "PAP"},
	0x00024A44: {fam: famPress, site: siteCVP, rank: 4, name: "CVP"},
	0x00024182: {fam: famHR, rank: 5, name: "HR"},
	0x00024BB8: {fam: famSpO2, rank: 6, name: "SpO2"},
	0x00024822: {fam: famPulse, rank: 7, name: "Pulse"},
	0x000250AC: {fam: famCO2, rank: 8, name: "CO2"},
	0x00025012: {fam: famRR, rank: 9, name: "awRR"},
	0x0002F04E: {fam: famBIS, rank: 10, name: "BIS"},
	0x00024B6C: {fam: famTemp, site: siteNaso, rank: 11, name: "Tnaso"},
	0x0002F0C4: {fam: famTemp, site: siteBladder, rank: 12, name: "Tvesic"},
	0x0002E004: {fam: famTemp, site: siteRectal, rank: 13, name: "Trect"},
	0x00024B64: {fam: famTemp, site: siteOesoph, rank: 14, name: "Tesoph"},
	0x0002E014: {fam: famTemp, site: siteBlood, rank: 15, name: "Tblood"},
	0x00024B78: {fam: famTemp, site: siteTymp, rank: 16, name: "Ttymp"},
}

// physio maps the physiological identifiers (SCADA codes) the driver knows.
// rank is that of the label the identifier belongs to, for a value mapped
// before its label is known.
var physio = map[uint16]meaning{}

func init() {
	press := func(base uint16, s site, rank uint16, name string) {
		physio[base] = meaning{fam: famPress, site: s, comp: compUnspec, rank: rank, name: name}
		physio[base+1] = meaning{fam: famPress, site: s, comp: compSys, rank: rank, name: name + " sys"}
		physio[base+2] = meaning{fam: famPress, site: s, comp: compDia, rank: rank, name: name + " dia"}
		physio[base+3] = meaning{fam: famPress, site: s, comp: compMean, rank: rank, name: name + " mean"}
	}
	press(0x4A14, siteArterial, 0, "ABP")
	press(0x4A10, siteArterial, 1, "ART")
	press(0x4A0C, siteArterial, 2, "Ao")
	press(0x4A1C, sitePulmonary, 3, "PAP")
	press(0x4A44, siteCVP, 4, "CVP")
	press(0x4A00, siteAny, 100, "P")
	press(0xF0A4, siteAny, 100, "P1")
	press(0xF0A8, siteAny, 100, "P2")
	press(0xF0AC, siteAny, 100, "P3")
	press(0xF0B0, siteAny, 100, "P4")
	// Pressures at sites the driver does not carry: never generic, so that
	// a label mapped to an arterial channel cannot take their values.
	press(0x4A04, siteOther, 100, "NBP")
	press(0x4A34, siteOther, 100, "RAP")
	press(0x4A30, siteOther, 100, "LAP")
	press(0x4A28, siteOther, 100, "UAP")
	press(0x4A48, siteOther, 100, "UVP")
	press(0xF0BC, siteOther, 100, "FAP")
	press(0xF0C0, siteOther, 100, "BAP")
	press(0xF0B4, siteOther, 100, "IC1")
	press(0xF0B8, siteOther, 100, "IC2")
	physio[0x4A24] = meaning{fam: famPress, site: siteOther, comp: compUnspec, rank: 100, name: "PAWP"}

	physio[0x4182] = meaning{fam: famHR, rank: 5, name: "HR"}
	physio[0x4BB8] = meaning{fam: famSpO2, rank: 6, name: "SpO2"}
	physio[0x4822] = meaning{fam: famPulse, rank: 7, name: "Pulse (SpO2)"}
	physio[0x480A] = meaning{fam: famPulse, site: siteAny, rank: 100, name: "Pulse"}
	physio[0x50AC] = meaning{fam: famCO2, comp: compUnspec, rank: 8, name: "CO2"}
	physio[0x50B0] = meaning{fam: famCO2, comp: compET, rank: 8, name: "etCO2"}
	physio[0x50BA] = meaning{fam: famCO2, comp: compOther, rank: 8, name: "imCO2"}
	physio[0x5012] = meaning{fam: famRR, site: siteAny, rank: 9, name: "awRR"}
	physio[0x500A] = meaning{fam: famRR, site: siteAny, rank: 100, name: "RR"}
	physio[0xF04E] = meaning{fam: famBIS, rank: 10, name: "BIS"}

	temp := func(code uint16, s site, rank uint16, name string) {
		physio[code] = meaning{fam: famTemp, site: s, rank: rank, name: name}
	}
	temp(0x4B6C, siteNaso, 11, "Tnaso")
	temp(0xF0C4, siteBladder, 12, "Tvesic")
	temp(0xE004, siteRectal, 13, "Trect")
	temp(0x4B64, siteOesoph, 14, "Tesoph")
	temp(0xE014, siteBlood, 15, "Tblood")
	temp(0x4B78, siteTymp, 16, "Ttymp")
	for _, c := range []uint16{0x4B48, 0xF0C7, 0xF0C8, 0xF0C9, 0xF0CA, 0xF966, 0xF967} {
		temp(c, siteAny, 100, "Temp")
	}
	for _, c := range []uint16{0x4B60, 0x4B74, 0x4B50, 0x4B7C, 0xF0C5, 0xF0C6, 0x4B54, 0x4B68, 0xE018, 0xF114, 0xF110, 0xF118} {
		temp(c, siteOther, 100, "T")
	}
}

// channelFor returns the channel for a value of family f at site s, part
// c; channel.Invalid when the driver does not carry it.
func channelFor(f family, s site, c comp) channel.ID {
	switch f {
	case famPress:
		switch s {
		case siteArterial:
			return pick(c, channel.PatientSys, channel.PatientDia, channel.PatientMAP)
		case sitePulmonary:
			return pick(c, channel.PatientPAPSys, channel.PatientPAPDia, channel.PatientPAPMean)
		case siteCVP:
			return pick(c, channel.Invalid, channel.Invalid, channel.PatientCVP)
		}
	case famTemp:
		if c != compOne {
			return channel.Invalid
		}
		switch s {
		case siteNaso:
			return channel.TempNasopharyngeal
		case siteBladder:
			return channel.TempBladder
		case siteRectal:
			return channel.TempRectal
		case siteOesoph:
			return channel.TempOesophageal
		case siteBlood:
			return channel.TempBlood
		case siteTymp:
			return channel.TempTympanic
		}
	case famHR:
		return one(c, channel.PatientHR)
	case famSpO2:
		return one(c, channel.PatientSpO2)
	case famPulse:
		return one(c, channel.PatientPulse)
	case famCO2:
		if c == compET {
			return channel.PatientEtCO2
		}
	case famRR:
		return one(c, channel.PatientRR)
	case famBIS:
		return one(c, channel.PatientBIS)
	}
	return channel.Invalid
}

func pick(c comp, sys, dia, mean channel.ID) channel.ID {
	switch c {
	case compSys:
		return sys
	case compDia:
		return dia
	case compMean:
		return mean
	}
	return channel.Invalid
}

func one(c comp, id channel.ID) channel.ID {
	if c == compOne {
		return id
	}
	return channel.Invalid
}

// meaningOf is the inverse of channelFor for a site map entry: the family
// and site that a label mapped to ch has. A pressure label mapped to any of
// patient.sys, .dia or .map feeds all three (its compound value carries
// them); to any PAP channel, the three PAP channels; to patient.cvp, the
// mean.
func meaningOf(ch channel.ID) (meaning, bool) {
	switch ch {
	case channel.PatientSys, channel.PatientDia, channel.PatientMAP:
		return meaning{fam: famPress, site: siteArterial}, true
	case channel.PatientPAPSys, channel.PatientPAPDia, channel.PatientPAPMean:
		return meaning{fam: famPress, site: sitePulmonary}, true
	case channel.PatientCVP:
		return meaning{fam: famPress, site: siteCVP}, true
	case channel.PatientHR:
		return meaning{fam: famHR}, true
	case channel.PatientSpO2:
		return meaning{fam: famSpO2}, true
	case channel.PatientPulse:
		return meaning{fam: famPulse}, true
	case channel.PatientEtCO2:
		return meaning{fam: famCO2}, true
	case channel.PatientRR:
		return meaning{fam: famRR}, true
	case channel.PatientBIS:
		return meaning{fam: famBIS}, true
	case channel.TempNasopharyngeal:
		return meaning{fam: famTemp, site: siteNaso}, true
	case channel.TempBladder:
		return meaning{fam: famTemp, site: siteBladder}, true
	case channel.TempRectal:
		return meaning{fam: famTemp, site: siteRectal}, true
	case channel.TempOesophageal:
		return meaning{fam: famTemp, site: siteOesoph}, true
	case channel.TempBlood:
		return meaning{fam: famTemp, site: siteBlood}, true
	case channel.TempTympanic:
		return meaning{fam: famTemp, site: siteTymp}, true
	}
	return meaning{}, false
}

// agrees reports whether a value's identifier p may be taken under label l.
func agrees(l, p meaning) bool {
	if l.fam != p.fam {
		return false
	}
	if l.fam == famPress || l.fam == famTemp {
		return p.site == siteAny || p.site == l.site
	}
	return true
}

// parseLabel reads a label code as written in a config: "0x0002F0C7" or
// decimal.
func parseLabel(s string) (uint32, error) {
	t := strings.TrimSpace(s)
	base := 10
	if h, ok := strings.CutPrefix(strings.ToLower(t), "0x"); ok {
		t, base = h, 16
	}
	v, err := strconv.ParseUint(t, base, 32)
	if err != nil {
		return 0, fmt.Errorf("label %q is not a 32-bit code (e.g. \"0x0002F0C7\")", s)
	}
	return uint32(v), nil
}
