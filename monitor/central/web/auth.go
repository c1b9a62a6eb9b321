package web

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrAuthConfig is wrapped by every error about the access configuration.
var ErrAuthConfig = errors.New("central: access configuration")

// MinTokenLen is the shortest access token accepted: 128 bits in hex.
const MinTokenLen = 32

// Auth is who may see the page: the holders of a token, and users with
// bcrypt-hashed passwords. There is no default: an Auth with neither is
// refused (NewAuth). Sessions live in memory. Safe for concurrent use.
type Auth struct {
	tokenHash [32]byte // sha256 of the token; zero: no token
	hasToken  bool
	users     map[string][]byte // name -> bcrypt hash

	mu       sync.Mutex
	sessions map[string]session
	ttl      time.Duration
	now      func() time.Time
}

type session struct {
	user    string
	expires time.Time
}

// maxSessions bounds the session table: the oldest goes first.
const maxSessions = 10000

// dummyHash is compared against for an unknown user, so that the answer
// takes as long as for a known one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcrypt.DefaultCost)

// NewAuth returns an Auth with token (may be "") and the users of a users
// file's content (may be nil). Sessions last ttl (12 h if 0).
func NewAuth(token string, users map[string][]byte, ttl time.Duration) (*Auth, error) {
	if token == "" && len(users) == 0 {
		return nil, fmt.Errorf("%w: no token and no users: the page is never open to all", ErrAuthConfig)
	}
	if token != "" && len(token) < MinTokenLen {
		return nil, fmt.Errorf("%w: the token is %d characters; at least %d are needed (e.g. openssl rand -hex 16)", ErrAuthConfig, len(token), MinTokenLen)
	}
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	a := &Auth{users: users, sessions: map[string]session{}, ttl: ttl, now: time.Now}
	if token != "" {
		a.tokenHash, a.hasToken = sha256.Sum256([]byte(token)), true
	}
	return a, nil
}

// ReadToken reads a token file: its first line, trimmed.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: token file: %w", ErrAuthConfig, err)
	}
	tok, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(tok), nil
}

// ParseUsers reads a users file: one "name:bcrypt-hash" per line (as
// "pumpside central --hash-password" prints them, or htpasswd -B), blank
// lines and lines starting with # ignored.
func ParseUsers(r io.Reader) (map[string][]byte, error) {
	users := map[string][]byte{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("%w: users file line %d: want name:bcrypt-hash", ErrAuthConfig, n)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("%w: users file line %d (%s): not a bcrypt hash: %w", ErrAuthConfig, n, name, err)
		}
		if _, dup := users[name]; dup {
			return nil, fmt.Errorf("%w: users file line %d: %s twice", ErrAuthConfig, n, name)
		}
		users[name] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: users file: %w", ErrAuthConfig, err)
	}
	return users, nil
}

// HashPassword returns a users file line for name and password.
func HashPassword(name, password string) (string, error) {
	if name == "" || strings.ContainsAny(name, ": \t\n") {
		return "", fmt.Errorf("%w: user name %q (no spaces or colons)", ErrAuthConfig, name)
	}
	if len(password) < 12 {
		return "", fmt.Errorf("%w: a password needs at least 12 characters", ErrAuthConfig)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return name + ":" + string(h), nil
}

// CheckToken reports whether tok is the token (constant time).
func (a *Auth) CheckToken(tok string) bool {
	if !a.hasToken || tok == "" {
		return false
	}
	h := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(h[:], a.tokenHash[:]) == 1
}

// CheckPassword reports whether user has password.
func (a *Auth) CheckPassword(user, password string) bool {
	h, ok := a.users[user]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
}

// HasUsers and HasToken say which ways in are configured.
func (a *Auth) HasUsers() bool { return len(a.users) > 0 }
func (a *Auth) HasToken() bool { return a.hasToken }

// NewSession returns a new session id for user.
func (a *Auth) NewSession(user string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if len(a.sessions) >= maxSessions {
		var oldest string
		var at time.Time
		for k, s := range a.sessions {
			if s.expires.Before(now) {
				delete(a.sessions, k)
				continue
			}
			if oldest == "" || s.expires.Before(at) {
				oldest, at = k, s.expires
			}
		}
		if len(a.sessions) >= maxSessions {
			delete(a.sessions, oldest)
		}
	}
	a.sessions[id] = session{user: user, expires: now.Add(a.ttl)}
	return id
}

// Session returns the user of a live session.
func (a *Auth) Session(id string) (string, bool) {
	if id == "" {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[id]
	if !ok {
		return "", false
	}
	if a.now().After(s.expires) {
		delete(a.sessions, id)
		return "", false
	}
	return s.user, true
}

// EndSession forgets a session.
func (a *Auth) EndSession(id string) {
	a.mu.Lock()
	delete(a.sessions, id)
	a.mu.Unlock()
}

// limiter counts login failures per remote host: past max in window, the
// host waits.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func (l *limiter) blocked(host string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.fails[host]
	for len(ts) > 0 && now.Sub(ts[0]) > l.window {
		ts = ts[1:]
	}
	l.fails[host] = ts
	if len(ts) == 0 {
		delete(l.fails, host)
	}
	return len(ts) >= l.max
}

func (l *limiter) fail(host string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 10000 { // bounded: forget everyone rather than grow
		l.fails = map[string][]time.Time{}
	}
	l.fails[host] = append(l.fails[host], now)
}
