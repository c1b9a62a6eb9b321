package physio

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CrystalloidShare returns the crystalloid part, in mL, of volumeML of a
// blood cardioplegia mixed blood:crystalloid in the ratio
// bloodParts:crystalloidParts: volume × crystalloid / (blood + crystalloid).
//
// Only that part adds water to the patient: the blood of a blood
// cardioplegia is drawn from the circuit and returns to it, so counting
// the whole dose in the fluid balance (or as diluent in the predicted Hct)
// overstates both.
//
// Convention: the ratio is written blood first, as the solutions are
// named. Buckberg's blood cardioplegia "4:1" is 4 parts blood to 1 part
// crystalloid: 1/5 crystalloid (1000 mL -> 200 mL). del Nido cardioplegia
// is 1 part blood to 4 parts crystalloid, "1:4": 4/5 crystalloid (1000 mL
// -> 800 mL; Matte GS, del Nido PJ. History and use of del Nido
// cardioplegia solution at Boston Children's Hospital. J Extra Corpor
// Technol 2012;44:98-103). A crystalloid cardioplegia (HTK/Custodiol,
// St Thomas' crystalloid) is "0:1": all of it.
//
// NaN when a part is negative or NaN, or both are zero.
func CrystalloidShare(volumeML, bloodParts, crystalloidParts float64) float64 {
	if !(bloodParts >= 0 && crystalloidParts >= 0) || bloodParts+crystalloidParts == 0 {
		return math.NaN()
	}
	m := math.Max(bloodParts, crystalloidParts) // scaled, so that huge parts cannot overflow
	return volumeML * (crystalloidParts / m) / (bloodParts/m + crystalloidParts/m)
}

// ParsePlegiaRatio reads a cardioplegia ratio written blood:crystalloid
// ("4:1", "1:4", "0:1", "8 : 1", "4/1"). The parts are numbers from 0 to
// 1000 (a microplegia is 66:1), not both zero.
func ParsePlegiaRatio(s string) (bloodParts, crystalloidParts float64, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		a, b, ok = strings.Cut(strings.TrimSpace(s), "/")
	}
	if !ok {
		return 0, 0, fmt.Errorf("physio: cardioplegia ratio %q: want blood:crystalloid, e.g. 4:1", s)
	}
	bp, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	cp, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || !(bp >= 0 && bp <= 1000 && cp >= 0 && cp <= 1000) || bp+cp == 0 {
		return 0, 0, fmt.Errorf("physio: cardioplegia ratio %q: want two non-negative parts, blood:crystalloid", s)
	}
	return bp, cp, nil
}
