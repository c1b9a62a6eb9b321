package entry

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseText(t *testing.T) {
	for _, c := range []struct {
		kind, text string
		num        map[string]float64
		str        map[string]string
		bad        bool // ParseText refuses
		field      string
	}{
		{KindDrug, "Heparin 30000 IU iv", map[string]float64{"dose": 30000}, map[string]string{"name": "Heparin", "unit": "IU", "route": "iv"}, false, ""},
		{KindDrug, "tranexamic acid 1g", map[string]float64{"dose": 1}, map[string]string{"name": "tranexamic acid", "unit": "g"}, false, ""},
		{KindDrug, "phenylephrine 100 mcg", map[string]float64{"dose": 100}, map[string]string{"name": "phenylephrine", "unit": "µg"}, false, ""},
		{KindDrug, "heparin 300000 IU", map[string]float64{"dose": 300000}, map[string]string{"name": "heparin", "unit": "IU"}, false, "dose"},
		{KindDrug, "heparin", nil, map[string]string{"name": "heparin"}, false, "dose"},
		{KindCardioplegia, "del Nido 1000 mL antegrade 4 °C", map[string]float64{"volume_ml": 1000, "temp_c": 4}, map[string]string{"solution": "del Nido", "route": "antegrade"}, false, ""},
		{KindCardioplegia, "blood 4:1 300 mL retrograde 37C", map[string]float64{"volume_ml": 300, "temp_c": 37}, map[string]string{"solution": "blood 4:1", "ratio": "4:1", "route": "retrograde"}, false, ""},
		{KindACT, "480", map[string]float64{"seconds": 480}, nil, false, ""},
		{KindACT, "ACT 480 s", map[string]float64{"seconds": 480}, nil, false, ""},
		{KindFluid, "Hartmann 500 mL crystalloid", map[string]float64{"volume_ml": 500}, map[string]string{"name": "Hartmann", "fluid_kind": "crystalloid"}, false, ""},
		{KindBloodProduct, "RBC 280 mL", map[string]float64{"volume_ml": 280}, map[string]string{"product": "rbc"}, false, ""},
		{KindUrine, "250", map[string]float64{"volume_ml": 250}, nil, false, ""},
		{KindNote, "re-dose due 110", nil, nil, false, ""},
		{KindCardioplegia, "del Nido 1000 mL 30 s", nil, nil, true, "text"},
	} {
		e, err := ParseText(c.kind, c.text)
		if c.bad {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Errorf("%q: got %v, want a refusal of %s", c.text, err, c.field)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if e.Text != c.text || !reflect.DeepEqual(e.Num, c.num) || !reflect.DeepEqual(e.Str, c.str) {
			t.Errorf("%q: got %v %v", c.text, e.Num, e.Str)
		}
		e.Time = at(time.Hour)
		Normalize(&e)
		err = Validate(e, caseStart, now)
		var fe *FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%q: refused: %v", c.text, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%q: got %v, want a refusal of %s", c.text, err, c.field)
		}
	}
}
