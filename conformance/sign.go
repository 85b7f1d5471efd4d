package conformance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Evidence a vendor can hand over.
//
// Digest. conformance.json carries its own SHA-256 in the top-level member
// "digest": "sha256:<64 hex digits>". The digest is computed over the file
// exactly as written, with those 64 hex digits replaced by 64 zeros ('0').
// So anyone can check it without this tool:
//
//	sed -E "s/(\"digest\": \"sha256:)[0-9a-f]{64}/\1$(printf '%064d' 0)/" conformance.json | sha256sum
//
// and compare with the digits in the file. Editing any byte of the file
// changes the digest (or breaks the member), which VerifyDigest reports.
//
// Signature. With an ed25519 private key, conformance.json.sig holds the
// detached signature of the file's exact bytes (digest included), in
// Base64 on one line. Keys are PEM (PKCS#8 private, PKIX public), as
// OpenSSL makes them, or the raw key in Base64 (a 32-byte seed or 64-byte
// private key; a 32-byte public key):
//
//	openssl genpkey -algorithm ed25519 -out signing.pem
//	openssl pkey -in signing.pem -pubout -out signing.pub.pem
//	base64 -d conformance.json.sig > sig.bin
//	openssl pkeyutl -verify -pubin -inkey signing.pub.pem -rawin -in conformance.json -sigfile sig.bin

// DigestPrefix starts the digest member's value.
const DigestPrefix = "sha256:"

var zeroDigest = DigestPrefix + strings.Repeat("0", 64)

var digestValue = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// MarshalReport writes the report as indented JSON with its digest.
func MarshalReport(r *Report) ([]byte, error) {
	cp := *r
	cp.Digest = zeroDigest
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&cp); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	member := []byte(`"digest": "` + zeroDigest + `"`)
	if bytes.Count(b, member) != 1 {
		return nil, errors.New("the report's digest member is not unique")
	}
	sum := sha256.Sum256(b)
	digest := DigestPrefix + hex.EncodeToString(sum[:])
	out := bytes.Replace(b, member, []byte(`"digest": "`+digest+`"`), 1)
	r.Digest = digest
	return out, nil
}

// VerifyDigest checks the digest a conformance.json carries and returns it.
func VerifyDigest(b []byte) (string, error) {
	var top struct {
		Digest *string `json:"digest"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return "", fmt.Errorf("the report is not valid JSON: %w", err)
	}
	if top.Digest == nil || *top.Digest == "" {
		return "", errors.New("the report has no digest member")
	}
	d := *top.Digest
	if !digestValue.MatchString(d) {
		return "", fmt.Errorf("the digest %q is not sha256:<64 lower-case hex digits>", excerpt(d, 80))
	}
	member := []byte(`"digest": "` + d + `"`)
	if n := bytes.Count(b, member); n != 1 {
		return "", fmt.Errorf("the digest member appears %d times, want once", n)
	}
	zeroed := bytes.Replace(b, member, []byte(`"digest": "`+zeroDigest+`"`), 1)
	sum := sha256.Sum256(zeroed)
	if got := DigestPrefix + hex.EncodeToString(sum[:]); got != d {
		return "", fmt.Errorf("digest mismatch: the file says %s, its content hashes to %s: the report was changed", d, got)
	}
	return d, nil
}

// Sign returns the detached signature of b, Base64 with a newline.
func Sign(key ed25519.PrivateKey, b []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, b)) + "\n")
}

// VerifySignature checks a detached signature (Base64 or the raw 64 bytes)
// of b.
func VerifySignature(pub ed25519.PublicKey, b, sig []byte) error {
	raw := sig
	if len(sig) != ed25519.SignatureSize {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
		if err != nil {
			return fmt.Errorf("the signature is neither 64 raw bytes nor Base64: %w", err)
		}
		raw = dec
	}
	if len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("the signature is %d bytes, want %d", len(raw), ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, b, raw) {
		return errors.New("the signature does not match: the report was changed or signed with another key")
	}
	return nil
}

// PublicKeyString is a public key as Base64 (for the report's signerKey).
func PublicKeyString(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// ParsePrivateKey reads a PEM PKCS#8 ed25519 key, or a Base64 32-byte seed
// or 64-byte private key.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("PEM block %q: want PRIVATE KEY (PKCS#8; openssl genpkey -algorithm ed25519)", blk.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PKCS#8: %w", err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the key is %T, want ed25519", k)
		}
		return ek, nil
	}
	raw, err := decodeB64(b)
	if err != nil {
		return nil, errors.New("the key is neither PEM nor Base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		// seed then public key: a public half not the seed's would sign
		// what its own public key does not verify.
		if k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize]); !bytes.Equal(k[ed25519.SeedSize:], raw[ed25519.SeedSize:]) {
			return nil, errors.New("the 64-byte ed25519 private key is not whole: its last 32 bytes are not the public key of its first 32 (the seed)")
		}
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("a raw ed25519 private key is a 32-byte seed or 64 bytes, got %d bytes", len(raw))
}

// ParsePublicKey reads a PEM PKIX ed25519 public key or a Base64 32-byte key.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY (openssl pkey -pubout)", blk.Type)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PKIX: %w", err)
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the key is %T, want ed25519", k)
		}
		return ek, nil
	}
	raw, err := decodeB64(b)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("the public key is neither PEM nor 32 bytes in Base64")
	}
	return ed25519.PublicKey(raw), nil
}

func decodeB64(b []byte) ([]byte, error) {
	s := strings.TrimSpace(string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	return nil, errors.New("not Base64")
}

// GenerateKey writes a new ed25519 key pair: the private key to path
// (PKCS#8 PEM, mode 0600) and the public key to path+".pub" (PKIX PEM).
// Existing files are not overwritten.
func GenerateKey(path string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	px, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(path+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: px}), 0o644); err != nil {
		return nil, err
	}
	return pub, nil
}

func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
