package framing

// ParseDecimal parses a numeric field of a text protocol: an optionally signed decimal number without exponent,
// such as "098" or "-03.60", with at most 15 digits, without allocating. The
// result is the float64 nearest the decimal, as strconv.ParseFloat gives.
func ParseDecimal(b []byte) (float64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var mant uint64
	nd, frac, dot := 0, 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			nd++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if nd == 0 || nd > 15 {
		return 0, false
	}
	v := float64(mant) / pow10[frac] // both exact: the quotient is correctly rounded
	if neg {
		v = -v
	}
	return v, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}
