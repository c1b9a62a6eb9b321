// Package qc is the near-patient quality check of the in-line blood
// monitor (CDI 550 and the like) against the blood-gas analyser: every
// analyser result is compared, analyte by analyte, with what the in-line
// monitor showed when the sample was drawn (docs/qc.md).
//
// A Checker looks at the pipeline's snapshots. Each analyser result it has
// not seen yet (abg.*, vbg.*: a new sample time on the channel) gives one
// Check per specimen side: pO2, pCO2, SO2, Hct (else Hb) and K+ of the
// same side of the circuit, the in-line value being the newest OK second
// of the in-line channel's history at or before the draw time and no older
// than the channel's freshness limit. A result that arrives minutes after
// its draw time is thus compared with the in-line value of the draw time,
// not the current one; with no in-line value then, or for a sample whose
// specimen is not stated (bg.*), nothing is compared and the Check says why.
//
// Drift is the inline_drift condition: a failed comparison newer than the
// in-line monitor's last recalibration. Live, the checker feeds it; a
// replay feeds it the recorded checks (Check.Fields, FromFields), so both
// raise and clear it at the same case times.
//
// A Checker is not safe for concurrent use: one goroutine (the alarm
// evaluation's) owns it. Drift is safe from any goroutine. Nothing here
// reads the clock.
package qc
