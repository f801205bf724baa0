package boltstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// Key parts, encoded as the package doc describes.

const (
	keyLen = 8 // <artKey>, <annKey>, <srcKey>

	maxBoundedString = 512
	boundedKeep      = maxBoundedString - sha256.Size
)

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func bounded(s string) []byte {
	if len(s) <= maxBoundedString {
		return []byte(s)
	}
	sum := sha256.Sum256([]byte(s))
	return append([]byte(s[:boundedKeep]), sum[:]...)
}

func strPart(s string) []byte {
	b := bounded(s)
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
}

func enumPart(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func timePart(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

// cat joins key parts into a new slice.
func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// clone copies b out of a transaction: bbolt's slices die with it.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// ID prefixes of generated IDs; a letter first, as the ID syntax requires.
const (
	articlePrefix    = 'a'
	annotationPrefix = 'n'
	sourcePrefix     = 's'
)

// idAlphabet is base32hex in lower case: its characters sort in the order of
// the values they encode, so fixed-width numbers encoded with it sort as
// numbers.
const idAlphabet = "0123456789abcdefghijklmnopqrstuv"

// idGen generates IDs of 21 characters: a prefix letter, 10 characters of
// millisecond timestamp and 10 of a counter that starts at a random value
// each millisecond. IDs from one Store sort in generation order even within a
// millisecond or when the clock steps back, because then the last timestamp is
// reused and the counter incremented.
type idGen struct {
	mu     sync.Mutex
	lastMS uint64
	seq    uint64
}

const idFieldBits = 50 // 10 characters of 5 bits; milliseconds last until year 37648

func (g *idGen) next(prefix byte, now time.Time) string {
	ms := uint64(max(now.UnixMilli(), 0))
	g.mu.Lock()
	if ms > g.lastMS {
		g.lastMS = ms
		// The top bit starts clear so that increments within the
		// millisecond have room before they must borrow the next one.
		g.seq = randUint64() & (1<<(idFieldBits-1) - 1)
	} else {
		g.seq++
		if g.seq == 1<<idFieldBits {
			g.lastMS++
			g.seq = 0
		}
	}
	ms, seq := g.lastMS, g.seq
	g.mu.Unlock()
	b := make([]byte, 0, 21)
	b = append(b, prefix)
	b = appendBase32(b, ms)
	b = appendBase32(b, seq)
	return string(b)
}

// appendBase32 appends the low idFieldBits bits of v, most significant first.
func appendBase32(b []byte, v uint64) []byte {
	for shift := idFieldBits - 5; shift >= 0; shift -= 5 {
		b = append(b, idAlphabet[v>>shift&31])
	}
	return b
}

func randUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return binary.BigEndian.Uint64(b[:])
}

// newEtag returns a fresh etag: 16 random hex digits. Random rather than a
// hash of the record, so that rewriting identical content still changes it
// and a client can tell that a write happened.
func newEtag() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
