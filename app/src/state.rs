//! The view the URL names, parsed once into typed state: the page, the global filters and
//! the page's own parameters. The shell keeps it in a memo and provides it through context,
//! so every page and resource reacts to exactly the parameters it reads, and back/forward
//! (a new URL) restore the view.

use std::collections::BTreeMap;

use lmscope::analytics::chargeback::{By, Policy};
use lmscope::analytics::filters::{BadParam, Filters};
use lmscope::analytics::query::{Dimension, Measure};

/// The site's pages, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Overview,
    Features,
    Users,
    Me,
    Departments,
    Clusters,
    Trends,
    Forecast,
    Costs,
    Projects,
    Recommendations,
    Summary,
    Report,
    Alerts,
}

impl Page {
    pub const ALL: [Page; 14] = [
        Page::Overview,
        Page::Features,
        Page::Users,
        Page::Me,
        Page::Departments,
        Page::Clusters,
        Page::Trends,
        Page::Forecast,
        Page::Costs,
        Page::Projects,
        Page::Recommendations,
        Page::Summary,
        Page::Report,
        Page::Alerts,
    ];

    /// The page's name in the URL (`?page=costs`).
    pub fn key(self) -> &'static str {
        match self {
            Page::Overview => "overview",
            Page::Features => "features",
            Page::Users => "users",
            Page::Me => "me",
            Page::Departments => "departments",
            Page::Clusters => "clusters",
            Page::Trends => "trends",
            Page::Forecast => "forecast",
            Page::Costs => "costs",
            Page::Projects => "projects",
            Page::Recommendations => "recommendations",
            Page::Summary => "summary",
            Page::Report => "report",
            Page::Alerts => "alerts",
        }
    }

    /// The page's title in the navigation.
    pub fn title(self) -> &'static str {
        match self {
            Page::Overview => "Overview",
            Page::Features => "Features",
            Page::Users => "Users",
            Page::Me => "My dashboard",
            Page::Departments => "Teams & departments",
            Page::Clusters => "Clusters",
            Page::Trends => "Trends",
            Page::Forecast => "Forecasts",
            Page::Costs => "Costs",
            Page::Projects => "Projects",
            Page::Recommendations => "Recommendations",
            Page::Summary => "Executive summary",
            Page::Report => "Report builder",
            Page::Alerts => "Alerts",
        }
    }

    pub fn parse(key: &str) -> Option<Page> {
        Page::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// Chargeback choices of the costs page (`by`, `policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostChoice {
    pub by: By,
    pub policy: Policy,
}

/// The report builder's parameters (`dims`, `measures`, `calc`, `calc_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    pub dims: Vec<Dimension>,
    pub measures: Vec<Measure>,
    /// The calculated column's expression, as typed.
    pub calc: String,
    /// The calculated column's header.
    pub calc_name: String,
}

/// Everything the URL says about the view.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// The page, or the unknown name the URL gave.
    pub page: Result<Page, String>,
    pub filters: Result<Filters, BadParam>,
    pub costs: CostChoice,
    /// Costs and projects share the policy; projects add the chosen project.
    pub project: Option<String>,
    pub report: ReportSpec,
    /// Hours a checkout must sit with no job of its holder on its host to count as idle
    /// (`idle`, on the clusters, users, departments and overview pages).
    pub idle_hours: f64,
    /// Page parameters that were not understood (the default is used instead).
    pub problems: Vec<String>,
}

/// The idle threshold when the URL gives none, in hours.
pub const IDLE_HOURS: f64 = 2.0;

/// The idle thresholds the pages offer, in hours.
pub const IDLE_CHOICES: [f64; 5] = [1.0, 2.0, 4.0, 8.0, 24.0];

impl ViewState {
    /// Parse the URL's query.
    pub fn parse(params: &BTreeMap<String, String>) -> ViewState {
        let mut problems = Vec::new();
        let text = |key: &str| {
            params
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let page = match text("page") {
            None => Ok(Page::Overview),
            Some(key) => Page::parse(&key).ok_or(key),
        };
        let by = match text("by") {
            None => By::CostCenter,
            Some(v) => By::parse(&v).unwrap_or_else(|| {
                let known: Vec<&str> = By::ALL.iter().map(|b| b.key()).collect();
                problems.push(format!(
                    "URL parameter `by`: `{v}` is not one of {}; charging by cost center",
                    known.join(", ")
                ));
                By::CostCenter
            }),
        };
        let policy = match text("policy") {
            None => Policy::PayForUse,
            Some(v) => Policy::parse(&v).unwrap_or_else(|| {
                problems.push(format!(
                    "URL parameter `policy`: `{v}` is not pay-for-use or full-allocation; \
                     using pay for use"
                ));
                Policy::PayForUse
            }),
        };
        let idle_hours = match text("idle") {
            None => IDLE_HOURS,
            Some(v) => match v.parse::<f64>() {
                Ok(h) if h > 0.0 && h <= 24.0 * 31.0 => h,
                _ => {
                    problems.push(format!(
                        "URL parameter `idle`: `{v}` is not a number of hours from 0 to 744; \
                         using {IDLE_HOURS}"
                    ));
                    IDLE_HOURS
                }
            },
        };
        let mut list = |key: &str, known: &dyn Fn(&str) -> bool| -> Vec<String> {
            let items: Vec<String> = text(key)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let (good, bad): (Vec<String>, Vec<String>) = items.into_iter().partition(|k| known(k));
            if !bad.is_empty() {
                problems.push(format!(
                    "URL parameter `{key}`: unknown {} ignored",
                    bad.iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            good
        };
        let dims: Vec<Dimension> = list("dims", &|k| Dimension::from_key(k).is_some())
            .iter()
            .filter_map(|k| Dimension::from_key(k))
            .collect();
        let measures: Vec<Measure> = list("measures", &|k| Measure::from_key(k).is_some())
            .iter()
            .filter_map(|k| Measure::from_key(k))
            .collect();
        let report = ReportSpec {
            dims: if dims.is_empty() {
                vec![Dimension::Department]
            } else {
                dims
            },
            measures: if measures.is_empty() {
                vec![Measure::LicenseHours]
            } else {
                measures
            },
            calc: text("calc").unwrap_or_default(),
            calc_name: text("calc_name").unwrap_or_else(|| "Calculated".to_owned()),
        };
        ViewState {
            page,
            filters: Filters::from_params(params),
            costs: CostChoice { by, policy },
            project: text("project"),
            report,
            idle_hours,
            problems,
        }
    }
}
