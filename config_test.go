package escalated_test

import (
	"os"
	"path/filepath"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
)

func TestStoragePath(t *testing.T) {
	// By default attachments live next to the SQLite file.
	dir := t.TempDir()
	desk, err := escalated.New(escalated.Config{Database: "file:" + filepath.Join(dir, "desk.db") + "?mode=rwc"})
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	want := filepath.Join(dir, "storage")
	if got := desk.Config().StoragePath; got != want {
		t.Fatalf("StoragePath = %q, want %q", got, want)
	}
	if fi, err := os.Stat(want); err != nil || !fi.IsDir() {
		t.Fatalf("storage directory not created: %v", err)
	}

	env := map[string]string{"ESCALATED_STORAGE_PATH": "/srv/escalated/files"}
	cfg, err := escalated.LoadConfig("", func(k string) string { return env[k] })
	if err != nil || cfg.StoragePath != "/srv/escalated/files" {
		t.Fatalf("LoadConfig: StoragePath %q, err %v", cfg.StoragePath, err)
	}
}
