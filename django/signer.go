package django

import "github.com/djsession/djsession/signing"

// SignerOptions are the signing.Options that Django's signing module uses
// under these settings for salt: SECRET_KEY, SECRET_KEY_FALLBACKS (honoured
// from 4.1), DEFAULT_HASHING_ALGORITHM and the sha1 signatures 3.2 still
// accepts, and the settings' clock. The session codec and Django's cookie
// signer (django/signedcookie) are both built on it; a service signing
// its own values as Django's signing.dumps would can start from it too.
func (s *Settings) SignerOptions(salt string) signing.Options {
	return signing.Options{
		Key:          s.SecretKey,
		FallbackKeys: s.fallbackKeys(),
		Salt:         salt,
		Algorithm:    signing.Algorithm(s.hashingAlgorithm()),
		LegacySHA1:   s.Version() == Django32,
		// nil is time.Now there as in Settings.Now; the func itself, not a
		// method value, so the options do not hold on to s.
		Now: s.Clock,
	}
}
