package conformance

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// signSeeds are key files of every form ParsePrivateKey and ParsePublicKey
// read, of the wrong kind, and broken.
func signSeeds(t testing.TB) [][]byte {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	px, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ec8, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	ecx, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	pemOf := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	// A 64-byte private key whose second half is not its seed's public key.
	mismatched := append(append([]byte{}, seed...), make([]byte, 32)...)

	out := [][]byte{
		pemOf("PRIVATE KEY", p8), pemOf("PUBLIC KEY", px), pemOf("PRIVATE KEY", ec8), pemOf("PUBLIC KEY", ecx),
		pemOf("ED25519 PRIVATE KEY", p8), pemOf("PRIVATE KEY", p8[:len(p8)-1]), pemOf("PUBLIC KEY", px[1:]),
		append([]byte("junk before\n"), pemOf("PRIVATE KEY", p8)...),
		[]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		[]byte("-----BEGIN PRIVATE KEY-----\n" + base64.StdEncoding.EncodeToString(p8)),
		[]byte(base64.StdEncoding.EncodeToString(seed) + "\n"), []byte(base64.RawURLEncoding.EncodeToString(seed)),
		[]byte(base64.StdEncoding.EncodeToString(priv)), []byte(base64.StdEncoding.EncodeToString(mismatched)),
		[]byte(base64.StdEncoding.EncodeToString(pub)), []byte(" " + base64.URLEncoding.EncodeToString(pub) + "\r\n"),
		[]byte(base64.StdEncoding.EncodeToString(make([]byte, 31))), []byte(base64.StdEncoding.EncodeToString(make([]byte, 33))),
		[]byte(""), []byte("short"), []byte("===="), []byte("\x00\xff"), []byte(PublicKeyString(pub)),
	}
	return out
}

// FuzzParsePrivateKey: a signing key file is read without a panic; a
// mistake is an error that shows no key material; an accepted key is whole
// (its public half is its seed's), so what it signs verifies with its own
// public key, and it reads the same written back as PKCS#8 PEM and as
// Base64 of its seed or of the whole key.
//
//	go test -run='^$' -fuzz='^FuzzParsePrivateKey$' -fuzztime=100000x ./conformance/
func FuzzParsePrivateKey(f *testing.F) {
	for _, b := range signSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		key, err := ParsePrivateKey(b)
		if err != nil {
			require.Nil(t, key)
			requireNoKeyMaterial(t, b, err)
			return
		}
		require.Len(t, key, ed25519.PrivateKeySize)
		require.Equal(t, ed25519.NewKeyFromSeed(key.Seed()), key, "the public half of the key is not its seed's")
		pub := key.Public().(ed25519.PublicKey)
		require.NoError(t, VerifySignature(pub, b, Sign(key, b)), "a signature does not verify with the key's own public key")

		p8, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		for _, form := range [][]byte{
			pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
			[]byte(base64.StdEncoding.EncodeToString(key.Seed())),
			[]byte(base64.RawURLEncoding.EncodeToString(key)),
		} {
			back, err := ParsePrivateKey(form)
			require.NoError(t, err, "%s", form)
			require.Equal(t, key, back)
		}
	})
}

// FuzzParsePublicKey: a public key file is read without a panic; a
// mistake is an error; an accepted key is 32 bytes that verify (a wrong
// signature fails, without a panic), and reads the same written back as
// PKIX PEM and as Base64.
//
//	go test -run='^$' -fuzz='^FuzzParsePublicKey$' -fuzztime=100000x ./conformance/
func FuzzParsePublicKey(f *testing.F) {
	for _, b := range signSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := ParsePublicKey(b)
		if err != nil {
			require.Nil(t, pub)
			require.NotEmpty(t, err.Error())
			return
		}
		require.Len(t, pub, ed25519.PublicKeySize)
		require.Error(t, VerifySignature(pub, b, make([]byte, ed25519.SignatureSize+1)))
		_ = VerifySignature(pub, b, make([]byte, ed25519.SignatureSize))

		px, err := x509.MarshalPKIXPublicKey(pub)
		require.NoError(t, err)
		for _, form := range [][]byte{
			pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: px}),
			[]byte(PublicKeyString(pub)),
			[]byte(base64.RawURLEncoding.EncodeToString(pub) + "\n"),
		} {
			back, err := ParsePublicKey(form)
			require.NoError(t, err, "%s", form)
			require.Equal(t, pub, back)
		}
	})
}

// requireNoKeyMaterial holds that err is a message and quotes no run of the
// key file's Base64 (outside a PEM block's type, which is not secret).
func requireNoKeyMaterial(t *testing.T, b []byte, err error) {
	t.Helper()
	msg := err.Error()
	require.NotEmpty(t, msg)
	var typ string
	material := strings.Fields(string(b))
	if blk, _ := pem.Decode(b); blk != nil {
		typ = blk.Type
		material = strings.Fields(base64.StdEncoding.EncodeToString(blk.Bytes))
	}
	for _, m := range material {
		for len(m) >= 16 {
			piece := m[:16]
			if !strings.Contains(typ, piece) {
				require.NotContains(t, msg, piece, "the error shows key material")
			}
			m = m[16:]
		}
	}
}
