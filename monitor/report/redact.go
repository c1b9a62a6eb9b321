package report

// Redactor returns the function that outputs built from c pass free text
// through: it removes the case's identifier strings (case-insensitively,
// replaced by Redacted) unless p.Identify. It is the summary's own
// redaction, for exports that carry texts the summary does not (event
// names, drug names, notes).
func (p Privacy) Redactor(c *Case) func(string) string { return p.redactor(c) }
