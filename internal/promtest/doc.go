// Package promtest runs a real Prometheus server (Debian's prometheus) on
// loopback for end-to-end tests, scraping targets the test names, and
// queries it through its HTTP API.
package promtest
