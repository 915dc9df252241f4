// Package storage keeps the bytes of uploaded files. The desk names every stored object with
// a key it generates itself (NewKey), never with anything a client sent, and keeps the
// file's metadata (original name, type, size) in the database.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
)

// Store holds objects by key. Open of a missing key fails with an error that matches
// fs.ErrNotExist; Delete of a missing key succeeds, so cleaning up twice is harmless.
type Store interface {
	// Put writes everything r yields under key, which must not exist yet, and returns the
	// number of bytes written. On failure nothing is left under key.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// NewKey returns a fresh random key: 128 bits from crypto/rand in hex, under a directory
// named by its first two characters so no one directory grows without bound.
func NewKey() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	h := hex.EncodeToString(b)
	return h[:2] + "/" + h
}

// keyPattern is the shape of the keys this package accepts: slash-separated segments of
// letters, digits, '_' and '-'. NewKey's keys fit; "..", absolute paths and empty segments
// do not.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)

func checkKey(key string) error {
	if len(key) > 200 || !keyPattern.MatchString(key) {
		return fmt.Errorf("storage: invalid key %q", key)
	}
	return nil
}

// Disk is a Store in a directory on the local disk. Every access goes through an os.Root
// opened on that directory, so no key can reach a file outside it, whatever the key or the
// links inside the directory say.
type Disk struct {
	root *os.Root
}

// OpenDisk creates dir if needed and returns a Store confined to it.
func OpenDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	return &Disk{root: root}, nil
}

// Close releases the directory.
func (d *Disk) Close() error { return d.root.Close() }

// Put writes r to a new file named key. O_EXCL makes a key collision an error rather than an
// overwrite of another upload.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if dir := path.Dir(key); dir != "." {
		if err := d.root.MkdirAll(dir, 0o750); err != nil {
			return 0, fmt.Errorf("storage: create directory for %s: %w", key, err)
		}
	}
	f, err := d.root.OpenFile(key, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return 0, fmt.Errorf("storage: create %s: %w", key, err)
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		d.root.Remove(key)
		return 0, fmt.Errorf("storage: write %s: %w", key, err)
	}
	return n, nil
}

// Open opens the file named key for reading.
func (d *Disk) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("%w: %w", err, fs.ErrNotExist)
	}
	f, err := d.root.Open(key)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	return f, nil
}

// Delete removes the file named key.
func (d *Disk) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := d.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	return nil
}
