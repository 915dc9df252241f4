package secretbox

import (
	"bytes"
	"strings"
	"testing"
)

const key = "0123456789abcdef0123456789abcdef"

func TestSealOpens(t *testing.T) {
	b, err := New(key, "totp")
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user:7"))
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed = %q", sealed)
	}
	if again := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user:7")); again == sealed {
		t.Fatal("two seals of one value are equal; the nonce is not fresh")
	}
	plain, err := b.Open(sealed, []byte("user:7"))
	if err != nil || !bytes.Equal(plain, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatalf("Open = %q, %v", plain, err)
	}
}

func TestOpenRefusesWhatItDidNotSeal(t *testing.T) {
	b, _ := New(key, "totp")
	sealed := b.Seal([]byte("secret"), []byte("user:7"))
	other, _ := New(strings.ToUpper(key), "totp")
	otherPurpose, _ := New(key, "webhook")
	flipped := []byte(sealed)
	flipped[len(flipped)-2] ^= 'A' ^ 'B'
	cases := map[string]func() ([]byte, error){
		"another user's row": func() ([]byte, error) { return b.Open(sealed, []byte("user:8")) },
		"another key":        func() ([]byte, error) { return other.Open(sealed, []byte("user:7")) },
		"another purpose":    func() ([]byte, error) { return otherPurpose.Open(sealed, []byte("user:7")) },
		"altered":            func() ([]byte, error) { return b.Open(string(flipped), []byte("user:7")) },
		"no version":         func() ([]byte, error) { return b.Open(strings.TrimPrefix(sealed, "v1:"), []byte("user:7")) },
		"not base64":         func() ([]byte, error) { return b.Open("v1:!!!", []byte("user:7")) },
		"too short":          func() ([]byte, error) { return b.Open("v1:AAAA", []byte("user:7")) },
	}
	for name, open := range cases {
		if plain, err := open(); err != ErrOpen || plain != nil {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", name, plain, err)
		}
	}
}

func TestShortKeyIsRefused(t *testing.T) {
	if _, err := New("too short", "totp"); err == nil {
		t.Fatal("a 9-character key was accepted")
	}
}
