//! A small builder for Grafana dashboard JSON (schema version 39, Grafana 10.4 and later): panels
//! are described by what they show (title, description, unit, queries, thresholds) and laid out
//! two to a row; everything Grafana needs around them (data source, template variables, grid
//! positions, ids) is filled in here, once.

use serde_json::{Value, json};

/// The Prometheus data source every panel reads, chosen through the `datasource` variable (the
/// provisioned one has this uid).
pub const DATASOURCE_UID: &str = "clipfed-prometheus";

/// How a panel draws its queries.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Lines over time.
    Series,
    /// The current value of each series, as a horizontal bar.
    Bars,
}

/// One query of a panel: a PromQL expression and its legend.
pub struct Query {
    pub expr: String,
    pub legend: &'static str,
}

pub struct Panel {
    pub title: &'static str,
    pub description: &'static str,
    /// Grafana's unit id: `reqps`, `s`, `percentunit`, `bytes`, `short`, `ops`, ...
    pub unit: &'static str,
    pub kind: Kind,
    pub queries: Vec<Query>,
    /// Value above which the panel turns red (a threshold line on graphs).
    pub red_above: Option<f64>,
}

/// A time-series panel of `queries`.
pub fn series(
    title: &'static str,
    description: &'static str,
    unit: &'static str,
    queries: &[(&str, &'static str)],
) -> Panel {
    Panel {
        title,
        description,
        unit,
        kind: Kind::Series,
        queries: queries
            .iter()
            .map(|(expr, legend)| Query {
                expr: (*expr).to_owned(),
                legend,
            })
            .collect(),
        red_above: None,
    }
}

impl Panel {
    /// Turns the panel red above `value`.
    pub fn red_above(mut self, value: f64) -> Self {
        self.red_above = Some(value);
        self
    }

    /// Draws current values as bars (top-N tables).
    pub fn bars(mut self) -> Self {
        self.kind = Kind::Bars;
        self
    }

    fn to_json(&self, id: usize) -> Value {
        let datasource = json!({ "type": "prometheus", "uid": "${datasource}" });
        let targets: Vec<Value> = self
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                json!({
                    "refId": char::from(b'A' + i as u8).to_string(),
                    "datasource": datasource,
                    "expr": q.expr,
                    "legendFormat": q.legend,
                    "range": true,
                })
            })
            .collect();
        let mut steps = vec![json!({ "color": "green", "value": null })];
        if let Some(red) = self.red_above {
            steps.push(json!({ "color": "red", "value": red }));
        }
        let (kind, custom, options) = match self.kind {
            Kind::Series => (
                "timeseries",
                json!({
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": 10,
                    "showPoints": "never",
                    "spanNulls": true,
                    "thresholdsStyle": {
                        "mode": if self.red_above.is_some() { "line" } else { "off" }
                    },
                }),
                json!({
                    "legend": { "displayMode": "table", "placement": "bottom", "showLegend": true, "calcs": ["mean", "max", "lastNotNull"] },
                    "tooltip": { "mode": "multi", "sort": "desc" },
                }),
            ),
            Kind::Bars => (
                "bargauge",
                json!({}),
                json!({
                    "displayMode": "basic",
                    "orientation": "horizontal",
                    "reduceOptions": { "calcs": ["lastNotNull"], "fields": "", "values": false },
                    "showUnfilled": true,
                }),
            ),
        };
        json!({
            "id": id + 1,
            "type": kind,
            "title": self.title,
            "description": self.description,
            "datasource": datasource,
            "gridPos": { "h": 8, "w": 12, "x": (id % 2) * 12, "y": (id / 2) * 8 },
            "fieldConfig": {
                "defaults": {
                    "unit": self.unit,
                    "custom": custom,
                    "thresholds": { "mode": "absolute", "steps": steps },
                    "color": { "mode": "palette-classic" },
                },
                "overrides": [],
            },
            "options": options,
            "targets": targets,
        })
    }
}

pub struct Dashboard {
    /// Also the file name (`grafana/dashboards/<uid>.json`).
    pub uid: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The jobs the `service` variable offers (a regex alternative list); empty: no such variable.
    pub services: &'static str,
    pub panels: Vec<Panel>,
}

impl Dashboard {
    pub fn to_json(&self) -> Value {
        let datasource = json!({ "type": "prometheus", "uid": "${datasource}" });
        let mut variables = vec![json!({
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "current": { "text": "Prometheus", "value": DATASOURCE_UID },
            "hide": 0,
        })];
        if !self.services.is_empty() {
            let select = |name: &str, label: &str, query: String| {
                json!({
                    "name": name,
                    "label": label,
                    "type": "query",
                    "datasource": datasource,
                    "query": { "query": query, "refId": name },
                    "refresh": 2,
                    "includeAll": true,
                    "multi": true,
                    "allValue": ".*",
                    "current": { "text": ["All"], "value": ["$__all"] },
                    "sort": 1,
                    "hide": 0,
                })
            };
            variables.push(select(
                "service",
                "Service",
                format!("label_values(up{{job=~\"{}\"}}, job)", self.services),
            ));
            variables.push(select(
                "instance",
                "Instance",
                "label_values(up{job=~\"$service\"}, instance)".to_owned(),
            ));
        }
        json!({
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["clipfed"],
            "editable": true,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "10s",
            "time": { "from": "now-30m", "to": "now" },
            "timezone": "browser",
            "annotations": { "list": [] },
            "links": [],
            "templating": { "list": variables },
            "panels": self.panels.iter().enumerate().map(|(i, p)| p.to_json(i)).collect::<Vec<_>>(),
        })
    }
}

/// Every PromQL expression of a dashboard's panels, with its panel title.
pub fn expressions(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push((
                    panel["title"].as_str().unwrap_or_default().to_owned(),
                    expr.to_owned(),
                ));
            }
        }
    }
    out
}

/// `expr` with Grafana's variables replaced the way Grafana does for "All" over the last minutes,
/// so Prometheus can run it directly.
pub fn resolve(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$service", ".*")
        .replace("$instance", ".*")
}
