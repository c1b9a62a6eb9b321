//go:build !race

package cdi550_test

const raceEnabled = false
