//! Charts of calls. An endpoint's: calls per token over time as stacked bars, accepted calls
//! solid, refused ones pale with an outline on top, each token in the same colour whatever
//! the filter. A token's: its requests per day. The bars are SVG
//! drawn on the server (no chart library, nothing to download); the axis labels are HTML
//! text, so they stay readable (12 px and up) however narrow the screen.
use leptos::prelude::*;

use crate::api::endpoints::Chart;
use crate::model::token::DayCount;

/// Okabe–Ito: told apart by people with the common colour-vision deficiencies.
const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
/// Horizontal grid lines, the baseline included: 0, ¼, ½, ¾ and all of the axis.
const TICKS: u32 = 4;

/// A sender's colour: by its place among every sender of the endpoint, so filtering never
/// repaints a token.
pub fn colour(senders: &[String], token: &str) -> &'static str {
    let index = senders.iter().position(|s| s == token).unwrap_or(0);
    COLOURS[index % COLOURS.len()]
}

/// The top of the y axis: the smallest 1, 2 or 5 × 10ⁿ step whose four steps reach `peak`,
/// so every tick is a round number.
pub fn axis_top(peak: u32) -> u32 {
    let mut magnitude = 1u32;
    loop {
        for step in [1, 2, 5] {
            let step = step * magnitude;
            if step.saturating_mul(TICKS) >= peak {
                return step.saturating_mul(TICKS);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

#[component]
pub fn CallsChart(chart: Chart, senders: Vec<String>) -> impl IntoView {
    if chart.buckets.is_empty() {
        return view! { <p class="empty">"No calls in this range yet, so there is nothing to chart."</p> }
            .into_any();
    }
    let buckets = chart.buckets.len();
    let totals: Vec<u32> = (0..buckets)
        .map(|i| {
            chart
                .series
                .iter()
                .map(|s| s.accepted[i] + s.refused[i])
                .sum()
        })
        .collect();
    let top = axis_top(totals.iter().copied().max().unwrap_or(0).max(1));
    let slot = WIDTH / buckets as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut bars = Vec::new();
    for i in 0..buckets {
        let mut y = HEIGHT;
        let x = format!("{:.1}", slot * i as f64 + (slot - bar) / 2.0);
        let when = chart.buckets[i].format("%Y-%m-%d %H:%M UTC");
        for series in &chart.series {
            let fill = colour(&senders, &series.token);
            for (count, refused) in [(series.accepted[i], false), (series.refused[i], true)] {
                if count == 0 {
                    continue;
                }
                let height = f64::from(count) / f64::from(top) * HEIGHT;
                y -= height;
                let label = format!(
                    "{}: {count} {} call{} from {when}",
                    series.token,
                    if refused { "refused" } else { "accepted" },
                    if count == 1 { "" } else { "s" },
                );
                bars.push(view! {
                    <rect x=x.clone() y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{height:.1}")
                        fill=fill stroke=refused.then_some(fill) class:refused=refused><title>{label}</title></rect>
                });
            }
        }
    }
    let first = chart.buckets[0].format("%Y-%m-%d %H:%M").to_string();
    let last = chart.buckets[buckets - 1]
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let summary = chart
        .series
        .iter()
        .map(|s| {
            let accepted: u32 = s.accepted.iter().sum();
            let refused: u32 = s.refused.iter().sum();
            format!(
                "{} {} ({accepted} accepted, {refused} refused)",
                s.token,
                accepted + refused
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let legend = chart
        .series
        .iter()
        .map(|series| {
            let accepted: u32 = series.accepted.iter().sum();
            let refused: u32 = series.refused.iter().sum();
            let fill = colour(&senders, &series.token);
            view! {
                // A drawn swatch, not a style attribute: the Content-Security-Policy allows
                // no inline styles.
                <li><svg class="swatch" viewBox="0 0 1 1" aria-hidden="true">
                    <rect width="1" height="1" fill=fill/></svg>
                    {series.token.clone()}
                    <span class="muted">{format!(" {accepted} accepted, {refused} refused")}</span></li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <Plot top label=format!("Calls per token over time: {summary}") first last>{bars}</Plot>
            <figcaption>
                <ul class="legend" aria-label="Legend">{legend}</ul>
                <p class="hint">"Solid: accepted calls. Pale with an outline: refused calls."</p>
            </figcaption>
        </figure>
    }
    .into_any()
}

/// What every chart draws in: the y axis labelled from 0 to `top`, grid lines, the bars
/// (children, in a `WIDTH` × `HEIGHT` box), the baseline, and the x axis's first and last
/// label.
#[component]
fn Plot(
    top: u32,
    /// What the chart shows, for screen readers.
    label: String,
    first: String,
    last: String,
    children: Children,
) -> impl IntoView {
    let grid = (1..=TICKS)
        .map(|t| {
            let y = HEIGHT - HEIGHT * f64::from(t) / f64::from(TICKS);
            view! { <line x1="0" x2=WIDTH y1=y y2=y class="grid"/> }
        })
        .collect_view();
    let labels = (0..=TICKS)
        .map(|t| view! { <span>{(top / TICKS * t).to_string()}</span> })
        .collect_view();
    view! {
        <div class="plot">
            <div class="y-axis" aria-hidden="true">{labels}</div>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img"
                aria-label=label>
                {grid}
                {children()}
                <line x1="0" x2=WIDTH y1=HEIGHT y2=HEIGHT class="baseline"/>
            </svg>
        </div>
        <div class="x-axis" aria-hidden="true"><span>{first}</span><span>{last}</span></div>
    }
}

/// A token's calls per day, one bar a day, with the figures as a table on request (a bar's
/// tooltip needs a mouse).
#[component]
pub fn RequestsPerDay(days: Vec<DayCount>) -> impl IntoView {
    let total: u64 = days.iter().map(|d| d.requests).sum();
    let (Some(first), Some(last), Some(busiest)) = (
        days.first(),
        days.last(),
        days.iter().max_by_key(|d| (d.requests, d.day)),
    ) else {
        return ().into_any();
    };
    if total == 0 {
        return view! { <p class="empty">"No calls in the last 30 days."</p> }.into_any();
    }
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let top = axis_top(count(busiest.requests).max(1));
    let slot = WIDTH / days.len() as f64;
    let bar = slot * 0.8;
    let requests = |n: u64| format!("{n} request{}", if n == 1 { "" } else { "s" });
    let bars = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.requests > 0)
        .map(|(i, d)| {
            let height = f64::from(count(d.requests)) / f64::from(top) * HEIGHT;
            view! {
                <rect x=format!("{:.1}", slot * i as f64 + (slot - bar) / 2.0) y=format!("{:.1}", HEIGHT - height)
                    width=format!("{bar:.1}") height=format!("{height:.1}") fill=COLOURS[0]>
                    <title>{format!("{}: {}", d.day, requests(d.requests))}</title>
                </rect>
            }
        })
        .collect_view();
    let summary = format!(
        "{} in 30 days; the busiest day was {} with {}.",
        requests(total),
        busiest.day,
        requests(busiest.requests)
    );
    let rows = days
        .iter()
        .rev()
        .map(|d| view! { <tr><td>{d.day.to_string()}</td><td>{d.requests}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart">
            <Plot top label=format!("Requests per day: {summary}") first=first.day.to_string() last=last.day.to_string()>
                {bars}
            </Plot>
            <figcaption>
                <p>{summary}</p>
                <details>
                    <summary>"Show as a table"</summary>
                    <table aria-label="Requests per day">
                        <thead><tr><th scope="col">"Day (UTC)"</th><th scope="col">"Requests"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </details>
            </figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number_in_four_steps() {
        assert_eq!(axis_top(1), 4);
        assert_eq!(axis_top(4), 4);
        assert_eq!(axis_top(5), 8);
        assert_eq!(axis_top(9), 20);
        assert_eq!(axis_top(37), 40);
        assert_eq!(axis_top(41), 80);
        assert_eq!(axis_top(1234), 2000);
    }

    #[test]
    fn a_token_keeps_its_colour_whatever_the_filter() {
        let senders: Vec<String> = ["billing", "shop", "POST primary"].map(String::from).into();
        assert_eq!(colour(&senders, "shop"), COLOURS[1]);
        assert_eq!(colour(&senders, "POST primary"), COLOURS[2]);
    }
}
