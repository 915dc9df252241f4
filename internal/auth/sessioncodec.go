package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// SessionCodec encodes sessions for the session manager in a small binary form that holds
// exactly the value types the desk keeps in a session: int64 (user ids, unix times) and
// string (the CSRF token, flash and error bags as JSON, the intended URL). scs's default gob
// codec compiles a decoder for every session it reads, which cost a signed-in request more
// than the rest of its session handling together. A value of any other type fails the save
// with an error naming it; nothing is dropped.
//
// The form: a format byte, the deadline in Unix nanoseconds (varint), the number of values
// (uvarint), then per value its key (uvarint length and bytes), a type tag, and the value
// (string: uvarint length and bytes; int64: varint).
type SessionCodec struct{}

// sessionFormat is the first byte of every session this codec writes. Sessions saved with gob
// before it start with the length of gob's first message, which is never 1, so they fail to
// decode and their holders are signed out (see SessionStore.FindCtx).
const sessionFormat = 1

const (
	tagString = 's'
	tagInt64  = 'i'
)

var errSessionTruncated = errors.New("truncated")

func (SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, sessionFormat)
	b = binary.AppendVarint(b, deadline.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(values)))
	for k, v := range values {
		b = appendSessionString(b, k)
		switch v := v.(type) {
		case string:
			b = appendSessionString(append(b, tagString), v)
		case int64:
			b = binary.AppendVarint(append(b, tagInt64), v)
		default:
			return nil, fmt.Errorf("auth: encode session: value %q is a %T; a session holds only strings and int64s", k, v)
		}
	}
	return b, nil
}

func appendSessionString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func (SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	deadline, rest, err := decodeSessionDeadline(b)
	if err != nil {
		return time.Time{}, nil, err
	}
	values, err := decodeSessionValues(rest)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("auth: decode session: %w", err)
	}
	return deadline, values, nil
}

// decodeSessionDeadline reads the head of an encoded session: its deadline, and the rest.
func decodeSessionDeadline(b []byte) (time.Time, []byte, error) {
	if len(b) == 0 || b[0] != sessionFormat {
		return time.Time{}, nil, errors.New("auth: decode session: not in the desk's session format")
	}
	ns, n := binary.Varint(b[1:])
	if n <= 0 {
		return time.Time{}, nil, fmt.Errorf("auth: decode session: deadline: %w", errSessionTruncated)
	}
	return time.Unix(0, ns).UTC(), b[1+n:], nil
}

func decodeSessionValues(b []byte) (map[string]any, error) {
	count, n := binary.Uvarint(b)
	// Every value takes at least three bytes, so a larger count is corrupt, not a reason
	// to allocate.
	if n <= 0 || count > uint64(len(b))/3 {
		return nil, errors.New("bad value count")
	}
	b = b[n:]
	values := make(map[string]any, count)
	for range count {
		k, rest, err := decodeSessionString(b)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		if len(rest) == 0 {
			return nil, fmt.Errorf("value %q: %w", k, errSessionTruncated)
		}
		tag := rest[0]
		switch tag {
		case tagString:
			values[k], b, err = decodeSessionString(rest[1:])
		case tagInt64:
			values[k], b, err = decodeSessionInt(rest[1:])
		default:
			err = fmt.Errorf("unknown type tag %q", tag)
		}
		if err != nil {
			return nil, fmt.Errorf("value %q: %w", k, err)
		}
	}
	if len(b) > 0 {
		return nil, fmt.Errorf("%d bytes after the last value", len(b))
	}
	return values, nil
}

func decodeSessionString(b []byte) (string, []byte, error) {
	size, n := binary.Uvarint(b)
	if n <= 0 || size > uint64(len(b)-n) {
		return "", nil, errSessionTruncated
	}
	end := n + int(size)
	return string(b[n:end]), b[end:], nil
}

func decodeSessionInt(b []byte) (int64, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, errSessionTruncated
	}
	return v, b[n:], nil
}
