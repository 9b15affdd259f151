package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config is the postgres exporter's configuration.
type Config struct {
	// DSN is a libpq connection string (URL or key=value). Unset parts come from the PG*
	// environment variables (PGHOST, PGUSER, PGPASSWORD, ...), as with libpq.
	DSN configopaque.String `mapstructure:"dsn"`
	// Schema holds the exporter's tables and views. It must be a plain identifier.
	Schema string `mapstructure:"schema"`
	// CreateSchema runs the embedded, versioned migrations at start (under an advisory lock).
	CreateSchema bool `mapstructure:"create_schema"`
	// AttributeIndex keeps GIN indexes on the attributes of spans and logs, so that attribute
	// filters (attributes @> '{"k":"v"}') are index scans. Applied at start with create_schema.
	AttributeIndex bool `mapstructure:"attribute_index"`
	// Retention drops daily partitions whose whole day is older than this. 0 keeps everything.
	Retention time.Duration `mapstructure:"retention"`
	// Timeout bounds one write (one transaction).
	Timeout time.Duration `mapstructure:"timeout"`

	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOff     configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

const (
	defaultSchema  = "otel"
	defaultTimeout = 30 * time.Second
	minRetention   = 24 * time.Hour
	// maxIdentifierLen is PostgreSQL's NAMEDATALEN-1.
	maxIdentifierLen = 63
)

// identifierRe is what the schema may look like: an unquoted-style identifier. The exporter still
// quotes it everywhere; the restriction keeps names predictable for dashboards and psql users.
var identifierRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var (
	errSchemaEmpty    = errors.New("schema: must not be empty")
	errSchemaInvalid  = errors.New("schema: must be a plain identifier (letters, digits, underscore; not starting with a digit; at most 63 bytes)")
	errSchemaReserved = errors.New("schema: names starting with pg_ and information_schema are reserved by PostgreSQL")
	errRetention      = fmt.Errorf("retention: must be 0 (keep everything) or at least %s (partitions are daily)", minRetention)
	errTimeout        = errors.New("timeout: must not be negative")
	errDSN            = errors.New("dsn: cannot be parsed as a PostgreSQL connection string")
)

// Validate checks every setting and reports every problem at once.
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case cfg.Schema == "":
		errs = append(errs, errSchemaEmpty)
	case !identifierRe.MatchString(cfg.Schema) || len(cfg.Schema) > maxIdentifierLen:
		errs = append(errs, errSchemaInvalid)
	case strings.HasPrefix(strings.ToLower(cfg.Schema), "pg_") || strings.EqualFold(cfg.Schema, "information_schema"):
		errs = append(errs, errSchemaReserved)
	}
	if cfg.Retention < 0 || (cfg.Retention > 0 && cfg.Retention < minRetention) {
		errs = append(errs, errRetention)
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errTimeout)
	}
	if _, err := pgxpool.ParseConfig(string(cfg.DSN)); err != nil {
		errs = append(errs, dsnError(err))
	}
	return errors.Join(errs...)
}

// dsnError reports a connection string parse error without the connection string itself, which
// may hold a password.
func dsnError(err error) error {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return fmt.Errorf("%w: %w", errDSN, err)
	}
	if cause := pce.Unwrap(); cause != nil {
		return fmt.Errorf("%w: %w", errDSN, cause)
	}
	return errDSN
}
