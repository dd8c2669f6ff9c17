//go:build race

package handler_test

// raceEnabled: the race detector is on (allocation counts are not meaningful under it).
const raceEnabled = true
