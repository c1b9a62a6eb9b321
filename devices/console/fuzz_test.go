package console_test

import (
	"errors"
	"os"
	"testing"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/console"
)

// FuzzParse: any input parses or fails with a *console.Error wrapping
// devices.ErrConfig; never a panic.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(example)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := console.Parse(data, "fuzz/console.toml")
		if err != nil {
			var ce *console.Error
			if !errors.As(err, &ce) || !errors.Is(err, devices.ErrConfig) {
				t.Fatalf("error %v is not a *console.Error wrapping ErrConfig", err)
			}
			return
		}
		if len(c.Devices) == 0 {
			t.Fatal("a config without devices parsed")
		}
	})
}
