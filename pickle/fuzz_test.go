package pickle

import (
	"encoding/hex"
	"errors"
	"testing"
)

// FuzzUnmarshal: no input panics or escapes the error kinds, and whatever
// decodes re-encodes at every protocol to a pickle that decodes to an
// Equal value (protocols 2 and 3 drop fold, as CPython does).
func FuzzUnmarshal(f *testing.F) {
	for _, v := range loadVectors(f) {
		for _, p := range v.Pickles {
			b, _ := hex.DecodeString(p.Hex)
			if len(b) < 4096 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := UnmarshalOptions(data, Options{MaxItems: 1 << 14})
		if err != nil {
			if v != nil {
				t.Fatalf("value with error %v", err)
			}
			if !errors.Is(err, ErrRefused) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		for _, p := range []int{5, 4, 3, 2} {
			enc, err := Marshal(v, p)
			if err != nil {
				t.Fatalf("protocol %d: Marshal of a decoded value: %v", p, err)
			}
			w, err := Unmarshal(enc)
			if err != nil {
				t.Fatalf("protocol %d: re-decode: %v\n%x", p, err, enc)
			}
			want := v
			if p < 4 {
				want = stripFold(v)
			}
			if !Equal(w, want) {
				t.Fatalf("protocol %d: re-decoded value differs\n%#v\n%#v", p, w, want)
			}
		}
	})
}
