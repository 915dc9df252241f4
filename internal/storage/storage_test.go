package storage_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/storage"
)

func openDisk(t *testing.T) (*storage.Disk, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "files")
	d, err := storage.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func TestDiskPutOpenDelete(t *testing.T) {
	ctx := context.Background()
	d, _ := openDisk(t)
	key := storage.NewKey()
	n, err := d.Put(ctx, key, strings.NewReader("hello"))
	if err != nil || n != 5 {
		t.Fatalf("Put = %d, %v", n, err)
	}
	rc, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello" {
		t.Fatalf("read back %q", b)
	}
	// A key is written once: a second Put under it fails and leaves the first file alone.
	if _, err := d.Put(ctx, key, strings.NewReader("other")); err == nil {
		t.Fatal("Put over an existing key succeeded")
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Delete: %v, want fs.ErrNotExist", err)
	}
}

func TestNewKeysAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := storage.NewKey()
		if seen[k] || len(k) != 35 {
			t.Fatalf("key %q repeated or malformed", k)
		}
		seen[k] = true
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDiskFailedPutLeavesNothing(t *testing.T) {
	ctx := context.Background()
	d, _ := openDisk(t)
	key := storage.NewKey()
	if _, err := d.Put(ctx, key, io.MultiReader(strings.NewReader("part"), failingReader{})); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed Put left a file: %v", err)
	}
}

func TestDiskStaysInsideItsDirectory(t *testing.T) {
	ctx := context.Background()
	d, dir := openDisk(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "../secret", "/etc/passwd", "a/../../secret", "a//b", "a/./b", `a\b`, "a\x00b", ".", "a/"} {
		if _, err := d.Put(ctx, key, strings.NewReader("x")); err == nil {
			t.Fatalf("Put(%q) succeeded", key)
		}
		if _, err := d.Open(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open(%q) = %v, want not exist", key, err)
		}
		if err := d.Delete(ctx, key); err == nil {
			t.Fatalf("Delete(%q) succeeded", key)
		}
	}
	// A link inside the directory that points out of it leads nowhere: os.Root refuses it.
	if err := os.Symlink(outside, filepath.Join(dir, "ln")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, "ln/secret"); err == nil {
		t.Fatal("Open followed a link out of the directory")
	}
	if _, err := d.Put(ctx, "ln/new", strings.NewReader("x")); err == nil {
		t.Fatal("Put followed a link out of the directory")
	}
	if err := d.Delete(ctx, "ln/secret"); err == nil {
		t.Fatal("Delete followed a link out of the directory")
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatalf("the file outside is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); err == nil {
		t.Fatal("Put wrote outside the directory")
	}
}
