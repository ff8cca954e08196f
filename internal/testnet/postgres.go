package testnet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoPostgres is PostgresBinDir's error when the machine has no
// PostgreSQL server binaries.
var ErrNoPostgres = errors.New("the PostgreSQL server binaries are not installed (/usr/lib/postgresql/N/bin)")

// PostgresBinDir returns the directory of the machine's PostgreSQL server
// binaries (postgres, pg_basebackup, pg_isready): $DJSESSION_PG_BINDIR, else
// Debian's /usr/lib/postgresql/N/bin of the highest N.
func PostgresBinDir() (string, error) {
	if d := os.Getenv("DJSESSION_PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_basebackup")); err == nil {
			return dirs[i], nil
		}
	}
	return "", ErrNoPostgres
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// AllowReplication makes sure the server behind primary (a superuser's
// pool) accepts replication connections from 127.0.0.1 without a password,
// which pg_basebackup and a streaming replica need: when pg_hba.conf has
// no such rule, it appends "host replication all 127.0.0.1/32 trust" to the
// server's hba_file and reloads the configuration. The file must be
// writable by this process (the tests run as root in CI).
func AllowReplication(ctx context.Context, primary *sql.DB) error {
	var n int
	err := primary.QueryRowContext(ctx, `SELECT count(*) FROM pg_hba_file_rules
		WHERE 'replication' = ANY(database) AND auth_method = 'trust' AND type LIKE 'host%'
		AND address IN ('127.0.0.1', 'all', 'samehost')`).Scan(&n)
	if err != nil {
		return fmt.Errorf("reading pg_hba_file_rules: %w", err)
	}
	if n > 0 {
		return nil
	}
	var hba string
	if err := primary.QueryRowContext(ctx, "SHOW hba_file").Scan(&hba); err != nil {
		return fmt.Errorf("SHOW hba_file: %w", err)
	}
	f, err := os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("allowing replication from 127.0.0.1: %w", err)
	}
	_, err = f.WriteString("\n# djsession tests (internal/testnet.AllowReplication): streaming replicas on loopback\nhost replication all 127.0.0.1/32 trust\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("allowing replication from 127.0.0.1: %w", err)
	}
	if _, err := primary.ExecContext(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("pg_reload_conf: %w", err)
	}
	return nil
}

// PostgresReplica is a streaming replica of a PostgreSQL server, in a temporary
// directory of its own, listening on a free loopback port.
type PostgresReplica struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// Dir is the data directory (removed by Stop).
	Dir string

	cmd    *exec.Cmd
	exited chan struct{}
}

// StartPostgresReplica makes a streaming replica of the server at primary
// ("host:port", which must allow replication: AllowReplication) with
// pg_basebackup into a temporary directory, as role user, and starts it
// with the machine's postgres binaries on a free loopback port, as the
// postgres system user when this process runs as root. It returns once
// the replica accepts connections, or ctx's end. Stop ends it and removes
// its directory.
func StartPostgresReplica(ctx context.Context, binDir, primary, role string) (*PostgresReplica, error) {
	host, port, err := net.SplitHostPort(primary)
	if err != nil {
		return nil, err
	}
	cred, uid, gid, err := postgresUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "djsession-replica-")
	if err != nil {
		return nil, err
	}
	r := &PostgresReplica{Dir: dir}
	fail := func(err error) (*PostgresReplica, error) {
		r.Stop()
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fail(err)
	}
	data := filepath.Join(dir, "data")
	// --checkpoint=fast: otherwise pg_basebackup waits for the primary's
	// next spread checkpoint (minutes). -R writes standby.signal and
	// primary_conninfo: the copy starts as a streaming replica.
	bb := exec.CommandContext(ctx, filepath.Join(binDir, "pg_basebackup"),
		"-h", host, "-p", port, "-U", role, "-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync", "-w")
	bb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	// The hba rule AllowReplication added may not be loaded yet: retry.
	for attempt := 0; ; attempt++ {
		out, err := bb.CombinedOutput()
		if err == nil {
			break
		}
		if attempt == 20 || ctx.Err() != nil || !strings.Contains(string(out), "pg_hba.conf") {
			return fail(fmt.Errorf("pg_basebackup: %v: %s", err, out))
		}
		os.RemoveAll(data)
		time.Sleep(100 * time.Millisecond)
		bb = exec.CommandContext(ctx, bb.Path, bb.Args[1:]...)
		bb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	// Debian keeps postgresql.conf and pg_hba.conf in /etc, outside the
	// copied data directory: the replica gets small ones of its own, with
	// the settings a standby may not set lower than its primary's (which
	// the copied control file records) taken from pg_controldata.
	limits, err := standbyLimits(ctx, binDir, data, cred)
	if err != nil {
		return fail(err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		free, err := pgFreePort()
		if err != nil {
			return fail(err)
		}
		conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
			"hot_standby = on\nshared_buffers = 16MB\nfsync = off\n"+
			"logging_collector = off\nhot_standby_feedback = on\n%s", free, dir, limits)
		hba := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
		for name, text := range map[string]string{"postgresql.conf": conf, "pg_hba.conf": hba, "pg_ident.conf": ""} {
			p := filepath.Join(data, name)
			if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
				return fail(err)
			}
			if cred != nil {
				os.Chown(p, uid, gid)
			}
		}
		logf, err := os.Create(filepath.Join(dir, "replica.log"))
		if err != nil {
			return fail(err)
		}
		cmd := exec.Command(filepath.Join(binDir, "postgres"), "-D", data)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			logf.Close()
			return fail(fmt.Errorf("starting the replica: %w", err))
		}
		logf.Close()
		r.cmd, r.exited = cmd, make(chan struct{})
		go func(exited chan struct{}) { cmd.Wait(); close(exited) }(r.exited)
		r.Addr = "127.0.0.1:" + strconv.Itoa(free)
		if r.ready(ctx, binDir, free) {
			return r, nil
		}
		if ctx.Err() != nil {
			return fail(fmt.Errorf("the replica did not accept connections: %w; log: %s", ctx.Err(), r.log()))
		}
		r.kill()
	}
	return fail(fmt.Errorf("the replica did not start; log: %s", r.log()))
}

// standbyLimits returns the postgresql.conf lines for the settings a
// standby must not set lower than its primary, as pg_controldata reads
// them from the data directory's control file.
func standbyLimits(ctx context.Context, binDir, data string, cred *syscall.Credential) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "pg_controldata"), "-D", data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pg_controldata: %w", err)
	}
	names := map[string]string{
		"max_connections setting":      "max_connections",
		"max_worker_processes setting": "max_worker_processes",
		"max_wal_senders setting":      "max_wal_senders",
		"max_prepared_xacts setting":   "max_prepared_transactions",
		"max_locks_per_xact setting":   "max_locks_per_transaction",
	}
	var conf strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		label, value, ok := strings.Cut(line, ":")
		if name := names[strings.TrimSpace(label)]; ok && name != "" {
			fmt.Fprintf(&conf, "%s = %s\n", name, strings.TrimSpace(value))
		}
	}
	return conf.String(), nil
}

// ready waits until the replica accepts connections (pg_isready), or it
// exited (its port was taken), or ctx ends.
func (r *PostgresReplica) ready(ctx context.Context, binDir string, port int) bool {
	for ctx.Err() == nil {
		select {
		case <-r.exited:
			return false
		default:
		}
		if exec.CommandContext(ctx, filepath.Join(binDir, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1").Run() == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (r *PostgresReplica) log() string { return logTail(filepath.Join(r.Dir, "replica.log")) }

// logTail returns the last 2000 bytes of the log file at path (what an
// error about a server that did not start shows), or "" when it cannot be
// read.
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// kill stops the server: SIGQUIT (immediate shutdown), then SIGKILL after
// 5 seconds.
func (r *PostgresReplica) kill() {
	if r.cmd == nil {
		return
	}
	signalAndWait(r.cmd, r.exited, syscall.SIGQUIT)
	r.cmd = nil
}

// signalAndWait sends sig to cmd's process and waits until it exited
// (closes exited); a process still running after 5 seconds is killed, so
// that a test's cleanup never hangs on a server that ignores sig.
func signalAndWait(cmd *exec.Cmd, exited <-chan struct{}, sig os.Signal) {
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// Stop ends the replica and removes its directory.
func (r *PostgresReplica) Stop() {
	r.kill()
	os.RemoveAll(r.Dir)
}

// postgresUser returns the credential to run PostgreSQL's binaries with:
// the postgres system user's when this process is root (the server refuses
// to run as root), else nil (this process's own user).
func postgresUser() (cred *syscall.Credential, uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return nil, 0, 0, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("running PostgreSQL's binaries as root's stand-in: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid, nil
}

// pgFreePort returns a loopback port nothing listens on (yet).
func pgFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
