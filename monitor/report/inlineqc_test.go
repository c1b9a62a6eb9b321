package report

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/qc"
)

// The summary lists the recorded checks, one row per comparison; a case
// without any says none were recorded; computed checks are said to be.
func TestInlineChecksSection(t *testing.T) {
	checked, drawn := at(600).UnixNano(), at(300).UnixNano()
	line := `event,case=C-1,kind=inline_check text="In-line check",side="arterial",drawn="` +
		time.Unix(0, drawn).UTC().Format(time.RFC3339Nano) + `",passed=1,failed=1,not_compared=0,` +
		`hct_result="failed",hct_lab=34.5,hct_inline=30,hct_diff=-4.5,hct_tol=3,` +
		`k_result="passed",k_lab=4.1,k_inline=4,k_diff=-0.1,k_tol=0.5 ` + strconv.FormatInt(checked, 10) + "\n"
	c := loadString(t, "pump,case=C-1,source=hlm flow=4.5 "+strconv.FormatInt(at(0).UnixNano(), 10)+"\n"+line)
	require.True(t, c.HasRecordedInlineChecks())
	s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, InlineChecksRecorded, s.InlineChecksFrom)
	require.Len(t, s.InlineChecks, 2)
	hct := s.InlineChecks[0]
	assert.Equal(t, "Hct", hct.Analyte)
	assert.Equal(t, at(300), hct.Drawn)
	assert.Equal(t, at(600), hct.Checked)
	assert.Equal(t, "failed", hct.Outcome)
	assert.Equal(t, []string{"08:10:00", "08:05:00", "arterial", "Hct", "34.5", "30.0", "-4.50", "±3.00", "%", "failed"},
		s.InlineCheckCells(hct))
	assert.Equal(t, "2 compared: 1 passed, 1 failed; 0 not compared", s.InlineCheckText())

	none := loadString(t, "pump,case=C-1,source=hlm flow=4.5 "+strconv.FormatInt(at(0).UnixNano(), 10)+"\n")
	s, err = Summarize(none, DefaultSettings(), Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, "none recorded", s.InlineCheckText())

	none.SetComputedInlineChecks([]qc.Check{{Time: checked, Drawn: drawn, Side: qc.Venous, Items: []qc.Comparison{
		{Analyte: qc.SO2, Lab: channel.VBGSO2, Inline: channel.InlineVenSO2, LabValue: 70, InlineValue: math.NaN(), Diff: math.NaN(),
			Tolerance: math.NaN(), Reason: qc.ReasonNoInline}}}})
	s, err = Summarize(none, DefaultSettings(), Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, "0 compared: 0 passed, 0 failed; 1 not compared (computed from the samples: the file records none)", s.InlineCheckText())
	assert.Equal(t, "not compared: "+qc.ReasonNoInline, s.InlineCheckCells(s.InlineChecks[0])[9])
}
