// Command startup measures the standalone server's start and idle memory: it starts the
// binary, polls GET /support/healthz until the first answer, then leaves the server idle and
// reads its resident memory (VmRSS, Linux only) before stopping it.
//
//	go build -o /tmp/esc ./cmd/escalated
//	go run ./bench/startup -bin /tmp/esc -db /tmp/bench/startup.db
//
// The server runs in a temporary directory with ESCALATED_ADDR, ESCALATED_DATABASE_URL and
// an admin from ESCALATED_ADMIN_EMAIL / ESCALATED_ADMIN_PASSWORD, so a first start also
// migrates the database and creates the admin: run it twice to see both a first and a later
// start.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "/tmp/esc", "the escalated binary")
	addr := flag.String("addr", "127.0.0.1:18123", "address to serve on (loopback)")
	dbURL := flag.String("db", "", "ESCALATED_DATABASE_URL (a SQLite path or postgres://...)")
	idle := flag.Duration("idle", 5*time.Second, "how long to leave the server idle before reading its memory")
	flag.Parse()
	if *dbURL == "" {
		log.Fatal("startup: -db is required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("startup: -addr must be a loopback address, got %q", *addr)
	}
	// A server already on the address would answer for the one started here.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("startup: %s is not free: %v", *addr, err)
	}
	ln.Close()
	dir, err := os.MkdirTemp("", "escalated-startup-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cmd := exec.Command(*bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ESCALATED_ADDR="+*addr,
		"ESCALATED_DATABASE_URL="+*dbURL,
		"ESCALATED_ADMIN_EMAIL=admin@example.test",
		"ESCALATED_ADMIN_PASSWORD=startup-password-1234",
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	url := "http://" + *addr + "/support/healthz"
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var first time.Duration
	for first == 0 {
		if ctx.Err() != nil {
			log.Fatal("startup: no answer from the server within 30s")
		}
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				first = time.Since(start)
				break
			}
		}
		time.Sleep(time.Millisecond)
	}
	afterStart, _ := rss(cmd.Process.Pid)
	time.Sleep(*idle)
	idleRSS, err := rss(cmd.Process.Pid)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("start to first answer: %s\nRSS right after start: %s\nRSS after %s idle: %s\n",
		first.Round(time.Millisecond), afterStart, *idle, idleRSS)
}

// rss reads the resident set size of a process from /proc.
func rss(pid int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("startup: no VmRSS in /proc/%d/status", pid)
}
