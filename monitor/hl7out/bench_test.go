package hl7out

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/pumpside/pumpside/monitor/report/reporttest"
)

// BenchmarkBuild measures the message of the quality case (100 min of
// bypass, a 7-row grid, its PDF) against the baseline it cannot beat:
// base64 of the PDF alone.
func BenchmarkBuild(b *testing.B) {
	path := filepath.Join(b.TempDir(), "q.case")
	if err := os.WriteFile(path, []byte(reporttest.QualityCase()), 0o600); err != nil {
		b.Fatal(err)
	}
	rec := testRecord(b, path, false)
	b.Run("message", func(b *testing.B) {
		var n int
		for b.Loop() {
			msg, err := Build(rec, testConfig, testHeader)
			if err != nil {
				b.Fatal(err)
			}
			n = len(msg)
		}
		b.SetBytes(int64(n))
		b.ReportMetric(float64(n), "msg-bytes")
	})
	b.Run("baseline-base64-pdf", func(b *testing.B) {
		b.SetBytes(int64(len(rec.PDF)))
		for b.Loop() {
			_ = base64.StdEncoding.EncodeToString(rec.PDF)
		}
	})
}
