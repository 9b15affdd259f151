package grafanasql

import (
	"encoding/json"
	"fmt"
)

// Query is one SQL query a dashboard runs: a panel target or a query variable.
type Query struct {
	Panel  string // panel title, or "variable NAME"
	RefID  string
	Format string // time_series | table
	SQL    string
}

// Template is a dashboard's template variable as stored in its JSON.
type Template struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Query      any    `json:"query"`
	Multi      bool   `json:"multi"`
	IncludeAll bool   `json:"includeAll"`
}

type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []Template `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Panels  []panel  `json:"panels"` // rows nest their panels
	Targets []target `json:"targets"`
}

type target struct {
	RefID  string `json:"refId"`
	RawSQL string `json:"rawSql"`
	Format string `json:"format"`
	Hide   bool   `json:"hide"`
}

// Parse returns every SQL query of a dashboard (panel targets, nested rows
// included) and its template variables.
func Parse(raw []byte) ([]Query, []Template, error) {
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, nil, fmt.Errorf("decode dashboard: %w", err)
	}
	var qs []Query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, t := range p.Targets {
				if t.Hide || t.RawSQL == "" {
					continue
				}
				qs = append(qs, Query{Panel: p.Title, RefID: t.RefID, Format: t.Format, SQL: t.RawSQL})
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		if sql := templateSQL(v.Query); sql != "" {
			qs = append(qs, Query{Panel: "variable " + v.Name, RefID: v.Name, Format: "table", SQL: sql})
		}
	}
	return qs, d.Templating.List, nil
}

// templateSQL reads a query variable's SQL: a string, or {"query": "..."} in newer dashboards.
func templateSQL(q any) string {
	switch v := q.(type) {
	case string:
		return v
	case map[string]any:
		if s, ok := v["query"].(string); ok {
			return s
		}
		if s, ok := v["rawSql"].(string); ok {
			return s
		}
	}
	return ""
}
