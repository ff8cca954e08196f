package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoPgBouncer is PgBouncerBinary's error when PgBouncer is not
// installed (scripts/services.sh installs Debian's).
var ErrNoPgBouncer = errors.New("pgbouncer is not installed (apt-get install -y pgbouncer)")

// PgBouncerBinary returns the pgbouncer to start: $DJSESSION_PGBOUNCER,
// else Debian's /usr/sbin/pgbouncer, else the first on $PATH.
func PgBouncerBinary() (string, error) {
	return findBinary("DJSESSION_PGBOUNCER", "pgbouncer", ErrNoPgBouncer, "/usr/sbin/pgbouncer")
}

// PgBouncer is a PgBouncer of the caller's own, in transaction pool mode
// with trust authentication, on a free loopback port, in front of one
// PostgreSQL server (every database name is passed through).
type PgBouncer struct {
	// Addr is "127.0.0.1:port"; Restart keeps it.
	Addr string

	bin, dir string
	cred     *syscall.Credential
	cmd      *exec.Cmd
	exited   chan struct{}
}

// StartPgBouncer starts bin in front of the PostgreSQL at server
// ("host:port") for the roles users, with a temporary ini and userlist:
// pool_mode = transaction, auth_type = trust, 4 server connections per
// database and user, and lib/pq's extra_float_digits startup parameter
// ignored (PgBouncer refuses unknown ones). As root it runs as the
// postgres system user (PgBouncer refuses to run as root). It returns once
// PgBouncer accepts connections, or ctx's end.
func StartPgBouncer(ctx context.Context, bin, server string, users ...string) (*PgBouncer, error) {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return nil, err
	}
	cred, uid, gid, err := postgresUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "djsession-pgbouncer-")
	if err != nil {
		return nil, err
	}
	b := &PgBouncer{bin: bin, dir: dir, cred: cred}
	if cred != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			b.Stop()
			return nil, err
		}
	}
	var userlist strings.Builder
	for _, u := range users {
		fmt.Fprintf(&userlist, "%q \"\"\n", u)
	}
	if err := os.WriteFile(filepath.Join(dir, "userlist.txt"), []byte(userlist.String()), 0o644); err != nil {
		b.Stop()
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		free, err := pgFreePort()
		if err != nil {
			b.Stop()
			return nil, err
		}
		ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
admin_users = %s
stats_users = %s
logfile = %s
pidfile = %s
server_login_retry = 1
`, host, port, free, filepath.Join(dir, "userlist.txt"), strings.Join(users, ","), strings.Join(users, ","),
			filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
		if err := os.WriteFile(filepath.Join(dir, "pgbouncer.ini"), []byte(ini), 0o644); err != nil {
			b.Stop()
			return nil, err
		}
		b.Addr = "127.0.0.1:" + strconv.Itoa(free)
		if err := b.start(ctx); err == nil {
			return b, nil
		} else if ctx.Err() != nil {
			b.Stop()
			return nil, err
		}
	}
	err = fmt.Errorf("pgbouncer did not start; log: %s", b.Log())
	b.Stop()
	return nil, err
}

// start runs PgBouncer on b's ini and waits until it accepts connections.
func (b *PgBouncer) start(ctx context.Context) error {
	cmd := exec.Command(b.bin, filepath.Join(b.dir, "pgbouncer.ini"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: b.cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting pgbouncer: %w", err)
	}
	b.cmd, b.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { cmd.Wait(); close(exited) }(b.exited)
	for ctx.Err() == nil {
		select {
		case <-b.exited:
			b.cmd = nil
			return fmt.Errorf("pgbouncer exited; log: %s", b.Log())
		default:
		}
		if c, err := net.DialTimeout("tcp", b.Addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.kill()
	return ctx.Err()
}

// Restart stops PgBouncer at once (SIGTERM: every client and server
// connection closed, as a crash or a deploy would) and starts it again on
// the same port. It returns the time PgBouncer was down.
func (b *PgBouncer) Restart(ctx context.Context) (time.Duration, error) {
	began := time.Now()
	b.kill()
	for {
		err := b.start(ctx)
		if err == nil {
			return time.Since(began), nil
		}
		if ctx.Err() != nil {
			return time.Since(began), err
		}
		time.Sleep(50 * time.Millisecond) // the port may linger a moment
	}
}

// Log returns the end of PgBouncer's log.
func (b *PgBouncer) Log() string { return logTail(filepath.Join(b.dir, "pgbouncer.log")) }

// kill stops PgBouncer: SIGTERM (every connection closed at once), then
// SIGKILL after 5 seconds.
func (b *PgBouncer) kill() {
	if b.cmd == nil {
		return
	}
	signalAndWait(b.cmd, b.exited, syscall.SIGTERM)
	b.cmd = nil
}

// Stop ends PgBouncer and removes its directory.
func (b *PgBouncer) Stop() {
	b.kill()
	os.RemoveAll(b.dir)
}
