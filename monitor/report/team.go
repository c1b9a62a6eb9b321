package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/monitor/record"
)

// Team is who took part in a case and what was done, as its record says:
// the fields the casebook, the per-perfusionist benchmark and the exports
// read. Empty when the record does not say.
type Team struct {
	Procedure, Urgency string
	// Perfusionist is the perfusionist in charge of the case; Trainee a
	// trainee on the pump; Supervisor who supervised; Assistant a second
	// perfusionist assisting.
	Perfusionist, Trainee, Supervisor, Assistant string
	Surgeon, Anaesthetist                        string
	// TraineeRole is the trainee's role as recorded (primary, supervised,
	// assisting); empty: inferred by Role.
	TraineeRole string
	// SignedBy and SignedAt are the perfusionist's sign-off (the last
	// signoff event); zero when unsigned.
	SignedBy string
	SignedAt time.Time
}

// The fields Team reads. Case metadata string fields (measurement case) and
// the same keys on events of kind EventTeam (the last one wins, field by
// field, metadata first, then events in time order); the sign-off is an
// event of kind EventSignOff with who. These names are provisional until
// the case-metadata work (issue 17) fixes them in docs/format/case.md: only
// this table and Role change then.
const (
	EventTeam    = "team"
	EventSignOff = "signoff"
)

var teamFields = map[string]func(*Team) *string{
	"procedure":    func(t *Team) *string { return &t.Procedure },
	"urgency":      func(t *Team) *string { return &t.Urgency },
	"perfusionist": func(t *Team) *string { return &t.Perfusionist },
	"trainee":      func(t *Team) *string { return &t.Trainee },
	"supervisor":   func(t *Team) *string { return &t.Supervisor },
	"assistant":    func(t *Team) *string { return &t.Assistant },
	"surgeon":      func(t *Team) *string { return &t.Surgeon },
	"anaesthetist": func(t *Team) *string { return &t.Anaesthetist },
	"trainee_role": func(t *Team) *string { return &t.TraineeRole },
}

// ReadMetaStrings reads the string fields of a case file's metadata lines
// (measurement case), the last value of each winning, without the ident_*
// patient identifiers: what Load keeps only as numbers and identifiers.
// Bad lines are skipped (Load reports them).
func ReadMetaStrings(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	rd := record.NewReader(r)
	for rd.Next() {
		e := rd.Entry()
		if e.Kind() != record.KindMeta {
			continue
		}
		for _, f := range e.Fields {
			k := string(f.Key)
			if strings.HasPrefix(k, record.IdentPrefix) || f.Value.Kind() != lineprotocol.String {
				continue
			}
			out[k] = f.Value.StringV()
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return out, nil
}

// TeamOf returns the team of case c from its metadata strings (from
// ReadMetaStrings; nil is fine) and its events.
func TeamOf(c *Case, meta map[string]string) Team {
	var t Team
	set := func(k, v string) {
		if f := teamFields[k]; f != nil && strings.TrimSpace(v) != "" {
			*f(&t) = strings.TrimSpace(v)
		}
	}
	for k, v := range meta {
		set(k, v)
	}
	for _, e := range c.Events {
		switch e.Kind {
		case EventTeam:
			for k, v := range e.Str {
				set(k, v)
			}
		case EventSignOff:
			who := strings.TrimSpace(e.Who)
			if who == "" {
				who = strings.TrimSpace(e.Str["perfusionist"])
			}
			if who != "" {
				t.SignedBy, t.SignedAt = who, utc(e.T)
			}
		}
	}
	return t
}

// The roles of a person in a case, as a training logbook lists them.
const (
	RolePrimary     = "primary"
	RoleSupervised  = "supervised"
	RoleAssisting   = "assisting"
	RoleSupervising = "supervising"
)

// Role returns what name (compared without case and surrounding spaces)
// did in the case, and who supervised them; ok is false when name is not
// on the team. A trainee is "supervised" unless the record says otherwise
// (trainee_role); the perfusionist is "primary", or "supervised" when a
// supervisor is named; the assistant is "assisting"; the supervisor is
// "supervising".
func (t Team) Role(name string) (role, supervisor string, ok bool) {
	is := func(s string) bool { return s != "" && strings.EqualFold(strings.TrimSpace(name), s) }
	switch {
	case is(t.Trainee):
		role = RoleSupervised
		if r := strings.ToLower(t.TraineeRole); r == RolePrimary || r == RoleSupervised || r == RoleAssisting {
			role = r
		}
		sup := t.Supervisor
		if sup == "" {
			sup = t.Perfusionist
		}
		return role, sup, true
	case is(t.Perfusionist):
		if t.Supervisor != "" && !is(t.Supervisor) {
			return RoleSupervised, t.Supervisor, true
		}
		return RolePrimary, "", true
	case is(t.Assistant):
		return RoleAssisting, t.Perfusionist, true
	case is(t.Supervisor):
		return RoleSupervising, "", true
	}
	return "", "", false
}
