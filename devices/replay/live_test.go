package replay

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/record"
)

// TestLoadIgnoresLiveState: the live-state lines of a console
// (docs/format/case.md, "Live state") are no bad lines and change nothing
// a replay plays.
func TestLoadIgnoresLiveState(t *testing.T) {
	base, err := os.ReadFile("../../testdata/cases/example.case")
	require.NoError(t, err)
	doc, err := os.ReadFile("../../docs/format/case.md")
	require.NoError(t, err)
	live := regexp.MustCompile(`(?m)^live,.*\n`).FindAll(doc, -1)
	require.NotEmpty(t, live)
	with := append(append([]byte(nil), base...), bytes.Join(live, nil)...)

	bad := func(e *record.LineError) { t.Errorf("bad line: %v", e) }
	want, err := Load(bytes.NewReader(base), bad)
	require.NoError(t, err)
	got, err := Load(bytes.NewReader(with), bad)
	require.NoError(t, err)
	sameSamples(t, want.AllSamples(), got.AllSamples())
	want.store, got.store = nil, nil // the samples are compared above
	// %+v, since NaN (a value that is not ok) is never equal to itself.
	require.Equal(t, fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", got))
}
