package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// siteSecretFile is the site secret's file under the user's config
// directory ($XDG_CONFIG_HOME/pumpside/site-secret).
func siteSecretFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "pumpside", "site-secret"), nil
}

// siteSecret returns the site secret kept in siteSecretFile, creating it on
// first use: 32 random bytes written as 64 hex digits, owner-only. When it
// creates the file it says once on stderr where it is, and that the
// machines of a site must share that one file for their pseudonyms to match.
// Two processes creating it at once end with the same secret: the file
// appears whole (a hard link of a complete temporary file) or not at all.
func siteSecret(stderr io.Writer) ([]byte, error) {
	path, err := siteSecretFile()
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(path); err == nil {
		return checkSecret(path, b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	secret := []byte(hex.EncodeToString(raw[:]))
	tmp, err := os.CreateTemp(filepath.Dir(path), ".site-secret-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(append(secret, '\n')); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		b, err := os.ReadFile(path) // another process made it first
		if err != nil {
			return nil, err
		}
		return checkSecret(path, b)
	} else if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "pumpside: created the site secret %s (32 random bytes, owner-only): it keys the case pseudonyms of\n"+
		"reports, exports and audits. Every machine of a site must use this one file (copy it, or point\n"+
		"%s or --secret-file at a shared copy) for the same case to get the same pseudonym.\n", path, siteSecretEnv)
	return secret, nil
}

// checkSecret trims the file's newline and refuses a secret too short to key
// pseudonyms (report.Privacy wants 16 bytes).
func checkSecret(path string, b []byte) ([]byte, error) {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) < 16 {
		return nil, fmt.Errorf("%s holds %d bytes, fewer than 16", path, len(b))
	}
	return b, nil
}
