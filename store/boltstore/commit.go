package boltstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/factcheck/factcheck/store"
)

// Group commit: every bbolt commit costs two fdatasyncs, so one transaction
// per write caps durable writes at 2–3k/s. Writes are queued instead, and one
// goroutine runs everything queued in one transaction. See the package doc.

// maxGroup bounds the writes of one transaction: a caller at the end of a
// group waits for every write before it, and a failed commit fails them all.
const maxGroup = 256

// The states of a writeReq: the committer and a caller whose context ends
// race for a queued request with one compare-and-swap.
const (
	reqQueued int32 = iota
	reqRunning
	reqCancelled
)

// writeReq is one write transaction's function waiting for the committer.
type writeReq struct {
	ctx   context.Context
	fn    func(*bbolt.Tx) error
	state atomic.Int32
	// err is set before done is closed; a *writePanic is raised again.
	err  error
	done chan struct{}
}

// writePanic carries a panic of a write function to the goroutine that
// asked for the write, where it is raised again, as it was when that
// goroutine ran its own transaction.
type writePanic struct {
	value any
	stack []byte
}

func (p *writePanic) Error() string {
	return fmt.Sprintf("panic in a write transaction: %v\n\n%s", p.value, p.stack)
}

func (p *writePanic) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// committer owns the queue of writes and the goroutine that commits them.
type committer struct {
	db *bbolt.DB
	mu sync.Mutex
	// queue holds the requests in the order they asked; closed refuses
	// more once Close began.
	queue  []*writeReq
	closed bool
	// wake holds a token when the queue may have grown since the
	// goroutine last looked.
	wake   chan struct{}
	exited chan struct{}
	// commits and committed count the shared transactions committed and
	// the requests they answered, for benchmarks to report group sizes.
	commits, committed atomic.Int64
}

func startCommitter(db *bbolt.DB) *committer {
	c := &committer{db: db, wake: make(chan struct{}, 1), exited: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a write transaction, shared with other queued writes, and
// returns once that transaction committed (or fn failed). If ctx ends before
// fn started, fn never runs and do returns ctx.Err().
func (c *committer) do(ctx context.Context, fn func(*bbolt.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return berrors.ErrDatabaseNotOpen
	}
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a token is already waiting
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqCancelled) {
			return ctx.Err()
		}
		// Started: its writes may commit, so the caller must hear how.
		<-r.done
	}
	if p, ok := r.err.(*writePanic); ok { //nolint:errorlint // only call makes one
		panic(p)
	}
	return r.err
}

// close refuses new writes, lets the goroutine commit what is queued and
// waits for it to end.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a token is already waiting
	}
	<-c.exited
}

func (c *committer) run() {
	defer close(c.exited)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 {
			if c.closed {
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		// No timer: what queued up during the last commit is the next
		// group, and a lone write commits at once.
		n := min(len(c.queue), maxGroup)
		group := make([]*writeReq, n)
		copy(group, c.queue)
		clear(c.queue[:n])
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commit(group)
	}
}

// errAbort rolls back a shared transaction in which a function failed after
// it may have written.
var errAbort = errors.New("abort the shared transaction")

// commit runs the functions of group in one transaction and commits it.
//
// A function that fails with a *store.Error has written nothing: every
// write function checks before its first Put (insert and save check unique
// values first), and returns other errors, or wraps them, once it may have
// written. Such a failure stays in the shared transaction and is reported
// after the commit, since it may depend on the writes before it. Any other
// error, or a panic, may leave part of a write behind, which bbolt cannot
// undo alone: the transaction is rolled back, the failed request gets its
// error, and the others run again, each in a transaction of its own, as
// db.Batch does.
func (c *committer) commit(group []*writeReq) {
	var (
		ran    []*writeReq // ran in the transaction; answered after the commit
		failed = -1        // the index in group of a function that failed dirty
		answer error       // its error
	)
	err := c.db.Update(func(tx *bbolt.Tx) error {
		for i, r := range group {
			if !r.start() {
				continue
			}
			err := call(r.fn, tx)
			if err != nil && !wroteNothing(err) {
				failed, answer = i, err
				return errAbort
			}
			r.err = err
			ran = append(ran, r)
		}
		return nil
	})
	if failed < 0 {
		if err == nil {
			c.commits.Add(1)
			c.committed.Add(int64(len(ran)))
		}
		for _, r := range ran {
			if err != nil {
				// Even a request that failed on its own may have
				// failed for a write before it that is now lost.
				r.err = err
			}
			close(r.done)
		}
		if err != nil {
			// If the transaction never began (the file is closed),
			// nothing was started: answer the rest too.
			for _, r := range group {
				if r.state.CompareAndSwap(reqQueued, reqRunning) {
					r.finish(err)
				}
			}
		}
		return
	}
	group[failed].finish(answer)
	for _, r := range ran {
		r.solo(c.db)
	}
	for _, r := range group[failed+1:] {
		if r.start() {
			r.solo(c.db)
		}
	}
}

// start claims a queued request for running and reports whether it is to
// run: a request whose caller gave up is skipped, and one whose context ended
// in the queue is answered with its error and skipped.
func (r *writeReq) start() bool {
	if !r.state.CompareAndSwap(reqQueued, reqRunning) {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.finish(err)
		return false
	}
	return true
}

// solo runs a request that a shared transaction's rollback undid, in a
// transaction of its own. Its caller is still waiting, so a context that
// ended meanwhile answers it with nothing written.
func (r *writeReq) solo(db *bbolt.DB) {
	if err := r.ctx.Err(); err != nil {
		r.finish(err)
		return
	}
	r.finish(db.Update(func(tx *bbolt.Tx) error { return call(r.fn, tx) }))
}

func (r *writeReq) finish(err error) {
	r.err = err
	close(r.done)
}

// wroteNothing reports whether a write function's error promises that it
// wrote nothing: a *store.Error as such, not one wrapped (an ItemError of a
// batch comes after the writes of the items before it).
func wroteNothing(err error) bool {
	_, ok := err.(*store.Error) //nolint:errorlint // wrapped errors must not match
	return ok
}

// call runs fn, turning a panic into a *writePanic: the committer must
// outlive a write that panics, and answer the others.
func call(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &writePanic{value: v, stack: debug.Stack()}
		}
	}()
	return fn(tx)
}
