package devicetest_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/template"
)

func TestCorrupt(t *testing.T) {
	clean := bytes.Repeat([]byte("T1=36.8 T2=35.1 ST=00\r\n"), 4000)
	a, na := devicetest.Corrupt(clean, 0.01, 7)
	b, nb := devicetest.Corrupt(clean, 0.01, 7)
	c, _ := devicetest.Corrupt(clean, 0.01, 8)
	assert.Equal(t, a, b, "the same seed, the same noise")
	assert.Equal(t, na, nb)
	assert.NotEqual(t, a, c, "another seed, other noise")
	diff := 0
	for i := range clean {
		if a[i] != clean[i] {
			diff++
		}
	}
	assert.Equal(t, na, diff, "every flipped byte changed")
	assert.InDelta(t, 0.01*float64(len(clean)), float64(na), 0.003*float64(len(clean)))
	none, n0 := devicetest.Corrupt(clean, 0, 1)
	assert.Zero(t, n0)
	assert.Equal(t, clean, none)
}

// TestFalseOK: the template thermometer has no checksum, so digits flipped
// inside well-formed values come out ok; without noise nothing does.
func TestFalseOK(t *testing.T) {
	var clean []byte
	for i := range 20000 {
		clean = fmt.Appendf(clean, "T1=%.1f T2=%.1f ST=00\r\n", 30+float64(i%50)/10, 33+float64(i%37)/10)
	}
	quiet := devicetest.FalseOK(t, template.Name, clean, 0, 1)
	assert.Zero(t, quiet.FalseOK)
	assert.Equal(t, quiet.CleanOK, quiet.OK)
	n := devicetest.FalseOK(t, template.Name, clean, 0.01, 1)
	t.Log(n)
	assert.Positive(t, n.FalseOK, "a format without a check lets flipped digits through")
	assert.LessOrEqual(t, n.FalseOK, n.OK)
	assert.Less(t, n.OK, n.CleanOK, "noise makes frames bad")
	assert.Positive(t, n.Bad)
	assert.Equal(t, n, devicetest.FalseOK(t, template.Name, clean, 0.01, 1), "deterministic")
}
