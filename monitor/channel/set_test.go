package channel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSet(t *testing.T) {
	var s Set
	assert.False(t, s.Has(PumpFlow))
	s.Add(PumpFlow)
	s.Add(DerivedRewarmRate)
	s.Add(Invalid)
	s.Add(ID(Count + 5))
	assert.True(t, s.Has(PumpFlow))
	assert.True(t, s.Has(DerivedRewarmRate))
	assert.False(t, s.Has(Invalid))
	assert.False(t, s.Has(PumpSpeed))
	c := s.Complement()
	assert.False(t, c.Has(PumpFlow))
	assert.True(t, c.Has(PumpSpeed))
	assert.False(t, c.Has(Invalid), "the complement holds valid channels only")
	var u Set
	u.Add(PumpSpeed)
	u.Union(&s)
	assert.True(t, u.Has(PumpFlow) && u.Has(PumpSpeed) && u.Has(DerivedRewarmRate))
	n := 0
	for id := ID(1); int(id) < Count; id++ {
		if c.Has(id) {
			n++
		}
	}
	assert.Equal(t, Count-1-2, n)
}
