package record

import (
	"bytes"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/stretchr/testify/require"
)

// memFile is a case file in memory whose writes can be made to fail, for
// tests on synctest's fake clock.
type memFile struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	full   bool
	writes int // attempts
	syncs  int
	synced int // bytes durable
}

func (f *memFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.full {
		return 0, syscall.ENOSPC
	}
	return f.buf.Write(p)
}

func (f *memFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	f.synced = f.buf.Len()
	return nil
}

func (f *memFile) Close() error { return nil }

func (f *memFile) state() (n, synced, writes, syncs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Len(), f.synced, f.writes, f.syncs
}

// TestGroupCommitInterval: on the fake clock, a sample is written and
// fsync'd within one SyncInterval, and not before it.
func TestGroupCommitInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mf := &memFile{}
		opt := testOpts()
		opt.SyncInterval = 500 * time.Millisecond
		opt.WrapFile = func(f File) File { f.Close(); return mf }
		w, err := Open(filepath.Join(t.TempDir(), "a.case"), opt)
		require.NoError(t, err)
		w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 4})
		synctest.Wait()
		n, _, _, _ := mf.state()
		require.Zero(t, n, "nothing written before the commit")
		time.Sleep(499 * time.Millisecond)
		synctest.Wait()
		n, _, _, _ = mf.state()
		require.Zero(t, n)
		time.Sleep(time.Millisecond)
		synctest.Wait()
		n, synced, _, syncs := mf.state()
		require.Positive(t, n)
		require.Equal(t, n, synced, "written and fsync'd together")
		require.Equal(t, 1, syncs)
		// Idle: no further fsync.
		time.Sleep(5 * time.Second)
		synctest.Wait()
		_, _, _, syncs = mf.state()
		require.Equal(t, 1, syncs)
		require.NoError(t, w.Close())
	})
}

// TestRetryPacing: a failing file is retried every RetryInterval, not in a
// busy loop, and the backlog is written on the first retry that works.
func TestRetryPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mf := &memFile{full: true}
		opt := testOpts()
		opt.SyncInterval = 500 * time.Millisecond
		opt.RetryInterval = 2 * time.Second
		opt.WrapFile = func(f File) File { f.Close(); return mf }
		w, err := Open(filepath.Join(t.TempDir(), "a.case"), opt)
		require.NoError(t, err)
		w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 4})
		time.Sleep(600 * time.Millisecond)
		synctest.Wait()
		require.True(t, w.Failed())
		_, _, first, _ := mf.state()
		time.Sleep(20 * time.Second)
		synctest.Wait()
		_, _, writes, _ := mf.state()
		require.Equal(t, 10, writes-first, "one attempt per 2 s retry interval")
		mf.mu.Lock()
		mf.full = false
		mf.mu.Unlock()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.False(t, w.Failed())
		n, synced, _, _ := mf.state()
		require.Positive(t, n)
		require.Equal(t, n, synced)
		require.NoError(t, w.Close())
	})
}

// syncFailFile fails its first fsync.
type syncFailFile struct {
	memFile
	failed bool
}

func (f *syncFailFile) Sync() error {
	if !f.failed {
		f.failed = true
		return syscall.EIO
	}
	return f.memFile.Sync()
}

// TestFsyncErrorClears: a failed fsync is reported and retried even when
// nothing new arrives, and the error clears when an fsync works.
func TestFsyncErrorClears(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sf := &syncFailFile{}
		opt := testOpts()
		opt.SyncInterval = 500 * time.Millisecond
		opt.RetryInterval = time.Second
		opt.WrapFile = func(f File) File { f.Close(); return sf }
		w, err := Open(filepath.Join(t.TempDir(), "a.case"), opt)
		require.NoError(t, err)
		w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 4})
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		require.True(t, w.Failed())
		require.ErrorIs(t, w.Status().Err, syscall.EIO)
		time.Sleep(time.Second)
		synctest.Wait()
		require.False(t, w.Failed())
		n, synced, _, _ := sf.state()
		require.Positive(t, n)
		require.Equal(t, n, synced)
		require.NoError(t, w.Close())
	})
}
