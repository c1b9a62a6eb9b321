//go:build !race

package invos_test

const raceEnabled = false
