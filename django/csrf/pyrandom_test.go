package csrf

import "github.com/djsession/djsession/internal/vectors"

// newPyRandom is CPython's random.Random(seed) as Django's vectors drew
// it (generate.py replaces secrets.choice with a seeded choice).
func newPyRandom(seed uint32) *vectors.PyRandom { return vectors.NewPyRandom(seed) }
