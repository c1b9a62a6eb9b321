package record

import (
	"strings"
	"testing"
)

// ExportCSVDisplay: a column the display converts is headed as it says and
// its values scaled and rounded; the others are as ExportCSV writes them.
func TestExportCSVDisplay(t *testing.T) {
	const file = "pump,case=C,source=hlm flow=4.5 1772352000000000000\n" +
		"abg,case=C,source=gem pco2=40,po2=75 1772352000000000000\n" +
		"pump,case=C,source=hlm flow=4.6 1772352001000000000\n"
	var plain, shown strings.Builder
	if _, err := ExportCSV(&plain, strings.NewReader(file), nil); err != nil {
		t.Fatal(err)
	}
	if want := "time,pump.flow,abg.pco2,abg.po2\n2026-03-01T08:00:00Z,4.5,40,75\n2026-03-01T08:00:01Z,4.6,40,75\n"; plain.String() != want {
		t.Errorf("ExportCSV:\n%s\nwant\n%s", plain.String(), want)
	}
	kPa := map[string]ColumnDisplay{
		"abg.pco2": {Header: "abg.pco2 (kPa)", Factor: 101.325 / 760, Precision: 2},
		"abg.po2":  {Header: "abg.po2 (kPa)", Factor: 101.325 / 760, Precision: 1},
	}
	rows, err := ExportCSVDisplay(&shown, strings.NewReader(file), nil, func(ch string) ColumnDisplay { return kPa[ch] })
	if err != nil || rows != 2 {
		t.Fatalf("rows %d, err %v", rows, err)
	}
	if want := "time,pump.flow,abg.pco2 (kPa),abg.po2 (kPa)\n2026-03-01T08:00:00Z,4.5,5.33,10.0\n2026-03-01T08:00:01Z,4.6,5.33,10.0\n"; shown.String() != want {
		t.Errorf("ExportCSVDisplay:\n%s\nwant\n%s", shown.String(), want)
	}
}
