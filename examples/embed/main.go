// Command embed is a small web application with its own sign-in that mounts an Escalated
// desk at /support/. The desk trusts the application's sign-in through an identity resolver,
// so its people never sign in twice.
//
//	go run ./examples/embed
//
// then open http://127.0.0.1:8081/ and sign in as alice (a customer) or bob (an admin);
// the password of each is their name.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	escalated "github.com/escalated-dev/escalated-go"
)

// The application's users. A real application has a users table and hashed passwords.
var users = map[string]escalated.HostUser{
	"alice": {ExternalID: "alice", Name: "Alice", Email: "alice@example.com", Role: "customer"},
	"bob":   {ExternalID: "bob", Name: "Bob", Email: "bob@example.com", Role: "admin"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	handler, desk, err := newApp("embed.db")
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close()
	go desk.Run(ctx) // SLA checks, clean-ups and other background work

	srv := &http.Server{Addr: "127.0.0.1:8081", Handler: handler}
	go func() {
		log.Printf("listening on http://%s/", srv.Addr)
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	<-ctx.Done()
	srv.Shutdown(context.Background())
}

// newApp builds the application: its own pages and the desk under /support/.
func newApp(database string) (http.Handler, *escalated.Desk, error) {
	a := &app{secret: make([]byte, 32)}
	rand.Read(a.secret) // sessions end when the process does; fine for an example

	desk, err := escalated.New(escalated.Config{Database: database},
		escalated.WithIdentityResolver(a.signedIn),
		escalated.WithEventListener(func(_ context.Context, e escalated.Event) {
			log.Printf("desk: %s %s", e.Name, e.Ticket.Reference)
		}),
	)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/support/", desk.Handler())
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	return http.NewCrossOriginProtection().Handler(mux), desk, nil
}

type app struct{ secret []byte }

// signedIn is the desk's identity resolver: the user named by a valid session cookie, or nil.
func (a *app) signedIn(r *http.Request) (*escalated.HostUser, error) {
	c, err := r.Cookie("session")
	if err != nil {
		return nil, nil
	}
	name, mac, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(a.sign(name))) {
		return nil, nil
	}
	u, ok := users[name]
	if !ok {
		return nil, nil
	}
	return &u, nil
}

// sign is the cookie's signature: the name's HMAC under the application's secret.
func (a *app) sign(name string) string {
	h := hmac.New(sha256.New, a.secret)
	h.Write([]byte(name))
	return hex.EncodeToString(h.Sum(nil))
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("username")
	if _, ok := users[name]; !ok || r.FormValue("password") != name {
		http.Error(w, "wrong username or password", http.StatusUnauthorized)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "session", Value: name + "." + a.sign(name), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: "session", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<title>Example app</title>
{{if .}}<p>Signed in as {{.Name}} ({{.Role}}). <a href="/support/tickets">Your support tickets</a></p>
<form method="post" action="/logout"><button>Sign out</button></form>
{{else}}<form method="post" action="/login">
<input name="username" placeholder="alice or bob"> <input name="password" type="password" placeholder="password">
<button>Sign in</button></form>{{end}}`))

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	u, _ := a.signedIn(r)
	if err := homePage.Execute(w, u); err != nil {
		log.Print(err)
	}
}
