// Package e2e holds the browser tests: a headless Chromium, driven with chromedp, works the
// desk's web UI as people do (signs in through the sign-in page, fills forms, clicks) against
// a real desk on SQLite and PostgreSQL (internal/testdesk), and saves screenshots of the key
// pages.
//
// The tests find Chromium through $ESCALATED_TEST_CHROMIUM, /usr/bin/chromium or `chromium`
// on PATH, and skip when there is none. When ESCALATED_TEST_CHROMIUM is set (CI sets it), a
// browser that does not start fails them. Screenshots go to e2e/screenshots/, or to
// $ESCALATED_SCREENSHOTS_DIR.
//
// The package has no code outside its tests; this file is its documentation.
package e2e
