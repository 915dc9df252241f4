package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
)

// keyFileName is the file that holds the generated secret key.
const keyFileName = "escalated.key"

// ensureSecretKey gives cfg a secret key when the configuration names none: the one in the
// key file, or a new one that it writes there, readable by the server's user alone. The file
// lies next to the SQLite database, or next to the configuration file on PostgreSQL. The key
// seals two-factor secrets, so losing or changing it locks out everyone who uses 2FA.
func ensureSecretKey(cfg *escalated.Config, cfgPath string, log *slog.Logger) error {
	if cfg.SecretKey != "" {
		return nil
	}
	dir := filepath.Dir(cfgPath)
	if !db.IsPostgresURL(cfg.Database) {
		dir = filepath.Dir(db.SQLitePath(cfg.Database))
	}
	path := filepath.Join(dir, keyFileName)
	key, created, err := readOrCreateKey(path)
	if err != nil {
		return fmt.Errorf("secret key: %w (or set ESCALATED_SECRET_KEY)", err)
	}
	if created {
		log.Info("escalated: generated a secret key; keep it with the database's backups but apart from them", "file", path)
		if db.IsPostgresURL(cfg.Database) {
			log.Warn("escalated: several servers on one database must share one secret key: set ESCALATED_SECRET_KEY on each", "file", path)
		}
	}
	cfg.SecretKey = key
	return nil
}

// readOrCreateKey reads the key at path, or writes a new random one there. The new file is
// written in full under a temporary name and then linked into place, so a second server
// starting at the same moment either wins or reads the first one's complete key.
func readOrCreateKey(path string) (key string, created bool, err error) {
	key, err = readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	b := make([]byte, 32)
	rand.Read(b)
	key = hex.EncodeToString(b)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+keyFileName+"-*") // mode 0600
	if err != nil {
		return "", false, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(key + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", false, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		key, err = readKey(path)
		return key, false, err
	} else if err != nil {
		return "", false, err
	}
	return key, true, nil
}

func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if len(key) < secretbox.MinKeyLength {
		return "", fmt.Errorf("%s holds a key shorter than %d characters", path, secretbox.MinKeyLength)
	}
	return key, nil
}
