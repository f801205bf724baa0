package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// Page tokens (AIP-158) wrap the store's keyset cursor so that a client
// cannot use one with another query, and so that an edited or truncated
// token fails cleanly instead of reaching the store.
//
// Layout, then base64url without padding:
//
//	version (1 byte) | fingerprint (16 bytes) | store token | mac (16 bytes)
//
// The fingerprint is a truncated SHA-256 of everything a page depends on
// (method, parent, filter, order, view) — page_size excluded, since AIP-158
// lets it change between pages. The mac is an HMAC under a fixed key: tokens
// must keep working across restarts and replicas, and they carry nothing
// secret (the cursor is keys the client could list anyway), so the mac is an
// integrity check against accidents and casual edits, not a credential.
const (
	pageTokenVersion = 1
	fingerprintLen   = 16
	macLen           = 16
)

var pageTokenKey = []byte("factcheck/page-token/v1")

type fingerprint [fingerprintLen]byte

// pageQuery is what a page token is bound to.
type pageQuery struct {
	method, parent, filter string
	order                  orderSpec
	view                   int32
	showDeleted            bool
}

func (q pageQuery) fingerprint() fingerprint {
	h := sha256.New()
	for _, s := range []string{q.method, q.parent, q.filter, q.order.String()} {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], uint32(q.view))
	h.Write(v[:])
	if q.showDeleted {
		h.Write([]byte{1})
	}
	var fp fingerprint
	copy(fp[:], h.Sum(nil))
	return fp
}

func pageTokenMAC(body []byte) []byte {
	m := hmac.New(sha256.New, pageTokenKey)
	m.Write(body)
	return m.Sum(nil)[:macLen]
}

// encodePageToken returns "" for the store's "" so that next_page_token is
// empty exactly when the store says no records remain.
func encodePageToken(fp fingerprint, storeToken string) string {
	if storeToken == "" {
		return ""
	}
	body := make([]byte, 0, 1+fingerprintLen+len(storeToken)+macLen)
	body = append(body, pageTokenVersion)
	body = append(body, fp[:]...)
	body = append(body, storeToken...)
	body = append(body, pageTokenMAC(body)...)
	return base64.RawURLEncoding.EncodeToString(body)
}

// pageToken checks a request's page_token against its query and returns
// the store's cursor ("" for the first page).
func (v *validator) pageToken(field, token string, fp fingerprint) string {
	if token == "" {
		return ""
	}
	const retry = "pass next_page_token from the previous response unchanged, or leave page_token empty to start from the first page"
	// Strict: a token whose last character has stray low bits decodes to
	// the same bytes otherwise, so one token would have many spellings.
	body, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(token) > maxPageTokenBytes || len(body) < 1+fingerprintLen+macLen ||
		body[0] != pageTokenVersion {
		v.add(field, reasonInvalidPageToken, "is not a page token this server issued; %s", retry)
		return ""
	}
	n := len(body) - macLen
	if !hmac.Equal(body[n:], pageTokenMAC(body[:n])) {
		v.add(field, reasonInvalidPageToken, "has been altered or truncated; %s", retry)
		return ""
	}
	if fingerprint(body[1:1+fingerprintLen]) != fp {
		v.add(field, reasonPageTokenMismatch, "was issued for a different query; repeat the parent, filter, order_by (and view, show_deleted) of the request that returned it, or leave page_token empty to start over with the new query")
		return ""
	}
	return string(body[1+fingerprintLen : n])
}
