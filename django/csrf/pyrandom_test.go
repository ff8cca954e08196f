package csrf

// pyRandom replays CPython's random.Random(seed) as Django's vectors
// drew it: generate.py replaces secrets.choice with a seeded
// random.Random().choice, which for the 62 CSRF characters takes the top
// 6 bits of one Mersenne Twister output per try. Reading one byte per
// output (its top 8 bits) makes randomString draw exactly the same
// characters.
type pyRandom struct {
	mt  [624]uint32
	idx int
}

func newPyRandom(seed uint32) *pyRandom {
	p := &pyRandom{}
	p.initGenrand(19650218)
	// init_by_array with key = [seed] (random.seed(int) for a small int).
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

func (p *pyRandom) initGenrand(s uint32) {
	p.mt[0] = s
	for i := 1; i < 624; i++ {
		p.mt[i] = 1812433253*(p.mt[i-1]^(p.mt[i-1]>>30)) + uint32(i)
	}
	p.idx = 624
}

func (p *pyRandom) uint32() uint32 {
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

func (p *pyRandom) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.uint32() >> 24)
	}
	return len(b), nil
}
