package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// The harness: one Chromium per test binary, started by the first test that asks for it and
// stopped by TestMain; one Person per signed-in human, each with a tab in a browser context of
// their own, so two people on one desk (or on two desks on 127.0.0.1) never share cookies.
// A scenario reads as what people do: Visit, Fill, Choose, Click, then wait for what they
// should see (WaitHeading, WaitText, WaitPath, WaitFor). Every wait polls the DOM with a
// deadline; nothing sleeps.

const (
	// chromiumEnv names the Chromium to use. Set, a browser that does not start fails the tests.
	chromiumEnv = "ESCALATED_TEST_CHROMIUM"
	// screenshotsEnv names the folder the screenshots go to (default: screenshots/ here).
	screenshotsEnv = "ESCALATED_SCREENSHOTS_DIR"
	// stepTimeout bounds every action and wait of a scenario.
	stepTimeout = 15 * time.Second
)

var chrome struct {
	once    sync.Once
	skip    string // why the tests skip: no Chromium was found
	err     error  // why the browser did not start
	ctx     context.Context
	stop    func()
	dataDir string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.stop != nil {
		chrome.stop()
	}
	if chrome.dataDir != "" {
		os.RemoveAll(chrome.dataDir)
	}
	os.Exit(code)
}

// findChromium returns the Chromium to drive: $ESCALATED_TEST_CHROMIUM, /usr/bin/chromium or
// chromium on PATH, in that order; "" when there is none.
func findChromium() string {
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// startChromium starts the test binary's one browser, headless, with a fresh profile and
// without anything that would reach the network on its own.
func startChromium() {
	path := findChromium()
	if path == "" {
		chrome.skip = "no Chromium: install Debian's chromium (apt-get install chromium) or set " + chromiumEnv + " to a Chromium binary"
		return
	}
	dir, err := os.MkdirTemp("", "escalated-e2e-chromium-")
	if err != nil {
		chrome.err = err
		return
	}
	chrome.dataDir = dir
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, stopBrowser := chromedp.NewContext(allocCtx)
	chrome.stop = func() { stopBrowser(); stopAlloc() }
	// The first run starts the browser and binds it to ctx, so it gets no deadline of its
	// own: a start that hangs is given up on here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(30 * time.Second):
		err = errors.New("no answer within 30 seconds")
	}
	if err != nil {
		chrome.err = fmt.Errorf("Chromium at %s did not start (set %s to a working Chromium, or unset it and remove the broken one to skip): %w", path, chromiumEnv, err)
		return
	}
	chrome.ctx = ctx
}

// requireBrowser skips the test when there is no Chromium and fails it when Chromium does not
// start. Call it first in every test, before starting desks.
func requireBrowser(t *testing.T) {
	t.Helper()
	chrome.once.Do(startChromium)
	if chrome.skip != "" {
		t.Skip(chrome.skip)
	}
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
}

// eachDesk runs a scenario against a fresh desk on SQLite and on PostgreSQL (testdesk.Each),
// after making sure there is a browser (skipping or failing before any desk starts). The
// desk's fake clock is set to the wall clock, which the browser keeps, so the pages say
// "just now" and not "8 months ago"; scenarios may still move it on with d.Clock.Advance.
func eachDesk(t *testing.T, fn func(t *testing.T, d *testdesk.Desk)) {
	t.Helper()
	requireBrowser(t)
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		d.Clock.Set(time.Now())
		fn(t, d)
	})
}

// A Person is someone at a browser: a tab in a browser context (cookies, storage) of their
// own, on one desk.
type Person struct {
	t     *testing.T
	desk  *testdesk.Desk
	ctx   context.Context
	Name  string
	Email string
	// ID is the account's id (0 for a visitor without one).
	ID int64

	mu       sync.Mutex
	jsErrors []string
}

// Visitor opens a browser for someone without an account.
func Visitor(t *testing.T, d *testdesk.Desk) *Person {
	t.Helper()
	requireBrowser(t)
	p := &Person{t: t, desk: d}
	ctx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	t.Cleanup(cancel)
	p.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("e2e: open a tab: %v", err)
	}
	// A page that throws is broken even when the test's checks pass.
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.jsErrors {
			t.Errorf("e2e: JavaScript error in %s's browser: %s", p.who(), e)
		}
	})
	return p
}

// NewPerson creates an account with the role (testdesk.Password is its password) and opens a
// browser for its owner, not yet signed in.
func NewPerson(t *testing.T, d *testdesk.Desk, role, name string) *Person {
	t.Helper()
	p := Visitor(t, d)
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.test"
	u, err := d.Users.Create(context.Background(), escalated.NewUser{Name: name, Email: email, Password: testdesk.Password, Role: role})
	if err != nil {
		t.Fatalf("e2e: create %s %s: %v", role, name, err)
	}
	p.ID, p.Name, p.Email = u.ID, u.Name, u.Email
	return p
}

// API returns an HTTP client signed in as the person, to set the scene faster than the UI
// would (the person's browser stays signed out).
func (p *Person) API() *testdesk.Client {
	p.t.Helper()
	c := p.desk.Anonymous()
	c.ID, c.Name, c.Email = p.ID, p.Name, p.Email
	c.Do("POST", "/login", map[string]any{"email": p.Email, "password": testdesk.Password}).Want(200)
	return c
}

func (p *Person) who() string {
	if p.Name == "" {
		return "a visitor"
	}
	return p.Name
}

// listen keeps the page's uncaught exceptions and console errors.
func (p *Person) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
			msg += ": " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range e.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	p.mu.Lock()
	p.jsErrors = append(p.jsErrors, msg)
	p.mu.Unlock()
}

// do runs actions with the step deadline, failing the test (with a screenshot and the page's
// text) when one fails.
func (p *Person) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// fail ends the test, saying where the browser was and what it showed.
func (p *Person) fail(format string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if len(text) > 2000 {
		text = text[:2000] + "…"
	}
	shot := ""
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		shot = p.save("FAILED", png)
	}
	p.t.Fatalf("%s (%s, at %s; screenshot %s)\npage text:\n%s", fmt.Sprintf(format, args...), p.who(), loc, shot, text)
}

// URL is the address of a path below the desk's /support.
func (p *Person) URL(path string) string { return p.desk.Server.URL + "/support" + path }

// Visit loads a path below /support as a fresh page load (typing the address) and returns
// the HTTP status of the document.
func (p *Person) Visit(path string) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.URL(path)))
	if err != nil {
		p.fail("visit %s: %v", path, err)
	}
	if res != nil {
		return res.Status
	}
	// chromedp now and then misses the document's response; the page knows its own status.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0`))
	if err != nil {
		p.fail("visit %s: read the page's status: %v", path, err)
	}
	return status
}

// SignIn signs in through the desk's own sign-in page and waits to leave it.
func (p *Person) SignIn() {
	p.t.Helper()
	p.Visit("/login")
	p.WaitHeading("Sign in")
	p.Fill("Email", p.Email)
	p.Fill("Password", testdesk.Password)
	p.Click("Sign in")
	p.WaitFor("to leave the sign-in page", `location.pathname !== '/support/login' && !document.querySelector('input[type=password]')`)
}

// js quotes a string for a JavaScript expression.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fieldJS finds the form control whose label starts with text (the visible label, without
// the required asterisk): the way a person finds a field.
func fieldJS(label string) chromedp.JSPath {
	return chromedp.JSPath(`(() => {
		const want = ` + js(label) + `;
		const l = [...document.querySelectorAll('label')].find((l) => l.offsetParent !== null && l.htmlFor && (l.firstChild?.textContent ?? '').trim() === want);
		return l ? document.getElementById(l.htmlFor) : null;
	})()`)
}

// controlJS finds the visible button or link whose name is text: its text nodes joined by
// spaces, screen-reader text included, as Chromium names it ("Save<span class=sr-only>
// status</span>" is "Save status", though its textContent is "Savestatus").
func controlJS(text string) chromedp.JSPath {
	return chromedp.JSPath(`(() => {
		const want = ` + js(text) + `;
		const name = (e) => {
			const parts = [], w = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
			while (w.nextNode()) parts.push(w.currentNode.textContent);
			return parts.join(' ').replace(/\s+/g, ' ').trim();
		};
		return [...document.querySelectorAll('button, a, [role=button]')].find((e) => e.offsetParent !== null && name(e) === want) ?? null;
	})()`)
}

// Fill types value into the field labelled label, replacing what it held.
func (p *Person) Fill(label, value string) {
	p.t.Helper()
	sel := fieldJS(label)
	clear := chromedp.Evaluate[chromedp.Void](`((e) => { e.value = ''; e.dispatchEvent(new Event('input', { bubbles: true })) })(` + string(sel) + `)`)
	p.do("fill "+label, chromedp.WaitVisible(sel), clear, chromedp.SendKeys(sel, value))
}

// Choose picks the option shown as option in the select labelled label.
func (p *Person) Choose(label, option string) {
	p.t.Helper()
	sel := fieldJS(label)
	p.do("choose "+option+" in "+label, chromedp.WaitVisible(sel), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		value, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const s = `+string(sel)+`;
			const o = s && [...s.options].find((o) => o.textContent.trim() === `+js(option)+`);
			return o ? o.value : '\u0000';
		})()`))
		if err != nil {
			return err
		}
		if value == "\x00" {
			return fmt.Errorf("no option %q", option)
		}
		_, err = chromedp.SetValue(sel, value)(ctx, t)
		return err
	}))
}

// Click clicks the visible button or link whose text is text.
func (p *Person) Click(text string) {
	p.t.Helper()
	sel := controlJS(text)
	p.do("click "+text, chromedp.WaitVisible(sel), chromedp.WaitEnabled(sel), chromedp.Click(sel))
}

// WaitFor waits until the JavaScript expression is true in the page.
func (p *Person) WaitFor(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(stepTimeout)))
		if err == nil {
			return
		}
		// A page load (a plain link, a redirect) ends the poll with the page it ran in;
		// poll again in the new page until the deadline.
		if ctx.Err() != nil || errors.Is(err, chromedp.ErrPollingTimeout) {
			p.fail("waiting for %s: %v", what, err)
		}
	}
}

// WaitHeading waits until the page's h1 reads text.
func (p *Person) WaitHeading(text string) {
	p.t.Helper()
	p.WaitFor("the heading "+js(text), `[...document.querySelectorAll('h1')].some((h) => h.textContent.trim() === `+js(text)+`)`)
}

// WaitText waits until the page shows text (in the visible text of the main content).
func (p *Person) WaitText(text string) {
	p.t.Helper()
	p.WaitFor("the text "+js(text), `document.body.innerText.includes(`+js(text)+`)`)
}

// WaitPath waits until the address is the path below /support (matched whole, as a regexp).
func (p *Person) WaitPath(pattern string) string {
	p.t.Helper()
	re := "^/support" + pattern + "$"
	regexp.MustCompile(re)
	p.WaitFor("the address "+pattern, `new RegExp(`+js(re)+`).test(location.pathname)`)
	return p.Path()
}

// Path is the address's path, below /support.
func (p *Person) Path() string {
	p.t.Helper()
	return strings.TrimPrefix(p.Eval(`location.pathname`), "/support")
}

// Eval evaluates a JavaScript expression that gives a string.
func (p *Person) Eval(expr string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// Screenshot saves a PNG of the whole page as <test>-<name>.png in the screenshots folder.
func (p *Person) Screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fail("screenshot %s: %v", name, err)
	}
	p.save(name, png)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func (p *Person) save(name string, png []byte) string {
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = "screenshots"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Errorf("e2e: screenshots folder: %v", err)
		return ""
	}
	test := strings.TrimPrefix(p.t.Name(), "Test")
	file := filepath.Join(dir, unsafeName.ReplaceAllString(test+"-"+name, "-")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Errorf("e2e: save screenshot: %v", err)
		return ""
	}
	return file
}
