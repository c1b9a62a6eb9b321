package qc

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// FromFields reads fields back from a case file anyone may have written:
// it never panics, and what it accepts writes back to the same fields.
func FuzzFromFields(f *testing.F) {
	f.Add("arterial", "2026-03-02T07:45:00Z", "hct_result=failed;hct_lab=34.5;hct_inline=30;hct_diff=-4.5;hct_tol=3")
	f.Add("venous", "2026-03-02T07:58:00.5Z", "so2_result=not_compared;so2_reason=no in-line value at draw time;so2_lab=71")
	f.Add("unstated", "x", "k_result=passed")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, side, drawn, kv string) {
		num := map[string]float64{}
		str := map[string]string{"side": side, "drawn": drawn}
		for _, p := range strings.Split(kv, ";") {
			k, v, _ := strings.Cut(p, "=")
			var x float64
			if y, err := strconv.ParseFloat(v, 64); err == nil {
				x = y
				num[k] = x
			} else {
				str[k] = v
			}
		}
		ck, ok := FromFields(1, func(k string) (float64, bool) { v, ok := num[k]; return v, ok }, func(k string) string { return str[k] })
		if !ok {
			return
		}
		back, ok := FromFields(1, fieldNum(ck.Fields()), fieldStr(ck.Fields()))
		if !ok || len(back.Items) != len(ck.Items) || back.Side != ck.Side {
			t.Fatalf("round trip: %+v -> %+v", ck, back)
		}
		for i := range ck.Items {
			a, b := ck.Items[i], back.Items[i]
			if a.Analyte != b.Analyte || a.Outcome != b.Outcome || !same(a.LabValue, b.LabValue) {
				t.Fatalf("item %d: %+v -> %+v", i, a, b)
			}
		}
	})
}

func same(a, b float64) bool {
	return a == b || math.IsNaN(a) && math.IsNaN(b) || math.IsInf(a, 0) && math.IsNaN(b)
}

func fieldNum(fs []Field) func(string) (float64, bool) {
	return func(k string) (float64, bool) {
		for _, f := range fs {
			if f.Key == k && !f.IsStr {
				return f.Num, true
			}
		}
		return 0, false
	}
}

func fieldStr(fs []Field) func(string) string {
	return func(k string) string {
		for _, f := range fs {
			if f.Key == k && f.IsStr {
				return f.Str
			}
		}
		return ""
	}
}
