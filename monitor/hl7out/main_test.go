package hl7out

import (
	"testing"

	"go.uber.org/goleak"
)

// The Service and the test receivers start goroutines: none may outlive
// the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
