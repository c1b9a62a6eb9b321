package hl7out

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
)

// Status is the result status of a message's OBR-25 and every OBX-11
// (HL7 table 0085).
type Status byte

// The statuses Pumpside sends.
const (
	// Preliminary: a record the perfusionist has not signed off (no
	// signoff entry): what is known so far.
	Preliminary Status = 'P'
	// Final: the first signed-off version of a record.
	Final Status = 'F'
	// Corrected: a signed-off version after an earlier final or
	// corrected one, replacing it.
	Corrected Status = 'C'
)

// String is the status in words.
func (s Status) String() string {
	switch s {
	case Preliminary:
		return "preliminary"
	case Corrected:
		return "correction"
	}
	return "final"
}

// MessageConfig is what a site sets for the message itself
// (docs/integration.md, "What the interface team configures").
type MessageConfig struct {
	// MSH-3..MSH-6.
	SendingApplication, SendingFacility     string
	ReceivingApplication, ReceivingFacility string
	// ProcessingID is MSH-11: P production (default), T training, D
	// debugging.
	ProcessingID string
	// AssigningAuthority and IdentifierType are PID-3.4 and PID-3.5 of an
	// identified patient (default type MR, medical record number).
	AssigningAuthority, IdentifierType string
	// PatientClass is PV1-2 (table 0004; default I, inpatient).
	PatientClass string
	// LocalSystem renames the local coding system (default 99PSD).
	LocalSystem string
}

func (c MessageConfig) withDefaults() MessageConfig {
	if c.SendingApplication == "" {
		c.SendingApplication = "PUMPSIDE"
	}
	if c.ProcessingID == "" {
		c.ProcessingID = "P"
	}
	if c.IdentifierType == "" {
		c.IdentifierType = "MR"
	}
	if c.PatientClass == "" {
		c.PatientClass = "I"
	}
	if c.LocalSystem == "" {
		c.LocalSystem = Local
	}
	return c
}

// Header is what differs between sendings of one version: MSH-7, MSH-10
// and the result status.
type Header struct {
	ControlID string
	Time      time.Time
	Status    Status
}

// ErrControlID: a control ID must be 1 to 20 printable characters without
// delimiters (MSH-10 is ST, 20 characters).
var ErrControlID = errors.New("hl7out: control ID must be 1-20 characters A-Z a-z 0-9 - . _")

func validControlID(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// Build writes the ORU^R01 message of a record: segments ended by CR,
// without MLLP framing. It is deterministic: the same record, config and
// header give the same bytes.
func Build(rec *exchange.Record, cfg MessageConfig, h Header) ([]byte, error) {
	if !validControlID(h.ControlID) {
		return nil, ErrControlID
	}
	if h.Status != Final && h.Status != Corrected && h.Status != Preliminary {
		return nil, fmt.Errorf("hl7out: status %q is not P, F or C", h.Status)
	}
	cfg = cfg.withDefaults()
	var b bytes.Buffer
	seg := func(fields ...string) {
		// Trailing empty fields are left out.
		for len(fields) > 1 && fields[len(fields)-1] == "" {
			fields = fields[:len(fields)-1]
		}
		b.WriteString(strings.Join(fields, string(fieldSep)))
		b.WriteByte('\r')
	}
	// MSH: original acknowledgement mode (MSH-15, MSH-16 empty): the
	// engine answers each message with one ACK.
	b.WriteString("MSH|^~\\&|")
	seg(escape(cfg.SendingApplication), escape(cfg.SendingFacility), escape(cfg.ReceivingApplication), escape(cfg.ReceivingFacility),
		dtm(h.Time), "", "ORU^R01^ORU_R01", h.ControlID, escape(cfg.ProcessingID), "2.5.1", "", "", "", "", "", "UNICODE UTF-8")
	body := buildBody(rec, cfg, h.Status)
	b.Write(body)
	return b.Bytes(), nil
}

// Version identifies the content of a record's message: a SHA-256 of
// everything after MSH with the result status as Final. Two builds of an
// unchanged record have the same version; any change of the record (an
// edit after sending, more data) gives a new one.
func Version(rec *exchange.Record, cfg MessageConfig) string {
	sum := sha256.Sum256(buildBody(rec, cfg.withDefaults(), Final))
	return hex.EncodeToString(sum[:])
}

func buildBody(rec *exchange.Record, cfg MessageConfig, status Status) []byte {
	var b bytes.Buffer
	seg := func(fields ...string) {
		for len(fields) > 1 && fields[len(fields)-1] == "" {
			fields = fields[:len(fields)-1]
		}
		b.WriteString(strings.Join(fields, string(fieldSep)))
		b.WriteByte('\r')
	}
	st := string(status)
	s := rec.Summary
	p := rec.Patient

	// PID: identified, the hospital's identifier and names; otherwise the
	// pseudonym as an anonymous identifier (table 0203 ANON) and as a
	// coded pseudo-name (table 0200 S). Sex: table 0001.
	var pid3, pid5, pid7 string
	if p.Identified {
		pid3 = comps(escape(p.ID), "", "", escape(cfg.AssigningAuthority), escape(cfg.IdentifierType))
		pid5 = comps(escape(p.Family), escape(p.Given))
		if !p.BirthDate.IsZero() {
			pid7 = p.BirthDate.Format("20060102")
		}
	} else {
		pid3 = comps(escape(p.ID), "", "", escape(cfg.SendingApplication), "ANON")
		pid5 = comps(escape(p.ID), "", "", "", "", "", "S")
	}
	sex := "U"
	switch p.Sex {
	case "female":
		sex = "F"
	case "male":
		sex = "M"
	}
	seg("PID", "1", "", pid3, "", pid5, "", pid7, sex)
	// PV1: the patient class; the visit number (PV1-19) only identified.
	pv1 := []string{"PV1", "1", escape(cfg.PatientClass)}
	if v := s.Identifiers["visit_number"]; p.Identified && v != "" {
		pv1 = append(pv1, make([]string, 16)...)
		pv1 = append(pv1, escape(v))
	}
	seg(pv1...)
	// OBR: the perfusion record, its filler number the record ID, the
	// recorded period, the result status.
	obr := make([]string, 26)
	obr[0], obr[1] = "OBR", "1"
	obr[3] = comps(escape(rec.RecordID), escape(cfg.SendingApplication))
	obr[4] = codeRecord.cwe(cfg.LocalSystem)
	obr[7], obr[8] = dtm(s.Start), dtm(s.End)
	obr[22] = dtm(s.End)
	obr[25] = st
	seg(obr...)

	n := 0
	obx := func(vt string, code Code, sub, value, unit string, at time.Time, flag string) {
		n++
		u := ""
		if unit != "" {
			u = comps(escape(unit), escape(unit), "UCUM")
		}
		seg("OBX", strconv.Itoa(n), vt, code.cwe(cfg.LocalSystem), sub, value, u, "", flag, "", "", st, "", "", dtm(at))
	}
	def := s.BypassEnd
	if def.IsZero() {
		def = s.End
	}
	for _, row := range SummaryTable {
		v, at, ok := row.Value(rec)
		if !ok {
			continue
		}
		switch row.Type {
		case "TS":
			obx("TS", row.Code, "", dtm(at), "", at, "")
		default:
			if at.IsZero() {
				at = def
			}
			obx("NM", row.Code, "", nm(v, row.Prec), row.Unit, at, "")
		}
	}
	for i, d := range s.Drugs {
		sub := "D" + strconv.Itoa(i+1)
		obx("ST", codeDrugName, sub, escape(d.Name), "", def, "")
		if d.Count > 0 {
			obx("NM", codeDrugTotal, sub, nm(d.Total, 3), doseUCUM(d.Unit), def, "")
			obx("NM", codeDrugDoses, sub, strconv.Itoa(d.Count), "{#}", def, "")
		}
		if d.Undosed > 0 {
			obx("NM", codeDrugUndosed, sub, strconv.Itoa(d.Undosed), "{#}", def, "")
		}
	}
	for i, k := range slices.Sorted(maps.Keys(s.FluidsIn)) {
		sub, v := "F"+strconv.Itoa(i+1), s.FluidsIn[k]
		obx("ST", codeFluidKind, sub, escape(k), "", def, "")
		obx("NM", codeFluidVol, sub, nm(v.ML, 0), "mL", def, "")
		obx("NM", codeFluidEntries, sub, strconv.Itoa(v.Count), "{#}", def, "")
	}
	for i, k := range slices.Sorted(maps.Keys(s.BloodProducts)) {
		sub, v := "B"+strconv.Itoa(i+1), s.BloodProducts[k]
		obx("ST", codeProduct, sub, escape(k), "", def, "")
		obx("NM", codeProductVol, sub, nm(v.ML, 0), "mL", def, "")
		obx("NM", codeProductUnits, sub, strconv.Itoa(v.Count), "{#}", def, "")
	}
	// The sign-off (the last signoff entry): who signed the record as
	// complete, and when. Without one the record goes as preliminary.
	if so := s.SignOff; so.Signed() {
		obx("ST", codeSignedBy, "", escape(so.Name), "", so.Time, "")
	}
	// Quality indicators: pass, fail or no data; a failure is flagged
	// abnormal (OBX-8 A); what was measured follows in an NTE.
	for _, q := range rec.Quality {
		flag := ""
		if q.Evaluated && !q.Pass {
			flag = "A"
		}
		obx("ST", qualityCode(q.Indicator), "", escape(q.Status()), "", def, flag)
		if q.Text != "" {
			seg("NTE", "1", "", escape(q.Text))
		}
	}
	// The observation grid, the report's (CaseSummary.Grid): one group per
	// time, OBX-4 its number, OBX-14 its time; a cell without a usable,
	// fresh value has no OBX.
	g := s.Grid
	for i, at := range g.Times {
		sub := strconv.Itoa(i + 1)
		for _, row := range g.Rows {
			gc, known := GridTable[row.Channel]
			if v := row.Values[i]; known && !math.IsNaN(v) {
				obx("NM", gc.Code, sub, nm(v, gc.Prec), gc.Unit, at, "")
			}
		}
	}
	// The report, base64 (ED: source application ^ type ^ subtype ^
	// encoding ^ data; the base64 alphabet holds no delimiter).
	if len(rec.PDF) > 0 {
		obx("ED", codePDF, "", comps("", "AP", "PDF", "Base64", base64.StdEncoding.EncodeToString(rec.PDF)), "", s.End, "")
	}
	return b.Bytes()
}
