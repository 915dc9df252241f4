package web

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
)

// paginator renders one page in Laravel's LengthAwarePaginator JSON shape, which the shared
// frontend reads (shapes.md §6). Labels are HTML-escaped because the frontend inserts them
// as HTML.
func paginator[T any](r *http.Request, items []T, total, page, perPage int) map[string]any {
	if items == nil {
		items = []T{}
	}
	last := max(1, (total+perPage-1)/perPage)
	path := r.URL.Path
	pageURL := func(n int) any {
		if n < 1 || n > last {
			return nil
		}
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return path + "?" + q.Encode()
	}
	var from, to any
	if len(items) > 0 {
		from = (page-1)*perPage + 1
		to = (page-1)*perPage + len(items)
	}
	links := []map[string]any{{"url": pageURL(page - 1), "label": "&laquo; Previous", "active": false}}
	for n := max(1, page-3); n <= min(last, page+3); n++ {
		links = append(links, map[string]any{"url": pageURL(n), "label": html.EscapeString(strconv.Itoa(n)), "active": n == page})
	}
	links = append(links, map[string]any{"url": pageURL(page + 1), "label": "Next &raquo;", "active": false})
	return map[string]any{
		"data":           items,
		"current_page":   page,
		"per_page":       perPage,
		"total":          total,
		"last_page":      last,
		"from":           from,
		"to":             to,
		"path":           path,
		"first_page_url": pageURL(1),
		"last_page_url":  pageURL(last),
		"next_page_url":  pageURL(page + 1),
		"prev_page_url":  pageURL(page - 1),
		"links":          links,
	}
}

// pageParams reads page and per_page, capping per_page at 100.
func pageParams(q url.Values) (page, perPage int, err error) {
	page, perPage = 1, 25
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return 0, 0, invalid("page", "The page must be a whole number of at least 1.")
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, invalid("per_page", "The per_page must be a whole number from 1 to 100.")
		}
		perPage = n
	}
	return page, perPage, nil
}
