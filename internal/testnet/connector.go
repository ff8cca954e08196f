package testnet

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
)

// CountingConnector opens connections of Base to DSN and counts, in
// Count, the statements sent through them (prepares, queries, execs and
// transaction starts): the round trips of a driver with no wire, such as
// SQLite. Use it with sql.OpenDB.
type CountingConnector struct {
	Base  driver.Driver
	DSN   string
	Count *atomic.Int64
}

// Connect opens a counted connection.
func (c CountingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.Base.Open(c.DSN)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, count: c.Count}, nil
}

// Driver returns Base.
func (c CountingConnector) Driver() driver.Driver { return c.Base }

type countingConn struct {
	driver.Conn
	count *atomic.Int64
}

func (c *countingConn) Prepare(q string) (driver.Stmt, error) {
	c.count.Add(1)
	return c.Conn.Prepare(q)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.count.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.count.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.count.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.count.Add(1)
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}
