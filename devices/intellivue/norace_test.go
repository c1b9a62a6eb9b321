//go:build !race

package intellivue_test

const raceEnabled = false
