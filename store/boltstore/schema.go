// Package boltstore is the bbolt backend of store.Store: one file holds every
// article, annotation and source, the reviewers and tokens, the audit log,
// their indexes and the schema version. It
// owns the file format (the bucket tree below, the record messages in
// internal/recordpb and the migrations that move old files forward), the
// query planning of List calls, and the integrity rules of the store.Store
// contract (uniqueness, references between records, anchoring).
//
// Beyond store.Store, a *Store offers Check (page and index consistency),
// RebuildIndexes (repair, or backfill in a migration), Backup (a consistent
// copy while serving), Stats (file health for metrics), and the package
// offers Compact (rewrite a stopped file without its free pages).
//
// It depends on store (the contract it implements), store/filter (to evaluate
// list filters), anchor (to resolve spans inside the write transaction) and
// go.etcd.io/bbolt.
//
// # How writes are committed
//
// A bbolt commit costs two fdatasyncs, so a transaction per write would cap
// durable writes at 2–3k/s. Every single-record write (create, update,
// delete, rollback) is instead queued for one committer goroutine (commit.go),
// which runs everything queued, up to 256 writes, in one transaction, one
// after another in queue order, and answers each caller only once that
// transaction committed. There is no timer: a lone write commits at once, and
// the writes that arrive during a commit form the next group. A write that
// fails with a *store.Error has written nothing (every write checks before
// its first Put) and stays out of the shared transaction; any other failure,
// or a panic, rolls the transaction back and the others run again, each in
// its own, so a write function may run more than once. A caller whose context
// ends while its write is still queued gets ctx.Err and the write never runs.
// Close commits what is queued and refuses what comes after. Import,
// RebuildIndexes, Backup and Compact keep transactions of their own.
//
// # Attribution and the audit log
//
// Each write method reads store.WriteInfoFrom(ctx) before it queues its
// function, so the writes that share a transaction each record their own
// caller: Annotation.Author on create, the Actor (and, for annotations, the
// Note) of the revisions it makes, the Actor of its changes, and its audit
// entries. Every change appended also appends an audit entry (changes.go,
// audit.go), and reviewer and token writes append one each. The head of the
// hash chain is kept in memory for the transaction in progress and written
// to meta once per write function (Store.update, and Import before its
// commit); a rolled-back transaction takes its entries and its head with
// it. VerifyAuditLog re-reads the chain in short read transactions; Check
// verifies it too.
//
// # Bucket tree (schema version 8)
//
// Update this tree whenever the layout changes, together with a new migration
// in migrate.go and its test.
//
//	meta
//	  schema_version                    : <u64>  the last migration applied
//	  audit_head                        : <u64 sequence><hash>  (since 7) the
//	                                    last audit entry, written with it;
//	                                    absent while the log is empty
//	articles                            records; NextSequence allocates <artKey>
//	  <artKey>                          : recordpb.Article
//	annotations                         records; NextSequence allocates <annKey>
//	  <annKey>                          : recordpb.Annotation
//	sources                             records; NextSequence allocates <srcKey>
//	  <srcKey>                          : recordpb.Source
//
//	article_ids                         ID → key (IDs are unique)
//	  <id>                              : <artKey>
//	annotation_ids                      (annotation IDs are unique per article)
//	  <artKey><id>                      : <annKey>
//	source_ids
//	  <id>                              : <srcKey>
//
//	article_urls                        unique fields (empty values are not indexed)
//	  <bounded url>                     : <artKey>
//	source_urls
//	  <bounded url>                     : <srcKey>
//	annotation_external_ids
//	  <bounded external_id>             : <annKey>
//
//	import_request_ids                  (since 2) Import's idempotency keys;
//	  <bounded request_id>              : <name>  not derived: kept after the
//	                                              resource is deleted
//
//	article_revisions                   (since 3) every text an article had;
//	  <artKey><u32 revision>            : recordpb.ArticleRevision
//	annotation_revisions                (since 3) every write of an annotation;
//	  <annKey><u32 revision_id>         : recordpb.AnnotationRevision
//	                                    history, not derived; deleted with
//	                                    its article or annotation. A file
//	                                    migrated from version 2 holds each
//	                                    article's text of that time (older
//	                                    ones were never kept) and one
//	                                    revision per annotation. Since 5, a
//	                                    created annotation's revision 1 has
//	                                    no snapshot while the record is at
//	                                    revision 1 (the record is the
//	                                    snapshot); the write that moves the
//	                                    record on stores it.
//
//	changes                             (since 4) the change feed (changes.go);
//	  <u64 sequence>                    : recordpb.Change  NextSequence draws
//	                                    the sequence in the transaction of
//	                                    the write; append-only, not derived.
//	                                    A migrated file's feed starts empty.
//
//	articles_deleted                    (since 6) soft delete: the records
//	  <artKey>                          : <time purge_time>  whose delete_time
//	annotations_deleted                         is set. A deleted record keeps
//	  <annKey>                          : <time purge_time>  every other entry
//	sources_deleted                             (its ID, URL and external_id stay
//	  <srcKey>                          : <time purge_time>  reserved; the
//	                                    secondary indexes still name it, so
//	                                    undelete and purge rewrite nothing
//	                                    but these): a List without
//	                                    show_deleted skips a candidate with
//	                                    one lookup here, before reading it.
//	                                    Deleted records are bounded by the
//	                                    retention, so the skipping is too.
//	purge_queue                         (since 6) what the sweep purges, in
//	  <time purge_time><u8 kind><key>   : nil  purge order; kind 1 article,
//	                                    2 annotation, 3 source.
//
//	reviewers                           (since 7) records; NextSequence allocates <revKey>
//	  <revKey>                          : recordpb.Reviewer
//	tokens                              (since 7) records; NextSequence allocates <tokKey>
//	  <tokKey>                          : recordpb.Token  holds sha256(secret),
//	                                    never the secret
//	reviewer_ids                        (since 7) derived; reviewers and tokens
//	  <id>                              : <revKey>  are never deleted (they
//	                                    are disabled, revoked), so they have
//	                                    no *_deleted buckets
//	reviewer_emails                     unique; empty emails are not indexed
//	  <bounded email>                   : <revKey>
//	token_ids                           (token IDs are unique per reviewer)
//	  <revKey><id>                      : <tokKey>
//	token_hashes                        unique
//	  <hash secret_hash>                : <tokKey>
//	tokens_by_reviewer
//	  <revKey><tokKey>                  : nil
//
//	audit                               (since 7) the audit log (audit.go):
//	  <u64 sequence>                    : recordpb.AuditEntry  one per resource
//	                                    written, sequences from 1 following
//	                                    meta/audit_head, each entry carrying
//	                                    the previous one's hash and its own
//	                                    (store.AuditHash); append-only, not
//	                                    derived. A migrated file's log starts
//	                                    empty.
//
//	articles_by_publisher               secondary indexes: nil values; the key
//	  <str publisher><artKey>           : nil   ends with the record key, so a
//	articles_by_language                        prefix scan returns records in
//	  <str language><artKey>            : nil   creation order
//	articles_by_label
//	  <str key><str value><artKey>      : nil
//	articles_by_update
//	  <time update_time><artKey>        : nil
//	annotations_by_article
//	  <artKey><annKey>                  : nil
//	annotations_by_state
//	  <enum state><annKey>              : nil
//	annotations_by_rating
//	  <enum verdict.rating><annKey>     : nil
//	annotations_by_status
//	  <enum anchor.status><annKey>      : nil
//	annotations_by_claimant
//	  <str claim.claimant.name><annKey> : nil
//	annotations_by_author               (since 8) the creating actor, which
//	  <str author><annKey>              : nil   no write changes; it
//	                                    serves a reviewer's own drafts
//	annotations_by_source               also answers "who cites this source?"
//	  <srcKey><annKey>                  : nil
//	annotations_by_label
//	  <str key><str value><annKey>      : nil
//	annotations_by_update
//	  <time update_time><annKey>        : nil
//	sources_by_publisher
//	  <str publisher><srcKey>           : nil
//	sources_by_kind
//	  <enum kind><srcKey>               : nil
//	sources_by_update
//	  <time update_time><srcKey>        : nil
//
// Encodings:
//
//	<u32 n>     4-byte big-endian unsigned integer (revision numbers start
//	            at 1), so an entity's revisions sort in order after its key.
//	<u64>, <artKey>, <annKey>, <srcKey>, <revKey>, <tokKey>
//	            8-byte big-endian unsigned integer; record keys come from the
//	            records bucket's NextSequence (1, 2, …), so they sort in
//	            creation order and are never reused.
//	<id>        the ID's bytes.
//	<name>      a resource name's bytes, e.g. "articles/a0…/annotations/n0…".
//	<bounded s> the bytes of s; a string longer than 512 bytes is cut to its
//	            first 480 bytes followed by the 32-byte SHA-256 of the whole,
//	            which keeps keys far below bbolt's 32 KiB limit.
//	<str s>     2-byte big-endian length of <bounded s>, then <bounded s>: the
//	            length prefix keeps a shorter value from being a prefix of a
//	            longer one.
//	<enum v>    4-byte big-endian two's complement int32.
//	<time t>    8-byte big-endian t.UnixNano() with the sign bit flipped, so
//	            that times before 1970 sort first.
//	<hash h>    the 32 bytes of a SHA-256.
//
// Everything but the records, meta, import_request_ids, the revisions, the
// changes and the audit log is derived from the records: RebuildIndexes
// recreates it, and Check verifies it.
package boltstore

// bucket is one top-level bucket of the file.
type bucket struct {
	name []byte
	// since is the schema version whose migration creates the bucket.
	since uint64
	// derived buckets are rebuilt from the records by RebuildIndexes.
	derived bool
	// unique buckets map a value to the one record that may hold it; the
	// rule words the error a second holder gets.
	unique *uniqueRule
}

// uniqueRule describes the ErrAlreadyExists error of a unique bucket.
type uniqueRule struct {
	reason string
	// what names the field in messages: "ID", "url", "external_id".
	what string
	// records is the records bucket of the holders, to name the holder.
	records []byte
}

var (
	bucketMeta        = []byte("meta")
	bucketArticles    = []byte("articles")
	bucketAnnotations = []byte("annotations")
	bucketSources     = []byte("sources")

	bucketArticleIDs    = []byte("article_ids")
	bucketAnnotationIDs = []byte("annotation_ids")
	bucketSourceIDs     = []byte("source_ids")

	bucketArticleURLs          = []byte("article_urls")
	bucketSourceURLs           = []byte("source_urls")
	bucketAnnotationExternalID = []byte("annotation_external_ids")

	bucketArticlesByPublisher = []byte("articles_by_publisher")
	bucketArticlesByLanguage  = []byte("articles_by_language")
	bucketArticlesByLabel     = []byte("articles_by_label")
	bucketArticlesByUpdate    = []byte("articles_by_update")

	bucketAnnotationsByArticle  = []byte("annotations_by_article")
	bucketAnnotationsByState    = []byte("annotations_by_state")
	bucketAnnotationsByRating   = []byte("annotations_by_rating")
	bucketAnnotationsByStatus   = []byte("annotations_by_status")
	bucketAnnotationsByClaimant = []byte("annotations_by_claimant")
	bucketAnnotationsBySource   = []byte("annotations_by_source")
	bucketAnnotationsByLabel    = []byte("annotations_by_label")
	bucketAnnotationsByUpdate   = []byte("annotations_by_update")
	bucketAnnotationsByAuthor   = []byte("annotations_by_author")

	bucketImportRequestIDs = []byte("import_request_ids")

	bucketArticleRevisions    = []byte("article_revisions")
	bucketAnnotationRevisions = []byte("annotation_revisions")

	bucketSourcesByPublisher = []byte("sources_by_publisher")
	bucketSourcesByKind      = []byte("sources_by_kind")
	bucketSourcesByUpdate    = []byte("sources_by_update")

	bucketArticlesDeleted    = []byte("articles_deleted")
	bucketAnnotationsDeleted = []byte("annotations_deleted")
	bucketSourcesDeleted     = []byte("sources_deleted")
	bucketPurgeQueue         = []byte("purge_queue")

	bucketReviewers        = []byte("reviewers")
	bucketReviewerIDs      = []byte("reviewer_ids")
	bucketReviewerEmails   = []byte("reviewer_emails")
	bucketTokens           = []byte("tokens")
	bucketTokenIDs         = []byte("token_ids")
	bucketTokenHashes      = []byte("token_hashes")
	bucketTokensByReviewer = []byte("tokens_by_reviewer")
	bucketAudit            = []byte("audit")
)

// buckets declares every bucket once, so that migrations, RebuildIndexes and
// Check walk one list.
var buckets = []bucket{
	{name: bucketMeta, since: 1},
	{name: bucketArticles, since: 1},
	{name: bucketAnnotations, since: 1},
	{name: bucketSources, since: 1},

	{name: bucketArticleIDs, since: 1, derived: true, unique: &uniqueRule{"ARTICLE_ALREADY_EXISTS", "ID", bucketArticles}},
	{name: bucketAnnotationIDs, since: 1, derived: true, unique: &uniqueRule{"ANNOTATION_ALREADY_EXISTS", "ID", bucketAnnotations}},
	{name: bucketSourceIDs, since: 1, derived: true, unique: &uniqueRule{"SOURCE_ALREADY_EXISTS", "ID", bucketSources}},

	{name: bucketArticleURLs, since: 1, derived: true, unique: &uniqueRule{"URL_ALREADY_EXISTS", "url", bucketArticles}},
	{name: bucketSourceURLs, since: 1, derived: true, unique: &uniqueRule{"URL_ALREADY_EXISTS", "url", bucketSources}},
	{name: bucketAnnotationExternalID, since: 1, derived: true, unique: &uniqueRule{"EXTERNAL_ID_ALREADY_EXISTS", "external_id", bucketAnnotations}},

	{name: bucketArticlesByPublisher, since: 1, derived: true},
	{name: bucketArticlesByLanguage, since: 1, derived: true},
	{name: bucketArticlesByLabel, since: 1, derived: true},
	{name: bucketArticlesByUpdate, since: 1, derived: true},

	{name: bucketAnnotationsByArticle, since: 1, derived: true},
	{name: bucketAnnotationsByState, since: 1, derived: true},
	{name: bucketAnnotationsByRating, since: 1, derived: true},
	{name: bucketAnnotationsByStatus, since: 1, derived: true},
	{name: bucketAnnotationsByClaimant, since: 1, derived: true},
	{name: bucketAnnotationsBySource, since: 1, derived: true},
	{name: bucketAnnotationsByLabel, since: 1, derived: true},
	{name: bucketAnnotationsByUpdate, since: 1, derived: true},

	{name: bucketSourcesByPublisher, since: 1, derived: true},
	{name: bucketSourcesByKind, since: 1, derived: true},
	{name: bucketSourcesByUpdate, since: 1, derived: true},

	{name: bucketImportRequestIDs, since: 2},

	{name: bucketArticleRevisions, since: 3},
	{name: bucketAnnotationRevisions, since: 3},
	{name: bucketChanges, since: 4},

	{name: bucketArticlesDeleted, since: 6, derived: true},
	{name: bucketAnnotationsDeleted, since: 6, derived: true},
	{name: bucketSourcesDeleted, since: 6, derived: true},
	{name: bucketPurgeQueue, since: 6, derived: true},

	{name: bucketReviewers, since: 7},
	{name: bucketReviewerIDs, since: 7, derived: true, unique: &uniqueRule{"REVIEWER_ALREADY_EXISTS", "ID", bucketReviewers}},
	{name: bucketReviewerEmails, since: 7, derived: true, unique: &uniqueRule{"EMAIL_ALREADY_EXISTS", "email", bucketReviewers}},
	{name: bucketTokens, since: 7},
	{name: bucketTokenIDs, since: 7, derived: true, unique: &uniqueRule{"TOKEN_ALREADY_EXISTS", "ID", bucketTokens}},
	{name: bucketTokenHashes, since: 7, derived: true, unique: &uniqueRule{"TOKEN_ALREADY_EXISTS", "secret", bucketTokens}},
	{name: bucketTokensByReviewer, since: 7, derived: true},
	{name: bucketAudit, since: 7},

	{name: bucketAnnotationsByAuthor, since: 8, derived: true},
}

// uniqueRules maps a unique bucket's name to its rule.
var uniqueRules = func() map[string]*uniqueRule {
	m := map[string]*uniqueRule{}
	for _, b := range buckets {
		if b.unique != nil {
			m[string(b.name)] = b.unique
		}
	}
	return m
}()
