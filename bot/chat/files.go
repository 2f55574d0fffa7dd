package chat

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// MaxHashedFile is the largest attachment drone downloads to hash when a
// message goes on the timeline; a larger one is named with its size and a
// note.
const MaxHashedFile = 25 << 20

// HashFile reads a downloaded file to its end, at most MaxHashedFile
// bytes, and returns its SHA-256 in hex and its size.
func HashFile(r io.Reader) (string, int64, error) {
	s := sha256.New()
	n, err := io.Copy(s, io.LimitReader(r, MaxHashedFile+1))
	if err != nil {
		return "", 0, err
	}
	if n > MaxHashedFile {
		return "", 0, fmt.Errorf("larger than %d MB", MaxHashedFile>>20)
	}
	return hex.EncodeToString(s.Sum(nil)), n, nil
}
