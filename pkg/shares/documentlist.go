package shares

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// List bounds of GET /v1/documents. The docs page with page and limit
// (default 1 and 10, limit at most 50); gatehouse reads at most
// maxAssetScan documents of each of at most maxListAssets assets (newest
// first), then filters, sorts and pages those.
const (
	defListLimit  = 10
	maxListLimit  = 50
	maxListAssets = 10
	maxAssetScan  = 500
)

// documentQuery is GET /v1/documents's query.
type documentQuery struct {
	assets                                  []string
	page, limit                             int
	search                                  string
	sortName, sortCategory, sortUpdated     string // "", "asc" or "desc"
	categories, fileTypes, languages, names []string
	supplier                                *bool
}

// parseDocumentQuery reads the documented parameters. Names match case
// insensitively, arrays come repeated, with a "[]" suffix or
// comma-separated; anything else is 400 naming the parameter.
func parseDocumentQuery(r *http.Request) (documentQuery, error) {
	q := documentQuery{page: 1, limit: defListLimit}
	canonical := []string{"assetId", "page", "limit", "searchByName", "sortByName", "sortByCategory", "sortByUpdatedAt",
		"filterByCategory", "filterByFileType", "filterByLanguage", "supplier", "filterBySupplier"}
	for raw, vals := range r.URL.Query() {
		i := slices.IndexFunc(canonical, func(c string) bool { return strings.EqualFold(c, strings.TrimSuffix(raw, "[]")) })
		if i < 0 {
			return q, badField(raw)
		}
		name := canonical[i]
		var list []string
		for _, v := range vals {
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					list = append(list, item)
				}
			}
		}
		last := ""
		if len(vals) > 0 {
			last = vals[len(vals)-1]
		}
		var err error
		switch name {
		case "assetId":
			q.assets = append(q.assets, list...)
		case "page":
			q.page, err = intParam(name, last, 1, 1<<20)
		case "limit":
			q.limit, err = intParam(name, last, 1, maxListLimit)
		case "searchByName":
			if n := len([]rune(last)); n < 3 || n > 255 {
				return q, badField(name)
			}
			q.search = strings.ToLower(last)
		case "sortByName":
			q.sortName, err = direction(name, last)
		case "sortByCategory":
			q.sortCategory, err = direction(name, last)
		case "sortByUpdatedAt":
			q.sortUpdated, err = direction(name, last)
		case "filterByCategory":
			q.categories = append(q.categories, list...)
		case "filterByFileType":
			q.fileTypes = append(q.fileTypes, list...)
		case "filterByLanguage":
			q.languages = append(q.languages, list...)
		case "filterBySupplier":
			q.names = append(q.names, list...)
		case "supplier":
			b, perr := strconv.ParseBool(last)
			if perr != nil {
				return q, badField(name)
			}
			q.supplier = &b
		}
		if err != nil {
			return q, err
		}
	}
	slices.Sort(q.assets)
	q.assets = slices.Compact(q.assets)
	if len(q.assets) == 0 || len(q.assets) > maxListAssets {
		return q, badField("assetId")
	}
	for _, a := range q.assets {
		if !validAssetID(a) {
			return q, badField("assetId")
		}
	}
	return q, nil
}

func intParam(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badField(name)
	}
	return n, nil
}

func direction(name, v string) (string, error) {
	v = strings.ToLower(v)
	if v != "asc" && v != "desc" {
		return "", badField(name)
	}
	return v, nil
}

// keep reports whether d passes the query's filters.
func (q documentQuery) keep(d Document) bool {
	if q.search != "" && !strings.Contains(strings.ToLower(d.DisplayName), q.search) {
		return false
	}
	if len(q.categories) > 0 && !slices.Contains(q.categories, d.Category) {
		return false
	}
	if len(q.fileTypes) > 0 && !slices.Contains(q.fileTypes, d.Mimetype) {
		return false
	}
	if len(q.languages) > 0 && !slices.ContainsFunc(q.languages, func(l string) bool {
		return l == "none" && len(d.Languages) == 0 || slices.Contains(d.Languages, l)
	}) {
		return false
	}
	if q.supplier != nil && d.SupplierDocument != *q.supplier {
		return false
	}
	if len(q.names) > 0 && !slices.Contains(q.names, d.SupplierName) {
		return false
	}
	return true
}

// compare orders by the requested sorts (name, category, updatedAt, in
// that precedence), then newest first.
func (q documentQuery) compare(a, b Document) int {
	by := func(dir string, c int) int {
		if dir == "desc" {
			return -c
		}
		return c
	}
	return cmp.Or(
		by(q.sortName, strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)))*boolInt(q.sortName != ""),
		by(q.sortCategory, strings.Compare(a.Category, b.Category))*boolInt(q.sortCategory != ""),
		by(q.sortUpdated, cmp.Compare(a.ModifiedAt, b.ModifiedAt))*boolInt(q.sortUpdated != ""),
		cmp.Compare(b.CreatedAt, a.CreatedAt),
		strings.Compare(a.ID, b.ID),
	)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// listDocuments answers the caller's organization's documents of the
// given assets: {"data":[Document]}, one page.
func (s *Service) listDocuments(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, documentRoles...)
	if err != nil {
		return err
	}
	q, err := parseDocumentQuery(r)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var docs []Document
	for _, asset := range q.assets {
		got, err := s.store.ListDocuments(r.Context(), p.Organization, asset, maxAssetScan)
		if err != nil {
			return err
		}
		for _, d := range got {
			if !seen[d.ID] && q.keep(d) {
				seen[d.ID] = true
				docs = append(docs, d)
			}
		}
	}
	slices.SortFunc(docs, q.compare)
	out := []DocumentView{}
	for _, d := range docs[min((q.page-1)*q.limit, len(docs)):min(q.page*q.limit, len(docs))] {
		out = append(out, viewDocument(d))
	}
	return writeData(w, http.StatusOK, out)
}
