// Package interchange converts between factcheck's API messages and the
// field's interchange formats: W3C Web Annotation and schema.org ClaimReview
// on export; factcheck JSONL, W3C Web Annotation, Hypothesis and ClaimReview
// on import. It is pure: it reads and writes only the readers and writers it
// is given, never the network or the disk, so the server and the CLI can share
// it and tests can pin every mapping.
//
// # Export
//
// WebAnnotation and ClaimReview return JSON-LD documents as map[string]any
// values made only of JSON types (string, float64, int, bool, []any,
// map[string]any), which structpb.NewStruct accepts.
//
// A Web Annotation export looks like this (prefix, suffix and most optional
// parts left out):
//
//	{
//	  "@context": ["http://www.w3.org/ns/anno.jsonld", {"factcheck": Namespace}],
//	  "id": baseURL + annotation name,
//	  "type": "Annotation",
//	  "motivation": "assessing",            // "describing" without a verdict
//	  "created": "2024-10-07T12:00:00Z", "modified": "…",
//	  "creator": {"name": author},          // {"id": author} when it is an IRI
//	  "body": [
//	    {"type": "TextualBody", "purpose": "describing", "value": claim text,
//	     "format": "text/plain",
//	     "factcheck:claimant": {"type": "Organization", "name": "…", "id": same_as,
//	                            "factcheck:description": "…"},
//	     "factcheck:claimTime": "…"},
//	    {"type": "TextualBody", "purpose": "assessing", "value": "Unproven",
//	     "format": "text/plain", "factcheck:rating": "RATING_UNPROVEN"},
//	    {"type": "TextualBody", "purpose": "commenting", "value": rationale,
//	     "format": "text/markdown"},
//	    {"type": "SpecificResource", "purpose": "linking", "source": source URL,
//	     "selector": {"type": "TextQuoteSelector", "exact": citation quote},
//	     "factcheck:stance": "supports", "factcheck:note": "…"},
//	    {"type": "TextualBody", "purpose": "tagging", "value": "topic=politics"}
//	  ],
//	  "target": {
//	    "type": "SpecificResource",
//	    "source": article URL,
//	    "state": {"type": "TimeState", "sourceDate": article update time,
//	              "factcheck:revision": 3, "factcheck:textSha256": "…"},
//	    "selector": [
//	      {"type": "TextQuoteSelector", "exact": "…", "prefix": "…", "suffix": "…"},
//	      {"type": "TextPositionSelector", "start": 412, "end": 440}
//	    ]
//	  }
//	}
//
// Choices behind it:
//
//   - The claim is a describing body because it says what the target
//     (the span) claims; the verdict is an assessing body whose value is the
//     newsroom's label, or the rating in words (RatingWords) when there is no
//     label. The rating itself travels in factcheck:rating so that a label such
//     as "Single source" does not lose the shared scale.
//   - Positions count Unicode code points of the article's stored plain text,
//     as the Web Annotation model requires, not of the HTML page at the target
//     URL: a consumer that anchors into the rendered page should prefer the
//     TextQuoteSelector. factcheck:textSha256 names the exact text counted.
//   - The TimeState pins the article revision: sourceDate is the article's
//     update time, a moment at which the article had the text the selectors
//     count into, and factcheck:revision is that revision's number. It is
//     given only when the anchor points into the article's current revision
//     (the server re-anchors on every text change, so only orphaned anchors
//     miss it): for an older revision factcheck knows no such moment.
//   - Citations are SpecificResources with purpose linking; the words relied on
//     are a TextQuoteSelector into the source, which is what a quote of a
//     source is. Stance and note have no Web Annotation term.
//   - Labels are tagging bodies, "key" when the value is empty and "key=value"
//     otherwise, so that tools that only know tags still show them.
//   - Extension terms live under the prefix "factcheck", bound to Namespace in
//     the document's @context; consumers that do not know them can ignore
//     them. They are: rating, claimant, description, claimTime, stance, note,
//     revision, textSha256.
//
// A ClaimReview export follows Google's fact-check guide: claimReviewed is
// the claim text, reviewRating carries alternateName (label or rating words),
// name (rating words) and ratingValue on the 1–5 scale documented at
// RatingValue, itemReviewed is a Claim whose author is the claimant, whose
// datePublished is the claim time, whose text is the anchored quote and whose
// appearance is the article (a NewsArticle, since factcheck's articles are
// journalism). The fact-check author comes from ClaimReviewOptions; reviewBody
// is the rationale; citations become schema.org citation CreativeWorks;
// datePublished and dateModified are the annotation's create and update
// times, factcheck having no publication time of its own. An
// annotation without a rating or label cannot be a ClaimReview: see
// ErrNoVerdict.
//
// # Import
//
// Every decoder calls a RecordFunc once per record or per bad item, in input
// order, and streams its input (100,000-annotation files are never held in
// memory at once). A bad line or item is reported to the RecordFunc with its
// line number and the decoder goes on; only unreadable input (an I/O error, or
// broken JSON inside a single document, after which nothing can be trusted)
// stops it. See the Decode* functions for each format's mapping.
package interchange

// Namespace is the IRI the "factcheck" prefix of exported Web Annotations
// stands for: this package's documentation, where the extension terms are
// described.
const Namespace = "https://pkg.go.dev/github.com/factcheck/factcheck/interchange#"
