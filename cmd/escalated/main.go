// Command escalated runs the Escalated helpdesk as a standalone server and administers it.
//
//	escalated [serve]                       run the desk (default)
//	escalated migrate                       apply database migrations and exit
//	escalated user create NAME EMAIL ROLE   create an account (password from ESCALATED_PASSWORD or generated)
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
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
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: escalated [serve | migrate | user create NAME EMAIL ROLE]")
		return nil
	default:
		return fmt.Errorf("unknown command %q (try: serve, migrate, user create)", cmd)
	}
}

func serve(ctx context.Context, cfg escalated.Config, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
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
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		if err := desk.Run(ctx); err != nil {
			log.Error("escalated: background work", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("escalated: serving", "url", "http://"+ln.Addr().String()+prefix)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
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

func randomPassword() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
