package hashers

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/vectors"
)

// The password_hashes vectors of fixtures/vectors/auth-<v>.json were made by
// real Django (fixtures/generate.py): fixed salts, PASSWORD_HASHERS = the
// default list plus BCryptPasswordHasher and MD5PasswordHasher, and
// "must_update_with_defaults" = identify_hasher(encoded).must_update(encoded).

type hashVectors struct {
	DjangoVersion  string `json:"django_version"`
	PasswordHashes struct {
		Password string `json:"password"`
		Cases    []struct {
			Hasher     string          `json:"hasher"`
			Encoded    string          `json:"encoded"`
			Salt       string          `json:"salt"`
			Correct    *bool           `json:"check_password_correct"`
			Wrong      *bool           `json:"check_password_wrong"`
			MustUpdate *bool           `json:"must_update_with_defaults"`
			Skipped    json.RawMessage `json:"skipped"`
		} `json:"cases"`
		Defaults struct {
			PBKDF2Iterations uint64    `json:"pbkdf2_iterations"`
			Argon2           [3]uint32 `json:"argon2"`
			BcryptRounds     int       `json:"bcrypt_rounds"`
			Scrypt           []uint64  `json:"scrypt"`
		} `json:"defaults"`
	} `json:"password_hashes"`
}

func loadHashVectors(t testing.TB) map[django.Version]*hashVectors {
	t.Helper()
	out := map[django.Version]*hashVectors{}
	for _, f := range vectors.PerVersion(t, "auth") {
		v, err := django.ParseVersion(f.Version)
		if err != nil {
			t.Fatal(err)
		}
		var hv hashVectors
		f.Into(t, &hv, "django_version", "password_hashes")
		if len(hv.PasswordHashes.Cases) == 0 || hv.PasswordHashes.Password == "" {
			t.Fatalf("%s: password_hashes has no cases", f.Name)
		}
		out[v] = &hv
	}
	for _, v := range django.Versions {
		if out[v] == nil {
			t.Fatalf("no auth vectors for Django %s", v)
		}
	}
	return out
}

// makeArgs recovers the hasher, salt and parameters of an encoded string
// so that Make can be asked for the same string.
func makeArgs(t *testing.T, encoded string) (string, []Option) {
	t.Helper()
	alg, rest, _ := strings.Cut(encoded, "$")
	f := strings.Split(rest, "$")
	switch alg {
	case PBKDF2SHA256, PBKDF2SHA1:
		n := mustAtoi(t, f[0])
		return alg, []Option{WithIterations(n), WithSalt(f[1])}
	case Scrypt:
		return alg, []Option{WithSalt(f[1]), WithScrypt(ScryptParams{N: uint64(mustAtoi(t, f[0])), R: uint64(mustAtoi(t, f[2])), P: uint64(mustAtoi(t, f[3]))})}
	case MD5, SHA1:
		return alg, []Option{WithSalt(f[0])}
	case Bcrypt, BcryptSHA256:
		return alg, []Option{WithSalt(strings.Join(f[:3], "$") + "$" + f[3][:22])}
	case Argon2:
		salt, err := base64.RawStdEncoding.DecodeString(f[3])
		if err != nil {
			t.Fatal(err)
		}
		var m, tc, p int
		for _, kv := range strings.Split(f[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "m":
				m = mustAtoi(t, v)
			case "t":
				tc = mustAtoi(t, v)
			case "p":
				p = mustAtoi(t, v)
			}
		}
		return alg, []Option{WithSalt(string(salt)), WithArgon2(Argon2Params{Time: uint32(tc), MemoryKiB: uint32(m), Parallelism: uint32(p)})}
	}
	t.Fatalf("no Make arguments for %q", encoded)
	return "", nil
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, ok := parsePyInt(s)
	if !ok || !n.canonical || n.neg || n.big {
		t.Fatalf("bad number %q", s)
	}
	return int(n.val)
}

func TestVectorsPasswordHashes(t *testing.T) {
	all := loadHashVectors(t)
	// The argon2, bcrypt, scrypt and md5 strings are the same in several
	// versions; the costly Check/Make runs once per string (the result does
	// not depend on the version once the hasher exists), MustUpdate and the
	// hasher's availability are checked for every version.
	var seenMu sync.Mutex
	seen := map[string]bool{}
	for _, v := range django.Versions {
		hv := all[v]
		t.Run(v.String(), func(t *testing.T) {
			t.Parallel()
			ph := hv.PasswordHashes
			pw := ph.Password
			covered := 0
			for _, c := range ph.Cases {
				encoded := c.Encoded
				if c.Skipped != nil {
					// 6.1 has no argon2-cffi/bcrypt here: the same case of
					// 5.2 (same defaults in every version) stands in.
					for _, c52 := range all[django.Django52].PasswordHashes.Cases {
						if c52.Hasher == c.Hasher {
							c.Encoded, c.Correct, c.Wrong, c.MustUpdate = c52.Encoded, c52.Correct, c52.Wrong, c52.MustUpdate
						}
					}
					encoded = c.Encoded
				}
				switch {
				case c.Salt != "":
					if len(c.Salt) != SaltLength || strings.Trim(c.Salt, randomChars) != "" {
						t.Errorf("salt() vector %q has another shape", c.Salt)
					}
					continue
				case strings.HasPrefix(encoded, "!"):
					if len(encoded) != 41 || strings.Trim(encoded[1:], randomChars) != "" {
						t.Errorf("unusable vector %q has another shape", encoded)
					}
					ok, err := Check(pw, encoded, WithVersion(v))
					if ok || err != nil {
						t.Errorf("Check(unusable) = %v, %v", ok, err)
					}
					continue
				}
				seenMu.Lock()
				again := seen[encoded]
				seen[encoded] = true
				seenMu.Unlock()
				t.Run(c.Hasher, func(t *testing.T) {
					alg, opts := makeArgs(t, encoded)
					h, err := Get(alg, WithVersion(v))
					if err != nil {
						t.Fatal(err)
					}
					if mu := h.MustUpdate(encoded); mu != *c.MustUpdate {
						t.Errorf("hasher MustUpdate = %v; Django: %v", mu, *c.MustUpdate)
					}
					want := alg != PBKDF2SHA256 || *c.MustUpdate
					if mu := MustUpdate(encoded, WithVersion(v)); mu != want {
						t.Errorf("MustUpdate = %v, want %v", mu, want)
					}
					if again {
						return
					}
					ok, err := Check(pw, encoded, WithVersion(v))
					if err != nil || ok != *c.Correct {
						t.Errorf("Check(right password, %q) = %v, %v; Django: %v", encoded, ok, err, *c.Correct)
					}
					ok, err = Check(pw+"x", encoded, WithVersion(v))
					if err != nil || ok != *c.Wrong {
						t.Errorf("Check(wrong password) = %v, %v; Django: %v", ok, err, *c.Wrong)
					}
					got, err := Make(pw, alg, append(opts, WithVersion(v))...)
					if err != nil || got != encoded {
						t.Errorf("Make = %q, %v\nDjango  %q", got, err, encoded)
					}
				})
				covered++
			}
			d := ph.Defaults
			c, _ := newConfig([]Option{WithVersion(v)})
			if c.pbkdf2Iterations() != d.PBKDF2Iterations || c.bcryptRounds() != d.BcryptRounds ||
				c.argon2Params() != (Argon2Params{Time: d.Argon2[0], MemoryKiB: d.Argon2[1], Parallelism: d.Argon2[2]}) {
				t.Errorf("defaults differ from Django's %+v", d)
			}
			if d.Scrypt != nil {
				if sp := c.scryptParams(); sp != (ScryptParams{N: d.Scrypt[0], R: d.Scrypt[1], P: d.Scrypt[2]}) {
					t.Errorf("scrypt defaults %+v, Django %v", sp, d.Scrypt)
				}
			} else if _, err := Get(Scrypt, WithVersion(v)); !errors.Is(err, ErrUnknownHasher) {
				t.Errorf("scrypt exists on %s: %v", v, err)
			}
			t.Logf("Django %s: %d hash vectors", hv.DjangoVersion, covered)
		})
	}
}
