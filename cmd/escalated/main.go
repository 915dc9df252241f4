// Command escalated runs the Escalated helpdesk as a standalone server and administers it.
//
//	escalated [serve]                       run the desk (default)
//	escalated migrate                       apply database migrations and exit
//	escalated user create NAME EMAIL ROLE   create an account (password from ESCALATED_PASSWORD or generated)
//	escalated token create --user EMAIL --name NAME --abilities a,b [--expires 2027-01-01]
//	                                        create an API token and print it once
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "escalated:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	cfgPath := getenv("ESCALATED_CONFIG")
	if cfgPath == "" {
		cfgPath = "escalated.json"
	}
	cfg, err := escalated.LoadConfig(cfgPath, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	switch cmd {
	case "serve":
		if err := ensureSecretKey(&cfg, cfgPath, log); err != nil {
			return err
		}
		return serve(ctx, cfg, getenv, stdout, log)
	case "migrate":
		desk, err := escalated.New(cfg, escalated.WithLogger(log))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
		return desk.Close()
	case "user":
		return userCommand(ctx, cfg, args, getenv, stdout, log)
	case "token":
		return tokenCommand(ctx, cfg, args, stdout, log)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: escalated [serve | migrate | user create NAME EMAIL ROLE | "+tokenUsage+"]")
		return nil
	default:
		return fmt.Errorf("unknown command %q (try: serve, migrate, user create, token create)", cmd)
	}
}

// serve runs the desk until ctx ends or the process gets SIGINT or SIGTERM, then stops taking
// requests, lets those in flight finish, and stops the background work before closing the
// database under it.
func serve(ctx context.Context, cfg escalated.Config, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	desk, err := escalated.New(cfg, escalated.WithLogger(log))
	if err != nil {
		return err
	}
	defer desk.Close()
	if err := ensureAdmin(ctx, desk, getenv, stdout); err != nil {
		return err
	}
	addr := getenv("ESCALATED_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	prefix := "/" + desk.Config().RoutePrefix
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", desk.Handler())
	mux.Handle(prefix, desk.Handler())
	mux.Handle("GET /{$}", http.RedirectHandler(prefix, http.StatusFound))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w (ESCALATED_ADDR chooses the address)", err)
	}

	background, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	ran := make(chan error, 1)
	go func() { ran <- desk.Run(background) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("escalated: serving", "url", "http://"+ln.Addr().String()+prefix)

	select {
	case err = <-served:
	case <-ctx.Done():
		stop() // a second signal now kills the process at once
		log.Info("escalated: shutting down")
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err = srv.Shutdown(shutdown); err != nil {
			srv.Close()
		}
	}
	stopBackground()
	if rerr := <-ran; rerr != nil {
		log.Error("escalated: background work", "err", rerr)
	}
	if err != nil {
		return err
	}
	log.Info("escalated: stopped")
	return nil
}

// ensureAdmin creates the first admin when the desk has none: from ESCALATED_ADMIN_EMAIL and
// ESCALATED_ADMIN_PASSWORD, or with a generated password printed once.
func ensureAdmin(ctx context.Context, desk *escalated.Desk, getenv func(string) string, stdout io.Writer) error {
	n, err := desk.Users.CountAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	email := getenv("ESCALATED_ADMIN_EMAIL")
	if email == "" {
		email = "admin@example.com"
	}
	password := getenv("ESCALATED_ADMIN_PASSWORD")
	generated := password == ""
	if generated {
		password = randomPassword()
	}
	if _, err := desk.Users.Create(ctx, escalated.NewUser{Name: "Admin", Email: email, Password: password, Role: "admin"}); err != nil {
		// Another server starting on the same empty database may have just made the admin.
		if n, cerr := desk.Users.CountAdmins(ctx); cerr == nil && n > 0 {
			return nil
		}
		return fmt.Errorf("create first admin: %w", err)
	}
	if generated {
		fmt.Fprintf(stdout, "Created the first admin.\n  email:    %s\n  password: %s\nThis password is shown once; sign in and change it.\n", email, password)
	} else {
		fmt.Fprintf(stdout, "Created the first admin: %s\n", email)
	}
	return nil
}

func userCommand(ctx context.Context, cfg escalated.Config, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 4 || args[0] != "create" {
		return fmt.Errorf("usage: escalated user create NAME EMAIL ROLE (password from ESCALATED_PASSWORD, or generated)")
	}
	desk, err := escalated.New(cfg, escalated.WithLogger(log))
	if err != nil {
		return err
	}
	defer desk.Close()
	password := getenv("ESCALATED_PASSWORD")
	generated := password == ""
	if generated {
		password = randomPassword()
	}
	u, err := desk.Users.Create(ctx, escalated.NewUser{Name: args[1], Email: args[2], Password: password, Role: strings.TrimSpace(args[3])})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %d <%s> as %s\n", u.ID, u.Email, u.Role)
	if generated {
		fmt.Fprintf(stdout, "password: %s (shown once)\n", password)
	}
	return nil
}

const tokenUsage = "token create --user EMAIL --name NAME --abilities a,b [--expires 2027-01-01]"

// tokenCommand creates an API token for a staff member and prints it; only its hash is kept,
// so this is the one time anyone sees it.
func tokenCommand(ctx context.Context, cfg escalated.Config, args []string, stdout io.Writer, log *slog.Logger) error {
	usage := fmt.Errorf("usage: escalated %s (abilities are permission names, or * for all the user's rights)", tokenUsage)
	if len(args) == 0 || args[0] != "create" {
		return usage
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	user := fs.String("user", "", "email of the staff member the token acts as")
	name := fs.String("name", "", "what the token is for")
	abilities := fs.String("abilities", "", "comma-separated permission names, or *")
	expires := fs.String("expires", "", "expiry date (YYYY-MM-DD) or RFC 3339 time; none by default")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *user == "" || *name == "" || *abilities == "" {
		return usage
	}
	desk, err := escalated.New(cfg, escalated.WithLogger(log))
	if err != nil {
		return err
	}
	defer desk.Close()
	var list []string
	for _, a := range strings.Split(*abilities, ",") {
		list = append(list, strings.TrimSpace(a))
	}
	t, plain, err := desk.Tokens.Create(ctx, escalated.NewAPIToken{UserEmail: *user, Name: *name, Abilities: list, ExpiresAt: *expires})
	if err != nil {
		return err
	}
	expiry := "never expires"
	if t.ExpiresAt != nil {
		expiry = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "created API token %d %q for <%s> with %s; %s\n", t.ID, t.Name, t.User.Email, strings.Join(t.Abilities, ", "), expiry)
	fmt.Fprintf(stdout, "token: %s (shown once)\n", plain)
	return nil
}

func randomPassword() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
