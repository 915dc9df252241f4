// Package secretbox encrypts the few secrets the desk must read back (a TOTP secret has to be
// known to check a code, so it cannot be hashed) with AES-256-GCM under a key derived from
// the desk's configured secret key. A copy of the database alone then reveals none of them.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinKeyLength is the shortest secret key accepted, in bytes. The standalone server generates
// 64 hex characters (256 bits).
const MinKeyLength = 32

// version prefixes every sealed value, so a later change of scheme can tell old from new.
const version = "v1:"

// Box seals and opens values for one purpose.
type Box struct{ aead cipher.AEAD }

// New derives the AES key for purpose from secretKey with HKDF-SHA256, so one configured key
// serves several purposes without any two sharing an encryption key.
func New(secretKey, purpose string) (*Box, error) {
	if len(secretKey) < MinKeyLength {
		return nil, fmt.Errorf("secretbox: the secret key must be at least %d characters", MinKeyLength)
	}
	key, err := hkdf.Key(sha256.New, []byte(secretKey), nil, "escalated "+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("secretbox: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain under a fresh random nonce. context is authenticated but not stored:
// Open must be given the same, so a value copied to another row (another user) will not open.
func (b *Box) Seal(plain, context []byte) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	return version + base64.RawStdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, context))
}

// ErrOpen means a value was not sealed by this key for this context, or was altered.
var ErrOpen = errors.New("secretbox: the value cannot be opened with this key")

// Open decrypts a value made by Seal with the same context.
func (b *Box) Open(sealed string, context []byte) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return nil, ErrOpen
	}
	buf, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(buf) < b.aead.NonceSize() {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, buf[:b.aead.NonceSize()], buf[b.aead.NonceSize():], context)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
