package report

import "strings"

// The roles of a person in a case, as a training logbook lists them.
const (
	RolePrimary     = "primary"
	RoleSupervised  = "supervised"
	RoleAssisting   = "assisting"
	RoleSupervising = "supervising"
)

// casebookRoles are the roles a casebook counts, in a logbook's order.
var casebookRoles = []string{RolePrimary, RoleSupervised, RoleAssisting, RoleSupervising}

// Role returns what name (compared without case and surrounding spaces)
// did in the case, by the record's team entry (the surgeon and the
// anaesthetist are not perfusion roles), and who supervised them; ok is
// false when name is not one of the perfusion team. The trainee is
// "supervised", by the supervisor or else the perfusionist; the
// perfusionist is "primary", or "supervised" when another is named
// supervisor; the assistant is "assisting", under the supervisor or else
// the perfusionist in charge, who signs for the case; the supervisor is
// "supervising".
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
	case is(t.Assistant):
		sup := t.Supervisor
		if sup == "" {
			sup = t.Perfusionist
		}
		return RoleAssisting, sup, true
	case is(t.Supervisor):
		return RoleSupervising, "", true
	}
	return "", "", false
}
