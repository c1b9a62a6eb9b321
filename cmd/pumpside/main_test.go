package main

import (
	"os"
	"testing"
)

// TestMain keeps the tests off the user's config directory: a report made
// without a site secret creates one there (siteSecret).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pumpside-test-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
