// Package journaltest builds real systemd journals for tests: it generates
// Journal Export Format streams, turns them into journal files with
// systemd-journal-remote, and sends entries to the live journald through
// its native protocol.
package journaltest
