//! Calls per token over time as stacked bars, drawn as SVG on the server (no chart library,
//! nothing to download), with a legend that names each colour and its total.
use leptos::prelude::*;

use crate::api::endpoints::Chart;

/// Okabe–Ito: told apart by people with the common colour-vision deficiencies.
const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;

pub fn colour(index: usize) -> &'static str {
    COLOURS[index % COLOURS.len()]
}

#[component]
pub fn CallsChart(chart: Chart) -> impl IntoView {
    if chart.buckets.is_empty() {
        return view! { <p class="empty">"No calls in this range yet, so there is nothing to chart."</p> }
            .into_any();
    }
    let buckets = chart.buckets.len();
    let totals: Vec<u32> = (0..buckets)
        .map(|i| chart.series.iter().map(|s| s.counts[i]).sum())
        .collect();
    let peak = f64::from(totals.iter().copied().max().unwrap_or(1).max(1));
    let plot_height = HEIGHT - BOTTOM - 8.0;
    let slot = (WIDTH - LEFT) / buckets as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut bars = Vec::new();
    for i in 0..buckets {
        let mut top = HEIGHT - BOTTOM;
        for (index, series) in chart.series.iter().enumerate() {
            let count = series.counts[i];
            if count == 0 {
                continue;
            }
            let height = f64::from(count) / peak * plot_height;
            top -= height;
            let label = format!(
                "{}: {count} call{} from {}",
                series.token,
                if count == 1 { "" } else { "s" },
                chart.buckets[i].format("%Y-%m-%d %H:%M:%S UTC")
            );
            bars.push(view! {
                <rect x=format!("{:.1}", LEFT + slot * i as f64 + (slot - bar) / 2.0)
                    y=format!("{top:.1}") width=format!("{bar:.1}") height=format!("{height:.1}")
                    fill=colour(index)><title>{label}</title></rect>
            });
        }
    }
    let first = chart.buckets[0].format("%Y-%m-%d %H:%M").to_string();
    let last = chart.buckets[buckets - 1]
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let summary = chart
        .series
        .iter()
        .map(|s| format!("{} {}", s.token, s.counts.iter().sum::<u32>()))
        .collect::<Vec<_>>()
        .join(", ");
    let legend = chart
        .series
        .iter()
        .enumerate()
        .map(|(index, series)| {
            let total: u32 = series.counts.iter().sum();
            view! {
                // A drawn swatch, not a style attribute: the Content-Security-Policy allows
                // no inline styles.
                <li><svg class="swatch" viewBox="0 0 1 1" aria-hidden="true">
                    <rect width="1" height="1" fill=colour(index)/></svg>
                    {series.token.clone()} <span class="muted">{format!("({total})")}</span></li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-label=format!("Calls per token over time: {summary}")>
                <line x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH y2=HEIGHT - BOTTOM stroke="#8a94a6"/>
                <text x="2" y="14" class="axis">{format!("{peak}")}</text>
                <text x="2" y=HEIGHT - BOTTOM class="axis">"0"</text>
                {bars}
                <text x=LEFT y=HEIGHT - 6.0 class="axis">{first}</text>
                <text x=WIDTH y=HEIGHT - 6.0 class="axis" text-anchor="end">{last}</text>
            </svg>
            <figcaption>
                <ul class="legend" aria-label="Legend">{legend}</ul>
            </figcaption>
        </figure>
    }
    .into_any()
}
