//go:build !race

package s5_test

const raceEnabled = false
