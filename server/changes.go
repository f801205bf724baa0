package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// DefaultWatchBuffer is the number of changes a watch may have waiting to be
// sent when Config.WatchBuffer is 0: at a few hundred bytes each, about a
// megabyte per watcher that falls behind, and seconds of writes at the
// store's durable write rate.
const DefaultWatchBuffer = 4096

// Reasons of the statuses that end a watch, and the ErrorInfo metadata key
// that tells the client where to resume.
const (
	reasonWatchTooSlow      = "WATCH_TOO_SLOW"
	reasonShuttingDown      = "SERVER_SHUTTING_DOWN"
	reasonSequenceAhead     = "SEQUENCE_AHEAD"
	reasonInvalidSequence   = "INVALID_SEQUENCE"
	metaResumeAfterSequence = "resume_after_sequence"
)

const (
	// watchPageSize is how many changes a watch reads per transaction
	// while it catches up; short reads keep bbolt free to grow its file.
	watchPageSize = 500
	// maxWatchMessageBytes keeps each WatchChangesResponse far below
	// grpc-go's default 4 MiB receive limit.
	maxWatchMessageBytes = 1 << 20
	// hubPageSize is how many new changes the hub reads at a time.
	hubPageSize = 1000
	// progressEvery: a watch whose filter skipped this many changes since
	// its last message sends one without changes, so that its client's
	// resume point keeps up and a resumed watch need not scan them again.
	progressEvery = 1000
)

const changeFilterExample = "`article = \"articles/shafaq-talks\" AND type != TYPE_CREATED`"

type changeService struct {
	factcheckv1.UnimplementedChangeServiceServer
	st  store.Store
	hub *changeHub
	// stopping ends open watches when closed (Config.Stopping).
	stopping <-chan struct{}
}

var _ factcheckv1.ChangeServiceServer = (*changeService)(nil)

func newChangeService(st store.Store, cfg Config, logger *slog.Logger) *changeService {
	limit := cfg.WatchBuffer
	if limit <= 0 {
		limit = DefaultWatchBuffer
	}
	return &changeService{st: st, hub: &changeHub{st: st, logger: logger, limit: limit}, stopping: cfg.Stopping}
}

// afterSequence checks an after_sequence against the feed's head: a client
// can only have seen sequences the server issued, so one beyond the head
// names another database's feed (or this one's before a restore), and
// resuming from it would silently skip changes.
func (s *changeService) afterSequence(ctx context.Context, v *validator, field string, after int64) error {
	if after < 0 {
		v.add(field, reasonInvalidSequence, "is %d; use 0 to start at the first change, or the last sequence received", after)
		return nil
	}
	// Read, not ChangeNotify: a client may have read a change whose commit
	// is not announced yet.
	page, err := s.st.ListChanges(ctx, after, nil, 1)
	if err != nil {
		return err
	}
	if head := page.Head; after > head {
		v.vs = append(v.vs, violation{field: field, reason: reasonSequenceAhead,
			description: fmt.Sprintf("is %d but the newest change is %d: it comes from another database, or from this one before it was restored from a backup; start again from 0", after, head),
			metadata:    map[string]string{"head_sequence": strconv.FormatInt(head, 10)}})
	}
	return nil
}

func (s *changeService) ListChanges(ctx context.Context, req *factcheckv1.ListChangesRequest) (*factcheckv1.ListChangesResponse, error) {
	var v validator
	size := v.pageSize("page_size", req.GetPageSize())
	expr := v.filter("filter", req.GetFilter(), store.ChangeFilterSchema, changeFilterExample)
	fp := pageQuery{method: "ListChanges", parent: strconv.FormatInt(req.GetAfterSequence(), 10), filter: req.GetFilter()}.fingerprint()
	after := req.GetAfterSequence()
	if tok := v.pageToken("page_token", req.GetPageToken(), fp); tok != "" {
		if len(tok) != 8 {
			v.add("page_token", reasonInvalidPageToken, "is not a page token this server issued; pass next_page_token from the previous response unchanged")
		} else {
			after = int64(binary.BigEndian.Uint64([]byte(tok)))
		}
	} else if err := s.afterSequence(ctx, &v, "after_sequence", after); err != nil {
		return nil, err
	}
	if err := v.sequenceErr(); err != nil {
		return nil, err
	}
	page, err := s.st.ListChanges(ctx, after, expr, size)
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListChangesResponse{LastSequence: page.Next}
	for _, c := range page.Changes {
		resp.Changes = append(resp.Changes, changeToProto(c))
	}
	if page.Next < page.Head {
		resp.NextPageToken = encodePageToken(fp, string(binary.BigEndian.AppendUint64(nil, uint64(page.Next))))
	}
	return resp, nil
}

// sequenceErr is err, but a lone SEQUENCE_AHEAD is a state the client's
// bookkeeping is in, not a malformed request: FAILED_PRECONDITION.
func (v *validator) sequenceErr() error {
	err := v.err()
	var se *store.Error
	if errors.As(err, &se) && se.Reason == reasonSequenceAhead {
		se.Kind = store.ErrFailedPrecondition
		se.Violations = nil
		for _, x := range v.vs {
			se.Preconditions = append(se.Preconditions, store.Precondition{Type: reasonSequenceAhead, Subject: x.field, Description: x.description})
		}
	}
	return err
}

func (s *changeService) WatchChanges(req *factcheckv1.WatchChangesRequest, stream grpc.ServerStreamingServer[factcheckv1.WatchChangesResponse]) error {
	var v validator
	expr := v.filter("filter", req.GetFilter(), store.ChangeFilterSchema, changeFilterExample)
	if err := s.afterSequence(stream.Context(), &v, "after_sequence", req.GetAfterSequence()); err != nil {
		return err
	}
	if err := v.sequenceErr(); err != nil {
		return err
	}
	w := &watch{s: s, stream: stream, filter: expr, last: req.GetAfterSequence(), sent: req.GetAfterSequence()}
	return w.run(stream.Context())
}

// watch is one WatchChanges call. It reads the backlog from the store in
// pages, then takes new changes from the hub, which reads each new change
// once for every watch.
type watch struct {
	s      *changeService
	stream grpc.ServerStreamingServer[factcheckv1.WatchChangesResponse]
	filter filter.Expr
	// last is the sequence the watch has read up to: every matching change
	// up to it has been sent.
	last int64
	// sent is the last_sequence of the last message sent.
	sent int64
}

func (w *watch) run(ctx context.Context) error {
	// Catch up from the store until a read reaches the head.
	if err := w.catchUp(ctx, -1); err != nil {
		return err
	}
	sub := w.s.hub.subscribe()
	defer w.s.hub.unsubscribe(sub)
	// The hub sends every change after sub.from; what lies between the
	// catch-up and that comes from the store, and what the catch-up read
	// beyond it is skipped below.
	if err := w.catchUp(ctx, sub.from); err != nil {
		return err
	}
	for {
		changes, end := sub.take()
		var out []*store.Change
		last := w.last
		for _, c := range changes {
			if c.Sequence <= last {
				continue
			}
			if filter.Match(w.filter, c) {
				out = append(out, c)
			}
			last = c.Sequence
		}
		if err := w.send(out, last); err != nil {
			return err
		}
		w.last = last
		switch {
		case errors.Is(end, errWatchTooSlow):
			return w.ended(codes.ResourceExhausted, reasonWatchTooSlow, fmt.Sprintf(
				"this watch fell more than %d changes behind the writes and was ended so that it would not hold them up; watch again with after_sequence %d to continue", w.s.hub.limit, w.last))
		case end != nil:
			return end
		}
		if len(changes) > 0 {
			continue
		}
		select {
		case <-sub.signal:
		case <-ctx.Done():
			return ctx.Err()
		case <-w.s.stopping:
			return w.ended(codes.Unavailable, reasonShuttingDown, fmt.Sprintf(
				"the server is shutting down; watch again with after_sequence %d once it is back", w.last))
		}
	}
}

// catchUp sends changes from the store until it has read up to the
// head (until < 0) or to until.
func (w *watch) catchUp(ctx context.Context, until int64) error {
	for until < 0 || w.last < until {
		select {
		case <-w.s.stopping:
			return w.ended(codes.Unavailable, reasonShuttingDown, fmt.Sprintf(
				"the server is shutting down; watch again with after_sequence %d once it is back", w.last))
		default:
		}
		page, err := w.s.st.ListChanges(ctx, w.last, w.filter, watchPageSize)
		if err != nil {
			return err
		}
		next := max(w.last, page.Next)
		if err := w.send(page.Changes, next); err != nil {
			return err
		}
		w.last = next
		if page.Next >= page.Head {
			return nil
		}
	}
	return nil
}

// send sends changes in messages of at most maxWatchMessageBytes; last is
// how far the read that found them went.
func (w *watch) send(changes []*store.Change, last int64) error {
	if len(changes) == 0 && last-w.sent >= progressEvery {
		w.sent = last
		return w.stream.Send(&factcheckv1.WatchChangesResponse{LastSequence: last})
	}
	for len(changes) > 0 {
		resp := &factcheckv1.WatchChangesResponse{}
		size := 0
		for len(changes) > 0 {
			pc := changeToProto(changes[0])
			n := proto.Size(pc) + 8
			if size > 0 && size+n > maxWatchMessageBytes {
				break
			}
			resp.Changes = append(resp.Changes, pc)
			size += n
			changes = changes[1:]
		}
		resp.LastSequence = resp.Changes[len(resp.Changes)-1].GetSequence()
		if len(changes) == 0 {
			resp.LastSequence = max(resp.LastSequence, last)
		}
		if err := w.stream.Send(resp); err != nil {
			return err
		}
		w.sent = resp.LastSequence
	}
	return nil
}

// ended is the status that ends a watch the client should resume.
func (w *watch) ended(code codes.Code, reason, msg string) error {
	return newStatus(code, reason, map[string]string{metaResumeAfterSequence: strconv.FormatInt(w.last, 10)}, msg).Err()
}

var errWatchTooSlow = errors.New("watch too slow")

// changeHub reads each new change once, however many watches follow the
// feed, and hands it to each: one goroutine that runs while anyone is
// subscribed, woken by the store's ChangeNotify. It never blocks on a
// watch: a watch whose queue would exceed limit is cut off (it then ends
// with WATCH_TOO_SLOW) and the others go on. A read of up to hubPageSize
// changes is handed whole to an empty queue, so that one large commit (an
// import chunk) does not cut off watches that keep up.
type changeHub struct {
	st     store.Store
	logger *slog.Logger
	limit  int

	mu      sync.Mutex
	running bool
	// pos is the sequence the hub has handed out up to.
	pos  int64
	subs map[*subscription]struct{}
	// wake tells the hub goroutine that the last subscriber left.
	wake chan struct{}
}

// subscription is one watch's queue of changes from the hub.
type subscription struct {
	// from: the hub hands this subscription every change after from.
	from int64

	mu    sync.Mutex
	queue []*store.Change
	// end, once set, ends the watch after the queue is drained.
	end error
	// signal has a value when queue or end changed.
	signal chan struct{}
}

func (h *changeHub) subscribe() *subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		h.running = true
		h.pos, _ = h.st.ChangeNotify()
		h.subs = map[*subscription]struct{}{}
		h.wake = make(chan struct{}, 1)
		go h.run(h.pos, h.wake)
	}
	sub := &subscription{from: h.pos, signal: make(chan struct{}, 1)}
	h.subs[sub] = struct{}{}
	return sub
}

func (h *changeHub) unsubscribe(sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; !ok {
		return
	}
	delete(h.subs, sub)
	if len(h.subs) == 0 {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// take returns the queued changes and, once the queue is empty, why the
// subscription ended (nil while it goes on).
func (sub *subscription) take() ([]*store.Change, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	q := sub.queue
	sub.queue = nil
	if len(q) > 0 {
		return q, nil
	}
	return nil, sub.end
}

func (sub *subscription) notify() {
	select {
	case sub.signal <- struct{}{}:
	default:
	}
}

func (h *changeHub) run(pos int64, wake <-chan struct{}) {
	ctx := context.Background()
	for {
		head, changed := h.st.ChangeNotify()
		if head > pos {
			page, err := h.st.ListChanges(ctx, pos, nil, hubPageSize)
			if err != nil {
				h.fail(err)
				return
			}
			h.hand(page.Changes, page.Next)
			pos = page.Next
			continue
		}
		select {
		case <-changed:
			// A commit the hub has read already (its announcement lags
			// the commit), or the store closed: then reads fail.
			if next, _ := h.st.ChangeNotify(); next <= pos {
				if _, err := h.st.ListChanges(ctx, pos, nil, 1); err != nil {
					h.fail(err)
					return
				}
			}
		case <-wake:
		}
		if h.stopIfIdle() {
			return
		}
	}
}

// hand appends changes to every subscription's queue.
func (h *changeHub) hand(changes []*store.Change, next int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos = next
	for sub := range h.subs {
		sub.mu.Lock()
		if len(sub.queue) > 0 && len(sub.queue)+len(changes) > h.limit {
			sub.queue = nil
			sub.end = errWatchTooSlow
			delete(h.subs, sub)
		} else {
			sub.queue = append(sub.queue, changes...)
		}
		sub.mu.Unlock()
		sub.notify()
	}
}

// fail ends every subscription with err and stops the hub; the next
// subscriber starts it again.
func (h *changeHub) fail(err error) {
	h.logger.Error("change feed: reading new changes failed; open watches end", "error", err.Error())
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		sub.mu.Lock()
		sub.end = err
		sub.mu.Unlock()
		sub.notify()
	}
	h.subs = nil
	h.running = false
}

func (h *changeHub) stopIfIdle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) > 0 {
		return false
	}
	h.running = false
	return true
}

func changeToProto(c *store.Change) *factcheckv1.Change {
	return &factcheckv1.Change{
		Sequence:   c.Sequence,
		Resource:   c.Resource,
		Type:       factcheckv1.Change_Type(c.Type),
		ChangeTime: timeToProto(c.Time),
		Actor:      c.Actor,
		FieldPaths: cloneStrings(c.FieldPaths),
		Parent:     c.Parent,
		BeforeText: c.BeforeText,
		AfterText:  c.AfterText,
	}
}
