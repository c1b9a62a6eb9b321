package main

// The drivers for laboratory analysers, linked into the binary so that
// their init functions register them.
import (
	_ "github.com/pumpside/pumpside/devices/astm"
	_ "github.com/pumpside/pumpside/devices/hl7"
)
