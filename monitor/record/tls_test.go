package record

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
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selfSigned writes a CA-less self-signed certificate for 127.0.0.1 and
// its key, and returns their paths and a pool that trusts it.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pumpside test influxd"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestShipOverTLS: the shipper trusts the server through the CA file, and
// refuses (retries, never sends) without it.
func TestShipOverTLS(t *testing.T) {
	db := "tls"
	certDir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, certDir)
	s := startInfluxdWith(t, db, func(s *influxd) {
		s.certFile, s.keyFile = certFile, keyFile
		s.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	})
	path := filepath.Join(t.TempDir(), "tls.case")
	line := "pump,case=C,source=a flow=4.5 1772352000000000000\n"
	require.NoError(t, os.WriteFile(path, []byte(line), 0o600))

	// Without the CA file: the system's roots do not know this server.
	opt := shipOpts(s, db)
	sh, stop := runShipper(t, path, opt)
	waitFor(t, "a TLS failure", func() bool { return sh.Status().Failures > 0 })
	stop()
	require.ErrorContains(t, sh.Status().LastErr, "certificate")
	require.Zero(t, sh.Status().Cursor)

	opt.CAFile = certFile
	sh, stop = runShipper(t, path, opt)
	waitShipped(t, sh, path)
	stop()
	require.Equal(t, map[string]string{"pump|case=C,source=a|flow|1772352000000000000": "4.5"}, dbPoints(t, s, db))
}
