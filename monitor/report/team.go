package report

import "strings"

// The roles of a person in a case, as a training logbook lists them.
const (
	RolePrimary     = "primary"
	RoleSupervised  = "supervised"
	RoleSupervising = "supervising"
)

// Role returns what name (compared without case and surrounding spaces)
// did in the case, by the record's team entry (the surgeon and the
// anaesthetist are not perfusion roles), and who supervised them; ok is
// false when name is not one of the perfusion team. The trainee is
// "supervised", by the supervisor or else the perfusionist; the
// perfusionist is "primary", or "supervised" when another is named
// supervisor; the supervisor is "supervising".
func (t Team) Role(name string) (role, supervisor string, ok bool) {
	is := func(s string) bool {
		return strings.TrimSpace(s) != "" && strings.EqualFold(strings.TrimSpace(name), strings.TrimSpace(s))
	}
	switch {
	case is(t.Trainee):
		sup := t.Supervisor
		if sup == "" {
			sup = t.Perfusionist
		}
		return RoleSupervised, sup, true
	case is(t.Perfusionist):
		if t.Supervisor != "" && !is(t.Supervisor) {
			return RoleSupervised, t.Supervisor, true
		}
		return RolePrimary, "", true
	case is(t.Supervisor):
		return RoleSupervising, "", true
	}
	return "", "", false
}
