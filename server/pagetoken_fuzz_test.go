package server

import (
	"strings"
	"testing"
)

// FuzzPageToken feeds arbitrary page_token strings to the decoder: it never
// panics, accepts only what encodePageToken made for the same query (a
// token for another query, or any edit, is a field violation), and round-trips
// every cursor it encoded.
func FuzzPageToken(f *testing.F) {
	fp := pageQuery{method: "ListAnnotations", parent: "articles/-", filter: "state = STATE_DRAFT"}.fingerprint()
	other := pageQuery{method: "ListAnnotations", parent: "articles/a"}.fingerprint()
	for _, seed := range []string{"", "x", "AAAA", encodePageToken(fp, "cursor"), encodePageToken(other, "cursor"), encodePageToken(fp, "\x00\xff")} {
		f.Add(seed, "cursor")
	}
	f.Fuzz(func(t *testing.T, token, cursor string) {
		var v validator
		got := v.pageToken("page_token", token, fp)
		if len(v.vs) == 0 && token != "" && got == "" {
			t.Fatalf("token %q accepted with an empty cursor", token)
		}
		// Go's base64 decoder skips \r and \n, so a token with line breaks
		// in it reads as the same token: harmless, the bytes are the same.
		if len(v.vs) == 0 && token != "" && strings.NewReplacer("\r", "", "\n", "").Replace(token) != encodePageToken(fp, got) {
			t.Fatalf("token %q accepted but is not what the server issues for its cursor %q", token, got)
		}
		// Store cursors are a few keys long; one whose token would exceed
		// the request limit is never issued, so it need not round-trip.
		if cursor == "" || len(encodePageToken(fp, cursor)) > maxPageTokenBytes {
			return
		}
		var rt validator
		if back := rt.pageToken("page_token", encodePageToken(fp, cursor), fp); back != cursor || len(rt.vs) != 0 {
			t.Fatalf("cursor %q round-trips as %q (%v)", cursor, back, rt.vs)
		}
		var mismatch validator
		mismatch.pageToken("page_token", encodePageToken(other, cursor), fp)
		if len(mismatch.vs) == 0 {
			t.Fatalf("a token for another query was accepted (cursor %q)", cursor)
		}
	})
}
