// Package hashers reads and writes Django's stored passwords: it is
// django.contrib.auth.hashers in Go.
//
// Django stores a password as "<algorithm>$<parameters>$<salt>$<hash>" in
// auth_user.password. A login re-hashes the typed password with the salt and
// parameters found in the stored string and compares the result with the
// whole stored string in constant time. Check does the same, so a Go service
// can log in the users of a Django site, and Make writes strings that Django
// accepts byte for byte (for the same salt and parameters).
//
//	ok, err := hashers.Check(typed, user.Password)
//	if err != nil { /* a hash Check cannot read, or refuses to compute */ }
//	if ok && hashers.MustUpdate(user.Password) {
//		user.Password, _ = hashers.Make(typed, "")
//	}
//
// # Django versions
//
// Options select the Django series (WithVersion; default django.LatestVersion)
// whose defaults Make uses and MustUpdate compares against, and which hashers
// exist:
//
//	algorithm       3.2  4.2  5.2  6.1  default parameters
//	pbkdf2_sha256   yes  yes  yes  yes  iterations 260000 / 600000 / 1000000 / 1500000
//	pbkdf2_sha1     yes  yes  yes  yes  same iterations
//	argon2          yes  yes  yes  yes  argon2id v=19, t=2, m=102400 KiB, p=8, 16-byte hash
//	bcrypt_sha256   yes  yes  yes  yes  cost 12, prefix $2b$
//	bcrypt          yes  yes  yes  yes  cost 12, prefix $2b$
//	scrypt          no   yes  yes  yes  N=16384, r=8, p=1 (4.2) / p=5 (5.2, 6.1)
//	md5             yes  yes  yes  yes  (salted)
//	sha1            yes  yes  no   no   (salted; removed in Django 5.1)
//	unsalted_md5    yes  yes  no   no   (removed in Django 5.1)
//	unsalted_sha1   yes  yes  no   no   (removed in Django 5.1)
//	crypt           -    -    no   no   not implemented (Unix crypt(3); removed in 5.0)
//
// On 5.2 and 6.1 a sha1, unsalted_md5 or unsalted_sha1 hash is an unknown
// algorithm, as in Django, whose identify_hasher still recognises the
// unsalted shapes (32 characters without "$", "md5$$" + 32, "sha1$$" + 40)
// but no longer has their hashers.
//
// Django only verifies the algorithms listed in settings.PASSWORD_HASHERS,
// and makes new hashes with the first. Check does the same with the list
// given by WithHashers; without it the list is every algorithm the version
// has, Django's default PASSWORD_HASHERS first (so pbkdf2_sha256 is
// preferred), then bcrypt, md5 and the legacy ones. To accept exactly what
// an untouched Django settings file accepts, pass
// WithHashers(DefaultHashers(v)...).
//
// # Work-factor limits
//
// A stored hash carries its own cost. Check refuses, with
// ErrWorkFactorTooHigh and before computing anything, a hash whose cost is
// beyond Limits (WithLimits); Make refuses to write one. The error names
// the Limits field that refused it. DefaultLimits keep one check within
// about four times the work of Django's own default, so that a stored hash
// written by whoever can write the password column cannot pin a CPU for
// minutes:
//
//	PBKDF2 iterations        ≤ 6 000 000          (Django 6.1 uses 1 500 000)
//	bcrypt cost              ≤ 14                 (Django: 12, in every version)
//	argon2 memory            ≤ 200 MiB (204800 KiB) (Django: 102400 KiB)
//	argon2 time              ≤ 4                  (Django: 2)
//	argon2 parallelism       ≤ 32                 (Django: 8)
//	scrypt memory            ≤ 32 MiB, counted as OpenSSL does:
//	                           128·r·(N+2) + 128·r·p bytes (Django: 16 MiB)
//	scrypt work N·r·p        ≤ 2 621 440          (Django 5.2+: 655360)
//
// A site that raised its hashers' parameters beyond these raises the
// matching field with WithLimits (a zero field keeps its default).
//
// The scrypt memory limit is not only a safety margin: Django calls
// hashlib.scrypt with maxmem=0, which OpenSSL reads as 32 MiB, so Django
// itself cannot compute (and raises ValueError for) any scrypt hash above
// it. Raising that limit lets Go verify and make scrypt hashes Django cannot.
//
// # Errors
//
// Check returns (false, nil) for a wrong password, an unusable password
// ("!…", see MakeUnusable) and an empty stored string — everything for which
// Django's check_password returns False without raising. Its errors:
// ErrUnknownHasher for an algorithm that is not enabled or does not exist in
// the version (Django returns False there too; the CLI maps it to exit
// status 2), ErrMalformedHash (which also matches ErrUnknownHasher) where
// Django's hasher raises while decoding the stored string, and
// ErrWorkFactorTooHigh. A stored number that Python's int() reads but that is
// not written canonically (such as "0600000") can never match Django's
// canonical re-encoding, so Check returns false without computing. For
// argon2, Django raises only for a non-ASCII string or an unknown type
// ("argon2$argon2x$…"); anything else libargon2 cannot decode or rejects
// (m < 8·p, a salt under 8 bytes, padding, trailing text) is False in
// Django (argon2-cffi's VerificationError) and false, nil here.
// ErrInvalidArgument marks a caller's mistake in Make or an option.
//
// Passwords are used as their bytes; Django encodes its str as UTF-8, so
// pass UTF-8. Django's bcrypt library rejects a password containing NUL for
// the plain bcrypt hasher; Check returns false for it and Make an error.
//
// # Timing
//
// All comparisons of hashes are constant-time (crypto/subtle). Django also
// hides whether a user exists by running the default hasher once when the
// stored password is unusable or unknown, and pads a failed PBKDF2 or bcrypt
// check up to the default work factor; WithHardenRuntime turns both on.
//
// # Not covered
//
// crypt (Unix crypt(3), 3.2/4.2 only, and only where Python has the crypt
// module); custom hashers; PASSWORD_HASHERS subclasses with other digests.
// Hasher classes with other parameters are covered through the options
// (WithIterations, WithBcryptRounds, WithScrypt, WithArgon2).
package hashers
