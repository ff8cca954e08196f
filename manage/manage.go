package manage

// Options are what every command of the package takes besides its store:
// the size of its batches, whether it writes, and who hears of its
// progress. The zero value is a run with the defaults that writes and
// reports nothing on the way.
type Options struct {
	// BatchSize is how many sessions a command reads (and writes) per
	// round trip; 0 or less means DefaultBatchSize. Memory stays bounded by
	// one batch, whatever the store holds.
	BatchSize int
	// DryRun makes a command that writes count what it would write and
	// write nothing. Commands that only read (check, explain) ignore it.
	DryRun bool
	// Progress, when not nil, is called after each batch with how many
	// sessions were handled so far and how many there are in all (-1 when
	// the store cannot tell without reading everything, as caches cannot).
	// It is called from the command's goroutine; a slow Progress slows the
	// command.
	Progress func(done, total int64)
}

// DefaultBatchSize is the batch size of Options whose BatchSize is 0.
const DefaultBatchSize = 500

// Batch returns BatchSize, or DefaultBatchSize when it is 0 or less.
func (o Options) Batch() int {
	if o.BatchSize <= 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}

// progress calls Progress when there is one.
func (o Options) progress(done, total int64) {
	if o.Progress != nil {
		o.Progress(done, total)
	}
}

// ShortKeyLength is how much of a session key a report shows.
const ShortKeyLength = 8

// ShortKey returns the first 8 characters of a session key: what every
// report, log line and error of this package shows of a key. A whole key
// is a bearer credential (whoever has it is logged in as its user), and
// the first 8 characters are enough to find the row or the file by hand
// while giving an attacker 32 - 8 = 24 characters (about 124 bits) to
// guess. A shorter key is returned whole; characters, not bytes, are
// counted.
func ShortKey(key string) string {
	n := 0
	for i := range key {
		if n == ShortKeyLength {
			return key[:i]
		}
		n++
	}
	return key
}

// The exit statuses of the commands, shared by the command line
// (cmd/djsession) and by services that run a command and report its
// outcome the same way.
const (
	// ExitOK: the command did everything (check, explain: everything
	// agrees with the configuration).
	ExitOK = 0
	// ExitLeft: something was left (a session that cannot be converted,
	// one changed meanwhile) or, for check and explain, something
	// disagrees with the configuration.
	ExitLeft = 1
	// ExitUsage: a mistake in the command line or the settings.
	ExitUsage = 2
	// ExitBackend: a database, cache or file failed or did not answer.
	ExitBackend = 5
)
