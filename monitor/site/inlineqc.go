package site

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// InlineQCAnalytes are the analytes of the in-line monitor check
// (monitor/qc, docs/qc.md) a site may set a tolerance for: the keys of
// [inline_qc].
var InlineQCAnalytes = []string{"po2", "pco2", "so2", "hct", "hb", "k"}

// InlineTolerance is a tolerance of the in-line monitor check: the largest
// difference from the analyser that passes is the larger of Abs (in the
// analyte's unit: mmHg, %, g/dL, mmol/L) and Rel (a fraction, 0–1) of the
// analyser's value.
type InlineTolerance struct {
	Abs float64 `toml:"abs"`
	Rel float64 `toml:"rel"`
}

// parseInlineQC checks the [inline_qc] table: known analytes only, Abs ≥ 0
// and finite, Rel in 0–1, not both zero. It returns the key of the first
// bad entry.
func parseInlineQC(m map[string]InlineTolerance) (map[string]InlineTolerance, string, error) {
	if len(m) == 0 {
		return nil, "", nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]InlineTolerance, len(m))
	for _, k := range keys {
		t := m[k]
		key := "inline_qc." + k
		known := false
		for _, a := range InlineQCAnalytes {
			known = known || a == k
		}
		switch {
		case !known:
			return nil, key, fmt.Errorf("unknown analyte: want one of %s", strings.Join(InlineQCAnalytes, ", "))
		case !(t.Abs >= 0) || math.IsInf(t.Abs, 0):
			return nil, key + ".abs", fmt.Errorf("%v: want a number ≥ 0", t.Abs)
		case !(t.Rel >= 0 && t.Rel <= 1):
			return nil, key + ".rel", fmt.Errorf("%v: want a fraction from 0 to 1", t.Rel)
		case t.Abs == 0 && t.Rel == 0:
			return nil, key, errors.New("abs and rel are both 0: no difference would pass")
		}
		out[k] = t
	}
	return out, "", nil
}
