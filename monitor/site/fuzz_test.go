package site

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pumpside/pumpside/monitor/entry"
)

// FuzzParse: any input is refused with an *Error wrapping ErrSite or gives
// a configuration whose units are among the choices, whose grid is 10 or
// 15 min, and whose preset entries their kinds accept.
func FuzzParse(f *testing.F) {
	ex, err := os.ReadFile(filepath.Join("testdata", "site.toml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ex)
	f.Add([]byte("[units]\ngas = \"kPa\"\n"))
	f.Add([]byte("[[preset]]\nkind = \"disposable\"\nitem = \"oxygenator\"\nlot = \"A\\u001bB\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.toml")
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrSite) {
				t.Fatalf("error %v is not a site *Error", err)
			}
			return
		}
		if k, _, _ := c.Units.check(); k != "" {
			t.Fatalf("bad unit kept: %+v", c.Units)
		}
		if c.GridInterval != GridIntervals[0] && c.GridInterval != GridIntervals[1] {
			t.Fatalf("grid %v", c.GridInterval)
		}
		for _, e := range c.Preset {
			if err := (&entry.Model{}).ValidatePartial(e); err != nil {
				t.Fatalf("preset kept that its kind refuses: %v", err)
			}
		}
	})
}
