package django

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"testing"
)

// TestSettingsDefaults: a zero Rand and Logger are crypto/rand and
// slog.Default(), for every layer that asks Settings (csrf, messages and the
// stores do), and for NewSessionKey's argument.
func TestSettingsDefaults(t *testing.T) {
	var s Settings
	if s.RandReader() != rand.Reader || s.Log() != slog.Default() || s.Version() != LatestVersion {
		t.Errorf("zero settings: rand %T, logger %p, version %v", s.RandReader(), s.Log(), s.Version())
	}
	r := bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	s.Rand = r
	if s.RandReader() != r {
		t.Errorf("RandReader = %T, want the given reader", s.RandReader())
	}
	if k, err := NewSessionKey(nil); err != nil || !ValidSessionKey(k) {
		t.Errorf("NewSessionKey(nil) = %q, %v", k, err)
	}
}
