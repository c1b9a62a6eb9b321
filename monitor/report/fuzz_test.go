package report

import (
	"bytes"
	"testing"
)

// FuzzLoad: any input loads or fails with an error, and a loaded case
// summarises and renders its CSV row without panicking.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("event,case=X,kind=on_bypass text=\"\" 1000000000000\nderived,case=X,source=pumpside do2i=250 1001000000000\nevent,case=X,kind=off_bypass text=\"\" 1002000000000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Load(bytes.NewReader(b), nil)
		if err != nil {
			return
		}
		s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
		if err != nil {
			t.Fatal(err)
		}
		if s.Bypass < 0 || s.DO2iBelow > s.Bypass || s.MAPBelow > s.Bypass {
			t.Fatalf("durations out of bounds: bypass %v, DO2i below %v, MAP below %v", s.Bypass, s.DO2iBelow, s.MAPBelow)
		}
		var buf bytes.Buffer
		if err := WriteSummaryCSV(&buf, s); err != nil {
			t.Fatal(err)
		}
	})
}
