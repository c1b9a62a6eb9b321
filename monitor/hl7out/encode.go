package hl7out

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The encoding characters of every message Pumpside writes (MSH-1, MSH-2).
const (
	fieldSep = '|'
	compSep  = '^'
	repSep   = '~'
	escChar  = '\\'
	subSep   = '&'
)

// escape writes s as HL7 text: the delimiters as escape sequences (\F\ \S\
// \R\ \E\ \T\), a line break as \.br\, other control characters dropped.
func escape(s string) string {
	if !strings.ContainsAny(s, "|^~\\&\r\n\t") && !hasControl(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case fieldSep:
			b.WriteString(`\F\`)
		case compSep:
			b.WriteString(`\S\`)
		case repSep:
			b.WriteString(`\R\`)
		case escChar:
			b.WriteString(`\E\`)
		case subSep:
			b.WriteString(`\T\`)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\.br\`)
		case '\n':
			b.WriteString(`\.br\`)
		case '\t':
			b.WriteByte(' ')
		default:
			if c < 0x20 || c == 0x7f {
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// comps joins already escaped components with ^, dropping trailing empty
// ones.
func comps(c ...string) string {
	for len(c) > 0 && c[len(c)-1] == "" {
		c = c[:len(c)-1]
	}
	return strings.Join(c, string(compSep))
}

// dtm is an HL7 DTM in UTC with its offset: YYYYMMDDHHMMSS+0000. The zero
// time is empty.
func dtm(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("20060102150405") + "+0000"
}

// nm is an HL7 NM: a decimal without exponent, prec digits after the
// point; "" for NaN or infinity (no value is never a number).
func nm(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if s == "-0" || strings.HasPrefix(s, "-0.") && strings.Trim(s[3:], "0") == "" {
		s = s[1:]
	}
	return s
}
