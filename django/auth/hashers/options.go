package hashers

import (
	"crypto/rand"
	"fmt"
	"io"
	"slices"

	"github.com/djsession/djsession/django"
)

// Limits caps the work factors Check computes and Make writes. A zero field
// means the DefaultLimits value. See the package documentation.
type Limits struct {
	PBKDF2Iterations  uint64 // PBKDF2 iterations
	BcryptCost        int    // bcrypt log2 rounds
	Argon2MemoryKiB   uint32 // argon2 m (KiB)
	Argon2Time        uint32 // argon2 t (passes)
	Argon2Parallelism uint32 // argon2 p (lanes)
	ScryptMemoryBytes uint64 // 128·r·(N+2) + 128·r·p
	ScryptWork        uint64 // N·r·p
}

// DefaultLimits admit every Django version's default work factors with
// room for a site that raised them, and cap one check at about four times
// the work of Django's own default (see the package documentation): a
// stored hash is attacker-controlled wherever the users table or the
// password column can be written, and each check pins a CPU.
var DefaultLimits = Limits{
	PBKDF2Iterations:  6_000_000, // 4 × Django 6.1's 1 500 000
	BcryptCost:        14,        // 2^14: 4 × the work of Django's 12
	Argon2MemoryKiB:   204_800,   // 2 × Django's 102 400 KiB (200 MiB)
	Argon2Time:        4,         // 2 × Django's 2; with memory, 4 × the work
	Argon2Parallelism: 32,        // 4 × Django's 8 (lanes share the memory, not the work)
	ScryptMemoryBytes: 32 << 20,  // OpenSSL's ceiling, which Django cannot pass
	ScryptWork:        2_621_440, // 4 × Django 5.2+'s N·r·p = 16384·8·5
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.PBKDF2Iterations != 0 {
		d.PBKDF2Iterations = l.PBKDF2Iterations
	}
	if l.BcryptCost != 0 {
		d.BcryptCost = l.BcryptCost
	}
	if l.Argon2MemoryKiB != 0 {
		d.Argon2MemoryKiB = l.Argon2MemoryKiB
	}
	if l.Argon2Time != 0 {
		d.Argon2Time = l.Argon2Time
	}
	if l.Argon2Parallelism != 0 {
		d.Argon2Parallelism = l.Argon2Parallelism
	}
	if l.ScryptMemoryBytes != 0 {
		d.ScryptMemoryBytes = l.ScryptMemoryBytes
	}
	if l.ScryptWork != 0 {
		d.ScryptWork = l.ScryptWork
	}
	return d
}

// Argon2Params are the parameters of Django's Argon2PasswordHasher
// (time_cost, memory_cost in KiB, parallelism). Django always writes
// argon2id, version 19, with a 16-byte hash.
type Argon2Params struct {
	Time, MemoryKiB, Parallelism uint32
}

// ScryptParams are the parameters of Django's ScryptPasswordHasher
// (work_factor N, block_size r, parallelism p).
type ScryptParams struct {
	N, R, P uint64
}

// An Option changes what Check, Make, MustUpdate and Get do.
type Option func(*config)

type config struct {
	version    django.Version
	hashers    []string
	limits     Limits
	salt       *string
	iterations uint64
	rounds     int
	scrypt     *ScryptParams
	argon2     *Argon2Params
	rand       io.Reader
	harden     bool
	err        error
}

// WithVersion selects the Django series (django.Django32 … django.Django61);
// the zero Version means django.LatestVersion.
func WithVersion(v django.Version) Option {
	return func(c *config) { c.version = v }
}

// WithHashers is PASSWORD_HASHERS by algorithm name ("pbkdf2_sha256",
// "argon2", …): only these verify, and the first is the preferred one that
// Make uses by default and MustUpdate wants.
func WithHashers(algorithms ...string) Option {
	return func(c *config) { c.hashers = slices.Clone(algorithms) }
}

// WithLimits replaces DefaultLimits (zero fields keep their default).
func WithLimits(l Limits) Option {
	return func(c *config) { c.limits = l }
}

// WithSalt makes Make use salt instead of a random one ("" means random, as
// in make_password): for bcrypt a full
// bcrypt salt such as "$2b$12$abcdefghijklmnopqrstuu" (or just the 22
// characters, with the cost from WithBcryptRounds), otherwise any string
// without "$" (for argon2 at least 8 bytes). The unsalted hashers take no
// salt.
func WithSalt(salt string) Option {
	return func(c *config) { c.salt = &salt }
}

// WithIterations sets the PBKDF2 iteration count (PBKDF2PasswordHasher.iterations).
func WithIterations(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.err = fmt.Errorf("%w: PBKDF2 iterations %d", ErrInvalidArgument, n)
			return
		}
		c.iterations = uint64(n)
	}
}

// WithBcryptRounds sets the bcrypt cost, 4…31 (BCryptSHA256PasswordHasher.rounds).
func WithBcryptRounds(n int) Option {
	return func(c *config) {
		if n < 4 || n > 31 {
			c.err = fmt.Errorf("%w: bcrypt rounds %d (want 4…31)", ErrInvalidArgument, n)
			return
		}
		c.rounds = n
	}
}

// WithScrypt sets the scrypt parameters; a zero field keeps the version's default.
func WithScrypt(p ScryptParams) Option {
	return func(c *config) { c.scrypt = &p }
}

// WithArgon2 sets the argon2 parameters; a zero field keeps the default.
func WithArgon2(p Argon2Params) Option {
	return func(c *config) { c.argon2 = &p }
}

// WithRand sets the source of random salts (default crypto/rand.Reader).
func WithRand(r io.Reader) Option {
	return func(c *config) { c.rand = r }
}

// WithHardenRuntime makes Check spend time as Django's check_password does
// when it returns false: it runs the preferred hasher once for an unusable or
// unknown stored password, and pads a failed PBKDF2 or bcrypt check up to the
// preferred work factor. Off by default.
func WithHardenRuntime(on bool) Option {
	return func(c *config) { c.harden = on }
}

func newConfig(opts []Option) (*config, error) {
	c := &config{rand: rand.Reader}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.version == (django.Version{}) {
		c.version = django.LatestVersion
	}
	if !slices.Contains(django.Versions, c.version) {
		return nil, fmt.Errorf("%w: unsupported Django version %s", ErrInvalidArgument, c.version)
	}
	c.limits = c.limits.withDefaults()
	if c.hashers == nil {
		c.hashers = AvailableHashers(c.version)
	} else if len(c.hashers) == 0 {
		return nil, fmt.Errorf("%w: empty hasher list", ErrInvalidArgument)
	}
	return c, nil
}

// pbkdf2Iterations and the others return the parameters in force: the
// explicit option, else the version's default.
func (c *config) pbkdf2Iterations() uint64 {
	if c.iterations != 0 {
		return c.iterations
	}
	switch c.version {
	case django.Django32:
		return 260_000
	case django.Django42:
		return 600_000
	case django.Django52:
		return 1_000_000
	default:
		return 1_500_000
	}
}

func (c *config) bcryptRounds() int {
	if c.rounds != 0 {
		return c.rounds
	}
	return 12
}

func (c *config) scryptParams() ScryptParams {
	p := ScryptParams{N: 1 << 14, R: 8, P: 5}
	if c.version == django.Django42 || c.version == django.Django32 {
		p.P = 1
	}
	if c.scrypt != nil {
		if c.scrypt.N != 0 {
			p.N = c.scrypt.N
		}
		if c.scrypt.R != 0 {
			p.R = c.scrypt.R
		}
		if c.scrypt.P != 0 {
			p.P = c.scrypt.P
		}
	}
	return p
}

func (c *config) argon2Params() Argon2Params {
	p := Argon2Params{Time: 2, MemoryKiB: 102_400, Parallelism: 8}
	if c.argon2 != nil {
		if c.argon2.Time != 0 {
			p.Time = c.argon2.Time
		}
		if c.argon2.MemoryKiB != 0 {
			p.MemoryKiB = c.argon2.MemoryKiB
		}
		if c.argon2.Parallelism != 0 {
			p.Parallelism = c.argon2.Parallelism
		}
	}
	return p
}
