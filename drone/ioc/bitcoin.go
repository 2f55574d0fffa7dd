package ioc

import (
	"crypto/sha256"
	"strings"
)

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// checkBitcoin checks a word that may be a bitcoin address: legacy
// base58check (P2PKH "1...", P2SH "3...") or bech32/bech32m ("bc1...").
// ok is false when the word does not have the shape of one; reason is set
// when it has the shape but not the checksum.
func checkBitcoin(p string) (v, reason string, ok bool) {
	if len(p) >= 14 && len(p) <= 74 && strings.EqualFold(p[:3], "bc1") {
		if p != strings.ToLower(p) && p != strings.ToUpper(p) {
			return "", "", false
		}
		low := strings.ToLower(p)
		if !bech32Valid(low) {
			return "", "bad checksum, not a bitcoin address", true
		}
		return low, "", true
	}
	if len(p) < 26 || len(p) > 35 || p[0] != '1' && p[0] != '3' {
		return "", "", false
	}
	letters := false
	for i := 0; i < len(p); i++ {
		if base58Index[p[i]] < 0 {
			return "", "", false
		}
		letters = letters || isLetter(p[i])
	}
	if !letters {
		return "", "", false
	}
	if !base58CheckValid(p) {
		return "", "bad checksum, not a bitcoin address", true
	}
	return p, "", true
}

// base58CheckValid decodes a 25-byte base58check payload (version, 20-byte
// hash, 4-byte checksum) and verifies its double-SHA-256 checksum.
func base58CheckValid(p string) bool {
	var out [25]byte
	for i := 0; i < len(p); i++ {
		carry := int(base58Index[p[i]])
		for j := len(out) - 1; j >= 0; j-- {
			carry += 58 * int(out[j])
			out[j] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return false
		}
	}
	if out[0] != 0x00 && out[0] != 0x05 {
		return false
	}
	h := sha256.Sum256(out[:21])
	h = sha256.Sum256(h[:])
	return h[0] == out[21] && h[1] == out[22] && h[2] == out[23] && h[3] == out[24]
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Valid verifies a lower-case segwit address checksum (BIP 173 for
// version 0, BIP 350 bech32m for later versions).
func bech32Valid(s string) bool {
	sep := strings.LastIndexByte(s, '1')
	if sep != 2 || len(s)-sep-1 < 7 {
		return false
	}
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	step := func(v uint32) {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ v
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	for i := 0; i < sep; i++ {
		step(uint32(s[i]) >> 5)
	}
	step(0)
	for i := 0; i < sep; i++ {
		step(uint32(s[i]) & 31)
	}
	data := s[sep+1:]
	for i := 0; i < len(data); i++ {
		d := strings.IndexByte(bech32Charset, data[i])
		if d < 0 {
			return false
		}
		step(uint32(d))
	}
	witver := strings.IndexByte(bech32Charset, data[0])
	switch {
	case witver == 0:
		return chk == 1
	case witver <= 16:
		return chk == 0x2bc830a3
	}
	return false
}
