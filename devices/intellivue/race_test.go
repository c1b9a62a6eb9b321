//go:build race

package intellivue_test

// raceEnabled: the race detector slows the noise measurements tenfold;
// they run on a smaller sample.
const raceEnabled = true
