package django

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// FuzzDecode: no input makes Decode panic or return a nil session; a
// failure is always an empty session with an error of a known kind; what
// decodes re-encodes to data that decodes to the same dict.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"eyJmb28iOiJiYXIifQ:1r31eq:0jK3LKkGSb8jMQldpueAZNYcrX6XNXl9rcTuPTQI1rw",
		".eJwNzLsNwzAAA9FdXF8hkvp6FcNFkA2CdEF2t9oD3v2O9-vzPc6rIEyoNDqDyUI7ChkFVdRQRwNNtHDB2xgHV9xwxwNPvEghInsZUkkjnQwyybr_D_VHGJ0:1r31eq:dDzRi2IGyaTnzgckfNHV0zYjeNB6-F7qyCO1xq31z-Y",
		"ZDM1MGJlNjI5YTgyZjE5ODc2Zjk0ZGY0NWI0ODg2MDdiZTk2NzgxZDp7ImZvbyI6ImJhciJ9",
		"a:1r31eq:Vi9szoZflUe-o-TY8s5cRLThaXi_OOjL0YvudvncXL0",
		"", "garbage", ":::", "e30:1r31eq:jsad75LR7zo6OcnNccrifSq58J_TPCY8YfUIePbaQQA",
	} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(1))
	}
	t0 := time.Unix(1700000000, 0)
	codecs := map[Version]*Codec{}
	for _, v := range Versions {
		s := DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
		s.DjangoVersion = v
		s.Clock = func() time.Time { return t0 }
		s.Logger = slog.New(slog.DiscardHandler)
		c, err := NewCodec(s)
		if err != nil {
			f.Fatal(err)
		}
		codecs[v] = c
	}
	f.Fuzz(func(t *testing.T, data string, which uint8) {
		c := codecs[Versions[int(which)%len(Versions)]]
		d, err := c.Decode(data)
		if d == nil {
			t.Fatal("nil session")
		}
		if err != nil {
			if d.Len() != 0 {
				t.Fatalf("a failed decode kept %d keys", d.Len())
			}
			// Exactly one class: not ours, corrupt, or beyond a limit.
			n := 0
			for _, class := range []error{signing.ErrBadSignature, signing.ErrMalformed, signing.ErrLimit} {
				if errors.Is(err, class) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error in %d classes: %v", n, err)
			}
			return
		}
		again, err := c.Encode(d)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := c.Decode(again)
		if err != nil || !pyjson.Equal(back, d) {
			t.Fatalf("round trip changed the session: %v", err)
		}
	})
}
