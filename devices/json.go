package devices

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// AppendSampleJSON appends s as the one-line JSON object `pumpside decode`
// prints, without a newline:
//
//	{"time":"2026-03-02T08:00:01Z","source":"masimo","channel":"patient.spo2","value":98,"unit":"%","quality":"ok"}
//
// time is RFC 3339 in UTC with as many fraction digits as needed; value is
// null unless quality is ok.
func AppendSampleJSON(dst []byte, s monitor.Sample, source string) []byte {
	c := channel.Get(s.Channel)
	dst = append(dst, `{"time":"`...)
	dst = time.Unix(0, s.Time).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","source":`...)
	dst = appendJSONString(dst, source)
	dst = append(dst, `,"channel":`...)
	dst = appendJSONString(dst, s.Channel.String())
	dst = append(dst, `,"value":`...)
	if s.Quality == channel.OK && c.InRange(s.Value) {
		dst = strconv.AppendFloat(dst, s.Value, 'f', -1, 64)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"unit":`...)
	dst = appendJSONString(dst, c.Unit)
	dst = append(dst, `,"quality":"`...)
	dst = append(dst, s.Quality.String()...)
	return append(dst, `"}`...)
}

func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}
