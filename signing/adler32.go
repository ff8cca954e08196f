package signing

import "encoding/binary"

// adlerSum is hash/adler32.Checksum without its one chain of two additions
// per byte. Over a block of m 8-byte words, word c adds to s1 the sum of its
// bytes, and to s2 8*(s1 before the block + the bytes of the words before
// c) + sum over k of (8-k)*byte k. Runs of 8 words keep per-byte-position
// sums (L) and sums of those running sums (Q) in 16-bit fields, with no
// carries at that length, and fold them with multiplications (a product by
// 0x0001000100010001 sums the fields into the top one).
func adlerSum(p []byte) uint32 {
	const (
		mod        = 65521
		blockWords = 1 << 13 // keeps the sums below 2^64 before reducing
		lanes      = 0x00ff00ff00ff00ff
		ones       = 0x0001000100010001
		evenW      = 2 | 4<<16 | 6<<32 | 8<<48 // weights of bytes 6, 4, 2, 0
		oddW       = 1 | 3<<16 | 5<<32 | 7<<48 // weights of bytes 7, 5, 3, 1
	)
	s1, s2 := uint64(1), uint64(0)
	for len(p) >= 64 {
		m := min(len(p)/64, blockWords/8) * 8
		var sum, before, weighted uint64
		for q := p[:8*m]; len(q) >= 64; q = q[64:] {
			// Q sums, for each word, the bytes of the words before it:
			// word i counts 7-i times.
			w0 := binary.LittleEndian.Uint64(q[0:])
			w1 := binary.LittleEndian.Uint64(q[8:])
			w2 := binary.LittleEndian.Uint64(q[16:])
			w3 := binary.LittleEndian.Uint64(q[24:])
			w4 := binary.LittleEndian.Uint64(q[32:])
			w5 := binary.LittleEndian.Uint64(q[40:])
			w6 := binary.LittleEndian.Uint64(q[48:])
			w7 := binary.LittleEndian.Uint64(q[56:])
			e0, e1, e2, e3 := w0&lanes, w1&lanes, w2&lanes, w3&lanes
			e4, e5, e6, e7 := w4&lanes, w5&lanes, w6&lanes, w7&lanes
			o0, o1, o2, o3 := w0>>8&lanes, w1>>8&lanes, w2>>8&lanes, w3>>8&lanes
			o4, o5, o6, o7 := w4>>8&lanes, w5>>8&lanes, w6>>8&lanes, w7>>8&lanes
			le := e0 + e1 + e2 + e3 + e4 + e5 + e6 + e7
			lo := o0 + o1 + o2 + o3 + o4 + o5 + o6 + o7
			qe := 7*e0 + 6*e1 + 5*e2 + 4*e3 + 3*e4 + 2*e5 + e6
			qo := 7*o0 + 6*o1 + 5*o2 + 4*o3 + 3*o4 + 2*o5 + o6
			before += 8*sum + (qe+qo)*ones>>48
			sum += (le + lo) * ones >> 48
			weighted += le*evenW>>48 + lo*oddW>>48
		}
		s2 = (s2 + 8*uint64(m)*s1 + 8*before + weighted) % mod
		s1 = (s1 + sum) % mod
		p = p[8*m:]
	}
	for _, b := range p {
		s1 += uint64(b)
		s2 += s1
	}
	return uint32(s2%mod)<<16 | uint32(s1%mod)
}
