package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const intellivueData = "../../devices/intellivue/testdata/"

// A LAN capture (one UDP datagram a record), read with no config: the
// framing is found from the bytes; unknown labels are listed in the summary.
func TestDecodeIntelliVueLANCapture(t *testing.T) {
	code, out, errs := run("decode", "--driver", "intellivue", intellivueData+"lan-session/input.cap")
	assert.Equal(t, 0, code, errs)
	want, err := os.ReadFile(intellivueData + "lan-session/expected.jsonl")
	require.NoError(t, err)
	assert.Equal(t, string(want), out)
	assert.Contains(t, errs, "frames: 8 ok, 0 bad\n")
	assert.Contains(t, errs, `unknown label 0x0002F0C7 "T1" (value 0xF0C7): counted, not emitted; map it under [labels] (1×)`)
	assert.Contains(t, errs, `unknown label 0x00024A04 "NBP"`)
	assert.Contains(t, errs, "value code 0xF0C7 (Temp) names no site: not emitted until its label is known (1×)")
}

// A raw MIB/RS232 stream that starts inside a frame, with a bad FCS, an
// aborted frame and a cut one.
func TestDecodeIntelliVueSerialStream(t *testing.T) {
	code, out, errs := run("decode", "--driver", "intellivue", intellivueData+"serial-stream/input")
	assert.Equal(t, 0, code, errs)
	want, err := os.ReadFile(intellivueData + "serial-stream/expected.jsonl")
	require.NoError(t, err)
	// A raw stream has no receive times: compare without them.
	assert.Equal(t, withoutTimes(string(want)), withoutTimes(out))
	assert.Contains(t, errs, "frames: 4 ok, 4 bad\n")
	assert.Contains(t, errs, "checksum")
}

var jsonTime = regexp.MustCompile(`"time":"[^"]*",`)

func withoutTimes(jsonl string) string { return jsonTime.ReplaceAllString(jsonl, "") }

func TestDevicesListsIntelliVue(t *testing.T) {
	code, out, errs := run("devices")
	assert.Equal(t, 0, code, errs)
	i := strings.Index(out, "intellivue")
	require.GreaterOrEqual(t, i, 0, out)
	for _, want := range []string{"patient.map", "patient.pap_mean", "patient.cvp", "temp.bladder", "115200 8N1"} {
		assert.Contains(t, out[i:], want)
	}
}
