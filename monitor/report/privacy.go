package report

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
)

// ErrNoSecret is returned when a case must be pseudonymised and there is no
// site secret. Pumpside refuses rather than invent one: a generated secret
// that is not kept would give the same case a different pseudonym in every
// export, and one that is kept is a key file nobody chose to manage.
var ErrNoSecret = errors.New("report: no site secret to pseudonymise the case id (set PUMPSIDE_SITE_SECRET or --secret-file, or ask for --identify)")

// MinSecretLen is the shortest site secret accepted, in bytes.
const MinSecretLen = 16

// ErrShortSecret is returned for a site secret shorter than MinSecretLen.
var ErrShortSecret = errors.New("report: site secret shorter than 16 bytes")

// Privacy decides what of a case's identity reaches an output.
type Privacy struct {
	// Identify shows the case tag and the patient identifiers. Off by
	// default: it must be asked for explicitly.
	Identify bool
	// Secret is the site secret keying the pseudonym (HMAC-SHA256).
	Secret []byte
}

// Label returns how outputs name the case: the case tag with Identify, else
// its pseudonym.
func (p Privacy) Label(caseID string) (string, error) {
	if p.Identify {
		return caseID, nil
	}
	if len(p.Secret) == 0 {
		return "", ErrNoSecret
	}
	if len(p.Secret) < MinSecretLen {
		return "", ErrShortSecret
	}
	return Pseudonym(p.Secret, caseID), nil
}

// Pseudonym is "P-" and the first 16 hex digits (64 bits) of
// HMAC-SHA256(secret, caseID): stable for a site, not reversible without
// the secret, and different between sites.
func Pseudonym(secret []byte, caseID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(caseID))
	return "P-" + hex.EncodeToString(m.Sum(nil))[:16]
}

// Redacted replaces an identifier found in free text.
const Redacted = "[redacted]"

// redactor returns a function that removes the case's identifier strings
// from free text (a note may name the patient), unless Identify.
func (p Privacy) redactor(c *Case) func(string) string {
	if p.Identify {
		return func(s string) string { return s }
	}
	var ids []string
	for _, s := range c.identifierStrings() {
		if len(strings.TrimSpace(s)) >= 2 {
			ids = append(ids, s)
		}
	}
	// Longest first, so "Jane Doe" goes before "Jane".
	slices.SortFunc(ids, func(a, b string) int { return len(b) - len(a) })
	return func(s string) string {
		for _, id := range ids {
			s = replaceFold(s, id, Redacted)
		}
		return s
	}
}

// replaceFold replaces old in s, ignoring ASCII case.
func replaceFold(s, old, repl string) string {
	lo, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lo) != len(s) || !strings.Contains(lo, lold) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lo, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lo = s[i+len(old):], lo[i+len(old):]
	}
}
