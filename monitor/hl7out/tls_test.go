package hl7out

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool trusting it.
func selfSigned(t *testing.T) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "engine"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

// TestTLS: MLLP over TLS to node-hl7-server's listener; a client that
// does not trust the engine's certificate sends nothing.
func TestTLS(t *testing.T) {
	cert, key, pool := selfSigned(t)
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{TLSCert: cert, TLSKey: key})
	rec := testRecord(t, knownCase, false)
	msg, err := Build(rec, testConfig, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	bad := &Client{Address: rx.Addr(), TLS: &tls.Config{RootCAs: x509.NewCertPool()}}
	if _, err := bad.Send(t.Context(), msg); err == nil {
		t.Fatal("an untrusted engine was sent the message")
	}
	c := &Client{Address: rx.Addr(), TLS: &tls.Config{RootCAs: pool}}
	defer c.Close()
	ack, err := c.Send(t.Context(), msg)
	if err != nil || !ack.Accepted() {
		t.Fatal(ack, err)
	}
	e := rx.Next(10 * time.Second)
	for e.Event == "error" || e.Event == "incomplete" { // the refused handshake
		e = rx.Next(10 * time.Second)
	}
	if e.Event != "message" || e.ControlID != testHeader.ControlID {
		t.Fatalf("%+v", e)
	}
}
