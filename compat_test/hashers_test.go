package compat_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	djangopkg "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth/hashers"
)

// Live differential tests of package hashers against real Django's
// django.contrib.auth.hashers, through fixtures/hasherpeer.py (one
// long-lived process per version). For every version and every hasher it has
// (argon2 and bcrypt where MATRIX.md lists them, and then they must import):
// Go makes and Django checks, Django makes and Go checks, both make the same
// string from the same salt, and both agree on must_update. Work factors are
// small except for one case per hasher at the version's defaults.

var (
	hpeersMu sync.Mutex
	hpeers   = map[string]*hasherPeer{}
)

type hasherPeer struct {
	*peer
	hashers []string
}

func startHasherPeer(t *testing.T, v string) *hasherPeer {
	t.Helper()
	django(t, v) // gating and install, as the other live tests
	hpeersMu.Lock()
	defer hpeersMu.Unlock()
	if p, ok := hpeers[v]; ok {
		return p
	}
	base, err := launchPeer(v, "hasherpeer.py")
	if err != nil {
		t.Fatal(err)
	}
	p := &hasherPeer{peer: base}
	r, err := p.call(map[string]any{"op": "version"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r["version"].(string); !strings.HasPrefix(got, v+".") {
		t.Fatalf("hasher peer runs Django %q, want %s.x", got, v)
	}
	// The libraries are the matrix's, exactly: one missing would drop its
	// cells, one more means MATRIX.md is out of date.
	libs, _ := r["libs"].(map[string]any)
	for _, lib := range []string{"argon2", "bcrypt"} {
		if got, want := libs[lib] != nil, matrixHasherLibs[v][lib]; got != want {
			t.Fatalf("Django %s: the peer imports %s: %v (version %v); compat_test/MATRIX.md says %v "+
				"(fixtures/install-django.sh installs it)", v, lib, got, libs[lib], want)
		}
	}
	hs, _ := r["hashers"].([]any)
	for _, h := range hs {
		name, _ := h.(string)
		if !hasherCell(v, name) {
			continue
		}
		p.hashers = append(p.hashers, name)
	}
	if len(p.hashers) == 0 {
		t.Fatalf("Django %s: the peer lists no hashers: %v", v, r)
	}
	hpeers[v] = p
	return p
}

// matrixHasherLibs are the hasher libraries compat_test/MATRIX.md lists
// for each version: argon2-cffi ("argon2") and bcrypt. 6.1 has neither
// (MATRIX.md says why).
var matrixHasherLibs = map[string]map[string]bool{
	"3.2": {"argon2": true, "bcrypt": true},
	"4.2": {"argon2": true, "bcrypt": true},
	"5.2": {"argon2": true, "bcrypt": true},
	"6.1": {"argon2": false, "bcrypt": false},
}

// hasherCell reports whether the matrix has the cell of hasher alg on
// Django v: every hasher but those whose library the version lacks.
func hasherCell(v, alg string) bool {
	switch {
	case alg == "argon2":
		return matrixHasherLibs[v]["argon2"]
	case strings.HasPrefix(alg, "bcrypt"):
		return matrixHasherLibs[v]["bcrypt"]
	}
	return true
}

func (p *hasherPeer) must(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	r, err := p.call(req)
	if err != nil {
		t.Fatal(err)
	}
	if r["ok"] != true {
		t.Fatalf("Django %s: %v raised %v: %v", p.version, req, r["exception"], r["message"])
	}
	return r
}

// liveParams are the small work factors, as Go options and as the peer's
// hasher attributes.
func liveParams(alg string) ([]hashers.Option, map[string]any) {
	switch alg {
	case hashers.PBKDF2SHA256, hashers.PBKDF2SHA1:
		return []hashers.Option{hashers.WithIterations(1000)}, map[string]any{"iterations": 1000}
	case hashers.Bcrypt, hashers.BcryptSHA256:
		return []hashers.Option{hashers.WithBcryptRounds(4)}, map[string]any{"rounds": 4}
	case hashers.Scrypt:
		return []hashers.Option{hashers.WithScrypt(hashers.ScryptParams{N: 1024, R: 8, P: 2})},
			map[string]any{"work_factor": 1024, "block_size": 8, "parallelism": 2}
	case hashers.Argon2:
		return []hashers.Option{hashers.WithArgon2(hashers.Argon2Params{Time: 1, MemoryKiB: 64, Parallelism: 2})},
			map[string]any{"time_cost": 1, "memory_cost": 64, "parallelism": 2}
	}
	return nil, map[string]any{}
}

var livePasswords = []string{"", "correct horse battery staple", "pässwörd é", "日本語のパスワード", "emoji 😀 \t\n\"\\$", strings.Repeat("long-", 30)}

func randomPassword(r *rand.Rand) string {
	runes := []rune("abcXYZ019 $!éß中😀\u00a0")
	n := r.IntN(40)
	var b strings.Builder
	for range n {
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}

func randomSalt(r *rand.Rand, alg string, rounds int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const bchars = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	switch alg {
	case hashers.UnsaltedMD5, hashers.UnsaltedSHA1:
		return ""
	case hashers.Bcrypt, hashers.BcryptSHA256:
		fmt.Fprintf(&b, "$2b$%02d$", rounds)
		for range 22 {
			b.WriteByte(bchars[r.IntN(len(bchars))])
		}
		return b.String()
	}
	for range 8 + r.IntN(20) {
		b.WriteByte(chars[r.IntN(len(chars))])
	}
	return b.String()
}

func TestLiveHashers(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			p := startHasherPeer(t, v)
			ver, err := djangopkg.ParseVersion(v)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(42, uint64(ver.Major*10+ver.Minor)))
			cases := 0
			for _, alg := range p.hashers {
				t.Run(alg, func(t *testing.T) {
					small, params := liveParams(alg)
					pws := append(slices.Clone(livePasswords), randomPassword(rng), randomPassword(rng))
					for i, pw := range pws {
						opts := append([]hashers.Option{hashers.WithVersion(ver)}, small...)
						peerParams := params
						if i == 1 { // one case per hasher at the version's defaults
							opts, peerParams = []hashers.Option{hashers.WithVersion(ver)}, map[string]any{}
						}
						if alg == hashers.Bcrypt && strings.ContainsRune(pw, 0) {
							continue
						}
						liveCase(t, p, ver, alg, pw, opts, peerParams, rng)
						cases++
					}
				})
			}
			t.Logf("Django %s: %d make/check/must_update cases over %v", v, cases, p.hashers)
		})
	}
}

func liveCase(t *testing.T, p *hasherPeer, ver djangopkg.Version, alg, pw string, opts []hashers.Option, params map[string]any, rng *rand.Rand) {
	t.Helper()
	wrong := pw + "x"
	if len(wrong) > 72 && alg == hashers.Bcrypt {
		wrong = "x" + pw // bcrypt reads 72 bytes: change one of them
	}
	// Go makes, Django checks.
	enc, err := hashers.Make(pw, alg, opts...)
	if err != nil {
		t.Fatalf("Make(%q, %s): %v", pw, alg, err)
	}
	if r := p.must(t, map[string]any{"op": "check", "password": pw, "encoded": enc}); r["result"] != true {
		t.Errorf("Django rejects Go's %q for %q", enc, pw)
	}
	if r := p.must(t, map[string]any{"op": "check", "password": wrong, "encoded": enc}); r["result"] != false {
		t.Errorf("Django accepts a wrong password for Go's %q", enc)
	}
	// Django makes, Go checks.
	r := p.must(t, map[string]any{"op": "make", "password": pw, "hasher": alg, "params": params})
	denc := r["encoded"].(string)
	if ok, err := hashers.Check(pw, denc, hashers.WithVersion(ver)); !ok || err != nil {
		t.Errorf("Check(%q, Django's %q) = %v, %v", pw, denc, ok, err)
	}
	if ok, err := hashers.Check(wrong, denc, hashers.WithVersion(ver)); ok || err != nil {
		t.Errorf("Check(wrong, Django's %q) = %v, %v", denc, ok, err)
	}
	// Same salt, same string.
	rounds := 4
	if len(params) == 0 {
		rounds = 12
	}
	salt := randomSalt(rng, alg, rounds)
	r = p.must(t, map[string]any{"op": "make", "password": pw, "hasher": alg, "params": params, "salt": salt})
	want := r["encoded"].(string)
	got, err := hashers.Make(pw, alg, append(opts, hashers.WithSalt(salt))...)
	if err != nil || got != want {
		t.Errorf("Make(%q, %s, salt %q) = %q, %v\nDjango: %q", pw, alg, salt, got, err, want)
	}
	// must_update, both ways.
	for _, e := range []string{enc, denc} {
		r = p.must(t, map[string]any{"op": "must_update", "encoded": e})
		if got := hashers.MustUpdate(e, hashers.WithVersion(ver)); got != r["must_update"] {
			t.Errorf("MustUpdate(%q) = %v, Django %v", e, got, r["must_update"])
		}
		h, err := hashers.Get(alg, hashers.WithVersion(ver))
		if err != nil {
			t.Fatal(err)
		}
		if got := h.MustUpdate(e); got != r["hasher_must_update"] {
			t.Errorf("%s.MustUpdate(%q) = %v, Django %v", alg, e, got, r["hasher_must_update"])
		}
	}
}

// TestLiveArgon2Variants: argon2-cffi verifies forms Django never writes
// (argon2i, argon2d, versions 16 and 18, other lengths); so must Go.
func TestLiveArgon2Variants(t *testing.T) {
	for _, v := range versions {
		if !hasherCell(v, hashers.Argon2) {
			// Not generated: argon2-cffi has no build for 6.1's Python
			// 3.13 here (compat_test/MATRIX.md, "hashers").
			continue
		}
		t.Run(v, func(t *testing.T) {
			p := startHasherPeer(t, v)
			if !slices.Contains(p.hashers, hashers.Argon2) {
				t.Fatalf("Django %s: the peer has no argon2-cffi; the cell must run", v)
			}
			ver, _ := djangopkg.ParseVersion(v)
			n := 0
			for _, typ := range []string{"ID", "I", "D"} {
				for _, version := range []int{19, 16, 18} {
					for _, shape := range [][4]int{{1, 64, 1, 16}, {3, 100, 3, 32}, {2, 8, 1, 4}, {1, 256, 4, 70}} {
						req := map[string]any{"op": "argon2_raw", "password": "pässword", "salt": "some salt 123",
							"type": typ, "version": version, "time_cost": shape[0], "memory_cost": shape[1],
							"parallelism": shape[2], "hash_len": shape[3]}
						enc := p.must(t, req)["encoded"].(string)
						if ok, err := hashers.Check("pässword", enc, hashers.WithVersion(ver)); !ok || err != nil {
							t.Errorf("Check(%q) = %v, %v", enc, ok, err)
						}
						if ok, err := hashers.Check("password", enc, hashers.WithVersion(ver)); ok || err != nil {
							t.Errorf("Check(wrong, %q) = %v, %v", enc, ok, err)
						}
						mu := p.must(t, map[string]any{"op": "must_update", "encoded": enc})
						h, _ := hashers.Get(hashers.Argon2, hashers.WithVersion(ver))
						if got := h.MustUpdate(enc); got != mu["hasher_must_update"] {
							t.Errorf("argon2.MustUpdate(%q) = %v, Django %v", enc, got, mu["hasher_must_update"])
						}
						n++
					}
				}
			}
			t.Logf("Django %s: %d argon2 variants", v, n)
		})
	}
}

// TestLiveOddHashes feeds odd stored strings to both: where Django's
// check_password returns a boolean, Go returns the same (a nil error, or
// ErrUnknownHasher where Django returns False for an unknown algorithm);
// where Django raises, Go returns ErrMalformedHash.
func TestLiveOddHashes(t *testing.T) {
	odd := []string{
		"", "!", "!unusable", "x", "$", "pbkdf2_sha256", "pbkdf2_sha256$", "pbkdf2_sha256$1000$salt",
		"pbkdf2_sha256$1000$$hash", "pbkdf2_sha256$0$salt$hash", "pbkdf2_sha256$01000$salt$hash",
		"pbkdf2_sha256$+1000$salt$hash", "pbkdf2_sha256$1_000$salt$hash", "pbkdf2_sha256$ 1000$salt$hash",
		"pbkdf2_sha256$-1$salt$hash", "pbkdf2_sha256$abc$salt$hash", "pbkdf2_sha256$1000$salt$hash$more",
		"pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI",
		"pbkdf2_sha1$1000$s$", "md5", "md5$", "md5$salt", "md5$$", "md5$salt$", "md5$s$0123456789abcdef0123456789abcdef",
		"md5$$0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdeX",
		"sha1$$0123456789abcdef0123456789abcdef01234567", "sha1$s$0123", "sha1$$x", "unsalted_md5$x", "crypt$$abc",
		"bcrypt", "bcrypt$", "bcrypt$$2b$04$abcdefghijklmnopqrstuv", "bcrypt$$2b$04$abcdefghijklmnopqrstu",
		"bcrypt$$2x$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt$$2b$03$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt$$2b$4$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt$$2y$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt$$2y$04$abcdefghijklmnopqrstuvyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt$$2b$04$abcdefghijklmnopqrst!uyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt$$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlWextra",
		"bcrypt_sha256$$2a$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09Mlzé",
		"scrypt", "scrypt$1024$salt$8$1", "scrypt$1024$salt$8$1$h$x", "scrypt$1000$salt$8$1$hash",
		"scrypt$1024$salt$0$1$hash", "scrypt$1024$$8$1$hash", "scrypt$1024$salt$8$1$hash",
		"scrypt$65536$salt$1$1$hash", "scrypt$-1024$salt$8$1$hash",
		"argon2", "argon2$", "argon2$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=4,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGE",
		"argon2$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHR$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g$",
		"argon2$argon2id$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g\u00e9",
		"argon2$$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
	}
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			p := startHasherPeer(t, v)
			ver, _ := djangopkg.ParseVersion(v)
			for _, enc := range odd {
				alg, _, _ := strings.Cut(enc, "$")
				if !hasherCell(v, alg) {
					continue // not generated: MATRIX.md, "hashers"
				}
				r, err := p.call(map[string]any{"op": "check", "password": "pw", "encoded": enc})
				if err != nil {
					t.Fatal(err)
				}
				ok, gerr := hashers.Check("pw", enc, hashers.WithVersion(ver))
				switch {
				case errors.Is(gerr, hashers.ErrWorkFactorTooHigh):
				case r["ok"] != true:
					if !errors.Is(gerr, hashers.ErrMalformedHash) {
						t.Errorf("%q: Django raises %v (%v); Go: %v, %v", enc, r["exception"], r["message"], ok, gerr)
					}
				case errors.Is(gerr, hashers.ErrMalformedHash) || (gerr != nil && !errors.Is(gerr, hashers.ErrUnknownHasher)):
					t.Errorf("%q: Django returns %v; Go: %v, %v", enc, r["result"], ok, gerr)
				case ok != r["result"]:
					t.Errorf("%q: Django returns %v; Go: %v, %v", enc, r["result"], ok, gerr)
				}
			}
		})
	}
}
