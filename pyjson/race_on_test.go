//go:build race

package pyjson

// raceEnabled: the race detector changes allocation counts (sync.Pool drops
// items at random), so allocation bounds are not checked under it.
const raceEnabled = true
