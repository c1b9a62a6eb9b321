package template_test

import (
	"testing"

	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/template"
)

// TestConformance runs the driver kit: the cases under testdata/, split
// reads, garbage, truncation, a 100 MB line, corrupted bytes, cancellation,
// allocations and goroutine leaks. Rewrite the expected files with
// DEVICETEST_UPDATE=1 go test -run Conformance, and read the diff.
func TestConformance(t *testing.T) {
	devicetest.Check(t, template.Name, devicetest.Options{ZeroAllocs: true})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, template.Name, "testdata") }
