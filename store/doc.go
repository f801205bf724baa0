// Package store owns factcheck's backend-neutral persistence contract: the
// domain types (Article, Annotation, Source), the Store interface with the
// promises every backend keeps (atomicity, ordering, which error each method
// returns), and the sentinel errors callers test with errors.Is.
//
// It depends only on the anchor package (span checking is part of the
// contract, because the store holds the article text) and on store/filter
// (the query language the List methods accept). It never imports the API or
// the server; backends live in sub-packages (store/boltstore) and prove
// themselves against store/storetest.
package store
