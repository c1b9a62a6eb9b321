package hl7

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// AppendFrame appends one MLLP block (VT message FS CR) carrying samples,
// all of one time: see AppendMessage.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	dst = append(dst, VT)
	dst, err := d.AppendMessage(dst, samples)
	if err != nil {
		return dst, err
	}
	return append(dst, FS, CR), nil
}

// AppendMessage appends an ORU^R01 (v2.5.1) message carrying samples to
// dst: MSH with a control ID counted by the driver, an empty PID (no
// identifiers), an OBR for the samples whose LOINC code names their site,
// an OBR per site with its gas panel (OBR-4) and an SPM giving the
// specimen type (BLDA, BLDV, or the first configured description) for the
// others, an OBR with neither for bg.* samples, and an OBX per sample
// with the LOINC code the table gives for its channel, the value in the
// channel's unit (in UCUM spelling) and the first sample's time. A sample
// that is not OK goes out as a sender would send it: out of range as a
// structured numeric with > or <, questionable with status P, anything
// else as no value with status X.
func (d *Driver) AppendMessage(dst []byte, samples []monitor.Sample) ([]byte, error) {
	if len(samples) == 0 {
		return dst, errors.New("hl7: nothing to encode")
	}
	t := samples[0].Time
	// groups[0] holds the samples whose code states their site (or a
	// fixed channel); groups[1+site] those whose order must state it,
	// with SPM-4 and the OBR-4 panel (for bg.*: neither).
	var groups [5][]monitor.Sample
	for _, s := range samples {
		_, state, ok := d.table.For(s.Channel)
		if !ok || !s.Channel.Valid() {
			return dst, fmt.Errorf("hl7: no code maps to channel %v", s.Channel)
		}
		g := 0
		if state {
			site, _ := analyte.PanelSite(s.Channel)
			g = 1 + int(site)
		}
		groups[g] = append(groups[g], s)
	}
	d.seq++
	dst = append(dst, `MSH|^~\&|`...)
	dst = append(dst, d.cfg.Application...)
	dst = append(dst, "||||"...)
	dst = AppendTime(dst, t, d.loc)
	dst = append(dst, "||ORU^R01^ORU_R01|PS"...)
	dst = strconv.AppendUint(dst, d.seq, 10)
	dst = append(dst, "|P|2.5.1\rPID|1\r"...)
	dl := DefaultDelimiters
	nOBR, nOBX := 0, 0
	for gi, g := range groups {
		if len(g) == 0 {
			continue
		}
		site := analyte.Unknown
		if gi > 0 {
			site = analyte.Site(gi - 1)
		}
		nOBR++
		dst = append(dst, "OBR|"...)
		dst = strconv.AppendInt(dst, int64(nOBR), 10)
		dst = append(dst, "|||"...)
		dst = append(dst, panelFor(site, gi > 0)...)
		dst = append(dst, "|||"...)
		dst = AppendTime(dst, t, d.loc)
		dst = append(dst, CR)
		if gi > 0 && site != analyte.Unknown {
			spec, err := d.specimen(site)
			if err != nil {
				return dst, err
			}
			dst = append(dst, "SPM|"...)
			dst = strconv.AppendInt(dst, int64(nOBR), 10)
			dst = append(dst, "|||"...)
			dst = append(dst, spec...)
			dst = append(dst, "|||||||||||||"...)
			dst = AppendTime(dst, t, d.loc)
			dst = append(dst, CR)
		}
		for _, s := range g {
			e, _, _ := d.table.For(s.Channel)
			nOBX++
			dst = append(dst, "OBX|"...)
			dst = strconv.AppendInt(dst, int64(nOBX), 10)
			typ, value, status := "NM", "", "F"
			unit := e.Unit()
			if unit == "" {
				unit = ucum(channel.Get(s.Channel).Unit)
			}
			conv, ok := analyte.ConvertString(s.Channel, unit)
			if !ok {
				return dst, fmt.Errorf("hl7: no conversion for %v", s.Channel)
			}
			switch s.Quality {
			case channel.OK, channel.OutOfRange, channel.Questionable:
				if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
					return dst, fmt.Errorf("hl7: cannot encode %v = %v", s.Channel, s.Value)
				}
				value = strconv.FormatFloat(conv.Invert(s.Value), 'f', -1, 64)
				switch s.Quality {
				case channel.OutOfRange:
					typ, value = "SN", ">^"+value
					if s.Value < channel.Get(s.Channel).Min {
						value = "<" + value[1:]
					}
				case channel.Questionable:
					status = "P"
				}
			default:
				status = "X"
			}
			dst = append(dst, '|')
			dst = append(dst, typ...)
			dst = append(dst, '|')
			dst = dl.Escape(dst, []byte(e.Code))
			dst = append(dst, "^^LN||"...)
			dst = append(dst, value...)
			dst = append(dst, '|')
			dst = dl.Escape(dst, []byte(unit))
			dst = append(dst, "^^UCUM|||||"...)
			dst = append(dst, status...)
			dst = append(dst, "|||"...)
			dst = AppendTime(dst, t, d.loc)
			dst = append(dst, CR)
		}
	}
	return dst, nil
}

// panelFor returns the OBR-4 of an order: the LOINC gas panel of its site
// when the order states one, else 24338-6 (Gas panel - Blood), which
// names none.
func panelFor(site analyte.Site, state bool) string {
	switch {
	case state && site == analyte.Arterial:
		return "24336-0^Gas panel - Arterial blood^LN"
	case state && site == analyte.Venous:
		return "24339-4^Gas panel - Venous blood^LN"
	}
	return "24338-6^Gas panel - Blood^LN"
}

// specimen returns the SPM-4 for a site: the HL7 table 0487 code if the
// configured descriptions have it (BLDA, BLDV), else the first
// description as text (the table has no code for central venous blood).
func (d *Driver) specimen(s analyte.Site) (string, error) {
	var list []string
	code := ""
	switch s {
	case analyte.Arterial:
		list, code = d.sites.Arterial, "BLDA"
	case analyte.Venous:
		list, code = d.sites.Venous, "BLDV"
	case analyte.CentralVenous:
		list = d.sites.CentralVenous
	}
	for _, x := range list {
		if code != "" && strings.EqualFold(strings.TrimSpace(x), code) {
			return code + "^^HL70487", nil
		}
	}
	if len(list) == 0 {
		return "", fmt.Errorf("hl7: no %v specimen description configured", s)
	}
	return "^" + string(DefaultDelimiters.Escape(nil, []byte(list[0]))), nil
}

// ucum spells a channel unit as UCUM does where they differ.
func ucum(u string) string {
	switch u {
	case channel.MMHg:
		return "mm[Hg]"
	case channel.PH:
		return "[pH]"
	}
	return u
}
