package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/monitor/central"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "0123456789abcdef0123456789abcdef"

// fixedSource serves one page: the store's own tests read InfluxDB; these
// test the web server.
type fixedSource struct{ p central.Page }

func (f *fixedSource) Page(ctx context.Context, now time.Time) (*central.Page, error) {
	p := f.p
	p.Now = now.UnixMilli()
	return &p, nil
}

func (f *fixedSource) Trends(ctx context.Context, key string, now time.Time) (*central.Trends, bool, error) {
	if key != "OR 1" {
		return nil, false, nil
	}
	return &central.Trends{Key: key, Theatre: key, Case: "C-1"}, true, nil
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	url    string
	log    *syncBuf
	client *http.Client
}

// start serves a Server on a loopback port, with TLS when certFile is set.
func start(t *testing.T, auth *Auth, certFile, keyFile string, client *http.Client) *rig {
	t.Helper()
	logs := &syncBuf{}
	src := &fixedSource{p: central.Page{Newest: 1, Theatres: []central.Tile{{Key: "OR 1", Theatre: "OR 1", Case: "C-1"}}}}
	s, err := New(Config{Source: src, Auth: auth, Log: slog.New(slog.NewTextHandler(logs, nil)), Refresh: 100 * time.Millisecond, Secure: certFile != ""})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	wg.Go(func() {
		assert.NoError(t, Serve(ctx, ln, s, certFile, keyFile, slog.New(slog.NewTextHandler(logs, nil))))
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	scheme := "http"
	if certFile != "" {
		scheme = "https"
	}
	if client == nil {
		client = &http.Client{}
	}
	jar, _ := cookiejar.New(nil)
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &rig{url: scheme + "://" + ln.Addr().String(), log: logs, client: client}
}

func users(t *testing.T, name, password string) map[string][]byte {
	t.Helper()
	line, err := HashPassword(name, password)
	require.NoError(t, err)
	u, err := ParseUsers(strings.NewReader("# users\n" + line + "\n"))
	require.NoError(t, err)
	return u
}

func (g *rig) get(t *testing.T, path string) *http.Response {
	t.Helper()
	resp, err := g.client.Get(g.url + path)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestRefusedWithoutCredentials: nothing but the login and the static files
// without a session or the token; refusals logged.
func TestRefusedWithoutCredentials(t *testing.T) {
	auth, err := NewAuth(testToken, nil, 0)
	require.NoError(t, err)
	g := start(t, auth, "", "", nil)
	resp := g.get(t, "/")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login", resp.Header.Get("Location"))
	for _, p := range []string{"/api/page", "/api/stream", "/api/trends?key=OR+1"} {
		resp := g.get(t, p)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, p)
		b, _ := io.ReadAll(resp.Body)
		assert.NotContains(t, string(b), "OR 1", p)
	}
	assert.Equal(t, http.StatusOK, g.get(t, "/login").StatusCode)
	assert.Equal(t, http.StatusOK, g.get(t, "/static/app.js").StatusCode)
	req, _ := http.NewRequest(http.MethodGet, g.url+"/api/page", nil)
	req.Header.Set("Authorization", "Bearer wrong-token-wrong-token-wrong-token")
	resp, err = g.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, g.log.String(), "refused")
	assert.Contains(t, g.log.String(), `msg="login failed" user=token`)
	h := g.get(t, "/login").Header
	assert.Contains(t, h.Get("Content-Security-Policy"), "default-src 'self'")
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
}

// TestPasswordLogin: a wrong password is refused and logged with the user
// and the address; the right one opens a session that reaches the page
// and the data; every view is logged; logout ends the session.
func TestPasswordLogin(t *testing.T) {
	auth, err := NewAuth("", users(t, "senior", "correct horse battery"), 0)
	require.NoError(t, err)
	g := start(t, auth, "", "", nil)
	resp, err := g.client.PostForm(g.url+"/login", url.Values{"user": {"senior"}, "password": {"wrong password!"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Regexp(t, `level=WARN msg="login failed" user=senior from=127\.0\.0\.1:\d+ why="wrong user or password"`, g.log.String())
	resp, err = g.client.PostForm(g.url+"/login", url.Values{"user": {"nobody"}, "password": {"x"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, g.log.String(), "user=nobody")
	assert.Equal(t, http.StatusUnauthorized, g.get(t, "/api/page").StatusCode)

	resp, err = g.client.PostForm(g.url+"/login", url.Values{"user": {"senior"}, "password": {"correct horse battery"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ck := resp.Cookies()
	require.Len(t, ck, 1)
	assert.True(t, ck[0].HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, ck[0].SameSite)
	resp = g.get(t, "/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(b), "department view")
	assert.Contains(t, g.log.String(), `msg=view page=/ user=senior`)
	require.Eventually(t, func() bool { return g.get(t, "/api/page").StatusCode == http.StatusOK }, 5*time.Second, 50*time.Millisecond)
	b, _ = io.ReadAll(g.get(t, "/api/page").Body)
	assert.Contains(t, string(b), `"theatre":"OR 1"`)
	resp = g.get(t, "/api/trends?key=OR+1")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, g.log.String(), `msg=view page=trends theatre="OR 1" user=senior`)
	assert.Equal(t, http.StatusNotFound, g.get(t, "/api/trends?key=OR+9").StatusCode)

	// The stream sends the page at once.
	resp = g.get(t, "/api/stream")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	found := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			found = strings.Contains(sc.Text(), `"OR 1"`)
			break
		}
	}
	assert.True(t, found, "the stream sends the page")
	resp.Body.Close()

	resp, err = g.client.Post(g.url+"/logout", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, g.get(t, "/api/page").StatusCode, "logged out")
}

// TestTokenLoginAndLimit: the token opens a session (form or ?token=);
// repeated failures from one address are held off.
func TestTokenLoginAndLimit(t *testing.T) {
	auth, err := NewAuth(testToken, nil, 0)
	require.NoError(t, err)
	g := start(t, auth, "", "", nil)
	resp := g.get(t, "/login?token="+testToken)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/", resp.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, g.get(t, "/").StatusCode)

	g2 := start(t, auth, "", "", nil)
	for i := range 10 {
		resp, err := g2.client.PostForm(g2.url+"/login", url.Values{"token": {"not-the-token-" + strings.Repeat("x", i)}})
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, err = g2.client.PostForm(g2.url+"/login", url.Values{"token": {testToken}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "held off even with the right token")
	assert.Equal(t, 11, strings.Count(g2.log.String(), "login failed"))
}

func TestNoDefaultAccess(t *testing.T) {
	_, err := NewAuth("", nil, 0)
	require.ErrorIs(t, err, ErrAuthConfig)
	_, err = NewAuth("short", nil, 0)
	require.ErrorIs(t, err, ErrAuthConfig)
	_, err = ParseUsers(strings.NewReader("senior:plaintext\n"))
	require.ErrorIs(t, err, ErrAuthConfig, "a password in clear is refused")
	_, err = HashPassword("senior", "short")
	require.ErrorIs(t, err, ErrAuthConfig)
}

func TestSessionExpires(t *testing.T) {
	auth, err := NewAuth(testToken, nil, time.Hour)
	require.NoError(t, err)
	now := time.Unix(1000, 0)
	auth.now = func() time.Time { return now }
	id := auth.NewSession("token")
	_, ok := auth.Session(id)
	assert.True(t, ok)
	now = now.Add(61 * time.Minute)
	_, ok = auth.Session(id)
	assert.False(t, ok)
	_, ok = auth.Session("made-up")
	assert.False(t, ok)
}

// TestTLS serves with a certificate made here: a client that trusts it
// logs in; a plain-HTTP request to the TLS port gets nothing.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	auth, err := NewAuth(testToken, nil, 0)
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	g := start(t, auth, certFile, keyFile, client)
	require.True(t, strings.HasPrefix(g.url, "https://"))
	resp := g.get(t, "/login?token="+testToken)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ck := resp.Cookies()
	require.Len(t, ck, 1)
	assert.True(t, ck[0].Secure, "the session cookie never travels in clear")
	resp = g.get(t, "/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Strict-Transport-Security"))
	require.NotNil(t, resp.TLS)

	plain := &http.Client{Timeout: 5 * time.Second}
	resp2, err := plain.Get("http://" + strings.TrimPrefix(g.url, "https://") + "/")
	if err == nil {
		b, _ := io.ReadAll(resp2.Body)
		resp2.Body.Close()
		assert.NotContains(t, string(b), "department view")
		assert.NotEqual(t, http.StatusOK, resp2.StatusCode)
	}
	untrusting := &http.Client{Timeout: 5 * time.Second}
	_, err = untrusting.Get(g.url + "/login")
	require.Error(t, err, "a client that does not trust the certificate refuses it")
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pumpside central test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
