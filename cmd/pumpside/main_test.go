package main

import (
	"os"
	"testing"
	"time"
)

// TestMain keeps the tests off the user's config directory: a report made
// without a site secret creates one there (siteSecret), and a site file
// there would change units and zones. It pins the machine's zone to UTC,
// the zone the tests' expected outputs are written in; tests of other
// zones say --tz.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	dir, err := os.MkdirTemp("", "pumpside-test-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
