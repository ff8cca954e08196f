package vectors

// PyRandom replays CPython's random.Random(seed), which fixtures/generate.py
// puts in place of secrets.choice: with it, a Go test draws the very
// session keys and CSRF secrets Django drew while making the vectors.
type PyRandom struct {
	mt  [624]uint32
	idx int
}

// NewPyRandom is random.Random(seed) for a small non-negative int seed
// (init_by_array with the key [seed]).
func NewPyRandom(seed uint32) *PyRandom {
	p := &PyRandom{}
	p.initGenrand(19650218)
	key := []uint32{seed}
	i, j := 1, 0
	k := max(624, len(key))
	for ; k > 0; k-- {
		p.mt[i] = (p.mt[i] ^ ((p.mt[i-1] ^ (p.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			p.mt[0] = p.mt[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = 623; k > 0; k-- {
		p.mt[i] = (p.mt[i] ^ ((p.mt[i-1] ^ (p.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			p.mt[0] = p.mt[623]
			i = 1
		}
	}
	p.mt[0] = 0x80000000
	p.idx = 624
	return p
}

func (p *PyRandom) initGenrand(s uint32) {
	p.mt[0] = s
	for i := 1; i < 624; i++ {
		p.mt[i] = 1812433253*(p.mt[i-1]^(p.mt[i-1]>>30)) + uint32(i)
	}
	p.idx = 624
}

// Uint32 is one Mersenne Twister output (genrand_uint32).
func (p *PyRandom) Uint32() uint32 {
	if p.idx >= 624 {
		for i := range 624 {
			y := (p.mt[i] & 0x80000000) | (p.mt[(i+1)%624] & 0x7fffffff)
			v := p.mt[(i+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			p.mt[i] = v
		}
		p.idx = 0
	}
	y := p.mt[p.idx]
	p.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Read fills b with the top 8 bits of one output per byte. For the 62 CSRF
// characters, choice takes the top 6 bits of one output per try, so a
// reader of these bytes that uses their top 6 bits draws what Python drew.
func (p *PyRandom) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.Uint32() >> 24)
	}
	return len(b), nil
}

// SessionKeyReader returns a reader that makes django.NewSessionKey draw
// the session keys Python's get_random_string(32, VALID_KEY_CHARS) drew
// from p, key after key. choice over 36 characters takes the top 6 bits
// of one output and retries at 36 or more; NewSessionKey maps a byte below
// 252 to byte%36 and skips the others, so the reader gives that value or
// a skipped byte per try. NewSessionKey reads a buffer at a time and drops
// what follows the 32nd character: once a key's 32 characters are out, the
// reader fills the rest of the buffer with skipped bytes, leaving p where
// Python's generator stood after the key.
func (p *PyRandom) SessionKeyReader() *SessionKeyReader { return &SessionKeyReader{p: p} }

// SessionKeyReader is the reader SessionKeyReader returns.
type SessionKeyReader struct {
	p    *PyRandom
	done int // characters of the current key already given
}

// Read gives the tries of the current key; see PyRandom.SessionKeyReader.
func (r *SessionKeyReader) Read(b []byte) (int, error) {
	const keyLen, skipped = 32, 252
	for i := range b {
		if r.done == keyLen {
			b[i] = skipped
			continue
		}
		v := byte(r.p.Uint32() >> 26)
		if v >= 36 {
			b[i] = skipped
			continue
		}
		b[i] = v
		r.done++
	}
	if r.done == keyLen {
		r.done = 0
	}
	return len(b), nil
}
