package channel

// Set is a set of built-in channels: a small value with no pointers, so it
// can sit in structs passed by value (alarms.Context). The zero value is
// empty.
type Set [(Count + 63) / 64]uint64

// Add puts id in the set; an invalid id is ignored.
func (s *Set) Add(id ID) {
	if id.Valid() {
		s[id/64] |= 1 << (id % 64)
	}
}

// Has reports whether id is in the set.
func (s *Set) Has(id ID) bool {
	return id.Valid() && s[id/64]&(1<<(id%64)) != 0
}

// Union adds every channel of o to s.
func (s *Set) Union(o *Set) {
	for i := range s {
		s[i] |= o[i]
	}
}

// Complement returns the valid channels that are not in s.
func (s *Set) Complement() Set {
	var c Set
	for id := ID(1); id < numBuiltin; id++ {
		if !s.Has(id) {
			c.Add(id)
		}
	}
	return c
}
